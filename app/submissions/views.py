"""Questionnaire pages: the official's dashboard, group pages, submit, result, evidence download."""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from app import saves
from app.clock import to_local, today_local
from app.errors import Conflict, NotFound, ValidationFailed
from app.extensions import db
from app.params import int_list
from app.storage import BadKey, KeyNotFound, get_storage
from app.web import commit_after

from . import services, uploads
from .forms import SubmitForm, group_form_class
from .messages import answer_shown, why_not_met

bp = Blueprint("submissions", __name__, url_prefix="/assessments")
bp.add_app_template_global(why_not_met, "why_not_met")
bp.add_app_template_global(answer_shown, "answer_shown")
bp.add_app_template_global(uploads.accept_attribute, "upload_accept")
bp.add_app_template_global(uploads.accepted_labels, "upload_formats")


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


def _group_page(ctx, group, form, errors=None, status=200, report=None):
    return render_template(
        "submissions/group.html", ctx=ctx, group=group, form=form, errors=errors or {},
        result=services.current_result(ctx), report=report, limits=saves.size_limits(),
        autosave=_autosave_settings(ctx, group, status, report, errors),
    ), status


def _saved_at_text(when: dt.datetime) -> str:
    """ "Đã lưu lúc 10:42" for a save today (Asia/Ho_Chi_Minh), "Đã lưu lúc 10:42 ngày 03/05/2026" for an older one."""
    local = to_local(when)
    if local.date() == today_local():
        return _("Đã lưu lúc %(time)s", time=local.strftime("%H:%M"))
    return _("Đã lưu lúc %(time)s ngày %(date)s", time=local.strftime("%H:%M"), date=local.strftime("%d/%m/%Y"))


def _autosave_settings(ctx, group, status: int, report, errors) -> dict | None:
    """What the group page tells static/js/autosave.js, or None to leave autosave off.

    Off where only an explicit save makes sense: a read-only page, and a page re-shown after a failed or
    partial save (conflict, stale token, errors), where the user must look before saving again.
    Returns {"key": localStorage key (user, campaign, unit, group), "saved_text": "Đã lưu lúc …" or "",
    "saved_ms": the draft's last save in ms since the epoch (0: none)}.
    """
    if not ctx.can_edit or status != 200 or report is not None or errors:
        return None
    saved = ctx.submission.updated_at if ctx.submission is not None else None
    return {
        "key": f"datchuan.autosave.v1:{current_user.id}:{ctx.campaign.id}:{ctx.unit.id}:{group.code}",
        "saved_text": _saved_at_text(saved) if saved is not None else "",
        "saved_ms": int(to_local(saved).timestamp() * 1000) if saved is not None else 0,
    }


def _nothing_saved(headline: str) -> saves.SaveReport:
    """The report of a save that stored nothing: every typed value is on the page, every file must be chosen again."""
    return saves.SaveReport(headline, saved=[], not_saved=[(_("Toàn bộ nội dung của lần lưu này (đang hiển thị bên dưới)."), None)],
                            rechoose=saves.sent_file_names())


def _group_rerender(state: saves.SaveState, campaign_id: int, unit_id: int, group_code: str):
    """The group page for a save that did not run (stale CSRF token or unreadable body); writes nothing."""
    ctx = services.open_context(db.session, current_user, campaign_id, unit_id)
    grp = ctx.criteria.group(group_code)
    if grp is None:
        return render_template("errors/error.html", message=_("Không tìm thấy nhóm tiêu chí."), code=404), 404
    if saves.wants_json():
        if state.body_refused:
            return saves.json_problem("too_large", saves.body_headline(state), 413)
        return saves.json_problem("csrf", _csrf_json_message(), 400)
    form_cls = group_form_class(grp)
    if state.body_refused:
        form = form_cls(formdata=None, data=_saved_data(ctx, grp))
        return _group_page(ctx, grp, form, report=saves.SaveReport(saves.body_headline(state)), status=413)
    form = form_cls()
    form.version.data = request.form.get("version", "")  # still the page's version: the conflict check stays meaningful
    return _group_page(ctx, grp, form, report=_nothing_saved(saves.csrf_headline(state.csrf_problem)), status=400)


def _csrf_json_message() -> str:
    """What autosave says when the page's CSRF token no longer fits the session (nothing saved, autosave stops)."""
    return _("Phiên làm việc đã thay đổi sau khi bạn mở trang này (ví dụ bạn đã đăng xuất rồi đăng nhập lại ở thẻ khác), "
             "nên KHÔNG có gì được lưu. Nội dung bạn vừa nhập vẫn còn trên trang: bấm “Lưu nháp” để lưu.")


def _field_anchor(name: str) -> str:
    return name.removesuffix("_files") if name.endswith("_files") else name


@bp.route("/<int:campaign_id>/<int:unit_id>/groups/<group_code>", methods=["GET", "POST"])
@saves.save_guard(_group_rerender)
@login_required
@commit_after
def group(campaign_id: int, unit_id: int, group_code: str):
    ctx = services.open_context(db.session, current_user, campaign_id, unit_id)
    grp = ctx.criteria.group(group_code)
    if grp is None:
        if saves.wants_json():
            return saves.json_problem("error", _("Không tìm thấy nhóm tiêu chí."), 404)
        return render_template("errors/error.html", message=_("Không tìm thấy nhóm tiêu chí."), code=404), 404
    form_cls = group_form_class(grp)
    if request.method == "GET":
        form = form_cls(formdata=None, data=_saved_data(ctx, grp))
        return _group_page(ctx, grp, form)
    form = form_cls()
    as_json = saves.wants_json()
    if not form.validate_on_submit():  # the guard checked the token already; this is a second lock
        if as_json:
            return saves.json_problem("csrf", _csrf_json_message(), 400)
        return _group_page(ctx, grp, form, report=_nothing_saved(saves.csrf_headline("stale")), status=400)
    files: dict[str, list[services.Upload]] = {}
    refused: dict[str, list[str]] = {}
    for ind in grp.indicators:
        for f in request.files.getlist(ind.field_name + "_files"):
            if not f or not f.filename:
                continue
            if isinstance(f.stream, saves.CappedFile) and f.stream.refusal:
                refused.setdefault(ind.field_name + "_files", []).append(saves.refusal_message(f.stream))
                continue
            files.setdefault(ind.field_name, []).append(services.Upload(f.filename, stream=f.stream))  # read in chunks, not here
    page_version = services.parse_version(request.form.get("version"))
    try:
        outcome = services.save_group(
            db.session, current_user, campaign_id, unit_id, group_code,
            values={i.field_name: request.form.get(i.field_name) for i in grp.indicators},
            explanations={i.field_name: request.form.get(i.field_name + "_explanation") for i in grp.indicators},
            files=files, remove_evidence=int_list(request.form.getlist("remove_evidence")),
            expected_version=page_version,
            max_bytes=current_app.config["MAX_EVIDENCE_BYTES"], ctx=ctx,
            not_applicable={i.field_name: bool(request.form.get(i.field_name + "_na")) for i in grp.indicators if i.allow_na},
            limits=services.Limits.from_config(current_app.config),
        )
    except (Conflict, StaleDataError, IntegrityError) as exc:
        # StaleDataError / IntegrityError: another save of the same questionnaire committed while this one ran.
        db.session.rollback()
        ctx = services.open_context(db.session, current_user, campaign_id, unit_id)
        form.version.data = ctx.version
        message = exc.message if isinstance(exc, Conflict) else _(
            "Phiếu vừa được người khác lưu cùng lúc với bạn. Dữ liệu bạn vừa nhập vẫn còn bên dưới nhưng CHƯA được lưu: "
            "hãy kiểm tra lại với bản mới nhất rồi bấm Lưu nháp lần nữa.")
        if as_json:
            return saves.json_problem("conflict", message, 409)
        return _group_page(ctx, grp, form, report=_nothing_saved(message), status=409)
    form.version.data = outcome.submission.version
    errors = {**outcome.errors}
    for key, messages in refused.items():
        errors.setdefault(key, []).extend(messages)
    if as_json:
        return _json_saved(outcome, errors, grp.code)
    if errors:
        ctx = services.open_context(db.session, current_user, campaign_id, unit_id)
        saved = [_("Các câu trả lời và giải trình hợp lệ của nhóm %(code)s.", code=grp.code)]
        if outcome.saved_names:
            saved.append(_("Tệp: %(names)s.", names=", ".join(f"“{n}”" for n in outcome.saved_names)))
        stored = set(outcome.saved_names)
        report = saves.SaveReport(
            _("Đã lưu các ô hợp lệ. %(n)d ô có lỗi CHƯA được lưu — xem thông báo màu đỏ, sửa rồi lưu lại.", n=len(errors)),
            saved=saved, not_saved=[(m, _field_anchor(name)) for name, msgs in errors.items() for m in msgs],
            rechoose=[n for n in saves.sent_file_names() if n not in stored],
        )
        return _group_page(ctx, grp, form, errors=errors, status=422, report=report)
    flash(_("Đã lưu nháp nhóm %(code)s.", code=grp.code), "success")
    target = request.form.get("go")
    codes = [g.code for g in ctx.criteria.groups]
    if target == "next" and codes.index(grp.code) + 1 < len(codes):
        return redirect(url_for(".group", campaign_id=campaign_id, unit_id=unit_id, group_code=codes[codes.index(grp.code) + 1]))
    if target == "overview":
        return redirect(url_for(".overview", campaign_id=campaign_id, unit_id=unit_id))
    return redirect(url_for(".group", campaign_id=campaign_id, unit_id=unit_id, group_code=grp.code))


def _json_saved(outcome: services.SaveOutcome, errors: dict[str, list[str]], group_code: str):
    """The JSON answer to a save that ran (the autosave script's `Accept: application/json`).

    200 when everything was stored, 422 when some inputs were not (the valid ones were: the version moved on).
    Body: {"status": "saved"|"invalid", "saved": true, "version": the submission's new version (the page's next
    token), "saved_at": ISO 8601 UTC, "saved_text": "Đã lưu lúc 10:42" (Asia/Ho_Chi_Minh), "message": what to
    show, "errors": {field name: [messages]}, "anchors": {field name: id of the element to point at}}.
    """
    sub = outcome.submission
    saved_at = sub.updated_at if sub.updated_at.tzinfo else sub.updated_at.replace(tzinfo=dt.UTC)
    body = {"status": "invalid" if errors else "saved", "saved": True, "version": sub.version,
            "saved_at": saved_at.astimezone(dt.UTC).isoformat(), "saved_text": _saved_at_text(saved_at),
            "errors": errors, "anchors": {name: _field_anchor(name) for name in errors}}
    if errors:
        body["message"] = _("Đã lưu các ô hợp lệ. %(n)d ô có lỗi CHƯA được lưu — xem thông báo màu đỏ, sửa rồi lưu lại.", n=len(errors))
        return jsonify(body), 422
    body["message"] = body["saved_text"]
    return jsonify(body), 200


def _saved_data(ctx, grp) -> dict:
    """The form's data from the stored answers, numbers written exactly for the UI language."""
    from app.assessment.indicators import get_type
    from app.numbers import ui_locale

    data: dict = {"version": ctx.version}
    locale = ui_locale()
    for ind in grp.indicators:
        answer = ctx.submission.answer_for(ind.code) if ctx.submission else None
        data[ind.field_name] = get_type(ind.type).to_raw(answer.parsed, locale) if answer else ""
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
        services.submit(db.session, current_user, campaign_id, unit_id, expected_version=services.parse_version(form.version.data))
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


@bp.route("/<int:campaign_id>/<int:unit_id>/submit/confirm")
@login_required
def confirm(campaign_id: int, unit_id: int):
    """The last page before submitting: score, verdict, what is not met and why, what still blocks; the final
    POST goes to `submit` with the version this page shows (a change made since then is a conflict)."""
    ctx = services.open_context(db.session, current_user, campaign_id, unit_id)
    result = services.current_result(ctx)
    seen = request.args.get("version")
    changed = seen is not None and services.parse_version(seen) != ctx.version
    return render_template(
        "submissions/confirm.html", ctx=ctx, result=result, changed=changed,
        problems=services.submission_problems(ctx) if ctx.submission else [], form=SubmitForm(version=ctx.version),
    )


@bp.route("/<int:campaign_id>/<int:unit_id>/result")
@login_required
def result(campaign_id: int, unit_id: int):
    import datetime as dt

    ctx = services.open_context(db.session, current_user, campaign_id, unit_id)
    return render_template("submissions/result.html", ctx=ctx, result=services.current_result(ctx),
                           na=services.next_action_of(db.session, ctx), now=dt.datetime.now(dt.UTC))


@bp.route("/evidence/<int:evidence_id>")
@login_required
def evidence(evidence_id: int):
    item = services.get_evidence(db.session, current_user, evidence_id)
    try:
        return get_storage().send(item.stored_name, item.original_name, item.content_type)  # streamed from the backend
    except (KeyNotFound, BadKey):
        raise NotFound(_("Không tìm thấy tệp minh chứng.")) from None
