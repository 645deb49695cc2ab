"""`flask surveys purge-hashes`: drop network hashes and their keys older than 30 days (run daily from cron)."""

from __future__ import annotations

import click
from flask import Blueprint

from app.clock import today_local
from app.extensions import db

bp = Blueprint("surveys_cli", __name__, cli_group="surveys")


@bp.cli.command("purge-hashes")
def purge_hashes() -> None:
    """Delete survey hash keys older than 30 days and blank their responses' hashes (idempotent)."""
    from .services import drop_old_hashes

    count = drop_old_hashes(db.session, today_local())
    db.session.commit()
    click.echo(f"network hashes dropped from {count} response(s)")
