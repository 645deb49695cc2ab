"""Certificate screens: issue for a decision, download, revoke, re-issue, batch ZIP; the public verify page."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf import FlaskForm

from app.errors import ValidationFailed
from app.extensions import db, limiter
from app.jobs import services as jobs
from app.web import commit_after, invalid_form

from . import codes, services
from .forms import ReasonForm

bp = Blueprint("certificates", __name__, url_prefix="/certificates")
public = Blueprint("verify", __name__)


@bp.route("/decisions/<int:decision_id>")
@login_required
def decision(decision_id: int):
    from app.decisions.services import get_decision
    from app.review.services import can_review

    decision = get_decision(db.session, current_user, decision_id)
    certs = services.certificates_of_decision(db.session, current_user, decision_id)
    return render_template("certificates/decision.html", decision=decision, certs=certs, form=FlaskForm(), reason_form=ReasonForm(),
                           can_issue=can_review(current_user, decision.campaign), no_address=services.public_address() is None)


@bp.route("/decisions/<int:decision_id>/issue", methods=["POST"])
@login_required
@commit_after
def issue(decision_id: int):
    if not FlaskForm().validate_on_submit():
        return invalid_form()
    try:
        issued = services.issue_for_decision(db.session, current_user, decision_id)
    except ValidationFailed as exc:  # e.g. no public address in production: nothing was issued
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(url_for(".decision", decision_id=decision_id))
    flash(_("Đã cấp %(n)d giấy chứng nhận.", n=len(issued)) if issued else _("Mọi đơn vị của quyết định đã có giấy chứng nhận."), "success")
    return redirect(url_for(".decision", decision_id=decision_id))


@bp.route("/decisions/<int:decision_id>/zip", methods=["POST"])
@login_required
def batch_zip(decision_id: int):
    if not FlaskForm().validate_on_submit():
        return invalid_form()
    return _start_zip(decision_id=decision_id)


@bp.route("/campaigns/<int:campaign_id>/zip", methods=["POST"])
@login_required
def campaign_zip(campaign_id: int):
    if not FlaskForm().validate_on_submit():
        return invalid_form()
    return _start_zip(campaign_id=campaign_id)


def _start_zip(**target):
    try:
        job = jobs.create_certificates_job(db.session, current_user, **target)
        db.session.commit()
    except ValidationFailed as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(url_for("review.decisions"))
    jobs.dispatch(current_app._get_current_object(), job.id)
    return redirect(url_for("reports.export_status", job_id=job.id))


@bp.route("/<int:cert_id>.pdf")
@login_required
def pdf(cert_id: int):
    cert = services.get_certificate(db.session, current_user, cert_id)
    return services.send_pdf(cert)  # streamed from the storage backend


def _admin_action(cert_id: int, action) -> object:
    form = ReasonForm()
    cert = services.get_certificate(db.session, current_user, cert_id)
    if not form.validate_on_submit():
        return invalid_form()
    try:
        action(form.reason.data or "")
    except ValidationFailed as exc:
        db.session.rollback()
        flash(exc.message, "error")
    return redirect(url_for(".decision", decision_id=cert.decision_id))


@bp.route("/<int:cert_id>/revoke", methods=["POST"])
@login_required
@commit_after
def revoke(cert_id: int):
    def act(reason: str) -> None:
        cert = services.revoke(db.session, current_user, cert_id, reason)
        flash(_("Đã thu hồi giấy chứng nhận %(n)s.", n=cert.number), "success")

    return _admin_action(cert_id, act)


@bp.route("/<int:cert_id>/reissue", methods=["POST"])
@login_required
@commit_after
def reissue(cert_id: int):
    def act(reason: str) -> None:
        new = services.reissue(db.session, current_user, cert_id, reason)
        flash(_("Đã cấp lại với số %(n)s.", n=new.number), "success")

    return _admin_action(cert_id, act)


def _verify_limit() -> str:
    return current_app.config["VERIFY_RATE_LIMIT"]


def _verify_page(typed: str):
    """The verify page for a code as printed or typed: the certificate and its status, or 404 with the form
    holding what was typed. An empty code shows the form alone."""
    if not typed.strip():
        return render_template("certificates/verify.html", cert=None, typed="", asked=False)
    cert = services.verify(db.session, typed)
    if cert is None:
        return render_template("certificates/verify.html", cert=None, typed=typed[:100], asked=True), 404
    return render_template("certificates/verify.html", cert=cert, typed="", asked=True,
                           grouped_code=codes.grouped(cert.verify_code, " "))


@public.route("/verify")
@limiter.shared_limit(_verify_limit, scope="verify")
def verify_form():
    """Public, no login: a form (GET, read-only) where a person types the code printed under the QR code."""
    return _verify_page(request.args.get("code", ""))


@public.route("/verify/<code>")
@limiter.shared_limit(_verify_limit, scope="verify")
def verify(code: str):
    """Public, no login: shows only what is printed on the certificate and its status (the QR code's target)."""
    return _verify_page(code)
