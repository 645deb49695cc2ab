"""Outgoing e-mail copies of notifications (Flask-Mail), off unless MAIL_ENABLED is set.

Messages are queued on the database session and sent only after it commits, so a rolled-back
request never e-mails anyone. A send failure is logged, never raised into the request.
"""

from __future__ import annotations

import logging

from flask import current_app
from flask_babel import force_locale
from flask_mail import Message
from sqlalchemy import event
from sqlalchemy.orm import Session

from app.extensions import mail

from .models import Notification

log = logging.getLogger(__name__)
_QUEUE_KEY = "datchuan_mail_queue"


def queue_email(session: Session, note: Notification) -> None:
    if not current_app.config.get("MAIL_ENABLED"):
        return
    user = note.user if hasattr(note, "user") else None
    from app.auth.models import User

    user = user or session.get(User, note.user_id)
    if user is None or not user.email:
        return
    from .services import message

    with force_locale(user.locale or "vi"):
        body = message(note)
    from app.config import public_base_url

    link = (public_base_url(current_app.config) or "") + note.link
    session.info.setdefault(_QUEUE_KEY, []).append((user.email, body, link))


@event.listens_for(Session, "after_commit")
def _send_after_commit(session: Session) -> None:
    queued = session.info.pop(_QUEUE_KEY, [])
    for address, body, link in queued:
        try:
            mail.send(Message(subject="[Đạt chuẩn] " + body[:80], recipients=[address], body=f"{body}\n\n{link}\n"))
        except Exception:  # noqa: BLE001 - a mail outage must not break the request that already committed
            log.exception("could not send notification e-mail to %s", address)


@event.listens_for(Session, "after_rollback")
def _drop_after_rollback(session: Session) -> None:
    session.info.pop(_QUEUE_KEY, None)
