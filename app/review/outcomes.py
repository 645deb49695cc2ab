"""What a reviewer or admin decides about a submission: return for revision (giải trình), approve, reject, and
the admin's reopening of a submission or a campaign. Each is a workflow transition, audited and notified.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy.orm import Session

from app.assessment.numbers import format_rounded
from app.assessment.scoring import (
    SetResult,
)
from app.audit.services import record
from app.auth.models import User
from app.campaigns.models import Campaign
from app.errors import Conflict, PermissionDenied, ValidationFailed
from app.notifications.services import notify
from app.numbers import ui_locale
from app.review.appraisal import pending_signoffs
from app.review.models import ReturnItem, ScoreEvent
from app.review.services import (
    check_version,
    for_review,
    get_campaign,
    load_submission,
    require_window,
)
from app.submissions.models import Submission
from app.submissions.services import today_local
from app.text import nfc
from app.workflow.results import final_result, refresh_scores
from app.workflow.services import (
    apply_transition,
    links,
    note_params,
    officials_of,
    reviewers_of,
)


def return_for_revision(session: Session, actor: User, submission_id: int, reasons: dict[str, str], deadline: dt.date | None,
                        expected_version: int | None = None) -> list[ReturnItem]:
    """Send chosen indicators back with a reason each and a deadline; the official may edit only those."""
    submission = for_review(session, actor, submission_id)
    require_window(submission.campaign)
    check_version(submission, expected_version)
    cset = submission.campaign.criteria_version.criteria
    errors: dict[str, list[str]] = {}
    chosen = {code: nfc(reason) or "" for code, reason in reasons.items() if cset.indicator(code) is not None}
    if not chosen:
        errors["indicators"] = [_("Chọn ít nhất một chỉ tiêu cần trả lại.")]
    for code, reason in chosen.items():
        if not reason:
            errors.setdefault(cset.indicator(code).field_name, []).append(_("Ghi lý do trả lại cho chỉ tiêu %(code)s.", code=code))
    if deadline is None:
        errors["deadline"] = [_("Nhập hạn gửi lại theo dạng dd/mm/yyyy.")]
    elif deadline < today_local():
        errors["deadline"] = [_("Hạn gửi lại không được ở trong quá khứ.")]
    if errors:
        raise ValidationFailed(_("Chưa trả lại được phiếu. Vui lòng sửa các lỗi bên dưới."), errors)
    apply_transition(session, actor, submission, "return", indicators=sorted(chosen), deadline=deadline.isoformat())
    items = [ReturnItem(submission_id=submission.id, round=submission.round, indicator_code=code, reason=reason,
                        deadline=deadline, created_by_id=actor.id) for code, reason in sorted(chosen.items())]
    session.add_all(items)
    session.flush()
    official_link, _review_link = links(submission)
    notify(session, officials_of(session, submission.unit_id), "returned", official_link,
           **note_params(submission, n=len(items), deadline=deadline.strftime("%d/%m/%Y")))
    return items


def approve(session: Session, actor: User, submission_id: int, note: str = "", expected_version: int | None = None) -> SetResult:
    """Approve with the final (appraised) score; waits for every assigned group's sign-off."""
    submission = for_review(session, actor, submission_id)
    require_window(submission.campaign)
    check_version(submission, expected_version)
    pending = pending_signoffs(session, submission)
    if pending:
        raise Conflict(_("Chưa duyệt được: còn chờ ký xác nhận nhóm %(items)s.", items=", ".join(f"{g} ({who})" for g, who in pending)))
    result = final_result(session, submission)
    if not result.passed:
        raise Conflict(_("Điểm thẩm định %(p)s%% chưa đạt yêu cầu của bộ tiêu chí: hãy trả lại để bổ sung hoặc không chấp thuận.",
                         p=format_rounded(result.percent, ui_locale())))
    apply_transition(session, actor, submission, "approve", final=result.percent, note=nfc(note) or None)
    _store_final(session, actor, submission, result, nfc(note) or "")
    official_link, _review_link = links(submission)
    notify(session, officials_of(session, submission.unit_id), "approved", official_link,
           **note_params(submission, score=format_rounded(result.percent, "vi")))
    return result


def _store_final(session: Session, actor: User, submission: Submission, result: SetResult, reason: str) -> None:
    submission.final_score = Decimal(str(result.percent))
    submission.final_passed = result.passed
    submission.decided_at = dt.datetime.now(dt.UTC)
    submission.decided_by_id = actor.id
    submission.decision_reason = reason
    for group in result.groups:
        for ind in group.indicators:
            session.add(ScoreEvent(submission_id=submission.id, indicator_code=ind.code, kind="final", met=ind.met,
                                   points=Decimal(str(ind.points)), actor_id=actor.id, reason=reason))
    session.add(ScoreEvent(submission_id=submission.id, kind="final", met=result.passed, percent=Decimal(str(result.percent)),
                           actor_id=actor.id, reason=reason))
    session.flush()
    refresh_scores(session, submission)


def reject(session: Session, actor: User, submission_id: int, reason: str, expected_version: int | None = None) -> None:
    submission = for_review(session, actor, submission_id)
    require_window(submission.campaign)
    check_version(submission, expected_version)
    reason = nfc(reason) or ""
    if not reason:
        raise ValidationFailed(_("Ghi lý do không chấp thuận."), {"reason": [_("Ghi lý do không chấp thuận.")]})
    apply_transition(session, actor, submission, "reject", reason=reason)
    _store_final(session, actor, submission, final_result(session, submission), reason)
    submission.final_passed = False
    official_link, _review_link = links(submission)
    notify(session, officials_of(session, submission.unit_id), "rejected", official_link, **note_params(submission, reason=reason))


def reopen(session: Session, actor: User, submission_id: int, reason: str) -> None:
    """Admin only: bring an approved or rejected submission back into review, with a written reason."""
    submission = load_submission(session, submission_id)
    reason = nfc(reason) or ""
    if actor.role != "admin":
        raise PermissionDenied(_("Chỉ quản trị viên được mở lại phiếu đã khóa."))
    if not reason:
        raise ValidationFailed(_("Ghi lý do mở lại."), {"reason": [_("Ghi lý do mở lại.")]})
    apply_transition(session, actor, submission, "reopen", reason=reason)
    official_link, review_link = links(submission)
    notify(session, officials_of(session, submission.unit_id) + reviewers_of(session, submission.campaign.criteria_version.code),
           "reopened", official_link, **note_params(submission, reason=reason))


def reopen_campaign(session: Session, actor: User, campaign_id: int, until: dt.date | None, reason: str) -> Campaign:
    """Admin only: allow changes after the close date until `until`, with a written reason (audited)."""
    if actor.role != "admin":
        raise PermissionDenied(_("Chỉ quản trị viên được mở lại đợt đánh giá."))
    campaign = get_campaign(session, campaign_id)
    reason = nfc(reason) or ""
    errors = {}
    if not reason:
        errors["reason"] = [_("Ghi lý do mở lại.")]
    if until is None or until < today_local():
        errors["until"] = [_("Nhập ngày mở đến (dd/mm/yyyy), không ở trong quá khứ.")]
    if errors:
        raise ValidationFailed(_("Chưa mở lại được đợt đánh giá."), errors)
    campaign.reopened_until = until
    campaign.reopen_reason = reason
    record(session, actor, "campaign.reopen", campaign, campaign_id=campaign.id, until=until.isoformat(), reason=reason)
    session.flush()
    return campaign
