"""The public verification form in a real browser at phone width (360 px): fits, 44 px targets, no serious axe issues."""

from __future__ import annotations

import pytest

from tests.functional.test_browser import browser, serious, server  # noqa: F401 - fixtures

pytestmark = pytest.mark.browser


def test_verify_form_at_phone_width(server, browser):  # noqa: F811 - fixtures
    page = browser.new_page(viewport={"width": 360, "height": 740})
    page.goto(server + "/verify")
    field = page.locator("#code")
    field.fill("7kq2-m9xd 4hlr zp3u")  # U is no code symbol: not found, and the page keeps what was typed
    page.click("button.primary")
    page.wait_for_load_state("networkidle")
    assert "Không tìm thấy giấy chứng nhận." in page.content()
    assert page.input_value("#code") == "7kq2-m9xd 4hlr zp3u"
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    for selector in ("#code", "button.primary"):
        box = page.locator(selector).bounding_box()
        assert box["height"] >= 44 and box["width"] >= 44, (selector, box)
    import pathlib

    shots = pathlib.Path("/work/shots/certs")
    if shots.is_dir():
        page.screenshot(path=str(shots / "verify-360.png"), full_page=True)
    assert serious(page) == []
    page.close()
