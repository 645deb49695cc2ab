"""Numbers through HTTP (issue 11 part 1): what an official types is what is stored and shown, exactly,
in the UI language; saving the shown page again changes nothing; ambiguous or out-of-domain input gets a
message and keeps the typed text; hostile numbers and ids never give a 500."""

from __future__ import annotations

from decimal import Decimal
from html.parser import HTMLParser

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.review.models import Appraisal
from app.submissions.models import Answer, Submission
from tests.functional.test_journey import group_url, version_of
from tests.functional.test_review_loop import submit_all


class _FormValues(HTMLParser):
    """The values a browser would send for each POST form (text inputs, checked radios, textareas)."""

    def __init__(self):
        super().__init__()
        self.forms: list[dict[str, str]] = []
        self._form: dict[str, str] | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and (a.get("method") or "").lower() == "post":
            self._form = {}
            self.forms.append(self._form)
        if self._form is None:
            return
        if tag == "input" and a.get("name") and "disabled" not in a:
            kind = a.get("type", "text")
            if kind in ("radio", "checkbox"):
                if "checked" in a:
                    self._form[a["name"]] = a.get("value", "on")
            elif kind != "file":
                self._form[a["name"]] = a.get("value", "")
        elif tag == "textarea" and a.get("name") and "disabled" not in a:
            self._textarea = a["name"]
            self._form[a["name"]] = ""

    def handle_endtag(self, tag):
        if tag == "textarea":
            self._textarea = None
        if tag == "form":
            self._form = None

    def handle_data(self, data):
        if self._textarea and self._form is not None:
            text = self._form[self._textarea] + data
            self._form[self._textarea] = text.removeprefix("\n")


def form_values(html: str) -> dict[str, str]:
    """The fields of the page's largest POST form (the questionnaire or appraisal form)."""
    parser = _FormValues()
    parser.feed(html)
    return max(parser.forms, key=len)


def _indicator(campaign, type_name):
    cset = campaign.criteria_version.criteria
    for group in cset.groups:
        for ind in group.indicators:
            if ind.type == type_name:
                return group, ind
    raise AssertionError(type_name)


def _save(client, campaign, unit, group, data):
    url = group_url(campaign, unit, group.code)
    return client.post_form(url, {"version": version_of(client, url), "go": "stay", **data}, content_type="multipart/form-data")


def _stored(unit, code):
    db.session.expire_all()
    return db.session.scalar(sa.select(Answer.value).join(Submission).where(Submission.unit_id == unit.id, Answer.indicator_code == code))


@pytest.fixture
def official(client, world):
    client.login("canbo.a")
    return client, world["campaign"], world["unit_a"]


@pytest.mark.parametrize(
    ("type_name", "typed", "stored", "shown"),
    [
        ("count", "10.000", "10000", "10.000"),
        ("number", "1.500", "1500", "1.500"),
        ("count", "1.200", "1200", "1.200"),
        ("number", "12345,678", "12345.678", "12.345,678"),
        ("number", "1234567,5", "1234567.5", "1.234.567,5"),
        ("percent", "62,5", "62.5", "62,5"),
    ],
)
def test_typed_number_is_stored_exactly_and_saving_the_shown_page_changes_nothing(official, type_name, typed, stored, shown):
    client, campaign, unit = official
    group, ind = _indicator(campaign, type_name)
    response = _save(client, campaign, unit, group, {ind.field_name: typed})
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    assert _stored(unit, ind.code) == {"n": stored}
    url = group_url(campaign, unit, group.code)
    values = form_values(client.get(url).get_data(as_text=True))
    assert values[ind.field_name] == shown
    assert "e+" not in values[ind.field_name]
    # Press "Lưu nháp" again with exactly what the page shows: nothing changes.
    before = {a.indicator_code: a.value for a in db.session.scalars(sa.select(Answer))}
    again = client.post_form(url, {**values, "go": "stay"}, content_type="multipart/form-data")
    assert again.status_code == 302, again.get_data(as_text=True)[:3000]
    db.session.expire_all()
    after = {a.indicator_code: a.value for a in db.session.scalars(sa.select(Answer))}
    assert after == before
    assert _stored(unit, ind.code) == {"n": stored}


def test_ambiguous_input_is_refused_with_both_readings_and_the_text_kept(official):
    client, campaign, unit = official
    group, ind = _indicator(campaign, "number")
    response = _save(client, campaign, unit, group, {ind.field_name: "1,500"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "có hai cách hiểu" in page
    assert "Hãy gõ 1,5 nếu ý bạn là 1,5, hoặc 1500 / 1.500 nếu ý bạn là 1.500" in page
    assert form_values(page)[ind.field_name] == "1,500"  # the typed text is kept
    assert _stored(unit, ind.code) is None  # nothing the user did not type is stored


def test_english_style_decimal_point_is_refused_suggesting_the_comma(official):
    client, campaign, unit = official
    group, ind = _indicator(campaign, "number")
    response = _save(client, campaign, unit, group, {ind.field_name: "1.5"})
    assert response.status_code == 422
    assert "Nếu ý bạn là 1,5, hãy gõ 1,5" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("-1", "Số lần không được là số âm"),
        ("1" * 400, "tối đa 15 chữ số"),
        ("2,5", "Số lần phải là số nguyên"),
        ("NaN", "không phải là một số"),
        ("1e999", "không phải là một số"),
    ],
)
def test_count_outside_its_domain_gets_a_message(official, typed, message):
    client, campaign, unit = official
    group, ind = _indicator(campaign, "count")
    response = _save(client, campaign, unit, group, {ind.field_name: typed})
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert _stored(unit, ind.code) is None


def test_percent_over_100_gets_a_message(official):
    client, campaign, unit = official
    group, ind = _indicator(campaign, "percent")
    response = _save(client, campaign, unit, group, {ind.field_name: "100,5"})
    assert response.status_code == 422
    assert "từ 0 đến 100" in response.get_data(as_text=True)


def test_every_number_input_has_a_hint_on_how_to_type_decimals(official):
    client, campaign, unit = official
    cset = campaign.criteria_version.criteria
    hint = "Dấu phẩy cho phần thập phân, ví dụ 62,5; dấu chấm ngăn hàng nghìn, ví dụ 10.000."
    for group in cset.groups:
        page = client.get(group_url(campaign, unit, group.code)).get_data(as_text=True)
        numeric = [i for i in group.indicators if i.type in ("percent", "count", "number")]
        assert page.count(hint) == len(numeric)
        for ind in numeric:
            assert f'id="{ind.field_name}-hint"' in page


def test_english_ui_reads_and_shows_numbers_the_english_way(official):
    client, campaign, unit = official
    client.post_form("/lang", {"lang": "en"}, token_from="/assessments/")
    group, ind = _indicator(campaign, "number")
    assert _save(client, campaign, unit, group, {ind.field_name: "1,500"}).status_code == 302
    assert _stored(unit, ind.code) == {"n": "1500"}
    page = client.get(group_url(campaign, unit, group.code)).get_data(as_text=True)
    assert form_values(page)[ind.field_name] == "1,500"
    assert "Use a point for decimals" in page
    refused = _save(client, campaign, unit, group, {ind.field_name: "1.500"})
    assert refused.status_code == 422
    assert "Type 1.5 if you mean 1.5, or 1500 / 1,500 if you mean 1,500" in refused.get_data(as_text=True)
    assert _stored(unit, ind.code) == {"n": "1500"}


def test_old_rows_holding_json_numbers_show_and_save_back_unchanged(official):
    client, campaign, unit = official
    group, ind = _indicator(campaign, "number")
    assert _save(client, campaign, unit, group, {ind.field_name: "1"}).status_code == 302
    answer = db.session.scalar(sa.select(Answer).where(Answer.indicator_code == ind.code))
    answer.value = {"v": 12345.7}  # as stored before exact decimals
    db.session.commit()
    url = group_url(campaign, unit, group.code)
    values = form_values(client.get(url).get_data(as_text=True))
    assert values[ind.field_name] == "12.345,7"
    assert client.post_form(url, {**values, "go": "stay"}, content_type="multipart/form-data").status_code == 302
    assert _stored(unit, ind.code) == {"v": 12345.7}


# ------------------------------------------------------------------ the reviewer's appraisal


@pytest.fixture
def reviewing(client, world):
    client.login("canbo.a")
    sub = submit_all(client, world["campaign"], world["unit_a"])
    client.logout()
    client.login("thamdinh.cqtt")
    return client, world["campaign"], sub


HOSTILE_POINTS = ["NaN", "sNaN", "Infinity", "-Infinity", "-1", "1e999", "1" * 400, "\u00b2", "1,234"]


def test_hostile_appraisal_points_get_a_message_never_a_500(reviewing):
    client, campaign, sub = reviewing
    ind = campaign.criteria_version.criteria.indicators[0]
    url = f"/review/{sub.id}"
    for points in HOSTILE_POINTS:
        values = form_values(client.get(url).get_data(as_text=True))  # the current version (the first save starts the review)
        response = client.post_form(url, {**values, ind.field_name + "_agree": "disagree", ind.field_name + "_points": points, "action": "save"})
        assert response.status_code == 422, (points, response.status_code)
        page = response.get_data(as_text=True)
        assert f'id="{ind.field_name}-err"' in page and "chưa được lưu" in page.lower(), points
        # the other indicators' agreements may be saved; the hostile points never are
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Appraisal).where(
            Appraisal.indicator_code == ind.code, Appraisal.points.is_not(None))) == 0


def test_appraisal_points_and_values_are_stored_exactly_and_shown_back(reviewing):
    client, campaign, sub = reviewing
    cset = campaign.criteria_version.criteria
    number = next(i for i in cset.indicators if i.type == "number")
    first = cset.indicators[0]
    url = f"/review/{sub.id}"
    page = client.get(url).get_data(as_text=True)
    assert f'id="{number.field_name}-hint"' in page and f'id="{first.field_name}_points-hint"' in page
    values = form_values(page)
    response = client.post_form(url, {**values, first.field_name + "_agree": "disagree", first.field_name + "_points": "2,5",
                                      number.field_name + "_agree": "disagree", number.field_name: "12345,678", "action": "save"})
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    db.session.expire_all()
    appraisal = db.session.scalar(sa.select(Appraisal).where(Appraisal.indicator_code == first.code))
    assert appraisal.points == Decimal("2.5")
    measured = db.session.scalar(sa.select(Appraisal).where(Appraisal.indicator_code == number.code))
    assert measured.value == {"n": "12345.678"}
    shown = form_values(client.get(url).get_data(as_text=True))
    assert shown[first.field_name + "_points"] == "2,5"
    assert shown[number.field_name] == "12.345,678"
    # Three decimals cannot be kept by the points column: refused, not rounded.
    refused = client.post_form(url, {**shown, first.field_name + "_points": "0,125", "action": "save"})
    assert refused.status_code == 422
    assert "tối đa 2 chữ số thập phân" in refused.get_data(as_text=True)


# ------------------------------------------------------------------ ids and query numbers


ODD_NUMBERS = [str(2**63), str(2**64), "-1", "9" * 5000, "\u00b2", "NaN"]


def test_huge_or_odd_filter_values_give_a_message_not_a_500(client, world):
    client.login("quantri")
    for value in ODD_NUMBERS:
        queue = client.get("/review/", query_string={"campaign_id": value})
        assert queue.status_code == 200, value
        assert "có giá trị không hợp lệ nên đã được bỏ qua" in queue.get_data(as_text=True)
        report = client.get("/reports/ranking", query_string={"year": value, "page": value})
        assert report.status_code == 200, value
        assert "có giá trị không hợp lệ nên đã được bỏ qua" in report.get_data(as_text=True)
        assert client.get("/reports/ranking.csv", query_string={"year": value, "table": value}).status_code == 200


def test_huge_ids_in_urls_are_404(client, world):
    client.login("quantri")
    for value in (str(2**31), str(2**63), str(2**64), "9" * 5000, "\u00b2"):
        for url in (f"/review/{value}", f"/campaigns/{value}", f"/assessments/{value}/1/", f"/reports/units/{value}",
                    f"/admin/users/{value}"):
            assert client.get(url).status_code == 404, url


# ------------------------------------------------------------------ Babel filters (num, answer, vndate)


def test_filters_write_numbers_and_dates_with_babel(app):
    import datetime as dt

    from app.numbers import answer, num, vndate

    with app.test_request_context("/"):
        assert num(66.666666) == "66,67"
        assert num(Decimal("1234.5")) == "1.234,5"
        assert num(None) == "—"
        assert answer(Decimal("1234567.5")) == "1.234.567,5"
        assert answer({"n": "12345.678"}) == "12.345,678"
        assert answer(True) == "Có"
        assert vndate(dt.date(2026, 11, 29)) == "29/11/2026"
        # 17:30 UTC on 29/11 is 00:30 on 30/11 in Hải Phòng; naive datetimes (SQLite) are UTC.
        assert vndate(dt.datetime(2026, 11, 29, 17, 30, tzinfo=dt.UTC)) == "30/11/2026 00:30"
        assert vndate(dt.datetime(2026, 11, 29, 17, 30)) == "30/11/2026 00:30"
    with app.test_request_context("/"):
        from flask import session
        from flask_babel import refresh

        session["lang"] = "en"
        refresh()
        assert num(Decimal("1234.5")) == "1,234.5"
        assert answer(Decimal("12345.678")) == "12,345.678"
        assert vndate(dt.date(2026, 11, 29)) == "29/11/2026"
