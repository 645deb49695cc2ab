"""The "Bộ tiêu chí" pages: sets and versions, preview, compare, code mapping, publish/retire, Excel in and out."""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.assessment.scoring import score_set
from app.errors import ValidationFailed
from app.extensions import db
from app.web import commit_after

from . import services
from .forms import ActionForm, ImportForm, RetireForm, build_mapping_form, build_preview_form

bp = Blueprint("criteria_sets", __name__, url_prefix="/criteria")

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def workbook_module():
    """app.assessment.workbook (export_workbook, import_workbook), or None while it is not installed."""
    try:
        from app.assessment import workbook
    except ImportError:
        return None
    return workbook if hasattr(workbook, "export_workbook") and hasattr(workbook, "import_workbook") else None


def _not_available():
    msg = _("Chức năng nhập/xuất Excel chưa có trong bản cài đặt này.")
    return render_template("errors/error.html", message=msg, code=404), 404


@bp.route("/")
@login_required
def index():
    """The sets the user manages, each version with its state and counts."""
    sets = services.list_sets(db.session, current_user)
    return render_template("criteria_sets/index.html", sets=sets, form=ActionForm(), workbook=workbook_module() is not None)


def _detail(version, status: int = 200, retire_form=None):
    state = services.version_state(db.session, version)
    previous = services.previous_version(db.session, version)
    return render_template("criteria_sets/version.html", version=version, cset=version.criteria, state=state,
                           state_label=services.STATE_LABELS[state], previous=previous, form=ActionForm(),
                           retire_form=retire_form or RetireForm(), workbook=workbook_module() is not None), status


@bp.route("/versions/<int:version_id>")
@login_required
def version(version_id: int):
    """One version: state, who created/published/retired it, actions, content."""
    return _detail(services.get_version(db.session, current_user, version_id))


@bp.route("/versions/<int:version_id>/preview", methods=["GET", "POST"])
@login_required
def preview(version_id: int):
    """The questionnaire as officials see it; POST scores the typed answers for the chosen year (nothing stored)."""
    version = services.get_version(db.session, current_user, version_id)
    cset = version.criteria
    this_year = dt.date.today().year
    years = services.roadmap_years(cset, this_year)
    form_cls = build_preview_form(cset, years)
    form = form_cls() if request.method == "POST" else form_cls(formdata=None, data={"year": this_year})
    outcome = None
    status = 200
    if request.method == "POST":
        if not form.validate_on_submit():
            year = form.year.data if form.year.data in years else this_year
            return render_template("criteria_sets/preview.html", version=version, cset=cset, form=form, outcome=None,
                                   result=score_set(cset, {}, year), errors={}, ctx=services_ctx(cset)), 400
        outcome = services.preview(
            db.session, current_user, version.id,
            values={i.field_name: request.form.get(i.field_name) for i in cset.indicators},
            explanations={i.field_name: request.form.get(i.field_name + "_explanation") for i in cset.indicators},
            not_applicable={i.field_name: bool(request.form.get(i.field_name + "_na")) for i in cset.indicators if i.allow_na},
            evidence_counts={i.field_name: sum(1 for f in request.files.getlist(i.field_name + "_files") if f and f.filename)
                             for i in cset.indicators},
            year=form.year.data,
        )
        status = 422 if outcome.errors else 200
    result = outcome.result if outcome else score_set(cset, {}, form.year.data)
    return render_template("criteria_sets/preview.html", version=version, cset=cset, form=form, outcome=outcome, result=result,
                           errors=outcome.errors if outcome else {}, ctx=services_ctx(cset, outcome.answers if outcome else {})), status


def services_ctx(cset, answers=None):
    """A stand-in for the questionnaire context: every indicator editable, no campaign, unit or submission;
    `answers` (indicator code → AnswerInput, the typed trial answers) explain the verdicts shown."""
    from app.submissions.services import Context

    return Context(campaign=None, unit=None, submission=None, criteria=cset, can_edit=True, answer_inputs=dict(answers or {}))


@bp.route("/versions/<int:version_id>/compare")
@login_required
def compare(version_id: int):
    """Differences from another version of the set (`?with=<id>`, default: the previous version)."""
    version = services.get_version(db.session, current_user, version_id)
    other_id = request.args.get("with", type=int)
    if other_id is None:
        previous = services.previous_version(db.session, version)
        if previous is None:
            flash(_("Phiên bản này chưa có phiên bản trước để so sánh."), "info")
            return redirect(url_for(".version", version_id=version.id))
        other_id = previous.id
    others = [v for v in services.versions_of(db.session, version.code) if v.id != version.id]
    old, new, result = services.compare_versions(db.session, current_user, other_id, version.id)
    return render_template("criteria_sets/compare.html", version=version, old=old, new=new, result=result, others=others)


@bp.route("/versions/<int:version_id>/mapping", methods=["GET", "POST"])
@login_required
@commit_after
def mapping(version_id: int):
    """Map the previous version's indicator codes to this version's (suggested: same code or similar text)."""
    page = services.mapping_page(db.session, current_user, version_id)
    if page is None:
        flash(_("Phiên bản này không có phiên bản trước để ánh xạ mã chỉ tiêu."), "info")
        return redirect(url_for(".version", version_id=version_id))
    codes = [r["indicator"].code for r in page.rows]
    form_cls = build_mapping_form(codes, page.choices)
    if request.method == "GET":
        form = form_cls(formdata=None, data={"map_" + r["indicator"].code: r["current"] for r in page.rows})
        return render_template("criteria_sets/mapping.html", page=page, form=form)
    form = form_cls()
    if not form.validate_on_submit():
        return render_template("criteria_sets/mapping.html", page=page, form=form), 400
    try:
        services.save_mapping(db.session, current_user, version_id, {c: form["map_" + c].data or "" for c in codes})
    except ValidationFailed as exc:
        db.session.rollback()
        for name, messages in exc.errors.items():
            if name in form:
                form[name].errors = list(form[name].errors or []) + messages
        flash(exc.message, "error")
        page = services.mapping_page(db.session, current_user, version_id)
        return render_template("criteria_sets/mapping.html", page=page, form=form), 422
    flash(_("Đã lưu ánh xạ mã chỉ tiêu %(old)s → %(new)s.", old=page.old.label, new=page.new.label), "success")
    return redirect(url_for(".version", version_id=version_id))


@bp.route("/versions/<int:version_id>/publish", methods=["POST"])
@login_required
@commit_after
def publish(version_id: int):
    """Publish a draft (then campaigns may use it)."""
    form = ActionForm()
    if not form.validate_on_submit():
        return render_template("errors/error.html", message=_("Biểu mẫu không hợp lệ (thiếu mã CSRF)."), code=400), 400
    version = services.publish(db.session, current_user, version_id)
    flash(_("Đã công bố %(label)s: có thể dùng khi tạo đợt đánh giá.", label=version.label), "success")
    return redirect(url_for(".version", version_id=version.id))


@bp.route("/versions/<int:version_id>/retire", methods=["POST"])
@login_required
@commit_after
def retire(version_id: int):
    """Retire a version (no longer offered to new campaigns), with an optional reason."""
    form = RetireForm()
    if not form.validate_on_submit():
        version = services.get_version(db.session, current_user, version_id)
        return _detail(version, 400, retire_form=form)
    version = services.retire(db.session, current_user, version_id, reason=form.reason.data or "")
    flash(_("Đã ngừng dùng %(label)s: không còn được chọn khi tạo đợt đánh giá mới.", label=version.label), "success")
    return redirect(url_for(".version", version_id=version.id))


@bp.route("/versions/<int:version_id>/workbook.xlsx")
@login_required
def download(version_id: int):
    """The version as an Excel workbook (app.assessment.workbook.export_workbook)."""
    version = services.get_version(db.session, current_user, version_id)
    workbook = workbook_module()
    if workbook is None:
        return _not_available()
    data = workbook.export_workbook(version.content)
    name = f"{version.code.lower()}-v{version.version}{'.' + str(version.revision) if version.revision > 1 else ''}.xlsx"
    response = Response(data, mimetype=XLSX)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.route("/import", methods=["GET", "POST"])
@login_required
@commit_after
def upload():
    """Upload a workbook: a new draft version, or the replacement of a draft; errors as sheet!cell."""
    services.require_manager(current_user)
    workbook = workbook_module()
    if workbook is None:
        return _not_available()
    form = ImportForm()
    form.replace_id.choices = [("", _("Tạo phiên bản mới (số phiên bản tiếp theo)"))] + [
        (row.version.id, _("Thay nội dung bản nháp %(label)s", label=row.version.label))
        for s in services.list_sets(db.session, current_user) for row in s.versions if row.state == "draft"]
    if request.method == "GET":
        return render_template("criteria_sets/import.html", form=form, errors=[])
    if not form.validate_on_submit():
        return render_template("criteria_sets/import.html", form=form, errors=[]), 400
    file = form.workbook.data
    content = file.read() if file else b""
    if not content:
        form.workbook.errors = [_("Hãy chọn một tệp Excel (.xlsx).")]
        return render_template("criteria_sets/import.html", form=form, errors=[]), 422
    data, problems = workbook.import_workbook(content)
    if data is None or problems:
        flash(_("Tệp Excel có %(n)d lỗi; chưa tạo phiên bản nào. Sửa các ô được nêu rồi tải lên lại.", n=len(problems)), "error")
        return render_template("criteria_sets/import.html", form=form, errors=[str(p) for p in problems]), 422
    source = f"web: {file.filename or 'workbook.xlsx'}"
    try:
        if form.replace_id.data:
            version = services.replace_draft(db.session, current_user, form.replace_id.data, data, source=source)
        else:
            version = services.create_draft_version(db.session, current_user, data, source=source)
    except ValidationFailed as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return render_template("criteria_sets/import.html", form=form, errors=exc.errors.get("data", [])), 422
    if form.replace_id.data:
        flash(_("Đã thay nội dung bản nháp %(label)s bằng tệp Excel. Hãy xem trước, so sánh rồi công bố.", label=version.label), "success")
    else:
        flash(_("Đã tạo bản nháp %(label)s từ tệp Excel. Hãy xem trước, so sánh rồi công bố.", label=version.label), "success")
    return redirect(url_for(".version", version_id=version.id))
