"""Notifications: in-app list and badge, deadline reminders, and e-mail through a local SMTP sink."""

from __future__ import annotations

import datetime as dt
import socket
import time

import pytest
import sqlalchemy as sa

from app.extensions import db, mail
from app.notifications.models import Notification
from app.notifications.reminders import send_reminders
from app.notifications.services import mark_read, message, notify, unread_count
from app.review.models import ReturnItem
from app.submissions.models import Submission


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_badge_list_and_mark_read_are_per_user(app, world):
    a, b = world["official_a"], world["official_b"]
    notify(db.session, [a], "returned", "/assessments/1/1/", campaign="CQTT 2026", unit="Phường Hồng Bàng", n=2, deadline="01/12/2026")
    db.session.commit()
    assert unread_count(db.session, a) == 1 and unread_count(db.session, b) == 0
    note = db.session.scalar(sa.select(Notification))
    assert message(note) == "Phiếu “CQTT 2026” của Phường Hồng Bàng được trả lại để bổ sung 2 chỉ tiêu, hạn 01/12/2026."
    mark_read(db.session, b, note.id)  # someone else's: untouched
    assert unread_count(db.session, a) == 1
    mark_read(db.session, a, note.id)
    assert unread_count(db.session, a) == 0


def test_reminders_are_created_once(app, world, make_campaign):
    campaign = world["campaign"]
    today = dt.date(2026, 11, 26)
    campaign.closes_on = today + dt.timedelta(days=5)
    sub = Submission(campaign_id=campaign.id, unit_id=world["unit_b"].id, status="returned", round=1,
                     submitted_at=dt.datetime.now(dt.UTC))
    db.session.add(sub)
    db.session.flush()
    db.session.add(ReturnItem(submission_id=sub.id, round=1, indicator_code="G1.1", reason="x", deadline=today + dt.timedelta(days=2)))
    db.session.commit()
    first = send_reminders(db.session, today)
    db.session.commit()
    kinds = sorted(db.session.scalars(sa.select(Notification.kind)))
    assert first == 2 and kinds == ["campaign_closing", "deadline"]  # unit A: closing; unit B: return deadline
    assert send_reminders(db.session, today) == 0


def test_email_copy_goes_through_smtp_after_commit_only(app, world):
    from aiosmtpd.controller import Controller
    from aiosmtpd.handlers import Message as MessageHandler

    received = []

    class Sink(MessageHandler):
        def handle_message(self, message):
            received.append(message)

    port = _free_port()
    controller = Controller(Sink(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        app.config.update(MAIL_ENABLED=True, MAIL_SUPPRESS_SEND=False, MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_USE_TLS=False)
        mail.init_app(app)  # re-read the settings
        official = world["official_a"]
        official.email = "canbo.a@example.org"
        db.session.commit()
        notify(db.session, [official], "approved", "/assessments/1/1/", campaign="CQTT 2026", unit="Phường Hồng Bàng", score="95")
        db.session.rollback()  # rolled back: nothing is sent
        time.sleep(0.2)
        assert received == []
        notify(db.session, [official], "approved", "/assessments/1/1/", campaign="CQTT 2026", unit="Phường Hồng Bàng", score="95")
        db.session.commit()
        for _ in range(50):
            if received:
                break
            time.sleep(0.05)
        assert len(received) == 1
        assert received[0]["To"] == "canbo.a@example.org"
        body = received[0].get_payload(decode=True).decode("utf-8")
        assert "đã được thẩm định đạt, điểm 95%" in body and "/assessments/1/1/" in body
    finally:
        controller.stop()
        app.config.update(MAIL_ENABLED=False, MAIL_SUPPRESS_SEND=True)
        mail.init_app(app)


def test_mail_is_off_by_default(tmp_path, monkeypatch):
    """The production default, not the test config: with no MAIL_* variables the normal app (no test config) must not
    send mail; MAIL_ENABLED=1 set after the config module was imported turns it on (settings are read by create_app)."""
    import os

    from app import create_app

    for name in [k for k in os.environ if k.startswith("MAIL_")] + ["APP_ENV", "FLASK_ENV"]:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'probe.sqlite3'}")
    default = create_app()
    assert (default.config["MAIL_ENABLED"], default.config.get("TESTING", False)) == (False, False)
    monkeypatch.setenv("MAIL_ENABLED", "1")
    monkeypatch.setenv("MAIL_PORT", "587")
    enabled = create_app()
    assert (enabled.config["MAIL_ENABLED"], enabled.config["MAIL_PORT"]) == (True, 587)
    monkeypatch.setenv("MAIL_PORT", "hai mươi lăm")
    with pytest.raises(ValueError, match="MAIL_PORT"):
        create_app()
