"""The official's new pages in a real browser: 360 px without horizontal scrolling, and the result page printed on A4."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest

from app.extensions import db
from tests.functional.test_browser import browser, login, server  # noqa: F401 - fixtures
from tests.functional.test_official_pages import _fill_all

pytestmark = pytest.mark.browser
SHOTS = Path(os.environ.get("SHOTS_DIR", "/work/shots/result"))
A4_CONTENT_PX = 703  # 210 mm − 2 × 12 mm page margins (result.css @page) at 96 px per inch


def _shot(page, name: str) -> None:
    """A screenshot for a person to look at, when the shots folder can be made (never in the repository)."""
    try:
        SHOTS.mkdir(parents=True, exist_ok=True)
    except OSError:
        return
    page.screenshot(path=str(SHOTS / name), full_page=True)


def _overflow(page) -> int:
    """How many px the page is wider than its viewport (0: no horizontal scrolling)."""
    return page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")


def test_official_pages_fit_a_phone_and_the_result_prints_on_a4(server, browser, app, world):  # noqa: F811
    from pypdf import PdfReader


    campaign, unit = world["campaign"], world["unit_a"]
    long_note = "Đang lập kênh Zalo thứ ba; " * 12 + "https://zalo.me/g/" + "x" * 60
    _fill_all(app, world["official_a"], campaign, unit, values={"G1.2": "2"}, explanations={"G1.2": long_note})
    page = browser.new_page(viewport={"width": 360, "height": 740})
    login(page, server, "canbo.a")
    base = f"{server}/assessments/{campaign.id}/{unit.id}"
    for name, url in [("dashboard", f"{server}/assessments/"), ("overview", f"{base}/"), ("confirm", f"{base}/submit/confirm"),
                      ("group", f"{base}/groups/G1")]:
        page.goto(url)
        assert _overflow(page) <= 0, name
        _shot(page, f"{name}-360.png")
    page.goto(f"{base}/submit/confirm")
    page.click("#confirm-submit")
    page.wait_for_load_state("networkidle")
    assert "Đang chờ thẩm định" in page.content()
    assert _overflow(page) <= 0
    assert page.is_visible("button[data-print]")  # the script revealed the print button
    box = page.locator("button[data-print]").bounding_box()
    assert box["width"] >= 44 and box["height"] >= 44
    _shot(page, "result-360.png")

    # Print: at the A4 content width nothing sticks out, and the PDF is A4 pages.
    page.set_viewport_size({"width": A4_CONTENT_PX, "height": 1000})
    page.emulate_media(media="print")
    assert _overflow(page) <= 0
    widest = page.evaluate("Math.max(...[...document.querySelectorAll('main *')].map(e => e.getBoundingClientRect().right))")
    assert widest <= A4_CONTENT_PX + 1
    assert not page.is_visible("header.top") and not page.is_visible("button[data-print]")
    pdf = page.pdf(format="A4", prefer_css_page_size=True)
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) >= 1
    for p in reader.pages:
        assert (round(float(p.mediabox.width)), round(float(p.mediabox.height))) == (595, 842)  # A4 in points
    text = reader.pages[0].extract_text()
    assert "Kết quả tự chấm" in text and "Đang chờ thẩm định" in text
    try:
        SHOTS.mkdir(parents=True, exist_ok=True)
        (SHOTS / "result-a4.pdf").write_bytes(pdf)
    except OSError:
        pass
    db.session.remove()
