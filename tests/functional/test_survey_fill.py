"""Issue 14: the citizen survey fills its indicator (n, interval, frozen at submission), the reviewer may
override it only with a reason, and the unit prints an A4 poster whose QR code is the public link."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.review.models import ScoreEvent
from app.submissions.models import Submission
from app.surveys import services
from app.surveys.models import SurveyLink, SurveyResponse
from tests.functional.test_journey import fill_group, group_url, version_of

G25 = "ind_G2_5"


def add_responses(link: SurveyLink, satisfied: int, total: int, start: dt.datetime | None = None) -> None:
    """`total` responses in the campaign year, the first `satisfied` of them satisfied (overall 5, else 2)."""
    start = start or dt.datetime(2026, 3, 1, 8, tzinfo=dt.UTC)
    for i in range(total):
        db.session.add(SurveyResponse(link_id=link.id, submitted_at=start + dt.timedelta(minutes=30 * i),
                                      answers={"Q5": 5 if i < satisfied else 2}, comment=""))
    db.session.commit()


@pytest.fixture
def link(world):
    link = services.ensure_link(db.session, world["campaign"], world["unit_a"], "HAILONG_DV")
    db.session.commit()
    return link


def g2(world):
    return world["campaign"].criteria_version.criteria.group("G2")


def test_survey_fills_the_indicator_with_n_and_interval(client, world, link):
    add_responses(link, 30, 35)
    campaign, unit = world["campaign"], world["unit_a"]
    client.login("canbo.a")
    page = client.get(group_url(campaign, unit, "G2")).get_data(as_text=True)
    assert "85,7\u00a0% — từ khảo sát trực tuyến, n = 35, ±\u00a012\u00a0%" in page
    assert f'name="{G25}"' not in page  # no input: the official cannot edit it
    assert "không bắt buộc tải tệp" in page and "chốt khi gửi phiếu" in page
    assert f'href="/khao-sat/{link.code}"' in page or "/surveys/" in page
    # the draft's provisional score already uses it: 85,7 < 90 → not met, with the reason
    assert re.search(r"85,7.*90", page.split(f'id="{G25}-box"')[1].split("</fieldset>")[0], re.S)
    result = client.get(f"/assessments/{campaign.id}/{unit.id}/result").get_data(as_text=True)
    row = result.split(f'id="r-{G25}"')[1].split("</tr>")[0]
    assert "85,7" in row and "n = 35" in row and "±\u00a012\u00a0%" in row and "Chưa đạt" in row
    assert "1 tệp" not in row and "kết quả khảo sát trực tuyến" in row  # the survey is the evidence, no file invented


def test_below_minimum_the_official_sees_how_many_more_and_may_type(client, world, link):
    add_responses(link, 29, 29)
    campaign, unit = world["campaign"], world["unit_a"]
    client.login("canbo.a")
    page = client.get(group_url(campaign, unit, "G2")).get_data(as_text=True)
    assert "Khảo sát trực tuyến: 29/30 phản hồi — cần thêm 1 phản hồi" in page
    box = page.split(f'id="{G25}-box"')[1].split("</fieldset>")[0]
    assert "mặc định" in box and f'name="{G25}"' in box  # a paper survey may still be typed, with evidence
    response = fill_group(client, campaign, unit, g2(world))
    assert response.status_code == 302
    db.session.expire_all()
    answer = db.session.scalar(sa.select(Submission)).answer_for("G2.5")
    assert answer.meta is None and answer.parsed is not None


def test_a_crafted_post_cannot_change_the_survey_value(client, world, link):
    add_responses(link, 30, 35)
    campaign, unit = world["campaign"], world["unit_a"]
    client.login("canbo.a")
    url = group_url(campaign, unit, "G2")
    data = {"version": version_of(client, url), "go": "stay", G25: "100", G25 + "_explanation": "Theo khảo sát giấy"}
    response = client.post_form(url, data)
    assert response.status_code == 302
    db.session.expire_all()
    answer = db.session.scalar(sa.select(Submission)).answer_for("G2.5")
    assert str(answer.parsed) == "85.7" and answer.meta["n"] == 35 and answer.meta["source"] == "survey"
    assert answer.explanation == "Theo khảo sát giấy"
    assert 11 < float(answer.meta["margin"]) < 12.5 and float(answer.meta["low"]) < 85.7 < float(answer.meta["high"])
    # the JSON autosave too
    data = {"version": version_of(client, url), G25: "99"}
    saved = client.post_form(url, data, headers={"Accept": "application/json"})
    assert saved.status_code == 200
    db.session.expire_all()
    assert str(db.session.scalar(sa.select(Submission)).answer_for("G2.5").parsed) == "85.7"


def _submit_all(client, world, failing=()):
    campaign, unit = world["campaign"], world["unit_a"]
    for group in campaign.criteria_version.criteria.groups:
        response = fill_group(client, campaign, unit, group, failing=set(failing), explanation="Giải trình")
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
    overview = f"/assessments/{campaign.id}/{unit.id}/"
    response = client.post_form(f"/assessments/{campaign.id}/{unit.id}/submit", {"version": version_of(client, overview)},
                                token_from=overview)
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]


def test_value_is_frozen_at_submission_and_needs_no_file(client, world, link):
    add_responses(link, 30, 35)
    client.login("canbo.a")
    _submit_all(client, world, failing=("G2.5",))  # 85,7 % < 90 %: an explanation is needed
    db.session.expire_all()
    sub = db.session.scalar(sa.select(Submission))
    assert sub.status == "submitted"
    g25 = next(i for g in sub.self_result["groups"] for i in g["indicators"] if i["code"] == "G2.5")
    assert g25["met"] is False and "evidence_missing" not in g25.get("reasons", [])
    add_responses(link, 5, 5, start=dt.datetime(2026, 6, 1, tzinfo=dt.UTC))  # later responses
    page = client.get(group_url(world["campaign"], world["unit_a"], "G2")).get_data(as_text=True)
    assert "n = 35" in page and "n = 40" not in page and "đã được chốt khi gửi phiếu" in page


def test_survey_indicator_needs_no_evidence_file(client, world, link):
    add_responses(link, 34, 35)
    campaign, unit = world["campaign"], world["unit_a"]
    client.login("canbo.a")
    url = group_url(campaign, unit, "G2")
    response = client.post_form(url, {"version": version_of(client, url), "go": "stay"})
    assert response.status_code == 302
    from app.auth.models import User
    from app.submissions import services as sub_services

    official = db.session.scalar(sa.select(User).where(User.username == "canbo.a"))
    ctx = sub_services.open_context(db.session, official, campaign.id, unit.id)
    assert not [p for p in sub_services.submission_problems(ctx) if p.indicator_code == "G2.5"]
    assert sub_services.current_result(ctx).indicator("G2.5").met is True


def test_reviewer_override_of_a_survey_value_needs_a_reason(client, world, link):
    add_responses(link, 30, 35)
    client.login("canbo.a")
    _submit_all(client, world, failing=("G2.5",))  # 85,7 % < 90 %: an explanation is needed
    client.logout()
    client.login("thamdinh.cqtt")
    sub = db.session.scalar(sa.select(Submission))
    url = f"/review/{sub.id}"
    page = client.get(url).get_data(as_text=True)
    assert "n = 35" in page
    data = {"version": version_of(client, url), f"{G25}_agree": "disagree", G25: "92", f"{G25}_comment": ""}
    response = client.post_form(url, data)
    html = response.get_data(as_text=True)
    assert "lấy từ khảo sát trực tuyến" in html and "ghi lý do" in html
    assert not db.session.scalars(sa.select(ScoreEvent).where(ScoreEvent.kind == "appraised", ScoreEvent.indicator_code == "G2.5")).all()
    data = {"version": version_of(client, url), f"{G25}_agree": "disagree", G25: "92",
            f"{G25}_comment": "Phiếu giấy tại bộ phận một cửa bổ sung 40 phản hồi"}
    client.post_form(url, data)
    db.session.expire_all()
    events = db.session.scalars(sa.select(ScoreEvent).where(ScoreEvent.kind == "appraised", ScoreEvent.indicator_code == "G2.5")).all()
    assert len(events) == 1 and events[0].met is True and "40 phản hồi" in events[0].reason


# --------------------------------------------------------------------------- poster


def test_poster_qr_is_the_public_url(app, client, world):
    import pypdfium2
    import zxingcpp

    client.login("canbo.a")
    campaign, unit = world["campaign"], world["unit_a"]
    response = client.get(f"/surveys/poster/{campaign.id}/{unit.id}/HAILONG_DV.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    link = db.session.scalar(sa.select(SurveyLink))
    expected = app.config["BASE_URL"] + f"/khao-sat/{link.code}" if app.config["BASE_URL"] else f"http://localhost/khao-sat/{link.code}"
    doc = pypdfium2.PdfDocument(response.data)
    page = doc[0]
    width, height = page.get_size()
    assert (round(width), round(height)) == (595, 842)  # A4 portrait in points
    image = page.render(scale=3).to_pil()
    assert [r.text for r in zxingcpp.read_barcodes(image)] == [expected]
    text = page.get_textpage().get_text_range()
    assert "Phường Hồng Bàng" in text and "Không cần đăng nhập" in text and "không hỏi họ tên" in text
    # the same link the second time
    client.get(f"/surveys/poster/{campaign.id}/{unit.id}/HAILONG_DV.pdf")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SurveyLink)) == 1
    dash = client.get("/assessments/").get_data(as_text=True)
    assert f"/khao-sat/{link.code}" in dash and "In áp phích (PDF A4)" in dash and "0/30" in dash


def test_poster_access_and_unknown_survey(client, world):
    campaign = world["campaign"]
    url_a = f"/surveys/poster/{campaign.id}/{world['unit_a'].id}/HAILONG_DV.pdf"
    client.login("canbo.b")
    assert client.get(url_a).status_code == 403
    client.logout()
    client.login("xem")
    assert client.get(url_a).status_code == 403
    client.logout()
    client.login("thamdinh.th")
    assert client.get(url_a).status_code == 403
    client.logout()
    client.login("thamdinh.cqtt")
    assert client.get(url_a).status_code == 200
    assert client.get(f"/surveys/poster/{campaign.id}/{world['unit_a'].id}/NOPE.pdf").status_code == 404
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SurveyLink)) == 1


def test_poster_refused_without_public_address_in_production(app, client, world):
    app.config.update(BASE_URL="", PRODUCTION=True, TESTING=False, DEBUG=False)
    client.login("canbo.a")
    response = client.get(f"/surveys/poster/{world['campaign'].id}/{world['unit_a'].id}/HAILONG_DV.pdf", follow_redirects=True)
    assert "PUBLIC_BASE_URL" in response.get_data(as_text=True) and "in được áp phích" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SurveyLink)) == 0


def test_dashboard_lists_the_survey_without_creating_a_link(client, world, link):
    add_responses(link, 10, 12)
    client.login("canbo.a")
    dash = client.get("/assessments/").get_data(as_text=True)
    assert "12/30" in dash and "mặc định" in dash and f"/khao-sat/{link.code}" in dash
