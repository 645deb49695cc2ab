"""procrastinate on PostgreSQL: the task, deferring, the worker and the queue schema."""

from __future__ import annotations

import procrastinate
import sqlalchemy as sa
from flask import Flask

_flask_app: Flask | None = None
_queue_app: procrastinate.App | None = None
QUEUE = "exports"


def conninfo(app: Flask) -> str:
    url = sa.make_url(app.config["SQLALCHEMY_DATABASE_URI"]).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


def queue_app(app: Flask) -> procrastinate.App:
    global _flask_app, _queue_app
    if _queue_app is None or _flask_app is not app:
        _flask_app = app
        _queue_app = procrastinate.App(connector=procrastinate.PsycopgConnector(conninfo=conninfo(app)))

        @_queue_app.task(name="datchuan.export", queue=QUEUE)
        def export(job_id: int) -> None:
            from .services import run_job

            with _flask_app.app_context():
                run_job(job_id)

    return _queue_app


def ensure_schema(app: Flask) -> bool:
    """Create procrastinate's tables once (they live beside ours, outside Alembic). True if created."""
    from app.extensions import db

    with db.engine.connect() as conn:
        exists = conn.execute(sa.text("SELECT to_regclass('procrastinate_jobs')")).scalar()
    if exists:
        return False
    qapp = queue_app(app)
    with qapp.open():
        qapp.schema_manager.apply_schema()
    return True


def defer_export(app: Flask, job_id: int) -> None:
    qapp = queue_app(app)
    ensure_schema(app)
    with qapp.open():
        qapp.tasks["datchuan.export"].defer(job_id=job_id)


def run_worker(app: Flask, wait: bool = True) -> None:
    qapp = queue_app(app)
    ensure_schema(app)
    qapp.run_worker(queues=[QUEUE], wait=wait, install_signal_handlers=wait)
