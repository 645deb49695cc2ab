"""CriteriaVersion (a loaded criteria file) and Campaign (set version × year × scope × window)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.assessment.criteria import CriteriaSet, criteria_from_dict
from app.extensions import db
from app.models_base import now_utc

if TYPE_CHECKING:
    from app.auth.models import User
    from app.units.models import Unit

campaign_units = sa.Table(
    "campaign_units",
    db.metadata,
    sa.Column("campaign_id", sa.ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("unit_id", sa.ForeignKey("units.id", ondelete="CASCADE"), primary_key=True),
)


#: Parsed criteria by content checksum: a stored version never changes, so parsing once is enough.
_CRITERIA_CACHE: dict[str, CriteriaSet] = {}


#: Lifecycle of a stored criteria version: a draft may be replaced; a published one is offered to
#: campaigns ("đang dùng" once a campaign uses it) and never edited; a retired one is no longer offered.
VERSION_STATUSES = ("draft", "published", "retired")


class CriteriaVersion(db.Model):
    """One stored version of a criteria set (from a file, a workbook or the web).

    A changed file loaded by `criteria load` becomes a new revision; a version created in the web
    UI or by `criteria import` starts as a draft with the next version number.
    """

    __tablename__ = "criteria_versions"
    __table_args__ = (
        sa.UniqueConstraint("code", "version", "revision", name="uq_criteria_versions_code_version_revision"),
        sa.CheckConstraint("status IN ('draft','published','retired')", name="status_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Set code from the file, e.g. CQTT.
    code: Mapped[str] = mapped_column(sa.String(40), index=True)
    #: `version` from the file.
    version: Mapped[int]
    #: 1 for the first load of this file version; +1 each time its content changed on load.
    revision: Mapped[int] = mapped_column(default=1)
    name_vi: Mapped[str] = mapped_column(sa.String(255))
    name_en: Mapped[str] = mapped_column(sa.String(255))
    effective_from: Mapped[dt.date]
    #: sha256 of the validated content.
    checksum: Mapped[str] = mapped_column(sa.String(64))
    #: The validated file content as JSON.
    content: Mapped[dict] = mapped_column(sa.JSON, deferred=True)
    #: File it was loaded from (relative to the criteria folder).
    source_file: Mapped[str] = mapped_column(sa.String(255))
    loaded_at: Mapped[dt.datetime] = mapped_column(sa.DateTime(timezone=True), default=now_utc)
    #: draft, published or retired (see VERSION_STATUSES). Files loaded by `criteria load` are published.
    status: Mapped[str] = mapped_column(sa.String(20), default="published", server_default="published", index=True)
    #: Who created it (None for `criteria load` from the command line).
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    published_at: Mapped[dt.datetime | None] = mapped_column(sa.DateTime(timezone=True))
    published_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    retired_at: Mapped[dt.datetime | None] = mapped_column(sa.DateTime(timezone=True))
    retired_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    published_by: Mapped[User | None] = relationship(foreign_keys=[published_by_id])
    retired_by: Mapped[User | None] = relationship(foreign_keys=[retired_by_id])

    @property
    def criteria(self) -> CriteriaSet:
        """The set as dataclasses, rebuilt from the stored JSON once per content checksum (immutable)."""
        cached = _CRITERIA_CACHE.get(self.checksum)
        if cached is None:
            cached = criteria_from_dict(self.content)
            _CRITERIA_CACHE[self.checksum] = cached
        return cached

    @property
    def label(self) -> str:
        suffix = f".{self.revision}" if self.revision > 1 else ""
        return f"{self.code} v{self.version}{suffix}"


class Campaign(db.Model):
    """An assessment round: which set version, which year, which units, open when."""

    __tablename__ = "campaigns"
    __table_args__ = (sa.CheckConstraint("closes_on >= opens_on", name="window_ordered"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(255))
    criteria_version_id: Mapped[int] = mapped_column(sa.ForeignKey("criteria_versions.id"), index=True)
    #: Assessment year.
    year: Mapped[int]
    #: First and last day officials may edit (inclusive, local dates).
    opens_on: Mapped[dt.date]
    closes_on: Mapped[dt.date]
    #: Unit types in scope (JSON list); empty when the scope is an explicit unit list.
    scope_unit_types: Mapped[list] = mapped_column(sa.JSON, default=list)
    #: An admin may allow changes after the close date until this day, with a written reason (audited).
    reopened_until: Mapped[dt.date | None]
    reopen_reason: Mapped[str] = mapped_column(sa.Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(sa.DateTime(timezone=True), default=now_utc)

    criteria_version: Mapped[CriteriaVersion] = relationship()
    units: Mapped[list[Unit]] = relationship(secondary=campaign_units, order_by="Unit.name")

    @property
    def effective_close(self) -> dt.date:
        """The close date, or the reopening date when an admin reopened the campaign later."""
        if self.reopened_until and self.reopened_until > self.closes_on:
            return self.reopened_until
        return self.closes_on

    def is_open(self, today: dt.date) -> bool:
        return self.opens_on <= today <= self.effective_close

    def covers(self, unit: Unit) -> bool:
        if unit.unit_type in (self.scope_unit_types or []):
            return True
        return any(u.id == unit.id for u in self.units)
