"""Questionnaire pages: the official's dashboard, group pages, submit, result, evidence download."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.errors import Conflict, ValidationFailed
from app.extensions import db
from app.web import commit_after, send_attachment

from . import services, uploads
from .forms import SubmitForm, build_group_form

bp = Blueprint("submissions", __name__, url_prefix="/assessments")


def _int_or_none(value: str | None) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except ValueError:
        return None


@bp.route("/")
@login_required
def dashboard():
    rows = services.unit_dashboard(db.session, current_user)
    return render_template("submissions/dashboard.html", rows=rows)


@bp.route("/<int:campaign_id>/<int:unit_id>/")
@login_required
def overview(campaign_id: int, unit_id: int):
    ctx = services.open_context(db.session, current_user, campaign_id, unit_id)
    return render_template(
        "submissions/overview.html", ctx=ctx, result=services.current_result(ctx),
        problems=services.submission_problems(ctx) if ctx.submission else [], form=SubmitForm(version=ctx.version),
    )


def _group_page(ctx, group, form, errors=None, status=200):
    return render_template(
        "submissions/group.html", ctx=ctx, group=group, form=form, errors=errors or {},
        result=services.current_result(ctx),
    ), status


@bp.route("/<int:campaign_id>/<int:unit_id>/groups/<group_code>", methods=["GET", "POST"])
@login_required
@commit_after
def group(campaign_id: int, unit_id: int, group_code: str):
    ctx = services.open_context(db.session, current_user, campaign_id, unit_id)
    grp = ctx.criteria.group(group_code)
    if grp is None:
        return render_template("errors/error.html", message=_("Không tìm thấy nhóm tiêu chí."), code=404), 404
    form_cls = build_group_form(grp)
    if request.method == "GET":
        form = form_cls(formdata=None, data=_saved_data(ctx, grp))
        return _group_page(ctx, grp, form)
    form = form_cls()
    if not form.validate_on_submit():
        return _group_page(ctx, grp, form, status=400)
    files = {
        ind.field_name: [services.Upload(f.filename or "", f.read()) for f in request.files.getlist(ind.field_name + "_files") if f and f.filename]
        for ind in grp.indicators
    }
    try:
        outcome = services.save_group(
            db.session, current_user, campaign_id, unit_id, group_code,
            values={i.field_name: request.form.get(i.field_name) for i in grp.indicators},
            explanations={i.field_name: request.form.get(i.field_name + "_explanation") for i in grp.indicators},
            files=files, remove_evidence=[v for v in request.form.getlist("remove_evidence") if v.isdigit()],
            expected_version=_int_or_none(form.version.data),
            upload_dir=current_app.config["UPLOAD_DIR"], max_bytes=current_app.config["MAX_EVIDENCE_BYTES"], ctx=ctx,
            not_applicable={i.field_name: bool(request.form.get(i.field_name + "_na")) for i in grp.indicators if i.allow_na},
        )
    except Conflict as exc:
        db.session.rollback()
        ctx = services.open_context(db.session, current_user, campaign_id, unit_id)
        form.version.data = ctx.version
        flash(exc.message, "error")
        return _group_page(ctx, grp, form, status=409)
    form.version.data = outcome.submission.version
    if outcome.errors:
        ctx = services.open_context(db.session, current_user, campaign_id, unit_id)
        flash(_("Đã lưu các ô hợp lệ. %(n)d ô có lỗi CHƯA được lưu — xem thông báo màu đỏ, sửa rồi lưu lại.", n=len(outcome.errors)), "error")
        return _group_page(ctx, grp, form, errors=outcome.errors, status=422)
    flash(_("Đã lưu nháp nhóm %(code)s.", code=grp.code), "success")
    target = request.form.get("go")
    codes = [g.code for g in ctx.criteria.groups]
    if target == "next" and codes.index(grp.code) + 1 < len(codes):
        return redirect(url_for(".group", campaign_id=campaign_id, unit_id=unit_id, group_code=codes[codes.index(grp.code) + 1]))
    if target == "overview":
        return redirect(url_for(".overview", campaign_id=campaign_id, unit_id=unit_id))
    return redirect(url_for(".group", campaign_id=campaign_id, unit_id=unit_id, group_code=grp.code))


def _saved_data(ctx, grp) -> dict:
    from app.assessment.indicators import get_type

    data: dict = {"version": ctx.version}
    for ind in grp.indicators:
        answer = ctx.submission.answer_for(ind.code) if ctx.submission else None
        data[ind.field_name] = get_type(ind.type).to_raw(answer.parsed) if answer else ""
        data[ind.field_name + "_explanation"] = answer.explanation if answer else ""
        if ind.allow_na:
            data[ind.field_name + "_na"] = bool(answer and answer.not_applicable)
    return data


@bp.route("/<int:campaign_id>/<int:unit_id>/submit", methods=["POST"])
@login_required
@commit_after
def submit(campaign_id: int, unit_id: int):
    form = SubmitForm()
    if not form.validate_on_submit():
        return render_template("errors/error.html", message=_("Biểu mẫu không hợp lệ."), code=400), 400
    try:
        services.submit(db.session, current_user, campaign_id, unit_id, expected_version=_int_or_none(form.version.data))
    except (ValidationFailed, Conflict) as exc:
        db.session.rollback()
        ctx = services.open_context(db.session, current_user, campaign_id, unit_id)
        flash(exc.message, "error")
        return render_template(
            "submissions/overview.html", ctx=ctx, result=services.current_result(ctx),
            problems=services.submission_problems(ctx) if ctx.submission else [], form=SubmitForm(version=ctx.version),
        ), exc.status_code
    flash(_("Đã gửi phiếu tự đánh giá. Kết quả tự chấm ở bên dưới."), "success")
    return redirect(url_for(".result", campaign_id=campaign_id, unit_id=unit_id))


@bp.route("/<int:campaign_id>/<int:unit_id>/result")
@login_required
def result(campaign_id: int, unit_id: int):
    ctx = services.open_context(db.session, current_user, campaign_id, unit_id)
    return render_template("submissions/result.html", ctx=ctx, result=services.current_result(ctx))


@bp.route("/evidence/<int:evidence_id>")
@login_required
def evidence(evidence_id: int):
    item = services.get_evidence(db.session, current_user, evidence_id)
    path = uploads.stored_path(current_app.config["UPLOAD_DIR"], item.stored_name)
    return send_attachment(path, item.content_type, item.original_name)
