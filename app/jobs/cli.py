"""`flask worker`: run the procrastinate worker for export jobs (PostgreSQL deployments)."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext


@click.command("worker")
@click.option("--once", is_flag=True, help="Process the queued jobs, then exit.")
@with_appcontext
def worker(once: bool) -> None:
    """Run background export jobs (needs PostgreSQL; on SQLite jobs run in the web process, for `make run` only).

    On start and every JOB_SWEEP_SECONDS, exports whose run stopped sending heartbeats for JOB_STALL_SECONDS
    (a killed worker) are queued again or marked failed.
    """
    config = current_app.config
    if config["JOB_HEARTBEAT_SECONDS"] * 3 > config["JOB_STALL_SECONDS"]:
        raise click.ClickException("JOB_STALL_SECONDS must be at least three times JOB_HEARTBEAT_SECONDS, "
                                   "or a live export could be taken for a stalled one")
    if not config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        raise click.ClickException("the worker needs PostgreSQL (DATABASE_URL=postgresql://…). With SQLite, exports run in a "
                                   "thread of the web process: that is for `make run` on one machine, not for production "
                                   "(a restart loses running exports, and a second machine cannot share the database)")
    from .queue import run_worker

    run_worker(current_app._get_current_object(), wait=not once)
