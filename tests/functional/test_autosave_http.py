"""The JSON variant of the questionnaire save that static/js/autosave.js uses (issue 13, autosave).

Same address, same checks (CSRF, version token incl. the first save, validation, limits), answered as JSON when
the request sends `Accept: application/json`; the page itself carries the status line and the messages.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
import sqlalchemy as sa
import time_machine

from app.extensions import db
from app.submissions import services
from app.submissions.models import Submission
from tests.conftest import CSRF_RE
from tests.functional.test_journey import group_url, version_of

JSON = {"Accept": "application/json"}
#: 03:42 UTC is 10:42 in Hải Phòng (Asia/Ho_Chi_Minh, UTC+7).
AT_10_42 = dt.datetime(2026, 3, 5, 3, 42, 10, tzinfo=dt.UTC)


def _g1(world):
    campaign, unit = world["campaign"], world["unit_a"]
    group = campaign.criteria_version.criteria.groups[0]
    pct = next(i for i in group.indicators if i.type == "percent")
    boolean = next(i for i in group.indicators if i.type == "boolean")
    return campaign, unit, group, pct, boolean


def _page(client, url) -> tuple[str, str, str]:
    html = client.get(url).get_data(as_text=True)
    version = re.search(r'name="version"[^>]*value="(\d*)"', html).group(1)
    return html, CSRF_RE.search(html).group(1), version


def _stored() -> Submission | None:
    db.session.remove()
    return db.session.scalar(sa.select(Submission))


def _autosave(client, url, token, version, values, **headers):
    """POST like autosave.js: urlencoded fields, no files, Accept: application/json."""
    return client.post(url, data={"csrf_token": token, "version": version, **values}, headers={**JSON, **headers})


def test_the_page_carries_the_autosave_box_and_its_translated_messages(client, world):
    campaign, unit, group, _pct, _boolean = _g1(world)
    client.login("canbo.a")
    html, _token, _version = _page(client, group_url(campaign, unit, group.code))
    assert 'id="autosave"' in html and 'id="autosave-status"' in html and 'aria-live="polite"' in html
    assert "js/autosave.js" in html and "Chưa lưu được — đã giữ trong trình duyệt" in html and "Khôi phục" in html
    assert f'data-key="datchuan.autosave.v1:{world["official_a"].id}:{campaign.id}:{unit.id}:{group.code}"' in html
    client.post_form("/lang", {"lang": "en", "next": "/"}, token_from="/")
    english = client.get(group_url(campaign, unit, group.code)).get_data(as_text=True)
    assert "Not saved yet — kept in this browser" in english and "Restore" in english


def test_a_json_save_stores_the_values_and_answers_the_new_version_and_the_local_time(client, world):
    campaign, unit, group, pct, boolean = _g1(world)
    url = group_url(campaign, unit, group.code)
    with time_machine.travel(AT_10_42, tick=False) as clock:
        client.login("canbo.a")
        _html, token, version = _page(client, url)
        assert version == "0"
        response = _autosave(client, url, token, version, {pct.field_name: "62,5", boolean.field_name: "no",
                                                           boolean.field_name + "_explanation": "Dự kiến quý IV"})
        assert response.status_code == 200 and response.is_json
        body = response.get_json()
        sub = _stored()
        assert body["status"] == "saved" and body["saved"] is True and body["errors"] == {}
        assert body["version"] == sub.version and body["version"] > 0
        assert body["saved_text"] == body["message"] == "Đã lưu lúc 10:42"
        assert body["saved_at"] == "2026-03-05T03:42:10+00:00"
        assert sub.answer_for(pct.code).parsed == 62.5 and sub.answer_for(boolean.code).explanation == "Dự kiến quý IV"
        # The page shows when it was saved, and no "Đã lưu nháp" flash is left behind for the next page.
        clock.shift(dt.timedelta(minutes=5))
        html = client.get(url).get_data(as_text=True)
        assert re.search(r'id="autosave-status"[^>]*>Đã lưu lúc 10:42<', html)
        assert "Đã lưu nháp nhóm" not in html
        assert f'name="version" type="hidden" value="{body["version"]}"' in html or f'value="{body["version"]}"' in html
        # The next autosave uses the version from the answer.
        again = _autosave(client, url, token, str(body["version"]), {pct.field_name: "70"})
        assert again.status_code == 200 and again.get_json()["version"] > body["version"]
        assert again.get_json()["saved_text"] == "Đã lưu lúc 10:47"
        assert _stored().answer_for(pct.code).parsed == 70


def test_an_older_save_shows_its_date_too(client, world):
    campaign, unit, group, pct, _boolean = _g1(world)
    url = group_url(campaign, unit, group.code)
    with time_machine.travel(AT_10_42, tick=False):
        client.login("canbo.a")
        _html, token, version = _page(client, url)
        assert _autosave(client, url, token, version, {pct.field_name: "50"}).status_code == 200
    with time_machine.travel(AT_10_42 + dt.timedelta(days=1), tick=False):
        client.login("canbo.a")
        html = client.get(url).get_data(as_text=True)
    assert "Đã lưu lúc 10:42 ngày 05/03/2026" in html


def test_invalid_input_is_422_with_messages_the_valid_inputs_saved_and_nothing_wrong_stored(client, world):
    campaign, unit, group, pct, boolean = _g1(world)
    client.login("canbo.a")
    url = group_url(campaign, unit, group.code)
    _html, token, version = _page(client, url)
    first = _autosave(client, url, token, version, {pct.field_name: "50"}).get_json()["version"]
    response = _autosave(client, url, token, str(first), {pct.field_name: "sáu mươi", boolean.field_name: "yes",
                                                          boolean.field_name + "_explanation": "Đã ban hành"})
    assert response.status_code == 422
    body = response.get_json()
    sub = _stored()
    assert body["status"] == "invalid" and body["saved"] is True
    assert list(body["errors"]) == [pct.field_name] and body["errors"][pct.field_name]
    assert body["anchors"] == {pct.field_name: pct.field_name}
    assert "CHƯA được lưu" in body["message"]
    assert body["version"] == sub.version > first  # the valid inputs were stored: the page must take the new version
    assert sub.answer_for(pct.code).parsed == 50  # the old value stays, the invalid text is not stored
    assert sub.answer_for(boolean.code).parsed is True and sub.answer_for(boolean.code).explanation == "Đã ban hành"


def test_an_explanation_over_the_limit_is_named_and_not_stored(client, world, app):
    campaign, unit, group, pct, boolean = _g1(world)
    client.login("canbo.a")
    url = group_url(campaign, unit, group.code)
    _html, token, version = _page(client, url)
    long_text = "x" * (app.config["MAX_EXPLANATION_CHARS"] + 1)
    response = _autosave(client, url, token, version, {pct.field_name: "40", boolean.field_name + "_explanation": long_text})
    body = response.get_json()
    assert response.status_code == 422 and list(body["errors"]) == [boolean.field_name + "_explanation"]
    assert body["anchors"] == {boolean.field_name + "_explanation": boolean.field_name + "_explanation"}
    sub = _stored()
    assert sub.answer_for(pct.code).parsed == 40 and sub.answer_for(boolean.code).explanation == ""


def test_first_save_conflict_is_409_and_keeps_the_other_officials_values(client, world, app, make_user):
    campaign, unit, group, pct, _boolean = _g1(world)
    make_user("canbo.a2", "official", unit)
    client.login("canbo.a")
    url = group_url(campaign, unit, group.code)
    _html, token, version = _page(client, url)
    assert version == "0"
    other = db.session.scalar(sa.select(type(world["official_a"])).where(type(world["official_a"]).username == "canbo.a2"))
    services.save_group(db.session, other, campaign.id, unit.id, group.code, values={pct.field_name: "95"}, explanations={},
                        files={}, expected_version=services.NO_SUBMISSION_VERSION, max_bytes=app.config["MAX_EVIDENCE_BYTES"])
    db.session.commit()
    other_id = other.id
    response = _autosave(client, url, token, version, {pct.field_name: "50"})
    assert response.status_code == 409
    body = response.get_json()
    assert body["status"] == "conflict" and body["saved"] is False and "CHƯA được lưu" in body["message"]
    assert "version" not in body  # the page keeps its old token: the next save must not overwrite the other's data
    assert _stored().answer_for(pct.code).parsed == 95 and _stored().updated_by_id == other_id


def test_a_stale_version_is_409_and_stores_nothing(client, world):
    campaign, unit, group, pct, _boolean = _g1(world)
    client.login("canbo.a")
    url = group_url(campaign, unit, group.code)
    _html, token, version = _page(client, url)
    first = _autosave(client, url, token, version, {pct.field_name: "50"}).get_json()["version"]
    second = _autosave(client, url, token, str(first), {pct.field_name: "60"}).get_json()["version"]
    response = _autosave(client, url, token, str(first), {pct.field_name: "70"})  # a tab still holding the first version
    assert response.status_code == 409 and response.get_json()["status"] == "conflict"
    assert "lưu lúc" in response.get_json()["message"]  # names who saved and when, like the page does
    assert _stored().answer_for(pct.code).parsed == 60 and _stored().version == second


@pytest.mark.parametrize("version", [None, "", "abc"])
def test_a_missing_or_garbage_version_is_a_json_conflict(client, world, version):
    campaign, unit, group, pct, _boolean = _g1(world)
    client.login("canbo.a")
    url = group_url(campaign, unit, group.code)
    _html, token, _version = _page(client, url)
    data = {"csrf_token": token, pct.field_name: "33"} | ({} if version is None else {"version": version})
    response = client.post(url, data=data, headers=JSON)
    assert response.status_code == 409 and response.get_json()["status"] == "conflict"
    assert _stored() is None


def test_a_stale_csrf_token_is_a_clear_json_error_and_stores_nothing(client, world):
    campaign, unit, group, pct, _boolean = _g1(world)
    client.login("canbo.a")
    url = group_url(campaign, unit, group.code)
    _html, old_token, version = _page(client, url)
    client.logout()  # "another tab": same cookies
    client.login("canbo.a")
    response = _autosave(client, url, old_token, version, {pct.field_name: "62,5"})
    assert response.status_code == 400 and response.is_json
    body = response.get_json()
    assert body["status"] == "csrf" and body["saved"] is False
    assert "Phiên làm việc đã thay đổi" in body["message"] and "KHÔNG có gì được lưu" in body["message"]
    assert _stored() is None
    missing = client.post(url, data={"version": version, pct.field_name: "1"}, headers=JSON)
    assert missing.status_code == 400 and missing.get_json()["status"] == "csrf" and _stored() is None


def test_a_logged_out_autosave_is_401_json_not_the_login_page(client, world):
    campaign, unit, group, pct, _boolean = _g1(world)
    client.login("canbo.a")
    url = group_url(campaign, unit, group.code)
    _html, token, version = _page(client, url)
    client.logout()
    response = _autosave(client, url, token, version, {pct.field_name: "62,5"})
    assert response.status_code == 401 and response.get_json()["status"] == "logged_out"
    assert "đăng xuất" in response.get_json()["message"] and _stored() is None


def test_a_closed_campaign_refuses_with_a_json_message_and_the_page_has_no_autosave(client, world):
    campaign, unit, group, pct, _boolean = _g1(world)
    url = group_url(campaign, unit, group.code)
    client.login("canbo.a")
    _html, token, version = _page(client, url)
    with time_machine.travel(dt.datetime(2100, 1, 2, 3, 0, tzinfo=dt.UTC), tick=False):
        client.login("canbo.a")  # the idle timeout ended the first session
        html, token, version = _page(client, url)
        response = _autosave(client, url, token, version, {pct.field_name: "62,5"})
    assert response.status_code == 403 and response.get_json()["status"] == "error"
    assert "đã đóng" in response.get_json()["message"] and _stored() is None
    assert 'id="autosave"' not in html and "autosave.js" not in html


def test_database_down_autosave_is_503_json(client, world):
    from tests.functional.test_save_failures import _kill_database

    campaign, unit, group, pct, _boolean = _g1(world)
    client.login("canbo.a")
    url = group_url(campaign, unit, group.code)
    _html, token, version = _page(client, url)
    revive = _kill_database(db.engine)
    try:
        response = _autosave(client, url, token, version, {pct.field_name: "66"})
    finally:
        revive()
    assert response.status_code == 503 and response.get_json()["status"] == "unavailable"


def test_the_no_javascript_save_is_unchanged_a_redirect_with_a_flash(client, world):
    campaign, unit, group, pct, _boolean = _g1(world)
    client.login("canbo.a")
    url = group_url(campaign, unit, group.code)
    _html, token, version = _page(client, url)
    browser_accept = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    response = client.post(url, data={"csrf_token": token, "version": version, "go": "stay", pct.field_name: "62,5"},
                           headers={"Accept": browser_accept}, content_type="multipart/form-data")
    assert response.status_code == 302
    html, token, version = _page(client, url)
    assert "Đã lưu nháp nhóm G1." in html
    wildcard = client.post(url, data={"csrf_token": token, "version": version, "go": "stay", pct.field_name: "x"}, headers={"Accept": "*/*"})
    assert wildcard.status_code == 422 and not wildcard.is_json and 'id="group-form"' in wildcard.get_data(as_text=True)


def test_pages_re_shown_after_a_failed_save_have_no_autosave(client, world):
    campaign, unit, group, pct, _boolean = _g1(world)
    client.login("canbo.a")
    url = group_url(campaign, unit, group.code)
    version = version_of(client, url)
    invalid = client.post_form(url, {"version": version, pct.field_name: "abc"}, content_type="multipart/form-data")
    conflict = client.post_form(url, {"version": "0", pct.field_name: "10"}, content_type="multipart/form-data")
    for response, code in ((invalid, 422), (conflict, 409)):
        html = response.get_data(as_text=True)
        assert response.status_code == code and 'id="group-form"' in html and 'id="autosave"' not in html


def test_an_autosave_after_the_idle_timeout_is_401_json(client, world, app):
    campaign, unit, group, pct, _boolean = _g1(world)
    url = group_url(campaign, unit, group.code)
    with time_machine.travel(AT_10_42, tick=False) as clock:
        client.login("canbo.a")
        _html, token, version = _page(client, url)
        clock.shift(dt.timedelta(minutes=app.config["IDLE_TIMEOUT_MINUTES"] + 1))
        response = _autosave(client, url, token, version, {pct.field_name: "62,5"})
    assert response.status_code == 401 and response.get_json()["status"] == "logged_out"
    assert "hết hạn" in response.get_json()["message"] and "CHƯA được lưu" in response.get_json()["message"]
    assert _stored() is None
