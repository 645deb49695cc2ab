"""`flask worker`: run the procrastinate worker for export jobs (PostgreSQL deployments)."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext


@click.command("worker")
@click.option("--once", is_flag=True, help="Process the queued jobs, then exit.")
@with_appcontext
def worker(once: bool) -> None:
    """Run background export jobs (needs PostgreSQL; on SQLite jobs run inside the web process)."""
    if not current_app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        raise click.ClickException("the worker needs PostgreSQL (DATABASE_URL=postgresql://…); with SQLite, exports run in the web process")
    from .queue import run_worker

    run_worker(current_app._get_current_object(), wait=not once)
