"""Export jobs: create (validated, scoped), run (with progress), read the result. Failures are recorded.

`dispatch` runs a committed job: on PostgreSQL through a procrastinate worker (`flask worker`), on
SQLite in a background thread of the web process, and synchronously when JOBS_BACKEND=sync (tests).
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
import threading
import traceback
from pathlib import Path

import sqlalchemy as sa
from flask import Flask, current_app, render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from app.auth.models import User
from app.errors import NotFound, PermissionDenied, ValidationFailed
from app.extensions import db

from .models import ExportJob

log = logging.getLogger(__name__)
FORMATS = ("xlsx", "pdf")


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


def retry_job(session: Session, actor: User, job_id: int) -> ExportJob:
    """Queue a failed job again (its owner or an admin)."""
    job = get_job(session, actor, job_id)
    if job.status != "failed":
        raise ValidationFailed(_("Chỉ chạy lại được yêu cầu đã lỗi."))
    job.status, job.progress, job.error, job.finished_at = "queued", 0, "", None
    session.flush()
    return job


def get_job(session: Session, actor: User, job_id: int) -> ExportJob:
    job = session.get(ExportJob, job_id)
    if job is None:
        raise NotFound(_("Không tìm thấy yêu cầu xuất báo cáo."))
    if job.user_id != actor.id and actor.role != "admin":
        raise PermissionDenied(_("Đây không phải yêu cầu xuất của bạn."))
    return job


def jobs_of(session: Session, actor: User, limit: int = 20) -> list[ExportJob]:
    return list(session.scalars(sa.select(ExportJob).where(ExportJob.user_id == actor.id).order_by(ExportJob.id.desc()).limit(limit)))


def _exports_dir() -> Path:
    path = Path(current_app.config["UPLOAD_DIR"]) / "exports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def result_path(job: ExportJob) -> Path:
    root = _exports_dir().resolve()
    path = (root / (job.stored_name or "")).resolve()
    if path.parent != root or not path.is_file():
        raise NotFound(_("Tệp kết quả không còn."))
    return path


def _set(session: Session, job: ExportJob, **fields) -> None:
    for key, value in fields.items():
        setattr(job, key, value)
    session.commit()


def run_job(job_id: int) -> None:
    """Execute one job in the current app context; commits progress as it goes."""
    session = db.session
    job = session.get(ExportJob, job_id)
    if job is None or job.status not in ("queued", "running"):
        return
    _set(session, job, status="running", progress=5)
    try:
        actor = session.get(User, job.user_id)
        if actor is None or not actor.is_enabled:
            raise PermissionDenied("user disabled")
        with force_locale(actor.locale or "vi"):
            if job.kind == "certificates":
                from app.certificates.services import zip_for_campaign, zip_for_decision

                report = lambda p: _set(session, job, progress=max(5, min(95, p)))  # noqa: E731
                if "decision_id" in job.params:
                    data, name = zip_for_decision(session, actor, job.params["decision_id"], progress=report)
                else:
                    data, name = zip_for_campaign(session, actor, job.params["campaign_id"], progress=report)
            else:
                data, name = _build_report(session, actor, job)
        stored = f"{secrets.token_hex(16)}.{job.fmt}"
        (_exports_dir() / stored).write_bytes(data)
        _set(session, job, status="done", progress=100, stored_name=stored, download_name=name,
             finished_at=dt.datetime.now(dt.UTC))
    except Exception as exc:  # noqa: BLE001 - recorded on the job and shown to the user, then logged
        session.rollback()
        job = session.get(ExportJob, job_id)
        message = getattr(exc, "message", None) or f"{type(exc).__name__}: {exc}"
        log.error("export job %s failed: %s\n%s", job_id, message, traceback.format_exc())
        _set(session, job, status="failed", error=message[:2000], finished_at=dt.datetime.now(dt.UTC))


def _build_report(session: Session, actor: User, job: ExportJob) -> tuple[bytes, str]:
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
        _set(session, job, progress=5 + int(80 * n / len(sections)))
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
