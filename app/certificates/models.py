"""Certificate and the per-set-and-year counter that keeps numbers unique and gap-free."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models_base import now_utc

if TYPE_CHECKING:
    from app.review.models import RecognitionDecision
    from app.units.models import Unit


class CertificateCounter(db.Model):
    """Last number issued per criteria set and year; its row is locked while a number is taken."""

    __tablename__ = "certificate_counters"

    set_code: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    year: Mapped[int] = mapped_column(primary_key=True)
    last_seq: Mapped[int] = mapped_column(default=0)


class Certificate(db.Model):
    """One issued certificate. Status is derived: revoked, superseded (re-issued) or valid."""

    __tablename__ = "certificates"
    __table_args__ = (
        sa.UniqueConstraint("set_code", "year", "seq", name="uq_certificates_set_year_seq"),
        sa.CheckConstraint("seq > 0", name="seq_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: e.g. 015/2027/GCN-CQTT
    number: Mapped[str] = mapped_column(sa.String(60), unique=True)
    set_code: Mapped[str] = mapped_column(sa.String(40))
    year: Mapped[int]
    seq: Mapped[int]
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("units.id"), index=True)
    submission_id: Mapped[int] = mapped_column(sa.ForeignKey("submissions.id"), index=True)
    decision_id: Mapped[int] = mapped_column(sa.ForeignKey("recognition_decisions.id"), index=True)
    #: Unguessable code in the public verification URL.
    verify_code: Mapped[str] = mapped_column(sa.String(40), unique=True)
    issued_at: Mapped[dt.datetime] = mapped_column(sa.DateTime(timezone=True), default=now_utc)
    issued_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    #: Stored PDF (random name under UPLOAD_DIR/certificates).
    pdf_stored_name: Mapped[str | None] = mapped_column(sa.String(80))
    signed: Mapped[bool] = mapped_column(default=False)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(sa.DateTime(timezone=True))
    revoked_reason: Mapped[str] = mapped_column(sa.Text, default="")
    revoked_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    #: The certificate this one replaces (re-issue), and the one that replaced it.
    replaces_id: Mapped[int | None] = mapped_column(sa.ForeignKey("certificates.id"))
    superseded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("certificates.id"))

    unit: Mapped[Unit] = relationship()
    decision: Mapped[RecognitionDecision] = relationship()
    superseded_by: Mapped[Certificate | None] = relationship(foreign_keys=[superseded_by_id], remote_side=[id])
    replaces: Mapped[Certificate | None] = relationship(foreign_keys=[replaces_id], remote_side=[id])

    @property
    def status(self) -> str:
        if self.superseded_by_id:
            return "superseded"
        if self.revoked_at:
            return "revoked"
        return "valid"
