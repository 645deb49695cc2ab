"""`flask reports rebuild-scores`: recompute the per-indicator and per-group score rows (after upgrading)."""

from __future__ import annotations

import click
import sqlalchemy as sa
from flask import Blueprint

from app.extensions import db

bp = Blueprint("reports_cli", __name__, cli_group="reports")


@bp.cli.command("rebuild-scores")
def rebuild_scores() -> None:
    """Refresh the score rows of every submitted submission (idempotent)."""
    from app.submissions.models import Submission
    from app.workflow.results import refresh_scores

    subs = list(db.session.scalars(sa.select(Submission).where(Submission.status != "draft")))
    for submission in subs:
        refresh_scores(db.session, submission)
    db.session.commit()
    click.echo(f"scores refreshed for {len(subs)} submission(s)")
