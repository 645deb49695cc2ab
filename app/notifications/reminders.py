"""Deadline reminders: returned submissions due soon, and campaigns closing with units not yet submitted.

Run daily (`flask notifications remind`, e.g. from cron). Idempotent: each reminder has a dedupe key.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.campaigns.models import Campaign
from app.campaigns.services import units_in_scope
from app.review.models import ReturnItem
from app.submissions.models import Submission
from app.workflow.services import officials_of

from .services import notify

RETURN_WARNING_DAYS = 3
CLOSE_WARNING_DAYS = 7


def send_reminders(session: Session, today: dt.date) -> int:
    created = 0
    due = session.execute(
        sa.select(ReturnItem.submission_id, sa.func.max(ReturnItem.deadline)).join(Submission)
        .where(Submission.status == "returned", ReturnItem.round == Submission.round).group_by(ReturnItem.submission_id)
    ).all()
    for submission_id, deadline in due:
        if today <= deadline <= today + dt.timedelta(days=RETURN_WARNING_DAYS):
            sub = session.get(Submission, submission_id)
            created += len(notify(session, officials_of(session, sub.unit_id), "deadline", f"/assessments/{sub.campaign_id}/{sub.unit_id}/",
                                  dedupe_key=f"deadline:{sub.id}:{sub.round}", campaign=sub.campaign.name, unit=sub.unit.name,
                                  deadline=deadline.strftime("%d/%m/%Y")))
    closing = session.scalars(sa.select(Campaign).where(Campaign.closes_on >= today,
                                                       Campaign.closes_on <= today + dt.timedelta(days=CLOSE_WARNING_DAYS)))
    for campaign in closing:
        sent = set(session.scalars(sa.select(Submission.unit_id).where(Submission.campaign_id == campaign.id, Submission.status != "draft")))
        for unit in units_in_scope(session, campaign):
            if unit.id in sent:
                continue
            created += len(notify(session, officials_of(session, unit.id), "campaign_closing", f"/assessments/{campaign.id}/{unit.id}/",
                                  dedupe_key=f"closing:{campaign.id}:{unit.id}", campaign=campaign.name, unit=unit.name,
                                  deadline=campaign.closes_on.strftime("%d/%m/%Y")))
    session.flush()
    return created
