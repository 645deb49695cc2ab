"""Notification: a message for one user, rendered in their language when shown."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models_base import now_utc


class Notification(db.Model):
    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    #: returned, resubmitted, approved, rejected, recognised, deadline, campaign_closing, reopened
    kind: Mapped[str] = mapped_column(sa.String(40))
    #: Values for the message template (unit, campaign, deadline…).
    params: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    #: Local path to open (always built by the app, never from user input).
    link: Mapped[str] = mapped_column(sa.String(255), default="")
    created_at: Mapped[dt.datetime] = mapped_column(sa.DateTime(timezone=True), default=now_utc)
    read_at: Mapped[dt.datetime | None] = mapped_column(sa.DateTime(timezone=True))
    #: Key that makes reminder notifications idempotent (e.g. deadline:<return id>).
    dedupe_key: Mapped[str | None] = mapped_column(sa.String(120), unique=True)
