"""Report pages, CSV downloads, export jobs (XLSX/PDF) and unit report cards."""

from __future__ import annotations

import io

from flask import Blueprint, abort, current_app, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.errors import ValidationFailed
from app.extensions import db
from app.jobs import services as jobs
from app.labels import choices as label_choices
from app.numbers import ui_locale
from app.params import MAX_YEAR, MIN_YEAR, int_arg, parse_int, warn_ignored_filters
from app.submissions.services import today_local
from app.units.models import UNIT_TYPES
from app.web import invalid_form, send_attachment

from . import card, exports, trend
from .common import ReportFilter, default_set, filter_lists, require_reports, visible_sets
from .forms import ExportForm, ReportFilterForm
from .sections import SECTIONS, section_data, section_tables

bp = Blueprint("reports", __name__, url_prefix="/reports")


#: Sections that show nothing for "all sets": they take a set by default (common.default_set).
NEEDS_SET = ("heatmap", "funnel")


def _filter(name: str = "") -> tuple[ReportFilterForm, ReportFilter, str]:
    """The report filter of this request for section `name`: (form, filter, sort). A section in NEEDS_SET with no
    (or an unknown) set chosen takes the default set, and the form shows it chosen."""
    form = ReportFilterForm(request.args)
    lists = filter_lists(db.session)  # one statement for the set and year lists, reused by the whole request
    sets = visible_sets(db.session, current_user)
    needs_set = name in NEEDS_SET and bool(sets)
    english = ui_locale() == "en"
    if g.get("_set_labels") is None:  # campaigns.services.set_label (the pages' set names) without another query
        g._set_labels = dict(lists.choices(list(lists.sets), english))
    form.set_code.choices = ([] if needs_set else [("", _("Tất cả bộ tiêu chí"))]) + lists.choices(list(sets), english)
    form.year.choices = [("", _("Mọi năm"))] + [(y, str(y)) for y in lists.years]
    form.unit_type.choices = [("", _("Mọi loại đơn vị"))] + label_choices("unit_type")
    code = form.set_code.data if form.set_code.data in sets else ""
    if needs_set and not code:
        code = default_set(db.session, current_user)
        form.set_code.data = code
        g.default_set = code  # the page says which set it took
    unit_type = form.unit_type.data if form.unit_type.data in UNIT_TYPES else ""
    return form, ReportFilter(set_code=code, year=form.year.data, unit_type=unit_type), form.sort.data or "score_desc"


@bp.route("/")
@login_required
def index():
    if current_user.role == "official":
        return redirect(url_for(".unit_card", unit_id=current_user.unit_id))
    return redirect(url_for(".section", name="plan"))


def _load_section(name: str, paged: bool):
    """Check the section and the reader, parse the filter, compute the data (paged on screen only)."""
    if name not in SECTIONS:
        abort(404)
    require_reports(current_user)
    form, flt, sort = _filter(name)
    if paged:  # a page says which filter it ignored; a CSV download cannot
        warn_ignored_filters(form)
    page_number = int_arg("page", 1, minimum=1) if paged else None
    return form, flt, sort, section_data(db.session, current_user, name, flt, today_local(), sort, page_number)


@bp.route("/<name>")
@login_required
def section(name: str):
    form, flt, sort, data = _load_section(name, paged=True)
    return render_template("reports/section.html", name=name, data=data, form=form, flt=flt, sort=sort, titles=SECTIONS,
                           default_set=g.get("default_set"),
                           export_form=ExportForm(set_code=flt.set_code, year=flt.year or "", unit_type=flt.unit_type),
                           recent_jobs=jobs.jobs_of(db.session, current_user, 5))


@bp.route("/<name>.csv")
@login_required
def section_csv(name: str):
    _form, flt, _sort, data = _load_section(name, paged=False)
    tables = section_tables(name, data)
    index = int_arg("table", 0, maximum=len(tables) - 1)
    title, headers, rows = tables[index]
    return send_attachment(io.BytesIO(exports.to_csv(headers, rows)), exports.CSV_TYPE, exports.filename(name, flt, "csv"))


@bp.route("/<name>.xlsx")
@login_required
def section_xlsx(name: str):
    """"Tải Excel": this section (every table of it) as an XLSX workbook, made at once (the sections are small
    aggregates; the export job makes the all-sections workbook and the PDF). Numbers are number cells, so Excel
    shows them with the reader's own decimal mark."""
    _form, flt, _sort, data = _load_section(name, paged=False)
    meta = exports.meta_rows(flt, current_user.full_name or current_user.username, today_local())
    return send_attachment(io.BytesIO(exports.to_xlsx(section_tables(name, data), meta)), exports.XLSX_TYPE,
                           exports.filename(name, flt, "xlsx"))


@bp.route("/exports", methods=["POST"])
@login_required
def export():
    form = ExportForm()
    if not form.validate_on_submit():
        return invalid_form()
    year = parse_int(form.year.data, MIN_YEAR, MAX_YEAR)
    sections = [s for s in request.form.getlist("sections") if s in SECTIONS] or list(SECTIONS)
    try:
        job = jobs.create_report_job(db.session, current_user, form.fmt.data or "", {"set_code": form.set_code.data or "", "year": year,
                                     "unit_type": form.unit_type.data or ""}, sections)
        db.session.commit()
    except ValidationFailed as exc:
        db.session.rollback()
        return render_template("errors/error.html", message=exc.message, code=422), 422
    jobs.dispatch(current_app._get_current_object(), job.id)
    return redirect(url_for(".export_status", job_id=job.id))


@bp.route("/exports/<int:job_id>")
@login_required
def export_status(job_id: int):
    job = jobs.get_job(db.session, current_user, job_id)
    requeued = jobs.recover_stalled(db.session, job_ids=[job.id])  # a dead worker's job: queue again or fail
    db.session.commit()
    for stalled_id in requeued:
        jobs.dispatch(current_app._get_current_object(), stalled_id)
    return render_template("reports/job.html", job=job, stalled=jobs.is_stalled(job), waited_too_long=jobs.waited_too_long(job),
                           form=ExportForm())


@bp.route("/exports/<int:job_id>/retry", methods=["POST"])
@login_required
def export_retry(job_id: int):
    if not ExportForm().validate_on_submit():
        return invalid_form()
    try:
        queued = jobs.retry_job(db.session, current_user, job_id)
        db.session.commit()
    except ValidationFailed as exc:
        db.session.rollback()
        return render_template("errors/error.html", message=exc.message, code=409), 409
    if queued:
        jobs.dispatch(current_app._get_current_object(), job_id)
    return redirect(url_for(".export_status", job_id=job_id))


@bp.route("/exports/<int:job_id>/download")
@login_required
def export_download(job_id: int):
    job = jobs.get_job(db.session, current_user, job_id)
    if job.status != "done":
        return redirect(url_for(".export_status", job_id=job_id))
    mime = {"pdf": "application/pdf", "zip": "application/zip"}.get(job.fmt, exports.XLSX_TYPE)
    return jobs.send_result(job, mime)  # streamed from the storage backend


@bp.route("/units/<int:unit_id>")
@login_required
def unit_card(unit_id: int):
    unit, rows = card.unit_card(db.session, current_user, unit_id)
    set_codes = sorted({r.set_code for r in rows})
    trends = {code: trend.unit_trend(db.session, current_user, code, unit_id) for code in set_codes}
    indicators = {code: trend.indicator_trend(db.session, current_user, code, unit_id) for code in set_codes}
    return render_template("reports/card.html", unit=unit, rows=rows, trends=trends, indicators=indicators)
