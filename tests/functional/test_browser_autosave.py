"""Autosave in a real browser (Playwright + Debian's Chromium): typing saves by itself, a dropped connection keeps
the values in localStorage and saves them when it comes back, values kept from a closed page are offered back and
never restored without a click, and a conflict stops autosave and hands over to the explicit save.

No timed sleeps: each step waits for what the page says (the status line, the offer, the alert).
"""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.submissions import services
from app.submissions.models import Submission
from tests.functional.test_browser import browser, login, server  # noqa: F401 - fixtures

pytestmark = pytest.mark.browser
SHOTS = Path("/work/shots/autosave")
WAIT = 15_000  # ms: a 2 s debounce plus a save on two busy cores


def _g1(world):
    campaign, unit = world["campaign"], world["unit_a"]
    group = campaign.criteria_version.criteria.groups[0]
    pct = next(i for i in group.indicators if i.type == "percent")
    boolean = next(i for i in group.indicators if i.type == "boolean")
    return campaign, unit, group, pct, boolean


def _stored() -> Submission | None:
    db.session.remove()
    return db.session.scalar(sa.select(Submission))


def _shot(page, name: str) -> None:
    if SHOTS.parent.exists():
        SHOTS.mkdir(exist_ok=True)
        page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=False)


def _kept(page):
    return page.evaluate("() => JSON.parse(localStorage.getItem(document.getElementById('autosave').dataset.key))")


def _save_as_system(app, world, values):
    campaign, unit, group, _pct, _boolean = _g1(world)
    services.save_group(db.session, world["official_a"], campaign.id, unit.id, group.code, values=values, explanations={},
                        files={}, expected_version=None, max_bytes=app.config["MAX_EVIDENCE_BYTES"])
    db.session.commit()


def test_typing_saves_by_itself_and_reload_shows_it(server, browser, world):  # noqa: F811
    from playwright.sync_api import expect

    campaign, unit, group, pct, boolean = _g1(world)
    page = browser.new_context(viewport={"width": 360, "height": 740}).new_page()
    login(page, server, "canbo.a")
    url = f"{server}/assessments/{campaign.id}/{unit.id}/groups/{group.code}"
    page.goto(url)
    status = page.locator("#autosave-status")
    posts = []
    page.on("request", lambda r: posts.append(r) if r.method == "POST" else None)
    # An invalid number: the message appears beside the field, the text stays as typed.
    page.fill(f"#{pct.field_name}", "sáu mươi")
    expect(page.locator("#autosave-alert")).to_be_visible(timeout=WAIT)
    expect(page.locator(f"#{pct.field_name}-autosave-err")).to_be_visible()
    assert page.input_value(f"#{pct.field_name}") == "sáu mươi"
    assert page.get_attribute(f"#{pct.field_name}", "aria-invalid") == "true"
    assert posts and posts[0].headers.get("accept") == "application/json" and "_files" not in (posts[0].post_data or "")
    _shot(page, "invalid-360")
    # Corrected: saved, the message goes away, the status says when.
    page.fill(f"#{pct.field_name}", "62,5")
    page.check(f"input[name={boolean.field_name}][value=no]")
    page.fill(f"#{boolean.field_name}_explanation", "Dự kiến ban hành quý IV")
    expect(status).to_contain_text("Đã lưu lúc", timeout=WAIT)
    expect(page.locator("#autosave-alert")).to_be_hidden()
    assert page.locator(f"#{pct.field_name}-autosave-err").count() == 0
    _shot(page, "saved-360")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    sub = _stored()
    assert sub.answer_for(pct.code).parsed == 62.5 and sub.answer_for(boolean.code).explanation == "Dự kiến ban hành quý IV"
    assert page.input_value("input[name=version]") == str(sub.version)  # the page holds the new version token
    page.reload()
    assert page.input_value(f"#{pct.field_name}") == "62,5"
    expect(status).to_contain_text("Đã lưu lúc")
    # The explicit save still works after autosaves (its version token is current: no conflict).
    page.fill(f"#{pct.field_name}", "63")
    page.click("button[value=stay]")
    page.wait_for_load_state("networkidle")
    assert "Đã lưu nháp nhóm G1." in page.content()
    assert _stored().answer_for(pct.code).parsed == 63
    page.context.close()


def test_offline_typing_is_kept_in_the_browser_and_saved_when_back_online(server, browser, world, app):  # noqa: F811
    from playwright.sync_api import expect

    campaign, unit, group, pct, _boolean = _g1(world)
    _save_as_system(app, world, {pct.field_name: "50"})
    context = browser.new_context()
    page = context.new_page()
    login(page, server, "canbo.a")
    page.goto(f"{server}/assessments/{campaign.id}/{unit.id}/groups/{group.code}")
    status = page.locator("#autosave-status")
    context.set_offline(True)
    page.fill(f"#{pct.field_name}", "71")
    expect(status).to_contain_text("Chưa lưu được — đã giữ trong trình duyệt", timeout=WAIT)
    kept = _kept(page)
    assert kept["values"][pct.field_name] == "71" and kept["version"] == page.input_value("input[name=version]")
    assert _stored().answer_for(pct.code).parsed == 50
    _shot(page, "offline")
    context.set_offline(False)  # the browser's `online` event: the kept values are sent
    expect(status).to_contain_text("Đã lưu lúc", timeout=WAIT)
    assert _stored().answer_for(pct.code).parsed == 71
    assert _kept(page) is None  # a full save clears the browser's copy
    context.close()


def test_values_kept_from_a_closed_page_are_offered_back_and_saved_on_restore(server, browser, world, app):  # noqa: F811
    from playwright.sync_api import expect

    campaign, unit, group, pct, boolean = _g1(world)
    _save_as_system(app, world, {pct.field_name: "50"})
    url = f"{server}/assessments/{campaign.id}/{unit.id}/groups/{group.code}"
    context = browser.new_context(viewport={"width": 360, "height": 740})
    page = context.new_page()
    login(page, server, "canbo.a")
    page.goto(url)
    context.set_offline(True)
    page.fill(f"#{pct.field_name}", "88")
    page.fill(f"#{boolean.field_name}_explanation", "Gõ khi mất mạng ở nhà văn hoá")
    expect(page.locator("#autosave-status")).to_contain_text("Chưa lưu được", timeout=WAIT)
    page.close()
    context.set_offline(False)
    page = context.new_page()
    page.goto(url)
    offer = page.locator("#autosave-offer")
    expect(offer).to_be_visible()
    expect(offer).to_contain_text("Trình duyệt còn giữ nội dung bạn nhập lúc")
    assert page.input_value(f"#{pct.field_name}") == "50"  # nothing restored without a click
    assert _stored().answer_for(pct.code).parsed == 50
    _shot(page, "offer-360")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    box = page.locator("#autosave-restore").bounding_box()
    assert box["height"] >= 44 and box["width"] >= 44
    page.click("#autosave-restore")
    assert page.input_value(f"#{pct.field_name}") == "88"
    assert page.input_value(f"#{boolean.field_name}_explanation") == "Gõ khi mất mạng ở nhà văn hoá"
    expect(page.locator("#autosave-status")).to_contain_text("Đã lưu lúc", timeout=WAIT)
    sub = _stored()
    assert sub.answer_for(pct.code).parsed == 88 and sub.answer_for(boolean.code).explanation == "Gõ khi mất mạng ở nhà văn hoá"
    page.reload()
    expect(page.locator("#autosave-offer")).to_be_hidden()
    assert _kept(page) is None
    context.close()


def test_leaving_the_page_before_the_debounce_sends_a_last_save(server, browser, world):  # noqa: F811
    campaign, unit, group, pct, _boolean = _g1(world)
    page = browser.new_page()
    login(page, server, "canbo.a")
    page.goto(f"{server}/assessments/{campaign.id}/{unit.id}/groups/{group.code}")
    page.on("dialog", lambda dialog: dialog.accept())  # "leave with unsaved changes?" (static/js/app.js): yes
    page.fill(f"#{pct.field_name}", "77")
    page.click("nav.steps a >> nth=0")  # to the next group, well before the 2 s debounce
    page.wait_for_load_state("networkidle")  # (Playwright does not report a keepalive request sent while unloading)
    page.goto(f"{server}/assessments/{campaign.id}/{unit.id}/groups/{group.code}")  # served after that save (one thread)
    assert page.input_value(f"#{pct.field_name}") == "77" and "Đã lưu lúc" in page.inner_text("#autosave-status")
    assert _stored().answer_for(pct.code).parsed == 77
    page.close()


def test_a_conflict_stops_autosave_keeps_the_values_and_the_explicit_save_takes_over(server, browser, world, app, make_user):  # noqa: F811
    from playwright.sync_api import expect

    campaign, unit, group, pct, _boolean = _g1(world)
    colleague = make_user("canbo.a2", "official", unit)
    page = browser.new_page()
    login(page, server, "canbo.a")
    page.goto(f"{server}/assessments/{campaign.id}/{unit.id}/groups/{group.code}")
    services.save_group(db.session, colleague, campaign.id, unit.id, group.code, values={pct.field_name: "95"}, explanations={},
                        files={}, expected_version=services.NO_SUBMISSION_VERSION, max_bytes=app.config["MAX_EVIDENCE_BYTES"])  # the colleague's first save wins
    db.session.commit()
    posts = []
    page.on("request", lambda r: posts.append(r) if r.method == "POST" else None)
    page.fill(f"#{pct.field_name}", "40")
    alert = page.locator("#autosave-alert")
    expect(alert).to_be_visible(timeout=WAIT)
    expect(alert).to_contain_text("Tự động lưu đã dừng")
    expect(alert).to_contain_text("CHƯA được lưu")
    assert page.input_value(f"#{pct.field_name}") == "40" and _stored().answer_for(pct.code).parsed == 95
    assert _kept(page)["values"][pct.field_name] == "40"
    count = len(posts)
    page.fill(f"#{pct.field_name}", "41")  # no more autosaves: the next save is the user's own
    page.click("button[value=stay]")  # the existing conflict page: who saved, the typed values, "Lưu lại"
    page.wait_for_load_state("networkidle")
    assert len(posts) == count + 1
    html = page.content()
    assert "CHƯA được lưu" in html and page.input_value(f"#{pct.field_name}") == "41"
    assert _stored().answer_for(pct.code).parsed == 95
    page.close()


def test_without_javascript_the_page_has_no_autosave_status_changes(server, browser, world):  # noqa: F811
    campaign, unit, group, pct, _boolean = _g1(world)
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    login(page, server, "canbo.a")
    page.goto(f"{server}/assessments/{campaign.id}/{unit.id}/groups/{group.code}")
    page.fill(f"#{pct.field_name}", "62,5")
    page.click("button[value=stay]")
    page.wait_for_load_state("networkidle")
    assert "Đã lưu nháp nhóm G1." in page.content()
    assert page.locator("#autosave-offer").is_hidden() and page.locator("#autosave-alert").is_hidden()
    assert "Đã lưu lúc" in page.inner_text("#autosave-status")  # the server's own line, no script needed
    context.close()


def test_an_explicit_save_during_an_autosave_waits_for_it_and_does_not_conflict(server, browser, world):  # noqa: F811
    from playwright.sync_api import expect

    campaign, unit, group, pct, _boolean = _g1(world)
    page = browser.new_page()
    login(page, server, "canbo.a")
    page.goto(f"{server}/assessments/{campaign.id}/{unit.id}/groups/{group.code}")
    held = []

    def hold_autosave(route):  # the autosave reaches the server, its answer is held back
        if route.request.method == "POST" and route.request.headers.get("accept") == "application/json":
            held.append((route, route.fetch()))
        else:
            route.continue_()

    page.route(f"**/groups/{group.code}", hold_autosave)
    page.fill(f"#{pct.field_name}", "55")
    expect(page.locator("#autosave-status")).to_contain_text("Đang lưu", timeout=WAIT)
    for _ in range(200):  # the route handler runs while Playwright waits: wait until it holds the answer
        if held:
            break
        page.wait_for_timeout(50)
    assert held and _stored().answer_for(pct.code).parsed == 55  # saved: the page's version token is now stale
    page.fill(f"#{pct.field_name}", "56")
    page.click("button[value=stay]")  # waits for the autosave's answer (its new version), then saves
    route, response = held[0]
    with page.expect_navigation():
        route.fulfill(response=response)
    page.wait_for_load_state("networkidle")
    assert "Đã lưu nháp nhóm G1." in page.content() and _stored().answer_for(pct.code).parsed == 56
    page.close()
