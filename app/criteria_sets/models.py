"""Indicator code mappings between versions of a set, and per-set criteria-owner scopes."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, backref, mapped_column, relationship

from app.auth.models import User
from app.campaigns.models import CriteriaVersion
from app.extensions import db
from app.models_base import now_utc


class CodeMapping(db.Model):
    """An old indicator code of one version continued by a code of a later version of the same set.

    Reports (trend, discrepancy, unit card) follow these rows so an indicator that was renamed in a
    revision keeps one line of figures. Several old codes may map to one new code (a merge).
    """

    __tablename__ = "criteria_code_mappings"
    __table_args__ = (
        sa.UniqueConstraint("from_version_id", "to_version_id", "from_code", name="uq_criteria_code_mappings_pair_code"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    from_version_id: Mapped[int] = mapped_column(sa.ForeignKey("criteria_versions.id", ondelete="CASCADE"), index=True)
    from_code: Mapped[str] = mapped_column(sa.String(40))
    to_version_id: Mapped[int] = mapped_column(sa.ForeignKey("criteria_versions.id", ondelete="CASCADE"), index=True)
    to_code: Mapped[str] = mapped_column(sa.String(40))
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(sa.DateTime(timezone=True), default=now_utc)

    from_version: Mapped[CriteriaVersion] = relationship(foreign_keys=[from_version_id])
    to_version: Mapped[CriteriaVersion] = relationship(foreign_keys=[to_version_id])


class CriteriaOwnerScope(db.Model):
    """A criteria set (by code, all its versions) a user may author, publish, retire and map.

    Given to reviewers or viewers in the admin user form; admins may do everything without one.
    Available on the user as `user.owned_sets`.
    """

    __tablename__ = "criteria_owner_scopes"
    __table_args__ = (sa.UniqueConstraint("user_id", "set_code", name="uq_criteria_owner_scopes_user_set"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    set_code: Mapped[str] = mapped_column(sa.String(40))

    user: Mapped[User] = relationship(backref=backref("owned_sets", cascade="all, delete-orphan", order_by="CriteriaOwnerScope.set_code"))
