"""The public citizen survey (/khao-sat/<code>): no login, no JavaScript, abuse rules, no address stored."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata

import pytest
import sqlalchemy as sa
import time_machine

from app.clock import LOCAL_TZ
from app.extensions import db
from app.surveys import services
from app.surveys.models import SurveyHashKey, SurveyResponse

ADDRESS = "203.0.113.77"
CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
STARTED = re.compile(r'name="started" type="hidden" value="([^"]+)"')


@pytest.fixture
def link(app, world):
    app.config["SURVEY_MIN_SECONDS"] = 0
    link = services.ensure_link(db.session, world["campaign"], world["unit_a"], "HAILONG_DV")
    db.session.commit()
    return link


def _form(client, link, **environ):
    html = client.get(f"/khao-sat/{link.code}", environ_base=environ).get_data(as_text=True)
    return {"csrf_token": CSRF.search(html).group(1), "started": STARTED.search(html).group(1)}


def _answer(client, link, address=ADDRESS, **answers):
    env = {"REMOTE_ADDR": address}
    data = {**_form(client, link, **env), "q_Q1": "5", "q_Q2": "yes", "q_Q3": "4", "q_Q4": "4", "q_Q5": "5", **answers}
    return client.post(f"/khao-sat/{link.code}", data=data, environ_base=env)


def _count() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(SurveyResponse))


def test_the_page_needs_no_login_no_script_and_weighs_under_50_kb(client, link):
    response = client.get(f"/khao-sat/{link.code}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Phường Hồng Bàng" in html and "Nhìn chung, ông/bà hài lòng" in html
    assert "<script" not in html
    assert "1 – Rất không hài lòng" in html and "5 – Rất hài lòng" in html
    css = client.get("/static/css/survey.css").get_data()
    assert len(response.get_data()) + len(css) <= 50 * 1024
    # no other resource is loaded: no images, fonts or scripts
    assert re.findall(r'(?:src|href)="(/static/[^"]+)"', html) == ["/static/css/survey.css"]


def test_a_response_is_stored_once_per_device_per_day(client, link):
    response = _answer(client, link, q_C1="Cán bộ nhiệt tình")
    assert response.status_code == 200 and "Cảm ơn bạn!" in response.get_data(as_text=True)
    assert _count() == 1
    stored = db.session.scalar(sa.select(SurveyResponse))
    assert stored.answers == {"Q1": 5, "Q2": True, "Q3": 4, "Q4": 4, "Q5": 5}
    page = client.get(f"/khao-sat/{link.code}").get_data(as_text=True)
    assert "đã gửi đánh giá hôm nay" in page and "<form method=\"post\" action=\"/khao-sat/" not in page
    again = client.post(f"/khao-sat/{link.code}", data={"q_Q5": "5"}, environ_base={"REMOTE_ADDR": ADDRESS})
    assert again.status_code == 409
    assert "đã gửi đánh giá hôm nay" in again.get_data(as_text=True)
    assert _count() == 1


def test_missing_overall_answer_keeps_the_other_choices(client, link):
    response = _answer(client, link, q_Q5="", q_C1="Góp ý giữ lại")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Hãy chọn một mức trả lời cho câu này." in html
    assert 'value="4" checked' in html or 'checked id="q_Q3-3"' in html or re.search(r'id="q_Q3-3"[^>]*checked|checked[^>]*id="q_Q3-3"', html)
    assert "Góp ý giữ lại" in html
    assert _count() == 0


def test_the_honeypot_drops_a_robot_without_telling_it(client, link):
    response = _answer(client, link, website="http://spam.example")
    assert response.status_code == 200 and "Cảm ơn bạn!" in response.get_data(as_text=True)
    assert _count() == 0


def test_a_reply_faster_than_the_minimum_time_is_refused_and_kept(app, client, link):
    app.config["SURVEY_MIN_SECONDS"] = 3
    with time_machine.travel(dt.datetime(2026, 6, 1, 9, 0, tzinfo=LOCAL_TZ), tick=False) as clock:
        data = {**_form(client, link), "q_Q5": "4", "q_C1": "nhanh"}
        clock.shift(1)
        quick = client.post(f"/khao-sat/{link.code}", data=data)
        assert quick.status_code == 422 and "Bạn gửi nhanh quá" in quick.get_data(as_text=True)
        assert "nhanh" in quick.get_data(as_text=True)
        clock.shift(5)
        slow = client.post(f"/khao-sat/{link.code}", data=data)
        assert slow.status_code == 200
    assert _count() == 1


def test_an_expired_form_keeps_the_answers(client, link):
    data = {**_form(client, link), "q_Q5": "2", "csrf_token": "stale", "q_C1": "giữ nguyên"}
    response = client.post(f"/khao-sat/{link.code}", data=data)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Trang đã mở quá lâu" in html and "giữ nguyên" in html
    assert _count() == 0


def test_the_rate_limit_counts_per_address(app, client, link):
    app.config["SURVEY_RATE_LIMIT"] = "2 per minute"
    for _ in range(2):
        client.delete_cookie(f"khaosat_{link.id}", path=f"/khao-sat/{link.code}")
        assert _answer(client, link).status_code == 200
    client.delete_cookie(f"khaosat_{link.id}", path=f"/khao-sat/{link.code}")
    assert _answer(client, link).status_code == 429
    client.delete_cookie(f"khaosat_{link.id}", path=f"/khao-sat/{link.code}")
    assert _answer(client, link, address="198.51.100.9").status_code == 200  # another sender is not affected
    assert _count() == 3


def test_no_address_is_stored_in_clear_anywhere(client, link):
    _answer(client, link)
    found = []
    for table in db.metadata.sorted_tables:
        for row in db.session.execute(sa.select(table)):
            text = " ".join(str(v) for v in row)
            if "203.0.113" in text:
                found.append(table.name)
    assert found == []
    stored = db.session.scalar(sa.select(SurveyResponse))
    assert re.fullmatch(r"[0-9a-f]{64}", stored.network_hash)


def test_comments_are_stored_nfc(client, link):
    decomposed = unicodedata.normalize("NFD", "Cán bộ rất nhiệt tình")
    _answer(client, link, q_C1=decomposed)
    stored = db.session.scalar(sa.select(SurveyResponse))
    assert stored.comment == "Cán bộ rất nhiệt tình" and unicodedata.is_normalized("NFC", stored.comment)


def test_hashes_and_keys_are_dropped_after_30_days(client, link):
    _answer(client, link)
    stored = db.session.scalar(sa.select(SurveyResponse))
    day = db.session.get(SurveyHashKey, stored.hash_key_id).day
    assert services.drop_old_hashes(db.session, day + dt.timedelta(days=30)) == 0
    assert services.drop_old_hashes(db.session, day + dt.timedelta(days=31)) == 1
    db.session.commit()
    db.session.refresh(stored)
    assert stored.network_hash is None and db.session.scalar(sa.select(sa.func.count()).select_from(SurveyHashKey)) == 0


def test_an_unknown_code_is_a_clear_404(client, link):
    response = client.get("/khao-sat/khong-co-ma-nay")
    assert response.status_code == 404
    assert "Không tìm thấy khảo sát" in response.get_data(as_text=True)


def test_sending_reads_the_link_campaign_version_and_unit_in_one_query(app, client, link):
    """The public form is what a crowd hits at once (bench/surveys.py): no lazy loads while accepting a response."""
    _answer(client, link)  # the day's hash key is made by the first response
    client.delete_cookie(f"khaosat_{link.id}", path=f"/khao-sat/{link.code}")
    data = {**_form(client, link), "q_Q5": "4"}
    statements: list[str] = []

    def seen(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement.split()[0].upper())

    sa.event.listen(db.engine, "before_cursor_execute", seen)
    try:
        response = client.post(f"/khao-sat/{link.code}", data=data, environ_base={"REMOTE_ADDR": ADDRESS})
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", seen)
    assert response.status_code == 200 and "Cảm ơn bạn!" in response.get_data(as_text=True)
    # the link (with campaign, criteria version and unit), the day's hash key, the response
    assert statements == ["SELECT", "SELECT", "INSERT"]
    assert _count() == 2


def test_a_new_day_key_drops_hashes_older_than_30_days(app, client, link):
    with time_machine.travel(dt.datetime(2026, 3, 1, 9, 0, tzinfo=LOCAL_TZ), tick=False):
        _answer(client, link)
    with time_machine.travel(dt.datetime(2026, 4, 15, 9, 0, tzinfo=LOCAL_TZ), tick=False):
        client.delete_cookie(f"khaosat_{link.id}", path=f"/khao-sat/{link.code}")
        _answer(client, link, address="198.51.100.20")
    hashes = db.session.scalars(sa.select(SurveyResponse.network_hash).order_by(SurveyResponse.submitted_at)).all()
    assert hashes[0] is None and hashes[1] is not None
    assert [k.day for k in db.session.scalars(sa.select(SurveyHashKey))] == [dt.date(2026, 4, 15)]


def test_purge_command_drops_old_hashes(app, client, link):
    with time_machine.travel(dt.datetime(2026, 3, 1, 9, 0, tzinfo=LOCAL_TZ), tick=False):
        _answer(client, link)
    with time_machine.travel(dt.datetime(2026, 5, 1, 9, 0, tzinfo=LOCAL_TZ), tick=False):
        result = app.test_cli_runner().invoke(args=["surveys", "purge-hashes"])
    assert "dropped from 1 response" in result.output
    assert db.session.scalar(sa.select(SurveyResponse.network_hash)) is None
