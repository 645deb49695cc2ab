"""Creating, listing and reading notifications; e-mail copies are queued and sent after the commit."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from app.auth.models import User

from .models import Notification


def notify(session: Session, users: list[User], kind: str, link: str, dedupe_key: str | None = None, **params) -> list[Notification]:
    """One notification per enabled user; with `dedupe_key`, at most one per user and key."""
    created = []
    for user in {u.id: u for u in users if u is not None and u.is_enabled}.values():
        key = f"{dedupe_key}:{user.id}" if dedupe_key else None
        if key and session.scalar(sa.select(Notification.id).where(Notification.dedupe_key == key)):
            continue
        note = Notification(user_id=user.id, kind=kind, params=params, link=link, dedupe_key=key)
        session.add(note)
        created.append(note)
    session.flush()
    from .mail import queue_email

    for note in created:
        queue_email(session, note)
    return created


def message(note: Notification) -> str:
    """The notification text in the current language."""
    p = note.params or {}
    texts = {
        "returned": _("Phiếu “%(campaign)s” của %(unit)s được trả lại để bổ sung %(n)s chỉ tiêu, hạn %(deadline)s.", **_safe(p, "campaign", "unit", "n", "deadline")),
        "resubmitted": _("%(unit)s đã gửi lại phiếu “%(campaign)s” sau khi bổ sung.", **_safe(p, "campaign", "unit")),
        "submitted": _("%(unit)s đã gửi phiếu tự đánh giá “%(campaign)s”.", **_safe(p, "campaign", "unit")),
        "approved": _("Phiếu “%(campaign)s” của %(unit)s đã được thẩm định đạt, điểm %(score)s%%.", **_safe(p, "campaign", "unit", "score")),
        "rejected": _("Phiếu “%(campaign)s” của %(unit)s không được chấp thuận: %(reason)s", **_safe(p, "campaign", "unit", "reason")),
        "recognised": _("%(unit)s được công nhận đạt chuẩn “%(set)s” năm %(year)s theo quyết định %(decision)s.", **_safe(p, "unit", "set", "year", "decision")),
        "deadline": _("Sắp đến hạn %(deadline)s để gửi lại phiếu “%(campaign)s” của %(unit)s.", **_safe(p, "campaign", "unit", "deadline")),
        "campaign_closing": _("Đợt đánh giá “%(campaign)s” đóng ngày %(deadline)s; phiếu của %(unit)s chưa được gửi.", **_safe(p, "campaign", "unit", "deadline")),
        "reopened": _("Phiếu “%(campaign)s” của %(unit)s được mở lại: %(reason)s", **_safe(p, "campaign", "unit", "reason")),
    }
    return texts.get(note.kind, note.kind)


def _safe(params: dict, *keys: str) -> dict:
    return {k: params.get(k, "") for k in keys}


def for_user(session: Session, user: User, limit: int = 100) -> list[Notification]:
    return list(session.scalars(
        sa.select(Notification).where(Notification.user_id == user.id).order_by(Notification.created_at.desc(), Notification.id.desc()).limit(limit)
    ))


def unread_count(session: Session, user: User) -> int:
    return session.scalar(
        sa.select(sa.func.count()).select_from(Notification).where(Notification.user_id == user.id, Notification.read_at.is_(None))
    ) or 0


def mark_read(session: Session, user: User, notification_id: int | None = None) -> None:
    """Mark one (or, with None, every) notification of this user as read. Others' are never touched."""
    query = sa.update(Notification).where(Notification.user_id == user.id, Notification.read_at.is_(None))
    if notification_id is not None:
        query = query.where(Notification.id == notification_id)
    session.execute(query.values(read_at=dt.datetime.now(dt.UTC)))
