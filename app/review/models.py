"""Review models: rounds (snapshots), appraisals, score history, returns, group assignments, decisions."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models_base import now_utc

if TYPE_CHECKING:
    from app.auth.models import User
    from app.campaigns.models import Campaign
    from app.submissions.models import Submission


class SubmissionRound(db.Model):
    """What the official sent at each submission (round 1) and resubmission (2, 3, …): the diff source."""

    __tablename__ = "submission_rounds"
    __table_args__ = (sa.UniqueConstraint("submission_id", "round", name="uq_submission_rounds_submission_round"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(sa.ForeignKey("submissions.id", ondelete="CASCADE"), index=True)
    round: Mapped[int]
    #: {indicator code: {"value": …, "explanation": str, "evidence": [original names]}}
    answers: Mapped[dict] = mapped_column(sa.JSON)
    self_score: Mapped[Decimal | None] = mapped_column(sa.Numeric(5, 2))
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(sa.DateTime(timezone=True), default=now_utc)


class Appraisal(db.Model):
    """The city's current appraisal of one indicator (history lives in ScoreEvent)."""

    __tablename__ = "appraisals"
    __table_args__ = (sa.UniqueConstraint("submission_id", "indicator_code", name="uq_appraisals_submission_indicator"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(sa.ForeignKey("submissions.id", ondelete="CASCADE"), index=True)
    indicator_code: Mapped[str] = mapped_column(sa.String(40))
    #: Appraised value when the reviewer re-measured it, stored like Answer.value ({"n": "…"} for numbers, {"v": …} else).
    value: Mapped[Any | None] = mapped_column(sa.JSON)
    #: Met / not met as judged by the reviewer (None: follow the value or the self-assessment).
    met: Mapped[bool | None]
    #: Points the reviewer awards (None: the indicator's points if met, else 0).
    points: Mapped[Decimal | None] = mapped_column(sa.Numeric(7, 2))
    comment: Mapped[str] = mapped_column(sa.Text, default="")
    reviewer_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    updated_at: Mapped[dt.datetime] = mapped_column(sa.DateTime(timezone=True), default=now_utc, onupdate=now_utc)

    reviewer: Mapped[User | None] = relationship()

    @property
    def parsed(self) -> Any:
        """The appraised value: a Decimal for numbers, bool/str otherwise, None when not re-measured."""
        from app.assessment.indicators import load_value

        return load_value(self.value)


class ScoreEvent(db.Model):
    """Append-only history of scores: self, appraised and final, per indicator or overall (code NULL)."""

    __tablename__ = "score_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(sa.ForeignKey("submissions.id", ondelete="CASCADE"), index=True)
    #: Indicator code, or NULL for the overall score.
    indicator_code: Mapped[str | None] = mapped_column(sa.String(40))
    #: self, appraised or final.
    kind: Mapped[str] = mapped_column(sa.String(12))
    met: Mapped[bool | None]
    points: Mapped[Decimal | None] = mapped_column(sa.Numeric(7, 2))
    #: Overall percentage for whole-submission events.
    percent: Mapped[Decimal | None] = mapped_column(sa.Numeric(5, 2))
    reason: Mapped[str] = mapped_column(sa.Text, default="")
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    at: Mapped[dt.datetime] = mapped_column(sa.DateTime(timezone=True), default=now_utc)

    actor: Mapped[User | None] = relationship()


class ReturnItem(db.Model):
    """An indicator sent back to the official, with the reason and the deadline."""

    __tablename__ = "return_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(sa.ForeignKey("submissions.id", ondelete="CASCADE"), index=True)
    #: The round that was returned.
    round: Mapped[int]
    indicator_code: Mapped[str] = mapped_column(sa.String(40))
    reason: Mapped[str] = mapped_column(sa.Text)
    deadline: Mapped[dt.date]
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(sa.DateTime(timezone=True), default=now_utc)


class GroupAssignment(db.Model):
    """A reviewer responsible for one criteria group in a campaign; approval waits for every assignee."""

    __tablename__ = "group_assignments"
    __table_args__ = (sa.UniqueConstraint("campaign_id", "group_code", "reviewer_id", name="uq_group_assignments_campaign_group_reviewer"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(sa.ForeignKey("campaigns.id", ondelete="CASCADE"), index=True)
    group_code: Mapped[str] = mapped_column(sa.String(40))
    reviewer_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))

    reviewer: Mapped[User] = relationship()


class GroupSignoff(db.Model):
    """An assigned reviewer's sign-off of their group in one round of a submission."""

    __tablename__ = "group_signoffs"
    __table_args__ = (sa.UniqueConstraint("submission_id", "round", "group_code", "reviewer_id", name="uq_group_signoffs_round_group_reviewer"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(sa.ForeignKey("submissions.id", ondelete="CASCADE"), index=True)
    round: Mapped[int]
    group_code: Mapped[str] = mapped_column(sa.String(40))
    reviewer_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    at: Mapped[dt.datetime] = mapped_column(sa.DateTime(timezone=True), default=now_utc)


decision_submissions = sa.Table(
    "decision_submissions",
    db.metadata,
    sa.Column("decision_id", sa.ForeignKey("recognition_decisions.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("submission_id", sa.ForeignKey("submissions.id", ondelete="CASCADE"), primary_key=True, unique=True),
)


class RecognitionDecision(db.Model):
    """A formal recognition decision (quyết định công nhận); one decision may cover many units."""

    __tablename__ = "recognition_decisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Decision number as written on the document, e.g. "125/QĐ-UBND".
    number: Mapped[str] = mapped_column(sa.String(80), unique=True)
    decided_on: Mapped[dt.date]
    signer_name: Mapped[str] = mapped_column(sa.String(200))
    signer_title: Mapped[str] = mapped_column(sa.String(200))
    issuing_body: Mapped[str] = mapped_column(sa.String(255))
    campaign_id: Mapped[int] = mapped_column(sa.ForeignKey("campaigns.id"), index=True)
    #: Scanned signed decision (PDF), stored under a random name.
    scan_stored_name: Mapped[str | None] = mapped_column(sa.String(80))
    scan_original_name: Mapped[str | None] = mapped_column(sa.String(255))
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(sa.DateTime(timezone=True), default=now_utc)

    campaign: Mapped[Campaign] = relationship()
    submissions: Mapped[list[Submission]] = relationship(secondary=decision_submissions)
