"""ExportJob: a requested export, its progress, its result file or its error."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models_base import now_utc

JOB_STATES = ("queued", "running", "done", "failed")


class ExportJob(db.Model):
    """One requested export: its parameters, its state (queued → running → done | failed) and its result.

    A run holds a lease: `attempt` is incremented when a runner claims the job and every later write of that
    run (progress, heartbeat, result, error) is conditional on it, so a runner that lost the job (its worker was
    presumed dead and the job retried) can no longer change it. `heartbeat_at` is written every
    JOB_HEARTBEAT_SECONDS while a run is alive; a running job whose heartbeat is older than JOB_STALL_SECONDS
    is stalled (see app.jobs.services.recover_stalled).
    """

    __tablename__ = "export_jobs"
    __table_args__ = (sa.CheckConstraint("status IN ('queued','running','done','failed')", name="status_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    #: report export: 'report'; later kinds (certificate batches) reuse the table.
    kind: Mapped[str] = mapped_column(sa.String(40), default="report")
    #: xlsx or pdf
    fmt: Mapped[str] = mapped_column(sa.String(10))
    #: Filters and sections, as given by the user (validated before queueing).
    params: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    status: Mapped[str] = mapped_column(sa.String(10), default="queued")
    #: 0-100
    progress: Mapped[int] = mapped_column(default=0)
    #: Result file under UPLOAD_DIR/exports, random name.
    stored_name: Mapped[str | None] = mapped_column(sa.String(80))
    download_name: Mapped[str] = mapped_column(sa.String(200), default="")
    error: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(sa.DateTime(timezone=True), default=now_utc)
    finished_at: Mapped[dt.datetime | None] = mapped_column(sa.DateTime(timezone=True))
    #: Last sign of life of the current run (claim, progress or the heartbeat thread); None before the first run.
    heartbeat_at: Mapped[dt.datetime | None] = mapped_column(sa.DateTime(timezone=True))
    #: Lease: number of runs claimed so far (0 = never started). Only the run holding this number may write.
    attempt: Mapped[int] = mapped_column(default=0, server_default="0")
    #: Automatic re-queues after a stall since the user last started the job (capped by JOB_AUTO_RETRIES).
    auto_retries: Mapped[int] = mapped_column(default=0, server_default="0")
