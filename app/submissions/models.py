"""Submission (one unit's self-assessment in a campaign), its answers and evidence files."""

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
    from app.units.models import Unit

#: The stored answer value meaning "không áp dụng" (not applicable); only for indicators with `allow_na`.
NOT_APPLICABLE = {"na": True}

STATUSES = ("draft", "submitted", "in_review", "returned", "resubmitted", "approved", "rejected", "recognised")


class Submission(db.Model):
    """A unit's self-assessment for one campaign. `version` detects concurrent edits."""

    __tablename__ = "submissions"
    __table_args__ = (
        sa.UniqueConstraint("campaign_id", "unit_id", name="uq_submissions_campaign_unit"),
        sa.CheckConstraint(
            "status IN ('draft','submitted','in_review','returned','resubmitted','approved','rejected','recognised')",
            name="status_known",
        ),
        #: submitted exactly when submitted_at is set
        sa.CheckConstraint("(status = 'draft') = (submitted_at IS NULL)", name="submitted_has_time"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(sa.ForeignKey("campaigns.id"), index=True)
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("units.id"), index=True)
    #: State in app.workflow.states.STATES (draft → submitted → in_review → returned → resubmitted → approved/rejected → recognised).
    status: Mapped[str] = mapped_column(sa.String(20), default="draft", index=True)
    #: Submission round: 1 at the first submission, +1 at each resubmission.
    round: Mapped[int] = mapped_column(default=0)
    #: Optimistic-locking counter; SQLAlchemy raises StaleDataError on a lost update.
    version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[dt.datetime] = mapped_column(sa.DateTime(timezone=True), default=now_utc)
    updated_at: Mapped[dt.datetime] = mapped_column(sa.DateTime(timezone=True), default=now_utc, onupdate=now_utc)
    updated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    submitted_at: Mapped[dt.datetime | None] = mapped_column(sa.DateTime(timezone=True))
    submitted_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    #: Self-assessment score in percent, computed at submission.
    self_score: Mapped[Decimal | None] = mapped_column(sa.Numeric(5, 2))
    #: Whether the self-assessment passes the set's rule.
    self_passed: Mapped[bool | None]
    #: The full explained result (groups, indicators, reasons) at submission.
    self_result: Mapped[dict | None] = mapped_column(sa.JSON)

    #: Final (appraised) score in percent and whether it passes, set at approval or rejection.
    final_score: Mapped[Decimal | None] = mapped_column(sa.Numeric(5, 2))
    final_passed: Mapped[bool | None]
    decided_at: Mapped[dt.datetime | None] = mapped_column(sa.DateTime(timezone=True))
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    #: Approval note or rejection reason.
    decision_reason: Mapped[str] = mapped_column(sa.Text, default="")

    campaign: Mapped[Campaign] = relationship()
    unit: Mapped[Unit] = relationship()
    updated_by: Mapped[User | None] = relationship(foreign_keys=[updated_by_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])
    submitted_by: Mapped[User | None] = relationship(foreign_keys=[submitted_by_id])
    answers: Mapped[list[Answer]] = relationship(back_populates="submission", cascade="all, delete-orphan")
    evidence: Mapped[list[Evidence]] = relationship(
        back_populates="submission", cascade="all, delete-orphan", order_by="Evidence.uploaded_at"
    )

    __mapper_args__ = {"version_id_col": version}

    def answer_for(self, code: str) -> Answer | None:
        return next((a for a in self.answers if a.indicator_code == code), None)

    def evidence_for(self, code: str) -> list[Evidence]:
        return [e for e in self.evidence if e.indicator_code == code]


class Answer(db.Model):
    """The answer to one indicator: the parsed value (JSON) and the explanation (giải trình)."""

    __tablename__ = "answers"
    __table_args__ = (sa.UniqueConstraint("submission_id", "indicator_code", name="uq_answers_submission_indicator"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(sa.ForeignKey("submissions.id", ondelete="CASCADE"), index=True)
    #: Indicator code from the criteria file, e.g. G1.2.
    indicator_code: Mapped[str] = mapped_column(sa.String(40))
    #: Parsed value or null when unanswered: {"n": "12345.678"} for a number (exact decimal text),
    #: {"v": ...} for yes/no, a choice or text, {"na": true} for "không áp dụng". Rows from before exact
    #: storage hold {"v": <JSON number>}.
    value: Mapped[Any | None] = mapped_column(sa.JSON)
    explanation: Mapped[str] = mapped_column(sa.Text, default="")
    #: Where the value came from when not typed by the official: {"source": "survey", "survey": code,
    #: "link_id": id, "n": responses, "min_sample": int, "margin": "6.1", "low": "80.2", "high": "91.0"
    #: (percent, exact text), "at": ISO 8601 UTC of the last fill}; null for a typed answer.
    meta: Mapped[dict | None] = mapped_column(sa.JSON)
    updated_at: Mapped[dt.datetime] = mapped_column(sa.DateTime(timezone=True), default=now_utc, onupdate=now_utc)

    submission: Mapped[Submission] = relationship(back_populates="answers")

    @property
    def from_survey(self) -> dict | None:
        """The survey note ({"n", "margin", …}, see `meta`) when the value was filled from the citizen survey, else None."""
        return self.meta if isinstance(self.meta, dict) and self.meta.get("source") == "survey" else None

    @property
    def parsed(self) -> Any:
        """The answer's value: a Decimal for numbers (old JSON numbers too), bool/str otherwise, None if unanswered."""
        from app.assessment.indicators import load_value

        return load_value(self.value)

    @property
    def not_applicable(self) -> bool:
        """True when the official answered "Không áp dụng" (stored as the value `{"na": true}`)."""
        return isinstance(self.value, dict) and self.value.get("na") is True


class Evidence(db.Model):
    """An uploaded evidence file, stored under a random name outside the static folder."""

    __tablename__ = "evidence"

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(sa.ForeignKey("submissions.id", ondelete="CASCADE"), index=True)
    indicator_code: Mapped[str] = mapped_column(sa.String(40))
    #: The name the user's file had (NFC, for display only; never used as a path).
    original_name: Mapped[str] = mapped_column(sa.String(255))
    #: Random file name under UPLOAD_DIR.
    stored_name: Mapped[str] = mapped_column(sa.String(80), unique=True)
    #: Type detected from the bytes: pdf, image, docx or xlsx.
    kind: Mapped[str] = mapped_column(sa.String(10))
    content_type: Mapped[str] = mapped_column(sa.String(100))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(sa.String(64))
    uploaded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    uploaded_at: Mapped[dt.datetime] = mapped_column(sa.DateTime(timezone=True), default=now_utc)

    submission: Mapped[Submission] = relationship(back_populates="evidence")


class IndicatorScore(db.Model):
    """Per submission and indicator: self and final met/points, kept current for SQL roll-ups (reports)."""

    __tablename__ = "indicator_scores"
    __table_args__ = (sa.UniqueConstraint("submission_id", "indicator_code", name="uq_indicator_scores_submission_indicator"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(sa.ForeignKey("submissions.id", ondelete="CASCADE"), index=True)
    indicator_code: Mapped[str] = mapped_column(sa.String(40), index=True)
    group_code: Mapped[str] = mapped_column(sa.String(40))
    self_met: Mapped[bool]
    #: Final when appraised, else equal to the self result.
    final_met: Mapped[bool]
    #: True when a reviewer appraised this indicator.
    appraised: Mapped[bool] = mapped_column(default=False)
    max_points: Mapped[Decimal] = mapped_column(sa.Numeric(7, 2))
    self_points: Mapped[Decimal] = mapped_column(sa.Numeric(7, 2))
    final_points: Mapped[Decimal] = mapped_column(sa.Numeric(7, 2))
    #: The official answered "không áp dụng" (the indicator is out of the self maximum).
    self_na: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    #: "Không áp dụng" in the final result (accepted by the reviewer, or not yet appraised); reports
    #: leave such rows out of pass rates and show them as N/A.
    final_na: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    #: The indicator is a condition (điều kiện bắt buộc): no points; reports show it apart from the score.
    condition: Mapped[bool] = mapped_column(default=False, server_default=sa.false())


class GroupScore(db.Model):
    """Per submission and criteria group: final earned points, percentage and pass (heatmap source)."""

    __tablename__ = "group_scores"
    __table_args__ = (sa.UniqueConstraint("submission_id", "group_code", name="uq_group_scores_submission_group"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(sa.ForeignKey("submissions.id", ondelete="CASCADE"), index=True)
    group_code: Mapped[str] = mapped_column(sa.String(40))
    earned: Mapped[Decimal] = mapped_column(sa.Numeric(9, 2))
    max_points: Mapped[Decimal] = mapped_column(sa.Numeric(9, 2))
    percent: Mapped[Decimal] = mapped_column(sa.Numeric(5, 2))
    passed: Mapped[bool]
