"""The reviewers' and admins' screens in Chromium at 360 px and 1366 px: the heatmap scrolls inside its own box
with the unit column fixed and cells of at least 24 px, the users and campaign lists do not widen the page, and
"Chọn tất cả" ticks every unit with JavaScript. Screenshots go to /work/shots/admin when that folder exists."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from tests.functional.test_browser import ARGS, CHROMIUM, login, serious
from tests.reports_fixture import build

pytestmark = pytest.mark.browser
SHOTS = Path("/work/shots/admin")


@pytest.fixture
def data_server(app, make_unit, make_user, make_campaign):
    data = build(app, make_unit, make_user, make_campaign)
    httpd = make_server("127.0.0.1", 0, app, threaded=False)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}", data
    httpd.shutdown()


@pytest.fixture
def chromium():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        instance = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield instance
        instance.close()


def _shot(page, name: str) -> None:
    if SHOTS.is_dir():
        page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def _page_overflow(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")


def test_admin_screens_at_phone_and_desktop_width(data_server, chromium):
    browser = chromium
    base, data = data_server
    for width, height in ((360, 740), (1366, 768)):
        page = browser.new_page(viewport={"width": width, "height": height})
        login(page, base, "quantri")
        page.goto(f"{base}/reports/heatmap")
        assert page.input_value("#set_code") == "CQTT"  # chosen by default
        assert _page_overflow(page) <= 0, f"heatmap page wider than {width}px"
        cell = page.eval_on_selector("table.heatgrid td", "td => { const r = td.getBoundingClientRect(); return [r.width, r.height]; }")
        assert min(cell) >= 24
        unit = page.eval_on_selector("table.heatgrid tbody th", "th => getComputedStyle(th).position")
        assert unit == "sticky"
        if width == 360:
            found = serious(page)
            assert found == [], found
        _shot(page, f"heatmap-{width}")
        page.goto(f"{base}/admin/users")
        assert _page_overflow(page) <= 0, f"users list wider than {width}px"
        if width == 360:
            found = serious(page)
            assert found == [], found
        _shot(page, f"users-{width}")
        page.goto(f"{base}/campaigns/")
        assert _page_overflow(page) <= 0, f"campaign list wider than {width}px"
        if width == 360:
            found = serious(page)
            assert found == [], found
        _shot(page, f"campaigns-{width}")
        page.close()
    # "Chọn tất cả" with JavaScript: the box appears, the no-JS buttons hide, one click ticks every unit
    page = browser.new_page(viewport={"width": 360, "height": 740})
    login(page, base, "quantri")
    page.goto(f"{base}/review/campaigns/{data['old'].id}/decisions/new")  # 2025: Phường An approved, not yet recognised
    boxes = page.locator("input[name=submission_ids]")
    assert boxes.count() == 1 and not boxes.first.is_checked()
    assert not page.is_visible("button[name=select_all][value=all]")
    page.check("input[data-select-all]")
    assert boxes.first.is_checked()
    page.uncheck("input[data-select-all]")
    assert not boxes.first.is_checked()
    assert _page_overflow(page) <= 0
    _shot(page, "decision-360")
    page.close()
