"""procrastinate on PostgreSQL: the task, deferring, the worker (with its stalled-job sweep) and the queue schema.

Two kinds of heartbeat meet here. procrastinate's own (each worker's row in procrastinate_workers, every
10 s) tells which *worker* died: its 'doing' rows are found with `JobManager.get_stalled_jobs` and closed as
failed, so procrastinate's books stay true. It cannot tell which *attempt* of an export that worker held, so
the decision to run an export again belongs to the ExportJob lease and heartbeat (app.jobs.services):
`recover_stalled` queues the export again or marks it failed, and a fresh procrastinate job is deferred.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

import procrastinate
import sqlalchemy as sa
from flask import Flask

log = logging.getLogger(__name__)
_flask_app: Flask | None = None
_queue_app: procrastinate.App | None = None
QUEUE = "exports"
TASK = "datchuan.export"
#: procrastinate worker heartbeat and the silence after which a worker counts as dead (its defaults).
WORKER_HEARTBEAT_SECONDS = 10.0
STALLED_WORKER_SECONDS = 30.0


def conninfo(app: Flask) -> str:
    """The app's database URL as a libpq connection string for procrastinate (password kept)."""
    url = sa.make_url(app.config["SQLALCHEMY_DATABASE_URI"]).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


def queue_app(app: Flask) -> procrastinate.App:
    """The procrastinate App bound to this Flask app (built once per Flask app), with the export task."""
    global _flask_app, _queue_app
    if _queue_app is None or _flask_app is not app:
        _flask_app = app
        _queue_app = procrastinate.App(connector=procrastinate.PsycopgConnector(conninfo=conninfo(app)))

        @_queue_app.task(name=TASK, queue=QUEUE)
        def export(job_id: int) -> None:
            from app.extensions import db

            from .services import run_job

            with _flask_app.app_context():
                try:
                    run_job(job_id)
                finally:
                    db.session.remove()

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
    """Queue the export task for a committed, queued ExportJob."""
    qapp = queue_app(app)
    ensure_schema(app)
    with qapp.open():
        qapp.tasks[TASK].defer(job_id=job_id)


def _recover_exports(app: Flask) -> list[int]:
    """recover_stalled in a fresh app context (runs in a thread); commits; returns the ids queued again."""
    from app.extensions import db

    from .services import recover_stalled

    with app.app_context():
        try:
            requeued = recover_stalled(db.session)
            db.session.commit()
            return requeued
        finally:
            db.session.remove()


async def sweep(app: Flask, qapp: procrastinate.App) -> list[int]:
    """One pass of stalled-job handling, inside an open procrastinate App.

    Closes (as failed) procrastinate 'doing' export jobs whose worker stopped sending heartbeats for
    STALLED_WORKER_SECONDS, then runs `recover_stalled` on the ExportJobs and defers a procrastinate job for
    every export queued again. Returns those export ids.
    """
    stalled = await qapp.job_manager.get_stalled_jobs(queue=QUEUE, task_name=TASK, seconds_since_heartbeat=STALLED_WORKER_SECONDS)
    for job in stalled:
        try:
            await qapp.job_manager.finish_job_by_id_async(job.id, procrastinate.jobs.Status.FAILED, delete_job=False)
            log.warning("procrastinate job %s (%s) of a dead worker closed as failed", job.id, job.call_string)
        except Exception:  # noqa: BLE001 - it ended meanwhile (a late worker); nothing to close
            log.info("procrastinate job %s ended before it could be closed", job.id)
    requeued = await asyncio.to_thread(_recover_exports, app)
    for job_id in requeued:
        await qapp.tasks[TASK].defer_async(job_id=job_id)
    return requeued


async def _sweep_forever(app: Flask, qapp: procrastinate.App) -> None:
    every = max(1, int(app.config["JOB_SWEEP_SECONDS"]))
    while True:
        await asyncio.sleep(every)
        try:
            await sweep(app, qapp)
        except Exception:  # noqa: BLE001 - the next pass tries again; the worker must keep running
            log.exception("stalled-job sweep failed")


async def _serve(app: Flask, qapp: procrastinate.App, wait: bool) -> None:
    async with qapp.open_async():
        await sweep(app, qapp)
        sweeper = asyncio.create_task(_sweep_forever(app, qapp)) if wait else None
        try:
            await qapp.run_worker_async(queues=[QUEUE], wait=wait, install_signal_handlers=wait,
                                        update_heartbeat_interval=WORKER_HEARTBEAT_SECONDS,
                                        stalled_worker_timeout=STALLED_WORKER_SECONDS)
        finally:
            if sweeper is not None:
                sweeper.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await sweeper


def run_worker(app: Flask, wait: bool = True) -> None:
    """Run the export worker: a stalled-job sweep first, then jobs until stopped (wait) or the queue is empty.

    While waiting, the sweep runs again every JOB_SWEEP_SECONDS beside the jobs (a long export does not delay
    it). Blocks; returns when the worker stops.
    """
    qapp = queue_app(app)
    ensure_schema(app)
    asyncio.run(_serve(app, qapp, wait))
