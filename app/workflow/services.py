"""The submission workflow that officials and reviewers share: status words, state changes (audited), who is told,
round snapshots and the returns of the current round.

One home used by app.submissions (submit, resubmit) and app.review (return, approve, reject, recognise), so
neither reaches into the other. Every state change goes through `app.workflow.states.transition`. Flushes only.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from app.assessment.criteria import CriteriaSet
from app.assessment.scoring import (
    SetResult,
)
from app.audit.services import record
from app.auth.models import ReviewerScope, User
from app.errors import Conflict, PermissionDenied
from app.labels import SUBMISSION_STATUS, WORKFLOW_ACTION
from app.labels import label as code_label
from app.notifications.services import notify
from app.review.models import ReturnItem, ScoreEvent, SubmissionRound
from app.submissions.models import Submission
from app.workflow.states import IllegalTransition, transition

STATUS_LABELS = SUBMISSION_STATUS


def status_label(status: str) -> str:
    """A submission status in words, in the UI language (app.labels.SUBMISSION_STATUS)."""
    return code_label(status, "submission_status")


ACTION_LABELS = WORKFLOW_ACTION


def apply_transition(session: Session, actor: User, submission: Submission, action: str, **detail: Any) -> None:
    """Move the submission through the state machine (or refuse clearly) and audit it."""
    role = actor.role
    try:
        new_status = transition(submission.status, action, role)
    except IllegalTransition as exc:
        if exc.code == "wrong_role":
            raise PermissionDenied(_("Vai trò của bạn không được “%(action)s” phiếu.", action=str(ACTION_LABELS.get(action, action)))) from None
        raise Conflict(_("Không thể “%(action)s” khi phiếu đang ở trạng thái “%(status)s”.",
                         action=str(ACTION_LABELS.get(action, action)), status=status_label(submission.status))) from None
    old = submission.status
    submission.status = new_status
    submission.updated_by_id = actor.id
    submission.updated_at = dt.datetime.now(dt.UTC)
    record(session, actor, f"submission.{action}", submission, old=old, new=new_status, **detail)


def officials_of(session: Session, unit_id: int) -> list[User]:
    return list(session.scalars(sa.select(User).where(User.role == "official", User.unit_id == unit_id)))


def reviewers_of(session: Session, set_code: str) -> list[User]:
    return list(session.scalars(sa.select(User).join(ReviewerScope).where(User.role == "reviewer", ReviewerScope.set_code == set_code)))


def links(submission: Submission) -> tuple[str, str]:
    official = f"/assessments/{submission.campaign_id}/{submission.unit_id}/"
    return official, f"/review/{submission.id}"


def note_params(submission: Submission, **extra: Any) -> dict:
    return {"campaign": submission.campaign.name, "unit": submission.unit.name, **extra}


# ------------------------------------------------------------------ snapshots and self scores (called on submit)


def snapshot_round(session: Session, actor: User, submission: Submission, cset: CriteriaSet, result: SetResult) -> SubmissionRound:
    """Store what was sent in this round and the self score of every indicator (score history)."""
    submission.round = (submission.round or 0) + 1
    evidence: dict[str, list[str]] = {}
    for item in submission.evidence:
        evidence.setdefault(item.indicator_code, []).append(item.original_name)
    answers = {
        a.indicator_code: {"value": a.value, "explanation": a.explanation or "", "evidence": sorted(evidence.get(a.indicator_code, [])),
                           **({"na": True} if a.not_applicable else {})}
        for a in submission.answers
    }
    snap = SubmissionRound(submission_id=submission.id, round=submission.round, answers=answers,
                           self_score=Decimal(str(result.percent)), created_by_id=actor.id)
    session.add(snap)
    for group in result.groups:
        for ind in group.indicators:
            session.add(ScoreEvent(submission_id=submission.id, indicator_code=ind.code, kind="self", met=ind.met,
                                   points=Decimal(str(ind.points)), actor_id=actor.id, reason=f"round {submission.round}"))
    session.add(ScoreEvent(submission_id=submission.id, kind="self", met=result.passed, percent=Decimal(str(result.percent)),
                           actor_id=actor.id, reason=f"round {submission.round}"))
    return snap


def returned_codes(session: Session, submission: Submission) -> set[str]:
    """Indicators the official may edit while the submission is returned."""
    if submission.status != "returned":
        return set()
    return set(session.scalars(sa.select(ReturnItem.indicator_code).where(
        ReturnItem.submission_id == submission.id, ReturnItem.round == submission.round)))


def current_returns(session: Session, submission: Submission) -> list[ReturnItem]:
    if not submission.round:
        return []
    return list(session.scalars(sa.select(ReturnItem).where(ReturnItem.submission_id == submission.id, ReturnItem.round == submission.round)
                                .order_by(ReturnItem.indicator_code)))


def notify_submitted(session: Session, submission: Submission, resubmission: bool) -> None:
    _official_link, review_link = links(submission)
    notify(session, reviewers_of(session, submission.campaign.criteria_version.code), "resubmitted" if resubmission else "submitted",
           review_link, **note_params(submission))
