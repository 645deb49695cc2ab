"""Unit model: one row per assessed unit, in a tree under the city."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.labels import UNIT_TYPE, label
from app.models_base import now_utc

#: Unit types and their labels (lazy, in the UI language) — kept in app.labels. The first four come from the official register.
UNIT_TYPES = UNIT_TYPE
COMMUNE_TYPES = ("xa", "phuong", "dac_khu")


class Unit(db.Model):
    """An assessed unit. Communes/wards carry their official code from the 2025 register."""

    __tablename__ = "units"
    __table_args__ = (
        sa.CheckConstraint(
            "unit_type IN ('city','xa','phuong','dac_khu','department','school','youth_branch',"
            "'health_facility','association','enterprise')",
            name="unit_type_known",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Official code (ward code of the 2025 register, '31' for the city) or a sample-data code.
    code: Mapped[str] = mapped_column(sa.String(32), unique=True)
    #: Full official name, NFC, e.g. "Phường Hồng Bàng".
    name: Mapped[str] = mapped_column(sa.String(255))
    #: One of UNIT_TYPES.
    unit_type: Mapped[str] = mapped_column(sa.String(20), index=True)
    #: Parent unit (communes and departments sit under the city).
    parent_id: Mapped[int | None] = mapped_column(sa.ForeignKey("units.id"))
    #: True for demonstration units from the sample-data file, never for the official register.
    is_sample: Mapped[bool] = mapped_column(default=False)
    #: Where the row came from, e.g. "vietnam-provinces 2025.10.1" or "sample_units.yaml".
    data_source: Mapped[str] = mapped_column(sa.String(120), default="")
    created_at: Mapped[dt.datetime] = mapped_column(sa.DateTime(timezone=True), default=now_utc)
    #: Last change of the row (name, type, parent…), UTC; None for rows not changed since this column came.
    #: The public results pages derive their ETag from it.
    updated_at: Mapped[dt.datetime | None] = mapped_column(sa.DateTime(timezone=True), default=now_utc, onupdate=now_utc)

    parent: Mapped[Unit | None] = relationship(remote_side=[id])

    @property
    def type_label(self) -> str:
        """The unit type in words, in the UI language (e.g. "Phường")."""
        return label(self.unit_type, "unit_type")

    def __repr__(self) -> str:
        return f"<Unit {self.code} {self.name}>"
