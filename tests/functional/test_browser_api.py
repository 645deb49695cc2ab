"""The API's interactive page (Swagger UI shipped with the app, no CDN, strict script CSP) and the admin token screen,
in a real browser at 360 px."""

from __future__ import annotations

import os

import pytest

from tests.functional.test_browser import browser, login, server  # noqa: F401 - fixtures

pytestmark = pytest.mark.browser
SHOTS = "/work/shots/api"


def _shot(page, name: str) -> None:
    if os.path.isdir(SHOTS):
        page.screenshot(path=f"{SHOTS}/{name}.png", full_page=True)


def test_docs_page_renders_every_operation_from_local_assets(server, browser):  # noqa: F811 - pytest fixtures
    page = browser.new_page(viewport={"width": 360, "height": 800})
    errors, requests = [], []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("request", lambda r: requests.append(r.url))
    page.goto(server + "/api/v1/docs")
    page.wait_for_selector(".opblock-summary-path", timeout=30000)
    paths = page.locator(".opblock-summary-path").all_inner_texts()
    assert "/units" in " ".join(paths) and len(paths) == 13
    assert all(url.startswith(server) for url in requests), [u for u in requests if not u.startswith(server)]
    assert not [e for e in errors if "Content Security Policy" in e], errors
    _shot(page, "docs-360")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360  # axe-core: see AXE_EXEMPT in test_browser_pages


def test_token_screen_fits_a_phone(server, browser, world):  # noqa: F811 - pytest fixtures
    page = browser.new_page(viewport={"width": 360, "height": 800})
    login(page, server, "quantri")
    page.goto(server + "/admin/api-tokens/")
    page.select_option("#user_id", str(world["official_a"].id))
    page.fill("#name", "Cổng dữ liệu thành phố")
    page.click("form[action$='/admin/api-tokens/'] button[type=submit]")
    page.wait_for_selector("#plain-token")
    assert page.inner_text("#plain-token").startswith("dc_")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, width
    _shot(page, "tokens-360")
