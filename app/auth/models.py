"""User model and reviewer scopes."""

from __future__ import annotations

import datetime as dt
import secrets
from typing import TYPE_CHECKING

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models_base import now_utc

if TYPE_CHECKING:
    from app.units.models import Unit

ROLES = ("admin", "reviewer", "official", "viewer")


def new_session_token() -> str:
    """A fresh random session token: 43 URL-safe characters (256 bits from `secrets`)."""
    return secrets.token_urlsafe(32)


class User(UserMixin, db.Model):
    """A person who logs in. Officials are bound to one unit; reviewers to criteria sets."""

    __tablename__ = "users"
    __table_args__ = (
        sa.CheckConstraint("role IN ('admin','reviewer','official','viewer')", name="role_known"),
        sa.CheckConstraint("role <> 'official' OR unit_id IS NOT NULL", name="official_has_unit"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Login name, lower-case, unique.
    username: Mapped[str] = mapped_column(sa.String(80), unique=True)
    full_name: Mapped[str] = mapped_column(sa.String(200), default="")
    #: Address for e-mail copies of notifications (optional; mail is off unless MAIL_ENABLED).
    email: Mapped[str] = mapped_column(sa.String(255), default="")
    #: argon2 hash.
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    #: admin, reviewer, official or viewer.
    role: Mapped[str] = mapped_column(sa.String(20))
    #: The unit an official acts for.
    unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("units.id"), index=True)
    #: Disabled users cannot log in and lose their session.
    is_enabled: Mapped[bool] = mapped_column(default=True)
    #: Preferred UI language ('vi' or 'en').
    locale: Mapped[str] = mapped_column(sa.String(5), default="vi")
    created_at: Mapped[dt.datetime] = mapped_column(sa.DateTime(timezone=True), default=now_utc)
    last_login_at: Mapped[dt.datetime | None] = mapped_column(sa.DateTime(timezone=True))
    #: What a login session remembers of the user (Flask-Login's alternative id). Replaced on logout,
    #: password change, disabling and "log out everywhere", so every older session cookie stops working.
    session_token: Mapped[str] = mapped_column(sa.String(64), unique=True, default=new_session_token)

    unit: Mapped[Unit | None] = relationship()
    scopes: Mapped[list[ReviewerScope]] = relationship(
        back_populates="user", cascade="all, delete-orphan", order_by="ReviewerScope.set_code"
    )

    @property
    def is_active(self) -> bool:  # Flask-Login: disabled users are logged out
        return self.is_enabled

    def get_id(self) -> str:
        """Flask-Login: the id kept in the session cookie is the current session token, never the row id."""
        return self.session_token

    def end_sessions(self) -> None:
        """End every existing session of this user for good: a new token makes every older cookie unknown.

        The caller flushes/commits; to keep the current session, log the user in again afterwards.
        """
        self.session_token = new_session_token()

    @property
    def scope_codes(self) -> set[str]:
        return {s.set_code for s in self.scopes}

    def __repr__(self) -> str:
        return f"<User {self.username} {self.role}>"


class ReviewerScope(db.Model):
    """A criteria set (by code) a reviewer may review."""

    __tablename__ = "reviewer_scopes"
    __table_args__ = (sa.UniqueConstraint("user_id", "set_code", name="uq_reviewer_scopes_user_set"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    #: Code of the criteria set, e.g. CQTT (all its versions).
    set_code: Mapped[str] = mapped_column(sa.String(40))

    user: Mapped[User] = relationship(back_populates="scopes")
