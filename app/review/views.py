"""Review screens: queue, appraisal page, return / approve / reject / reopen, decisions, discrepancies."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy.orm.exc import StaleDataError

from app import saves
from app.campaigns.services import campaigns_for, known_set_codes, set_choices
from app.decisions import services as decision_services
from app.errors import Conflict, ValidationFailed
from app.extensions import db
from app.labels import choices as label_choices
from app.numbers import num
from app.params import int_list, parse_int, warn_ignored_filters
from app.review import appraisal, outcomes
from app.review import assignments as group_assignments
from app.review import queue as review_queue
from app.storage import BadKey, KeyNotFound, get_storage
from app.submissions.services import Upload, parse_version
from app.web import commit_after, csrf_rerender, render_service_errors
from app.workflow import services as workflow
from app.workflow.states import STATES

from . import services
from .forms import ApproveForm, CampaignReopenForm, DecisionForm, QueueFilterForm, RejectForm, ReopenForm, ReturnForm, build_appraisal_form

bp = Blueprint("review", __name__, url_prefix="/review")


def _version(form) -> int:
    """The version the page was opened at; a missing or garbled one is MISSING_VERSION (a conflict, never "skip")."""
    return parse_version(form.version.data)


@bp.route("/")
@login_required
def queue():
    form = QueueFilterForm(request.args)
    form.campaign_id.choices = [("", _("Tất cả"))] + [(c.id, c.name) for c in campaigns_for(db.session, current_user)]
    form.set_code.choices = [("", _("Tất cả"))] + set_choices(db.session, known_set_codes(db.session))
    form.unit_type.choices = [("", _("Tất cả"))] + label_choices("unit_type")
    form.status.choices = [("", _("Tất cả"))] + [(s, workflow.status_label(s)) for s in STATES if s != "draft"]
    warn_ignored_filters(form)
    flt = review_queue.QueueFilter(campaign_id=form.campaign_id.data, set_code=form.set_code.data or "", unit_type=form.unit_type.data or "",
                               status=form.status.data or "", deadline=form.deadline.data or "")
    return render_template("review/queue.html", form=form, rows=review_queue.queue(db.session, current_user, flt))


def _page(ctx, form=None, errors=None, status=200, report=None, decide_forms=None):
    """The appraisal page; `decide_forms` may hold bound approve/reject/reopen forms (typed note or reason kept)."""
    form = form or build_appraisal_form(ctx.criteria)(formdata=None, data=_appraisal_data(ctx))
    decide = {"approve_form": ApproveForm(formdata=None, version=ctx.submission.version),
              "reject_form": RejectForm(formdata=None, version=ctx.submission.version), "reopen_form": ReopenForm(formdata=None)}
    decide.update(decide_forms or {})
    return render_template(
        "review/submission.html", ctx=ctx, form=form, errors=errors or {}, report=report, return_form=_return_form(ctx),
        summary=summary(ctx.final_result), state_of=appraisal.appraisal_state,
        status_label=workflow.status_label, **decide,
    ), status


def _decide_rerender(submission_id: int):
    """The appraisal page after an approve / reject / reopen whose CSRF token was missing or stale (see
    app.web.csrf_rerender): nothing done; the note or reason typed is kept in its form (with the version the page
    was opened at, so a submission changed since then still conflicts)."""
    ctx = appraisal.review_context(db.session, current_user, submission_id)
    forms = {"approve": ("approve_form", ApproveForm), "reject": ("reject_form", RejectForm), "reopen": ("reopen_form", ReopenForm)}
    name, form_cls = forms[(request.endpoint or "").rsplit(".", 1)[-1]]
    if name == "approve_form":  # "Duyệt" is confirmed on its own page: show that page again, the note kept
        return _approve_confirm(submission_id, form=ApproveForm(), status=400)
    return _page(ctx, decide_forms={name: form_cls()}, status=400)


def _appraisal_data(ctx) -> dict:
    """The appraisal form's data from the stored appraisals, numbers written exactly for the UI language."""
    from app.assessment.indicators import get_type
    from app.assessment.numbers import format_number
    from app.numbers import ui_locale

    data = {"version": ctx.submission.version}
    locale = ui_locale()
    for ind in ctx.criteria.indicators:
        a = ctx.appraisals.get(ind.code)
        state = appraisal.appraisal_state(a, ctx.self_result.indicator(ind.code))
        data[ind.field_name + "_agree"] = state
        if a is None:
            continue
        if state == "agree":  # an agreement repeats the self result: nothing of its own to show in the inputs
            data[ind.field_name + "_comment"] = a.comment
            continue
        data[ind.field_name] = get_type(ind.type).to_raw(a.parsed, locale) if a.parsed is not None else ""
        data[ind.field_name + "_met"] = {True: "met", False: "not_met"}.get(a.met, "")
        data[ind.field_name + "_points"] = format_number(a.points, locale)
        data[ind.field_name + "_comment"] = a.comment
    return data


def _return_form(ctx) -> ReturnForm:
    """The return form, never bound to the request (its version is the current one), with the deadline text the reviewer typed."""
    form = ReturnForm(formdata=None, version=ctx.submission.version)
    state = g.get("save_state")
    if request.method == "POST" and (state is None or not state.body_refused):
        typed = request.form.get("deadline", "")
        if typed:
            form.deadline.raw_data = [typed]
    return form


def _nothing_saved(headline: str, errors: dict | None = None) -> saves.SaveReport:
    not_saved = [(m, f"{name}-box" if name.startswith("ind_") else None) for name, msgs in (errors or {}).items() for m in msgs]
    return saves.SaveReport(headline, saved=[], not_saved=not_saved or [(_("Toàn bộ nội dung của lần lưu này (đang hiển thị bên dưới)."), None)])


def _appraisal_rerender(state: saves.SaveState, submission_id: int):
    """The appraisal page for a save that did not run (stale CSRF token or unreadable body); writes nothing."""
    ctx = appraisal.review_context(db.session, current_user, submission_id)
    if state.body_refused:
        return _page(ctx, report=saves.SaveReport(saves.body_headline(state)), status=413)
    form = build_appraisal_form(ctx.criteria)()
    form.version.data = request.form.get("version", "")
    return _page(ctx, form, report=_nothing_saved(saves.csrf_headline(state.csrf_problem)), status=400)


@bp.route("/<int:submission_id>", methods=["GET", "POST"])
@saves.save_guard(_appraisal_rerender)
@login_required
@commit_after
def submission(submission_id: int):
    ctx = appraisal.review_context(db.session, current_user, submission_id)
    if request.method == "GET":
        return _page(ctx)
    form = build_appraisal_form(ctx.criteria)()
    if not form.validate_on_submit():  # the guard checked the token already; this is a second lock
        return _page(ctx, form, report=_nothing_saved(saves.csrf_headline("stale")), status=400)
    action = request.form.get("action", "save")
    entries = _entries(ctx, action)
    try:
        errors = appraisal.save_appraisal(db.session, current_user, submission_id, entries, sign_groups=request.form.getlist("signoff"),
                                         expected_version=_version(form), max_comment_chars=current_app.config["MAX_EXPLANATION_CHARS"])
        if request.form.get("action") == "return" and not errors:
            reasons = {ind.code: request.form.get(ind.field_name + "_return", "") for ind in ctx.criteria.indicators
                       if request.form.get(ind.field_name + "_return", "").strip()}
            return_form = ReturnForm()
            outcomes.return_for_revision(db.session, current_user, submission_id, reasons, return_form.deadline.data)
            flash(_("Đã trả lại %(n)d chỉ tiêu cho đơn vị bổ sung.", n=len(reasons)), "success")
            return redirect(url_for(".submission", submission_id=submission_id))
    except (ValidationFailed, Conflict, StaleDataError) as exc:
        db.session.rollback()
        ctx = appraisal.review_context(db.session, current_user, submission_id)
        form.version.data = ctx.submission.version
        if isinstance(exc, StaleDataError):
            exc = Conflict(_("Phiếu vừa được người khác thay đổi. Dữ liệu bạn nhập vẫn còn trên trang; hãy xem lại rồi thực hiện lại."))
        errors = getattr(exc, "errors", {})
        return _page(ctx, form, errors, status=exc.status_code, report=_nothing_saved(exc.message, errors))
    if errors:
        ctx = appraisal.review_context(db.session, current_user, submission_id)
        form.version.data = ctx.submission.version
        report = saves.SaveReport(_("Đã lưu các ô hợp lệ. %(n)d ô có lỗi CHƯA được lưu.", n=len(errors)),
                                  saved=[_("Các chỉ tiêu không có lỗi (giá trị, kết luận, điểm, nhận xét) và các xác nhận nhóm.")],
                                  not_saved=[(m, f"{name}-box") for name, msgs in errors.items() for m in msgs])
        if request.form.get("action") == "return":
            report.not_saved.append((_("Việc trả lại phiếu: chưa thực hiện vì còn ô có lỗi."), None))
        return _page(ctx, form, errors, status=422, report=report)
    if action == "approve":
        return redirect(url_for(".approve", submission_id=submission_id))
    if action.startswith("agree_"):
        flash(_("Đã ghi “Đồng ý với kết quả tự chấm” cho %(what)s.", what=_agree_scope_label(action)), "success")
    else:
        flash(_("Đã lưu kết quả thẩm định."), "success")
    return redirect(url_for(".submission", submission_id=submission_id))


def _agree_scope(ctx, action: str) -> set[str]:
    """Indicator codes an "Đồng ý cả nhóm" (agree_group:<code>) or "Đồng ý toàn bộ" (agree_all) button covers; empty otherwise."""
    if action == "agree_all":
        return {i.code for i in ctx.criteria.indicators}
    if action.startswith("agree_group:"):
        group = action.partition(":")[2]
        return {i.code for g in ctx.criteria.groups if g.code == group for i in g.indicators}
    return set()


def _agree_scope_label(action: str) -> str:
    group = action.partition(":")[2]
    return _("nhóm %(g)s", g=group) if group else _("toàn bộ phiếu")


def _entries(ctx, action: str) -> dict[str, appraisal.AppraisalInput]:
    """The posted appraisal of every indicator. `<field>_agree` is 'agree', 'disagree' or absent (None: a
    page without the choice). An agree-all / agree-group button makes its indicators agreed and drops
    the value, conclusion and points typed for them (the comment and return reason stay)."""
    forced = _agree_scope(ctx, action)
    entries = {}
    for ind in ctx.criteria.indicators:
        name = ind.field_name
        agree = {"agree": True, "disagree": False}.get(request.form.get(name + "_agree", ""))
        entry = appraisal.AppraisalInput(value=request.form.get(name), met=request.form.get(name + "_met", ""),
                                        points=request.form.get(name + "_points", ""), comment=request.form.get(name + "_comment", ""),
                                        agree=agree)
        if ind.code in forced and name + "_agree" in request.form:
            entry = appraisal.AppraisalInput(comment=entry.comment, agree=True)
        entries[ind.code] = entry
    return entries


def summary(result, differing: int | None = None) -> dict:
    """The sticky bar's running score: {"text": "Điểm thẩm định: 92/100 · Đạt", "passed": bool, "differing": n}."""
    # points against the set's maximum; a weighted percentage is a score out of 100
    figure = f"{num(result.earned_shown)}/{num(result.max_points)}" if result.method == "total_points" else f"{num(result.percent)}/100"
    verdict = _("Đạt") if result.passed else _("Chưa đạt")
    return {"text": _("Điểm thẩm định: %(figure)s · %(verdict)s", figure=figure, verdict=verdict), "passed": result.passed,
            "differing": differing}


@bp.route("/<int:submission_id>/preview", methods=["POST"])
@login_required
def preview(submission_id: int):
    """JSON preview of the appraised score for the review page's sticky bar (writes nothing; the POST recomputes)."""
    from flask_wtf import FlaskForm

    if not FlaskForm().validate_on_submit():
        return {"error": _("Phiên làm việc đã hết hạn; hãy tải lại trang.")}, 400
    ctx = appraisal.review_context(db.session, current_user, submission_id)
    result, differing = appraisal.preview_appraisal(db.session, current_user, submission_id, _entries(ctx, request.form.get("action", "")))
    return summary(result, differing)


def _decide(submission_id: int, form_cls, action):
    form = form_cls()
    if not form.validate_on_submit():
        flash(_("Biểu mẫu không hợp lệ."), "error")
        return redirect(url_for(".submission", submission_id=submission_id))
    try:
        action(form)
    except (ValidationFailed, Conflict) as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return _page(appraisal.review_context(db.session, current_user, submission_id), status=exc.status_code)
    return redirect(url_for(".submission", submission_id=submission_id))


@bp.route("/<int:submission_id>/approve", methods=["GET", "POST"])
@csrf_rerender(_decide_rerender)
@login_required
@commit_after
def approve(submission_id: int):
    if request.method == "GET":
        return _approve_confirm(submission_id)

    def act(form):
        result = outcomes.approve(db.session, current_user, submission_id, form.note.data or "", _version(form))
        flash(_("Đã duyệt với điểm thẩm định %(p)s%%.", p=num(result.percent)), "success")

    return _decide(submission_id, ApproveForm, act)


def _approve_confirm(submission_id: int, form=None, status: int = 200):
    """The confirmation step of "Duyệt": the appraised score, what differs from the self-assessment, a note.

    `form` is a bound ApproveForm when the page comes back after a stale CSRF token (the note kept), with `status` 400.
    """
    services.check_reviewer(db.session, current_user, submission_id)
    ctx = appraisal.review_context(db.session, current_user, submission_id)
    if "approve" not in ctx.actions or not ctx.can_edit:
        flash(_("Phiếu đang ở trạng thái “%(s)s” nên không duyệt được.", s=workflow.status_label(ctx.submission.status)), "info")
        return redirect(url_for(".submission", submission_id=submission_id))
    differing = [(ctx.self_result.indicator(i.code), ctx.final_result.indicator(i.code)) for i in ctx.criteria.indicators
                 if appraisal.appraisal_state(ctx.appraisals.get(i.code), ctx.self_result.indicator(i.code)) == "disagree"]
    return render_template("review/approve_confirm.html", ctx=ctx, differing=differing, summary=summary(ctx.final_result),
                           approve_form=form or ApproveForm(formdata=None, version=ctx.submission.version)), status


@bp.route("/<int:submission_id>/reject", methods=["POST"])
@csrf_rerender(_decide_rerender)
@login_required
@commit_after
def reject(submission_id: int):
    def act(form):
        outcomes.reject(db.session, current_user, submission_id, form.reason.data or "", _version(form))
        flash(_("Đã ghi quyết định không chấp thuận."), "success")

    return _decide(submission_id, RejectForm, act)


@bp.route("/<int:submission_id>/reopen", methods=["POST"])
@csrf_rerender(_decide_rerender)
@login_required
@commit_after
def reopen(submission_id: int):
    def act(form):
        outcomes.reopen(db.session, current_user, submission_id, form.reason.data or "")
        flash(_("Đã mở lại phiếu để thẩm định lại."), "success")

    return _decide(submission_id, ReopenForm, act)


@bp.route("/campaigns/<int:campaign_id>/reopen", methods=["GET", "POST"])
@csrf_rerender()
@login_required
@commit_after
def reopen_campaign(campaign_id: int):
    from app.campaigns.services import get_campaign

    campaign = get_campaign(db.session, current_user, campaign_id)
    form = CampaignReopenForm()
    if form.validate_on_submit():
        try:
            outcomes.reopen_campaign(db.session, current_user, campaign_id, form.until.data, form.reason.data or "")
        except ValidationFailed as exc:
            return render_service_errors("review/campaign_reopen.html", form, exc, campaign=campaign)
        flash(_("Đã mở lại đợt đánh giá đến %(d)s.", d=form.until.data.strftime("%d/%m/%Y")), "success")
        return redirect(url_for("campaigns.detail", campaign_id=campaign_id))
    if current_user.role != "admin":
        return render_template("errors/error.html", message=_("Chỉ quản trị viên được mở lại đợt đánh giá."), code=403), 403
    return render_template("review/campaign_reopen.html", form=form, campaign=campaign), 422 if form.errors else 200


@bp.route("/campaigns/<int:campaign_id>/discrepancies")
@login_required
def discrepancies(campaign_id: int):
    campaign, rows = group_assignments.campaign_discrepancies(db.session, current_user, campaign_id)
    return render_template("review/discrepancies.html", campaign=campaign, rows=rows)


@bp.route("/campaigns/<int:campaign_id>/decisions/new", methods=["GET", "POST"])
@csrf_rerender()
@login_required
@commit_after
def decision_new(campaign_id: int):
    """Record a recognition decision. "Chọn tất cả" / "Bỏ chọn" (select_all = all / none) re-show the form with every
    approved unit (or none) ticked and the typed fields kept, saving nothing: the no-JS path of the select-all box.
    A missing or stale CSRF token (reached through app.web.csrf_rerender) re-shows the form likewise, status 400."""
    campaign, approved = decision_services.approved_in_campaign(db.session, current_user, campaign_id)
    form = DecisionForm()
    if request.method == "POST":
        chosen = request.form.getlist("submission_ids")
        sent_scan = [f.filename for f in request.files.getlist("scan") if f and f.filename]
        if not form.validate() and "csrf_token" in form.errors:
            return render_template("review/decision_form.html", form=form, campaign=campaign, approved=approved, chosen=chosen,
                                   errors={}, rechoose=sent_scan), 400
        select = request.form.get("select_all")
        if select in ("all", "none"):
            chosen = [str(s.id) for s in approved] if select == "all" else []
            return render_template("review/decision_form.html", form=form, campaign=campaign, approved=approved, chosen=chosen,
                                   errors={}, rechoose=sent_scan)
        form.decided_on.errors = []  # a bad date arrives as None; the service explains it in Vietnamese
        scan = request.files.get("scan")
        try:
            decision = decision_services.create_decision(
                db.session, current_user, campaign_id, number=form.number.data or "", decided_on=form.decided_on.data,
                signer_name=form.signer_name.data or "", signer_title=form.signer_title.data or "", issuing_body=form.issuing_body.data or "",
                submission_ids=int_list(request.form.getlist("submission_ids")),
                scan=Upload(scan.filename or "", stream=scan.stream) if scan and scan.filename else None,
                max_bytes=current_app.config["MAX_EVIDENCE_BYTES"],
            )
        except ValidationFailed as exc:
            return render_service_errors("review/decision_form.html", form, exc, campaign=campaign, approved=approved,
                                         chosen=request.form.getlist("submission_ids"), errors=exc.errors)
        flash(_("Đã ghi quyết định công nhận %(n)s cho %(k)d đơn vị.", n=decision.number, k=len(decision.submissions)), "success")
        return redirect(url_for(".decision", decision_id=decision.id))
    return render_template("review/decision_form.html", form=form, campaign=campaign, approved=approved, chosen=[], errors={})


@bp.route("/decisions/")
@login_required
def decisions():
    return render_template("review/decisions.html", decisions=decision_services.decisions(db.session, current_user))


@bp.route("/decisions/<int:decision_id>")
@login_required
def decision(decision_id: int):
    return render_template("review/decision.html", decision=decision_services.get_decision(db.session, current_user, decision_id))


@bp.route("/decisions/<int:decision_id>/scan")
@login_required
def decision_scan(decision_id: int):
    decision = decision_services.get_decision(db.session, current_user, decision_id)
    if not decision.scan_stored_name:
        return render_template("errors/error.html", message=_("Quyết định này không có bản quét."), code=404), 404
    try:
        return get_storage().send(decision.scan_stored_name, decision.scan_original_name or "quyet-dinh.pdf", "application/pdf")
    except (KeyNotFound, BadKey):
        return render_template("errors/error.html", message=_("Quyết định này không có bản quét."), code=404), 404


@bp.route("/campaigns/<int:campaign_id>/assignments", methods=["GET", "POST"])
@login_required
@commit_after
def assignments(campaign_id: int):
    from flask_wtf import FlaskForm

    from app.campaigns.services import get_campaign

    campaign = get_campaign(db.session, current_user, campaign_id)
    if current_user.role != "admin":
        return render_template("errors/error.html", message=_("Chỉ quản trị viên được phân công nhóm thẩm định."), code=403), 403
    form = FlaskForm()
    if form.validate_on_submit():
        pairs = []
        for value in request.form.getlist("assign"):
            group, _sep, reviewer = value.partition(":")
            reviewer_id = parse_int(reviewer)
            if reviewer_id is not None:
                pairs.append((group, reviewer_id))
        try:
            group_assignments.set_assignments(db.session, current_user, campaign_id, pairs)
        except ValidationFailed as exc:
            db.session.rollback()
            flash(exc.message, "error")
        else:
            flash(_("Đã lưu phân công nhóm thẩm định."), "success")
            return redirect(url_for(".assignments", campaign_id=campaign_id))
    current = {(a.group_code, a.reviewer_id) for a in group_assignments.assignments_of(db.session, campaign_id)}
    reviewers = workflow.reviewers_of(db.session, campaign.criteria_version.code)
    return render_template("review/assignments.html", campaign=campaign, reviewers=reviewers, current=current, form=form)
