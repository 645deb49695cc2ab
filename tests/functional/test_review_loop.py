"""The review loop through HTTP: submit → return two indicators → only those editable → resubmit → diff →
approve → decision → recognised; with audit entries and notifications at each step."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
import sqlalchemy as sa

from app.audit.models import AuditEntry
from app.extensions import db
from app.notifications.models import Notification
from app.review.models import ScoreEvent
from app.submissions.models import Submission
from tests.conftest import pdf_bytes
from tests.functional.test_journey import fill_group, group_url, version_of


def submit_all(client, campaign, unit):
    cset = campaign.criteria_version.criteria
    for group in cset.groups:
        assert fill_group(client, campaign, unit, group).status_code == 302
    overview = f"/assessments/{campaign.id}/{unit.id}/"
    version = re.search(r'name="version"[^>]*value="(\d+)"', client.get(overview).get_data(as_text=True)).group(1)
    response = client.post_form(f"/assessments/{campaign.id}/{unit.id}/submit", {"version": version}, token_from=overview)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    return db.session.scalar(sa.select(Submission).where(Submission.unit_id == unit.id, Submission.campaign_id == campaign.id))


def review_version(client, sid) -> str:
    return version_of(client, f"/review/{sid}")


@pytest.fixture
def submitted(client, world):
    client.login("canbo.a")
    sub = submit_all(client, world["campaign"], world["unit_a"])
    client.logout()
    return sub


def actions(sid: int) -> list[str]:
    return [e.action for e in db.session.scalars(sa.select(AuditEntry).where(AuditEntry.object_id == sid, AuditEntry.object_type == "submission")
                                                 .order_by(AuditEntry.id))]


def test_full_review_loop(client, world, submitted):
    campaign, unit = world["campaign"], world["unit_a"]
    cset = campaign.criteria_version.criteria
    sid = submitted.id
    first, second = cset.indicators[0], cset.indicators[5]
    # The reviewer in scope sees it in the queue and reviewers were notified of the submission.
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Notification).where(
        Notification.user_id == world["reviewer_in"].id, Notification.kind == "submitted")) == 1
    client.login("thamdinh.cqtt")
    assert "Phường Hồng Bàng" in client.get("/review/").get_data(as_text=True)
    page = client.get(f"/review/{sid}").get_data(as_text=True)
    assert "Tự chấm" in page and "bien-ban.pdf" in page and "Đồng ý toàn bộ" in page
    # Appraise one indicator as not met with a comment and return two indicators with reasons.
    deadline = (dt.date.today() + dt.timedelta(days=10)).strftime("%d/%m/%Y")
    response = client.post_form(f"/review/{sid}", {
        "version": review_version(client, sid), "action": "return", "deadline": deadline,
        first.field_name + "_met": "not_met", first.field_name + "_comment": "Chưa có số điện thoại đường dây nóng.",
        first.field_name + "_return": "Bổ sung ảnh chụp bảng công khai.",
        second.field_name + "_return": "Số liệu chưa khớp sổ theo dõi.",
    })
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    db.session.expire_all()
    sub = db.session.get(Submission, sid)
    assert sub.status == "returned"
    client.logout()

    # The official is told, sees the reasons and can edit only those two indicators.
    client.login("canbo.a")
    assert "Thông báo" in client.get("/assessments/").get_data(as_text=True)
    notes = client.get("/notifications/").get_data(as_text=True)
    assert "được trả lại để bổ sung 2 chỉ tiêu" in notes
    g1 = cset.group_of(first.code)
    page = client.get(group_url(campaign, unit, g1.code)).get_data(as_text=True)
    assert "Bổ sung ảnh chụp bảng công khai." in page and "Chưa có số điện thoại đường dây nóng." in page
    other = next(i for i in g1.indicators if i.code not in (first.code, second.code))
    assert re.search(rf'name="{other.field_name}"[^>]*disabled', page) or re.search(rf'disabled[^>]*name="{other.field_name}"', page)
    # Posting a change to a non-returned indicator changes nothing; the returned one is saved.
    before_other = sub.answer_for(other.code).parsed
    url = group_url(campaign, unit, g1.code)
    response = client.post_form(url, {"version": version_of(client, url), first.field_name: "yes",
                                      first.field_name + "_explanation": "Đã bổ sung ảnh.", other.field_name: "0",
                                      first.field_name + "_files": [(io.BytesIO(pdf_bytes()), "anh-bang-cong-khai.pdf")]},
                                content_type="multipart/form-data")
    assert response.status_code == 302
    db.session.expire_all()
    sub = db.session.get(Submission, sid)
    assert sub.answer_for(other.code).parsed == before_other
    assert sub.answer_for(first.code).explanation == "Đã bổ sung ảnh."
    overview = f"/assessments/{campaign.id}/{unit.id}/"
    assert "Gửi lại phiếu đã bổ sung" in client.get(overview).get_data(as_text=True)
    response = client.post_form(f"/assessments/{campaign.id}/{unit.id}/submit", {"version": str(sub.version)}, token_from=overview)
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Submission, sid).status == "resubmitted"
    client.logout()

    # The reviewer sees the diff, reverses the appraisal and approves.
    client.login("thamdinh.cqtt")
    page = client.get(f"/review/{sid}").get_data(as_text=True)
    assert "Thay đổi so với lần gửi trước (lần 1 → lần 2)" in page and "Đã bổ sung ảnh." in page and "anh-bang-cong-khai.pdf" in page
    response = client.post_form(f"/review/{sid}", {"version": review_version(client, sid), "action": "save",
                                                   first.field_name + "_met": "met", first.field_name + "_comment": "Đã đạt sau bổ sung."})
    assert response.status_code == 302
    response = client.post_form(f"/review/{sid}/approve", {"version": review_version(client, sid), "note": "Đạt."}, token_from=f"/review/{sid}")
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    db.session.expire_all()
    sub = db.session.get(Submission, sid)
    assert sub.status == "approved" and float(sub.final_score) == 100.0 and sub.final_passed
    client.logout()

    # Admin records the decision; the unit is recognised.
    client.login("quantri")
    form_url = f"/review/campaigns/{campaign.id}/decisions/new"
    assert "Phường Hồng Bàng" in client.get(form_url).get_data(as_text=True)
    response = client.post_form(form_url, {"number": "125/QĐ-UBND", "decided_on": dt.date.today().strftime("%d/%m/%Y"),
                                           "signer_name": "Nguyễn Văn A", "signer_title": "Chủ tịch", "issuing_body": "UBND thành phố Hải Phòng",
                                           "submission_ids": [str(sid)], "scan": (io.BytesIO(pdf_bytes()), "qd-125.pdf")},
                                content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    decision_page = client.get(response.location).get_data(as_text=True)
    assert "125/QĐ-UBND" in decision_page and "Phường Hồng Bàng" in decision_page and "qd-125.pdf" in decision_page
    db.session.expire_all()
    assert db.session.get(Submission, sid).status == "recognised"
    from app.decisions.services import is_recognised

    assert is_recognised(db.session, unit.id, "CQTT", campaign.year)

    # Audit entries for each step, score history with self, appraised and final scores.
    assert actions(sid) == ["submission.submit", "submission.start_review", "score.appraise", "submission.return", "evidence.upload",
                            "submission.resubmit", "submission.start_review", "score.appraise", "submission.approve", "submission.recognise"] or \
        {"submission.submit", "submission.return", "submission.resubmit", "submission.approve", "submission.recognise"} <= set(actions(sid))
    kinds = set(db.session.scalars(sa.select(ScoreEvent.kind).where(ScoreEvent.submission_id == sid)))
    assert kinds == {"self", "appraised", "final"}
    audit_page = client.get("/admin/audit/?action=submission.").get_data(as_text=True)
    assert "Công nhận đạt chuẩn" in audit_page and "Trả lại phiếu để bổ sung" in audit_page  # labels, not codes
    assert "title=\"submission.recognise\"" in audit_page  # the code stays for auditors


def test_other_units_and_reviewers_out_of_scope_see_nothing(client, world, submitted):
    sid = submitted.id
    client.login("thamdinh.th")
    assert client.get(f"/review/{sid}").status_code == 403
    assert "Phường Hồng Bàng" not in client.get("/review/").get_data(as_text=True)
    assert client.post_form(f"/review/{sid}/approve", {"version": "1"}, token_from="/review/").status_code == 403
    client.logout()
    client.login("canbo.b")
    assert client.get(f"/review/{sid}").status_code == 403
    assert client.get("/review/").status_code == 403
    assert client.get(f"/assessments/{world['campaign'].id}/{world['unit_a'].id}/result").status_code == 403
    client.logout()
    client.login("xem")
    page = client.get(f"/review/{sid}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'value="save"' not in html and "Đồng ý toàn bộ" not in html


def test_illegal_transitions_are_refused_clearly(client, world, submitted, app):
    from app.errors import Conflict, PermissionDenied
    from app.review.outcomes import approve, reject, reopen, return_for_revision

    sid = submitted.id
    reviewer, official, admin = world["reviewer_in"], world["official_a"], world["admin"]
    with pytest.raises(PermissionDenied):
        reopen(db.session, reviewer, sid, "lý do")
    with pytest.raises(Conflict, match="Không thể “mở lại” khi phiếu đang ở trạng thái “Đã gửi”"):
        reopen(db.session, admin, sid, "lý do")
    from app.submissions.services import submit

    with pytest.raises(PermissionDenied):
        submit(db.session, official, world["campaign"].id, world["unit_a"].id, expected_version=None)
    reject(db.session, reviewer, sid, "Thiếu nhiều minh chứng")
    db.session.commit()
    with pytest.raises(Conflict, match="Không thể “duyệt”"):
        approve(db.session, reviewer, sid)
    with pytest.raises(Conflict):
        return_for_revision(db.session, reviewer, sid, {"G1.1": "x"}, dt.date.today() + dt.timedelta(days=3))
    reopen(db.session, admin, sid, "Đơn vị khiếu nại, xem xét lại")
    db.session.commit()
    assert db.session.get(Submission, sid).status == "in_review"


def test_approval_waits_for_every_assigned_group(client, world, submitted, make_user):
    from app.errors import Conflict
    from app.review.appraisal import AppraisalInput, save_appraisal
    from app.review.assignments import set_assignments
    from app.review.outcomes import approve

    sid = submitted.id
    second = make_user("thamdinh.hai", "reviewer", scope=["CQTT"])
    admin, first = world["admin"], world["reviewer_in"]
    set_assignments(db.session, admin, world["campaign"].id, [("G1", first.id), ("G2", first.id), ("G3", second.id), ("G4", second.id)])
    db.session.commit()
    save_appraisal(db.session, first, sid, {}, sign_groups=["G1", "G2", "G3"])  # G3 is not first's: ignored
    db.session.commit()
    with pytest.raises(Conflict, match="còn chờ ký xác nhận nhóm G3"):
        approve(db.session, first, sid)
    errors = save_appraisal(db.session, first, sid, {"G3.1": AppraisalInput(met="not_met")})
    assert errors and "nhóm được giao cho cán bộ thẩm định khác" in next(iter(errors.values()))[0]
    save_appraisal(db.session, second, sid, {}, sign_groups=["G3", "G4"])
    db.session.commit()
    approve(db.session, first, sid)
    db.session.commit()
    assert db.session.get(Submission, sid).status == "approved"


def test_locking_after_approval_and_after_close(client, world, submitted, app):
    from app.errors import Conflict, PermissionDenied
    from app.review.appraisal import AppraisalInput, save_appraisal
    from app.review.outcomes import approve, reopen, reopen_campaign

    sid = submitted.id
    approve(db.session, world["reviewer_in"], sid)
    db.session.commit()
    with pytest.raises(Conflict):
        save_appraisal(db.session, world["reviewer_in"], sid, {"G1.1": AppraisalInput(met="not_met")})
    db.session.rollback()
    # After the close date nothing changes until an admin reopens the campaign with a reason.
    campaign = world["campaign"]
    reopen(db.session, world["admin"], sid, "Kiểm tra lại")
    campaign.closes_on = dt.date.today() - dt.timedelta(days=1)
    campaign.opens_on = dt.date.today() - dt.timedelta(days=30)
    db.session.commit()
    with pytest.raises(PermissionDenied, match="Đợt đánh giá đã đóng"):
        approve(db.session, world["reviewer_in"], sid)
    db.session.rollback()
    with pytest.raises(PermissionDenied):
        reopen_campaign(db.session, world["reviewer_in"], campaign.id, dt.date.today() + dt.timedelta(days=5), "x")
    reopen_campaign(db.session, world["admin"], campaign.id, dt.date.today() + dt.timedelta(days=5), "Gia hạn theo công văn")
    db.session.commit()
    approve(db.session, world["reviewer_in"], sid)
    db.session.commit()
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "campaign.reopen"))
    assert entry.detail["reason"] == "Gia hạn theo công văn"


def test_audit_log_is_append_only(app, world, submitted):
    from app.audit.models import AuditImmutable

    entry = db.session.scalar(sa.select(AuditEntry).limit(1))
    entry.action = "tampered"
    with pytest.raises(AuditImmutable):
        db.session.flush()
    db.session.rollback()
    db.session.delete(db.session.scalar(sa.select(AuditEntry).limit(1)))
    with pytest.raises(AuditImmutable):
        db.session.flush()
    db.session.rollback()


def test_decision_input_errors_are_clear(client, world, submitted):
    client.login("quantri")
    form_url = f"/review/campaigns/{world['campaign'].id}/decisions/new"
    response = client.post_form(form_url, {"number": "", "decided_on": "31/02/2026", "signer_name": "Nguyễn Văn A",
                                           "scan": (io.BytesIO(b"not a pdf at all"), "qd.pdf")}, content_type="multipart/form-data")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Vui lòng nhập số quyết định." in html and "Chọn ít nhất một đơn vị đã được duyệt" in html
    assert 'value="Nguyễn Văn A"' in html
