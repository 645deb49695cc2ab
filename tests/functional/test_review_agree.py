"""The fast review page through HTTP: "Đồng ý với kết quả tự chấm" per indicator, per group and for the whole
submission is stored as an explicit appraisal of the self-assessed result; "Không đồng ý" needs a judgement;
"Duyệt" saves and leads to a confirmation; the sticky bar's preview computes the score without writing."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from app.assessment.scoring import score_set
from app.audit.models import AuditEntry
from app.extensions import db
from app.review.models import Appraisal
from app.submissions import services as subs
from app.submissions.models import IndicatorScore, Submission
from tests.functional.test_review_loop import review_version
from tests.helpers import evidence_file, failing_raw, passing_raw

#: A scored, non-core indicator the official fails (so "agree" must store not met / 0 points, not a default).
FAILED = "G2.3"


@pytest.fixture
def sub(app, world):
    """Unit A's CQTT submission: every indicator met except FAILED (with an explanation); self score under 100."""
    campaign, unit, official = world["campaign"], world["unit_a"], world["official_a"]
    cset = campaign.criteria_version.criteria
    for group in cset.groups:
        values, files, explanations = {}, {}, {}
        for ind in group.indicators:
            values[ind.field_name] = failing_raw(ind) if ind.code == FAILED else passing_raw(ind)
            if ind.code == FAILED:
                explanations[ind.field_name] = "Chưa bố trí được kinh phí trong năm."
            if ind.evidence.required:
                content, name = evidence_file(ind)
                files[ind.field_name] = [subs.Upload(name, content)]
        subs.save_group(db.session, official, campaign.id, unit.id, group.code, values=values, explanations=explanations, files=files,
                        expected_version=None, max_bytes=app.config["MAX_EVIDENCE_BYTES"])
    submission = subs.submit(db.session, official, campaign.id, unit.id, expected_version=None)
    db.session.commit()
    return submission


def _self(sub_):
    return score_set(sub_.campaign.criteria_version.criteria, subs.answers_of(sub_), sub_.campaign.year)


def _page_data(client, sid, overrides: dict | None = None, action: str = "save") -> dict:
    """What the browser sends from the page as rendered: every indicator "agree", inputs blank, plus `overrides`."""
    cset = db.session.get(Submission, sid).campaign.criteria_version.criteria
    data = {"version": review_version(client, sid), "action": action}
    for ind in cset.indicators:
        data.update({ind.field_name + "_agree": "agree", ind.field_name + "_points": "", ind.field_name + "_comment": "",
                     ind.field_name + "_return": ""})
    data.update(overrides or {})
    return data


def _approve_through_confirmation(client, sid) -> None:
    confirm = client.get(f"/review/{sid}/approve")
    html = confirm.get_data(as_text=True)
    assert confirm.status_code == 200 and "Xác nhận duyệt" in html, html[:2000]
    version = re.search(r'name="version"[^>]*value="(\d+)"', html).group(1)
    response = client.post_form(f"/review/{sid}/approve", {"version": version, "note": ""}, token_from=f"/review/{sid}/approve")
    assert response.status_code == 302


def test_agree_all_then_approve_stores_the_self_scores(client, world, sub):
    sid = sub.id
    mine = _self(sub)
    assert not mine.indicator(FAILED).met and mine.indicator(FAILED).points == 0 and mine.passed
    client.login("thamdinh.cqtt")
    response = client.post_form(f"/review/{sid}", _page_data(client, sid, action="approve"))
    assert response.status_code == 302 and response.location.endswith(f"/review/{sid}/approve")
    _approve_through_confirmation(client, sid)
    db.session.expire_all()
    stored = db.session.get(Submission, sid)
    assert stored.status == "approved"
    cset = stored.campaign.criteria_version.criteria
    appraisals = {a.indicator_code: a for a in db.session.scalars(sa.select(Appraisal).where(Appraisal.submission_id == sid))}
    assert set(appraisals) == {i.code for i in cset.indicators}  # every indicator explicitly appraised
    for ind in cset.indicators:
        own, a = mine.indicator(ind.code), appraisals[ind.code]
        assert a.met is own.met and a.parsed is None, ind.code
        if not ind.condition:
            assert float(a.points) == own.points, ind.code
    assert appraisals[FAILED].met is False and appraisals[FAILED].points == 0
    rows = db.session.scalars(sa.select(IndicatorScore).where(IndicatorScore.submission_id == sid)).all()
    assert len(rows) == len(cset.indicators)
    assert all(r.final_points == r.self_points and r.final_met == r.self_met and r.appraised for r in rows)
    assert float(stored.final_score) == mine.percent
    audit = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "score.appraise", AuditEntry.object_id == sid)).all()
    assert len(audit) == len(cset.indicators) and all(e.detail.get("agreed") is True for e in audit)


def test_disagreeing_on_one_changes_only_that_one(client, world, sub):
    sid = sub.id
    cset = sub.campaign.criteria_version.criteria
    mine = _self(sub)
    target = cset.indicator("G1.2")
    assert mine.indicator("G1.2").met
    client.login("thamdinh.cqtt")
    data = _page_data(client, sid, {target.field_name + "_agree": "disagree", target.field_name + "_points": "5",
                                    target.field_name + "_comment": "Minh chứng chỉ có một nửa số buổi."}, action="approve")
    assert client.post_form(f"/review/{sid}", data).status_code == 302
    confirm = client.get(f"/review/{sid}/approve").get_data(as_text=True)
    assert "Chỉ tiêu không đồng ý với kết quả tự chấm (1)" in confirm and "G1.2" in confirm
    _approve_through_confirmation(client, sid)
    db.session.expire_all()
    rows = {r.indicator_code: r for r in db.session.scalars(sa.select(IndicatorScore).where(IndicatorScore.submission_id == sid))}
    changed = {code for code, r in rows.items() if (r.final_points, r.final_met) != (r.self_points, r.self_met)}
    assert changed == {"G1.2"}
    assert float(rows["G1.2"].final_points) == 5.0 and float(rows["G1.2"].self_points) == 10.0
    a = db.session.scalar(sa.select(Appraisal).where(Appraisal.submission_id == sid, Appraisal.indicator_code == "G1.2"))
    assert a.comment == "Minh chứng chỉ có một nửa số buổi." and float(a.points) == 5.0
    assert db.session.get(Submission, sid).status == "approved"
    agreed = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "score.appraise", AuditEntry.object_id == sid)).all()
    assert sorted(e.detail["indicator"] for e in agreed if not e.detail.get("agreed")) == ["G1.2"]


def test_disagree_without_a_judgement_is_refused_and_keeps_what_was_typed(client, world, sub):
    sid = sub.id
    ind = sub.campaign.criteria_version.criteria.indicator("G1.3")
    client.login("thamdinh.cqtt")
    data = _page_data(client, sid, {ind.field_name + "_agree": "disagree", ind.field_name + "_comment": "Ảnh chụp mờ, không đọc được."},
                      action="approve")
    response = client.post_form(f"/review/{sid}", data)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Chỉ tiêu G1.3: bạn chọn “Không đồng ý” — hãy nhập điểm, kết luận hoặc giá trị thẩm định" in html
    assert "Ảnh chụp mờ, không đọc được." in html
    assert re.search(rf'id="{ind.field_name}_agree-1"[^>]*checked|checked[^>]*id="{ind.field_name}_agree-1"', html)
    assert db.session.get(Submission, sid).status != "approved"
    assert db.session.scalar(sa.select(Appraisal).where(Appraisal.submission_id == sid, Appraisal.indicator_code == "G1.3")) is None


def test_agree_with_other_points_typed_is_refused_with_the_points_kept(client, world, sub):
    sid = sub.id
    ind = sub.campaign.criteria_version.criteria.indicator("G1.4")
    client.login("thamdinh.cqtt")
    response = client.post_form(f"/review/{sid}", _page_data(client, sid, {ind.field_name + "_points": "7,5"}))
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Chỉ tiêu G1.4: bạn chọn “Đồng ý” nhưng đã nhập giá trị, kết luận hoặc điểm thẩm định khác" in html
    assert 'value="7,5"' in html


def test_agree_group_button_without_javascript(client, world, sub):
    sid = sub.id
    cset = sub.campaign.criteria_version.criteria
    client.login("thamdinh.cqtt")
    first = cset.indicator("G1.1")
    assert client.post_form(f"/review/{sid}", _page_data(client, sid, {first.field_name + "_agree": "disagree",
                                                                         first.field_name + "_met": "not_met"})).status_code == 302
    page = client.get(f"/review/{sid}").get_data(as_text=True)
    assert re.search(rf'checked[^>]*id="{first.field_name}_agree-1"|id="{first.field_name}_agree-1"[^>]*checked', page)
    # "Đồng ý cả nhóm" on G1 with the stored "not met" still in the inputs: G1 goes back to the self-assessment.
    data = _page_data(client, sid, {first.field_name + "_agree": "disagree", first.field_name + "_met": "not_met"}, action="agree_group:G1")
    response = client.post_form(f"/review/{sid}", data, follow_redirects=True)
    assert "Đã ghi “Đồng ý với kết quả tự chấm” cho nhóm G1." in response.get_data(as_text=True)
    a = db.session.scalar(sa.select(Appraisal).where(Appraisal.submission_id == sid, Appraisal.indicator_code == "G1.1"))
    db.session.refresh(a)
    assert a.met is True and float(a.points) == _self(sub).indicator("G1.1").points


def test_preview_computes_without_writing(client, world, sub):
    sid = sub.id
    cset = sub.campaign.criteria_version.criteria
    client.login("thamdinh.cqtt")
    agree = client.post_form(f"/review/{sid}/preview", _page_data(client, sid), token_from=f"/review/{sid}")
    assert agree.status_code == 200 and agree.json["differing"] == 0 and agree.json["passed"] is True
    assert agree.json["text"].startswith("Điểm thẩm định: ") and agree.json["text"].endswith("/100 · Đạt")
    target = cset.indicator("G1.2")
    lower = client.post_form(f"/review/{sid}/preview", _page_data(client, sid, {target.field_name + "_agree": "disagree",
                                                                                 target.field_name + "_met": "not_met"}),
                             token_from=f"/review/{sid}")
    assert lower.json["differing"] == 1
    assert lower.json["text"] != agree.json["text"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Appraisal).where(Appraisal.submission_id == sid)) == 0
    assert db.session.get(Submission, sid).status == "submitted"


def test_confirmation_page_access(client, world, sub):
    sid = sub.id
    client.login("xem")
    assert client.get(f"/review/{sid}/approve").status_code == 403
    client.logout()
    client.login("thamdinh.th")
    assert client.get(f"/review/{sid}/approve").status_code == 403
