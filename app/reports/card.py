"""Unit report card: one unit's results across every set and year."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from app.auth.models import User
from app.campaigns.models import Campaign, CriteriaVersion
from app.errors import NotFound, PermissionDenied
from app.review.models import RecognitionDecision, decision_submissions
from app.submissions.models import Submission
from app.units.models import Unit


def check_card(session: Session, actor: User, unit_id: int) -> Unit:
    unit = session.get(Unit, unit_id)
    if unit is None:
        raise NotFound(_("Không tìm thấy đơn vị."))
    if actor.role == "official" and actor.unit_id != unit_id:
        raise PermissionDenied(_("Bạn chỉ được xem kết quả của đơn vị mình."))
    if actor.role not in ("official", "admin", "reviewer", "viewer"):
        raise PermissionDenied(_("Bạn không có quyền xem trang này."))
    return unit


@dataclass
class CardRow:
    set_code: str
    set_name: str
    year: int
    campaign: str
    status: str
    self_score: Decimal | None
    final_score: Decimal | None
    decision: str | None
    #: The verdicts stored with the scores (the scores are scoring.display_value's, so they agree).
    self_passed: bool | None = None
    final_passed: bool | None = None


def unit_card(session: Session, actor: User, unit_id: int) -> tuple[Unit, list[CardRow]]:
    unit = check_card(session, actor, unit_id)
    query = (sa.select(CriteriaVersion.code, CriteriaVersion.name_vi, Campaign.year, Campaign.name, Submission.status,
                       Submission.self_score, Submission.final_score, RecognitionDecision.number, Submission.self_passed,
                       Submission.final_passed)
             .select_from(Submission).join(Campaign, Submission.campaign_id == Campaign.id).join(CriteriaVersion)
             .outerjoin(decision_submissions, decision_submissions.c.submission_id == Submission.id)
             .outerjoin(RecognitionDecision, RecognitionDecision.id == decision_submissions.c.decision_id)
             .where(Submission.unit_id == unit_id).order_by(Campaign.year.desc(), CriteriaVersion.code))
    if actor.role == "reviewer":
        query = query.where(CriteriaVersion.code.in_(actor.scope_codes or {"-"}))
    return unit, [CardRow(*row) for row in session.execute(query).all()]
