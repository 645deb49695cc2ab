"""Export jobs: create (validated, scoped), run (with progress), read the result. Failures are recorded.

`dispatch` runs a committed job: on PostgreSQL through a procrastinate worker (`flask worker`), on
SQLite in a background thread of the web process, and synchronously when JOBS_BACKEND=sync (tests).

Surviving a dead worker: a run claims the job (queued → running, `attempt` + 1) and from then on every write
of that run is conditional on `attempt` and status='running' (a lease). While it runs, a heartbeat thread and
every progress step refresh `heartbeat_at`. `recover_stalled` finds running jobs whose heartbeat is older than
JOB_STALL_SECONDS: it queues them again (up to JOB_AUTO_RETRIES times in a row) or marks them failed with a
plain message, so the user gets a "Chạy lại" button instead of a page that reloads forever. A run that wakes up
after losing its lease cannot overwrite the new run's result: its writes match no row and its result file, a
partial object until that write commits, is deleted with the rollback (`LeaseLost`, app.storage.save_pending). `flask worker` runs `recover_stalled` on start and every JOB_SWEEP_SECONDS; the
progress page runs it for the job it shows.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import secrets
import threading
import traceback
from collections.abc import Callable

import sqlalchemy as sa
from flask import Flask, current_app, render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from app import storage
from app.auth.models import User
from app.errors import NotFound, PermissionDenied, ValidationFailed
from app.extensions import db

from .models import ExportJob

log = logging.getLogger(__name__)
FORMATS = ("xlsx", "pdf")


class LeaseLost(Exception):  # noqa: N818 - a signal, not an error shown to anyone
    """Raised inside a run whose lease was taken away (the job was presumed stalled and retried or ended)."""


def now_utc() -> dt.datetime:
    """The current time, timezone-aware UTC (one place, so tests can freeze it with time-machine)."""
    return dt.datetime.now(dt.UTC)


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    """SQLite hands back naive datetimes; they were stored as UTC."""
    return value.replace(tzinfo=dt.UTC) if value is not None and value.tzinfo is None else value


def stall_cutoff(now: dt.datetime | None = None) -> dt.datetime:
    """Heartbeats older than this instant (UTC) mean a stalled run: now − JOB_STALL_SECONDS."""
    return (now or now_utc()) - dt.timedelta(seconds=current_app.config["JOB_STALL_SECONDS"])


def is_stalled(job: ExportJob, now: dt.datetime | None = None) -> bool:
    """True if the job is 'running' but no sign of life came for JOB_STALL_SECONDS (or never, for old rows)."""
    if job.status != "running":
        return False
    beat = _aware(job.heartbeat_at)
    return beat is None or beat < stall_cutoff(now)


def waited_too_long(job: ExportJob, now: dt.datetime | None = None) -> bool:
    """True if the job has been 'queued' for JOB_STALL_SECONDS without any run claiming it.

    Happens when no `flask worker` runs, or when the web process that owned a thread-backend job restarted
    before the thread started. Such a job may be sent again (`retry_job`); the claim keeps it to one run.
    """
    if job.status != "queued":
        return False
    since = _aware(job.heartbeat_at) or _aware(job.created_at)
    return since is None or since < stall_cutoff(now)


def stalled_message(locale: str | None) -> str:
    """The error stored on a job whose worker stopped, in the owner's language."""
    with force_locale(locale or "vi"):
        return _("Tiến trình xử lý bị dừng giữa chừng (máy chủ có thể đã khởi động lại). Tệp chưa được tạo; "
                 "bấm “Chạy lại” để tạo lại.")


def _stale(job_id: int, attempt: int, cutoff: dt.datetime) -> sa.ColumnElement[bool]:
    return sa.and_(ExportJob.id == job_id, ExportJob.attempt == attempt, ExportJob.status == "running",
                   sa.or_(ExportJob.heartbeat_at.is_(None), ExportJob.heartbeat_at < cutoff))


def _update(session: Session, where: sa.ColumnElement[bool], **values) -> int:
    """UPDATE export_jobs SET values WHERE where; returns the number of rows changed (0 or 1)."""
    stmt = sa.update(ExportJob).where(where).values(**values).execution_options(synchronize_session=False)
    return session.execute(stmt).rowcount


def recover_stalled(session: Session, now: dt.datetime | None = None, job_ids: list[int] | None = None) -> list[int]:
    """Queue again, or mark failed, every running job whose heartbeat is older than JOB_STALL_SECONDS.

    Takes the session (flushes only; the caller commits, then dispatches the returned ids), the current time
    (UTC, default now) and optionally the ids to look at (default: every job). A stalled job is queued again
    if it has had fewer than JOB_AUTO_RETRIES automatic retries since the user started it, otherwise it is
    failed with `stalled_message`. Each change is conditional on the job's attempt and stale heartbeat, so a
    run that sends a heartbeat meanwhile, or a second sweeper, changes nothing. Returns the ids queued again.
    """
    now = now or now_utc()
    cutoff = stall_cutoff(now)
    query = (sa.select(ExportJob.id, ExportJob.attempt, ExportJob.auto_retries, User.locale)
             .join(User, User.id == ExportJob.user_id, isouter=True)
             .where(ExportJob.status == "running", sa.or_(ExportJob.heartbeat_at.is_(None), ExportJob.heartbeat_at < cutoff)))
    if job_ids is not None:
        query = query.where(ExportJob.id.in_(job_ids))
    requeued = []
    for job_id, attempt, auto_retries, locale in session.execute(query).all():
        if auto_retries < current_app.config["JOB_AUTO_RETRIES"]:
            if _update(session, _stale(job_id, attempt, cutoff), status="queued", progress=0, heartbeat_at=now,
                       auto_retries=auto_retries + 1):
                log.warning("export job %s stalled in attempt %s (no heartbeat since %s): queued again", job_id, attempt, cutoff)
                requeued.append(job_id)
        elif _update(session, _stale(job_id, attempt, cutoff), status="failed", error=stalled_message(locale), finished_at=now):
            log.warning("export job %s stalled in attempt %s (no heartbeat since %s): marked failed", job_id, attempt, cutoff)
    session.flush()
    return requeued


def create_report_job(session: Session, actor: User, fmt: str, flt_params: dict, sections: list[str]) -> ExportJob:
    from app.reports.common import ReportFilter, check_set
    from app.reports.sections import SECTIONS

    flt = ReportFilter(**flt_params)
    check_set(session, actor, flt.set_code)  # access first: refuse before saying anything about the input
    if fmt not in FORMATS:
        raise ValidationFailed(_("Định dạng xuất không hợp lệ."))
    bad = [s for s in sections if s not in SECTIONS]
    if bad or not sections:
        raise ValidationFailed(_("Chọn ít nhất một phần báo cáo hợp lệ."))
    job = ExportJob(user_id=actor.id, kind="report", fmt=fmt, params={"filter": flt.as_dict(), "sections": sections})
    session.add(job)
    session.flush()
    return job


def create_certificates_job(session: Session, actor: User, decision_id: int | None = None, campaign_id: int | None = None) -> ExportJob:
    """A ZIP of every certificate of a decision or of a campaign (access checked now and again when the job runs)."""
    from app.certificates.services import certificates_of_campaign, certificates_of_decision

    if decision_id is not None:
        found, params = certificates_of_decision(session, actor, decision_id), {"decision_id": decision_id}
    else:
        found, params = certificates_of_campaign(session, actor, campaign_id), {"campaign_id": campaign_id}
    if not found:
        raise ValidationFailed(_("Chưa có giấy chứng nhận nào để tải."))
    job = ExportJob(user_id=actor.id, kind="certificates", fmt="zip", params=params)
    session.add(job)
    session.flush()
    return job


def retry_job(session: Session, actor: User, job_id: int, now: dt.datetime | None = None) -> bool:
    """Queue a failed or stalled job again, or send again one queued too long (its owner or an admin); flushes only.

    Returns True if the job was queued again (the caller commits, then dispatches it) and False if it is
    queued or running normally (a second click: nothing to do). Raises NotFound / PermissionDenied
    as `get_job`, and ValidationFailed for a finished job (there is a file to download).
    """
    job = get_job(session, actor, job_id)
    now = now or now_utc()
    cutoff = stall_cutoff(now)
    retryable = sa.or_(ExportJob.status == "failed",
                       sa.and_(ExportJob.status == "running", sa.or_(ExportJob.heartbeat_at.is_(None), ExportJob.heartbeat_at < cutoff)),
                       sa.and_(ExportJob.status == "queued", sa.func.coalesce(ExportJob.heartbeat_at, ExportJob.created_at) < cutoff))
    if _update(session, sa.and_(ExportJob.id == job_id, retryable), status="queued", progress=0, error="",
               finished_at=None, heartbeat_at=now, auto_retries=0):
        session.flush()
        session.expire(job)
        return True
    session.refresh(job)
    if job.status == "done":
        raise ValidationFailed(_("Yêu cầu này đã xong; hãy tải tệp về hoặc tạo yêu cầu mới."))
    return False


def get_job(session: Session, actor: User, job_id: int) -> ExportJob:
    job = session.get(ExportJob, job_id)
    if job is None:
        raise NotFound(_("Không tìm thấy yêu cầu xuất báo cáo."))
    if job.user_id != actor.id and actor.role != "admin":
        raise PermissionDenied(_("Đây không phải yêu cầu xuất của bạn."))
    return job


def jobs_of(session: Session, actor: User, limit: int = 20) -> list[ExportJob]:
    return list(session.scalars(sa.select(ExportJob).where(ExportJob.user_id == actor.id).order_by(ExportJob.id.desc()).limit(limit)))


def result_key(job: ExportJob) -> str:
    """The storage key of a finished job's file (`exports/<name>`). Raises NotFound when it has none."""
    try:
        return storage.check_key(storage.EXPORTS + (job.stored_name or ""))
    except storage.BadKey:
        raise NotFound(_("Tệp kết quả không còn.")) from None


def send_result(job: ExportJob, mimetype: str):
    """The streaming download response of a finished job's file, named `job.download_name`. Raises NotFound."""
    try:
        return storage.get_storage().send(result_key(job), job.download_name or "", mimetype)
    except storage.KeyNotFound:
        raise NotFound(_("Tệp kết quả không còn.")) from None


class _Heartbeat(threading.Thread):
    """Writes heartbeat_at every JOB_HEARTBEAT_SECONDS while a run holds its lease, on its own connection.

    Progress steps are not enough: one step (WeasyPrint on a large report) may take longer than
    JOB_STALL_SECONDS. Stops when told to, or when the lease is gone (its UPDATE matches no row).
    """

    def __init__(self, app: Flask, job_id: int, attempt: int) -> None:
        super().__init__(name=f"export-{job_id}-heartbeat", daemon=True)
        self.app, self.job_id, self.attempt = app, job_id, attempt
        self.interval = max(1, int(app.config["JOB_HEARTBEAT_SECONDS"]))
        self.stopping = threading.Event()

    def beat(self) -> bool:
        """Write one heartbeat; False if this run no longer holds the lease (or the job ended)."""
        with self.app.app_context(), db.engine.begin() as conn:
            table = ExportJob.__table__
            return bool(conn.execute(sa.update(table).where(table.c.id == self.job_id, table.c.attempt == self.attempt,
                                                            table.c.status == "running").values(heartbeat_at=now_utc())).rowcount)

    def run(self) -> None:
        """Loop until stopped or the lease is lost; database errors are logged and retried at the next beat."""
        while not self.stopping.wait(self.interval):
            try:
                alive = self.beat()
            except Exception:  # noqa: BLE001 - a missed beat is not fatal; JOB_STALL_SECONDS allows several
                log.warning("export job %s: heartbeat failed", self.job_id, exc_info=True)
                continue
            if not alive:
                return

    def stop(self) -> None:
        """Ask the loop to end and wait for it (a few seconds at most)."""
        self.stopping.set()
        self.join(timeout=10)


def _claim(session: Session, job_id: int) -> int | None:
    """queued → running for this run; returns the run's attempt number (its lease), None if not queued."""
    changed = _update(session, sa.and_(ExportJob.id == job_id, ExportJob.status == "queued"), status="running",
                      progress=5, attempt=ExportJob.attempt + 1, heartbeat_at=now_utc(), error="", finished_at=None)
    attempt = session.scalar(sa.select(ExportJob.attempt).where(ExportJob.id == job_id)) if changed else None
    session.commit()
    return attempt


def _write(session: Session, job_id: int, attempt: int, **values) -> None:
    """Commit values on the job if this run still holds the lease; raises LeaseLost otherwise."""
    if not _update(session, sa.and_(ExportJob.id == job_id, ExportJob.attempt == attempt, ExportJob.status == "running"), **values):
        session.rollback()
        raise LeaseLost(f"export job {job_id}: attempt {attempt} no longer holds the job")
    session.commit()


def run_job(job_id: int) -> None:
    """Execute one queued job in the current app context; commits progress, the result or the error.

    Does nothing if the job is not queued (another run claimed it, or it ended). A run that loses its lease
    meanwhile stops at its next write and deletes the result file it may have written.
    """
    session = db.session
    attempt = _claim(session, job_id)
    if attempt is None:
        return
    app = current_app._get_current_object()
    beat = _Heartbeat(app, job_id, attempt) if backend(app) != "sync" else None
    if beat is not None:
        beat.start()
    try:
        _run_claimed(session, job_id, attempt)
    finally:
        if beat is not None:
            beat.stop()


def _run_claimed(session: Session, job_id: int, attempt: int) -> None:
    def report(percent: int) -> None:
        _write(session, job_id, attempt, progress=max(5, min(95, percent)), heartbeat_at=now_utc())

    try:
        job = session.get(ExportJob, job_id)
        actor = session.get(User, job.user_id)
        if actor is None or not actor.is_enabled:
            raise PermissionDenied("user disabled")
        with force_locale(actor.locale or "vi"):
            if job.kind == "certificates":
                from app.certificates.services import zip_for_campaign, zip_for_decision

                if "decision_id" in job.params:
                    data, name = zip_for_decision(session, actor, job.params["decision_id"], progress=report)
                else:
                    data, name = zip_for_campaign(session, actor, job.params["campaign_id"], progress=report)
            else:
                data, name = _build_report(session, actor, job, report)
        stored = f"{secrets.token_hex(16)}.{job.fmt}"
        # a partial object until the commit below; the loser of a race, or a failed commit, leaves no file behind
        storage.save_pending(session, storage.EXPORTS + stored, io.BytesIO(data))
        _write(session, job_id, attempt, status="done", progress=100, stored_name=stored, download_name=name,
               finished_at=now_utc(), heartbeat_at=now_utc())
    except LeaseLost:
        session.rollback()
        log.warning("export job %s: attempt %s lost its lease (presumed stalled, retried); its result is discarded", job_id, attempt)
    except Exception as exc:  # noqa: BLE001 - recorded on the job and shown to the user, then logged
        session.rollback()
        message = getattr(exc, "message", None) or f"{type(exc).__name__}: {exc}"
        log.error("export job %s failed: %s\n%s", job_id, message, traceback.format_exc())
        try:
            _write(session, job_id, attempt, status="failed", error=message[:2000], finished_at=now_utc())
        except LeaseLost:
            log.warning("export job %s: attempt %s failed after losing its lease; error not recorded", job_id, attempt)


def _build_report(session: Session, actor: User, job: ExportJob, report: Callable[[int], None]) -> tuple[bytes, str]:
    """The report file of a job: (bytes, download name); `report(percent)` records progress (raises LeaseLost)."""
    from app.reports import exports
    from app.reports.common import ReportFilter
    from app.reports.sections import SECTIONS, section_data, section_tables
    from app.submissions.services import today_local

    flt = ReportFilter(**job.params["filter"])
    sections = job.params["sections"]
    today = today_local()
    collected = []
    for n, name in enumerate(sections, start=1):
        collected.append((name, section_data(session, actor, name, flt, today)))
        report(5 + int(80 * n / len(sections)))
    meta = [("Thành phố", "Thành phố Hải Phòng"), ("Ngày lập", today.strftime("%d/%m/%Y")),
            ("Bộ tiêu chí", flt.set_code or "Tất cả"), ("Năm", str(flt.year or "Tất cả")), ("Loại đơn vị", flt.unit_type or "Tất cả"),
            ("Người lập", actor.full_name or actor.username)]
    label = "-".join(sections) if len(sections) < 3 else "tong-hop"
    if job.fmt == "xlsx":
        tables = [t for name, data in collected for t in section_tables(name, data)]
        return exports.to_xlsx(tables, meta), exports.filename(label, flt, "xlsx")
    from app.pdf import render_pdf

    html = render_template("reports/pdf.html", sections=collected, titles=SECTIONS, flt=flt, meta=meta, today=today)
    return render_pdf(html), exports.filename(label, flt, "pdf")


def backend(app: Flask) -> str:
    configured = app.config.get("JOBS_BACKEND", "auto")
    if configured != "auto":
        return configured
    return "procrastinate" if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql") else "thread"


def dispatch(app: Flask, job_id: int) -> None:
    """Start a committed job with the configured backend."""
    mode = backend(app)
    if mode == "sync":
        run_job(job_id)
    elif mode == "procrastinate":
        from .queue import defer_export

        defer_export(app, job_id)
    else:
        def work() -> None:
            with app.app_context():
                run_job(job_id)

        threading.Thread(target=work, name=f"export-{job_id}", daemon=True).start()
