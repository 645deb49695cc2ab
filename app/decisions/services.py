"""Recognition decisions (quyết định công nhận): the approved units of a campaign, recording a decision with its
signed scan, listing and reading decisions, and whether a unit is recognised for a set and year.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from app.audit.services import record
from app.auth.models import User
from app.campaigns.models import Campaign
from app.errors import NotFound, PermissionDenied, ValidationFailed
from app.notifications.services import notify
from app.review.models import RecognitionDecision
from app.review.services import (
    can_read,
    can_review,
    get_campaign,
)
from app.submissions import uploads
from app.submissions.messages import upload_error
from app.submissions.models import Submission
from app.submissions.services import Upload, today_local
from app.text import clean_filename, nfc
from app.units.models import Unit
from app.workflow.services import (
    apply_transition,
    links,
    officials_of,
)

# ------------------------------------------------------------------ recognition decisions


def approved_in_campaign(session: Session, actor: User, campaign_id: int) -> tuple[Campaign, list[Submission]]:
    campaign = get_campaign(session, campaign_id)
    if not can_review(actor, campaign):
        raise PermissionDenied(_("Bạn không có quyền ghi quyết định công nhận cho bộ tiêu chí này."))
    subs = list(session.scalars(sa.select(Submission).join(Unit).where(Submission.campaign_id == campaign_id,
                                                                        Submission.status == "approved").order_by(Unit.name)))
    return campaign, subs


def create_decision(session: Session, actor: User, campaign_id: int, *, number: str, decided_on: dt.date | None, signer_name: str,
                    signer_title: str, issuing_body: str, submission_ids: list[int], scan: Upload | None,
                    max_bytes: int) -> RecognitionDecision:
    """Record a recognition decision covering approved units; each becomes 'recognised'. The optional PDF `scan`
    streams into the storage backend (see uploads.store)."""
    campaign, approved = approved_in_campaign(session, actor, campaign_id)
    by_id = {s.id: s for s in approved}
    errors: dict[str, list[str]] = {}
    number = nfc(number) or ""
    fields = {"number": number, "signer_name": nfc(signer_name) or "", "signer_title": nfc(signer_title) or "",
              "issuing_body": nfc(issuing_body) or ""}
    for key, label in (("number", _("số quyết định")), ("signer_name", _("người ký")), ("signer_title", _("chức vụ người ký")),
                       ("issuing_body", _("cơ quan ban hành"))):
        if not fields[key]:
            errors[key] = [_("Vui lòng nhập %(what)s.", what=label)]
    if number and session.scalar(sa.select(RecognitionDecision.id).where(RecognitionDecision.number == number)):
        errors["number"] = [_("Số quyết định này đã được ghi nhận.")]
    if decided_on is None:
        errors["decided_on"] = [_("Nhập ngày quyết định theo dạng dd/mm/yyyy.")]
    elif decided_on > today_local():
        errors["decided_on"] = [_("Ngày quyết định không được ở tương lai.")]
    chosen = [by_id[i] for i in submission_ids if i in by_id]
    if not chosen or len(chosen) != len(set(submission_ids)):
        errors["submission_ids"] = [_("Chọn ít nhất một đơn vị đã được duyệt trong đợt này.")]
    checked = None
    if scan is not None and scan.size:
        try:
            checked = scan.check(("pdf",), max_bytes)
        except uploads.UploadError as exc:
            errors["scan"] = [upload_error(exc, clean_filename(scan.filename, "?"))]
    if errors:
        raise ValidationFailed(_("Chưa ghi được quyết định. Vui lòng sửa các lỗi bên dưới."), errors)
    decision = RecognitionDecision(number=number, decided_on=decided_on, signer_name=fields["signer_name"],
                                   signer_title=fields["signer_title"], issuing_body=fields["issuing_body"],
                                   campaign_id=campaign.id, created_by_id=actor.id, submissions=chosen)
    if checked is not None:
        try:
            decision.scan_stored_name = uploads.store(checked, session)
        except uploads.UploadError as exc:
            raise ValidationFailed(_("Chưa ghi được quyết định. Vui lòng sửa các lỗi bên dưới."),
                                   {"scan": [upload_error(exc, clean_filename(scan.filename, "?"))]}) from None
        decision.scan_original_name = clean_filename(scan.filename, "quyet-dinh.pdf")
    session.add(decision)
    session.flush()
    for submission in chosen:
        apply_transition(session, actor, submission, "recognise", decision=number)
        official_link, _review_link = links(submission)
        notify(session, officials_of(session, submission.unit_id), "recognised", official_link, unit=submission.unit.name,
               set=campaign.criteria_version.name_vi, year=campaign.year, decision=number)
    record(session, actor, "decision.create", decision, campaign_id=campaign.id, number=number, units=[s.unit_id for s in chosen])
    session.flush()
    return decision


def decisions(session: Session, actor: User) -> list[RecognitionDecision]:
    rows = session.scalars(sa.select(RecognitionDecision).order_by(RecognitionDecision.decided_on.desc(), RecognitionDecision.id.desc()))
    return [d for d in rows if can_read(actor, d.campaign)]


def get_decision(session: Session, actor: User, decision_id: int) -> RecognitionDecision:
    decision = session.get(RecognitionDecision, decision_id)
    if decision is None:
        raise NotFound(_("Không tìm thấy quyết định."))
    if not can_read(actor, decision.campaign):
        raise PermissionDenied(_("Bạn không có quyền xem quyết định này."))
    return decision


def is_recognised(session: Session, unit_id: int, set_code: str, year: int) -> bool:
    """Whether a unit is 'đạt chuẩn' for a set and year (a recognised submission exists)."""
    from app.campaigns.models import CriteriaVersion

    return bool(session.scalar(
        sa.select(sa.func.count()).select_from(Submission).join(Campaign).join(CriteriaVersion)
        .where(Submission.unit_id == unit_id, Submission.status == "recognised", CriteriaVersion.code == set_code, Campaign.year == year)))
