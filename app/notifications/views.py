"""The user's notification list; marking notifications read."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, url_for
from flask_login import current_user, login_required
from flask_wtf import FlaskForm

from app.extensions import db
from app.web import commit_after

from . import services

bp = Blueprint("notifications", __name__, url_prefix="/notifications")


@bp.route("/")
@login_required
def index():
    notes = services.for_user(db.session, current_user)
    return render_template("notifications/index.html", notes=notes, message=services.message, form=FlaskForm())


@bp.route("/read", methods=["POST"])
@login_required
@commit_after
def read_all():
    if FlaskForm().validate_on_submit():
        services.mark_read(db.session, current_user)
    return redirect(url_for(".index"))


@bp.route("/<int:notification_id>/open", methods=["POST"])
@login_required
@commit_after
def open_one(notification_id: int):
    form = FlaskForm()
    note = next((n for n in services.for_user(db.session, current_user) if n.id == notification_id), None)
    if note is None or not form.validate_on_submit():
        return redirect(url_for(".index"))
    services.mark_read(db.session, current_user, notification_id)
    return redirect(note.link if note.link.startswith("/") and not note.link.startswith("//") else url_for(".index"))
