"""`flask notifications remind`: create due-date reminders (run daily)."""

from __future__ import annotations

import click
from flask import Blueprint

from app.extensions import db
from app.submissions.services import today_local

from .reminders import send_reminders

bp = Blueprint("notifications_cli", __name__, cli_group="notifications")


@bp.cli.command("remind")
def remind() -> None:
    """Notify officials of return deadlines and campaign closings that are near."""
    n = send_reminders(db.session, today_local())
    db.session.commit()
    click.echo(f"{n} reminder(s) created")
