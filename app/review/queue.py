"""The review queue: submissions past draft that a reviewer, viewer or admin may see, filtered.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from app.auth.models import User
from app.campaigns.models import Campaign
from app.errors import PermissionDenied
from app.review.models import ReturnItem
from app.submissions.models import Submission
from app.submissions.services import today_local
from app.units.models import Unit
from app.workflow.states import LOCKED

# ------------------------------------------------------------------ queue


@dataclass
class QueueFilter:
    campaign_id: int | None = None
    set_code: str = ""
    unit_type: str = ""
    status: str = ""
    #: '' (any), 'overdue', 'week' (due within 7 days)
    deadline: str = ""


@dataclass
class QueueRow:
    submission: Submission
    deadline: dt.date | None
    overdue: bool


def queue(session: Session, actor: User, flt: QueueFilter) -> list[QueueRow]:
    """Submissions past draft that the actor may see, filtered. Reviewers see only their sets."""
    if actor.role not in ("admin", "reviewer", "viewer"):
        raise PermissionDenied(_("Chỉ cán bộ thẩm định, người xem và quản trị viên được xem hàng đợi thẩm định."))
    from app.campaigns.models import CriteriaVersion

    query = (sa.select(Submission).join(Campaign).join(CriteriaVersion).join(Unit, Submission.unit_id == Unit.id)
             .where(Submission.status != "draft").order_by(Submission.submitted_at.desc()))
    if actor.role == "reviewer":
        query = query.where(CriteriaVersion.code.in_(actor.scope_codes or {"-"}))
    if flt.campaign_id:
        query = query.where(Submission.campaign_id == flt.campaign_id)
    if flt.set_code:
        query = query.where(CriteriaVersion.code == flt.set_code)
    if flt.unit_type:
        query = query.where(Unit.unit_type == flt.unit_type)
    if flt.status:
        query = query.where(Submission.status == flt.status)
    today = today_local()
    deadlines = dict(session.execute(
        sa.select(ReturnItem.submission_id, sa.func.max(ReturnItem.deadline)).group_by(ReturnItem.submission_id)).all())
    rows = []
    for submission in session.scalars(query):
        deadline = deadlines.get(submission.id) if submission.status == "returned" else submission.campaign.effective_close
        overdue = deadline is not None and deadline < today and submission.status not in LOCKED
        if flt.deadline == "overdue" and not overdue:
            continue
        if flt.deadline == "week" and not (deadline and today <= deadline <= today + dt.timedelta(days=7)):
            continue
        rows.append(QueueRow(submission, deadline, overdue))
    return rows
