"""ApiToken: a bearer token an admin issued to a user. Only a hash of the secret is stored."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.auth.models import User
from app.extensions import db
from app.models_base import now_utc


class ApiToken(db.Model):
    """One API token. The plain token is `dc_<prefix>_<secret>`; `prefix` (public, unique) finds the row and
    `token_hash` (SHA-256 hex of the whole plain token) proves the secret. The token acts as `user`, with that
    user's role and scope, until it expires, is revoked, or the user is disabled."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    #: What the token is for, e.g. "Cổng dữ liệu thành phố" (NFC, shown in lists).
    name: Mapped[str] = mapped_column(sa.String(120))
    #: 12 random base32 characters after "dc_": finds the row in one indexed look-up; not secret.
    prefix: Mapped[str] = mapped_column(sa.String(16), unique=True)
    #: SHA-256 (hex) of the whole plain token.
    token_hash: Mapped[str] = mapped_column(sa.String(64))
    created_at: Mapped[dt.datetime] = mapped_column(sa.DateTime(timezone=True), default=now_utc)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    #: After this moment (UTC) the token is refused; None = no expiry.
    expires_at: Mapped[dt.datetime | None] = mapped_column(sa.DateTime(timezone=True))
    revoked_at: Mapped[dt.datetime | None] = mapped_column(sa.DateTime(timezone=True))
    revoked_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    last_used_at: Mapped[dt.datetime | None] = mapped_column(sa.DateTime(timezone=True))

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])

    def state(self, now: dt.datetime) -> str:
        """'revoked', 'expired', 'disabled' (its user is disabled) or 'active' at `now` (aware UTC)."""
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at is not None and _aware(self.expires_at) <= now:
            return "expired"
        if not self.user.is_enabled:
            return "disabled"
        return "active"


def _aware(moment: dt.datetime) -> dt.datetime:
    """SQLite gives naive datetimes back: they are UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)
