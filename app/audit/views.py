"""Admin view of the audit log (read-only, filterable)."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.extensions import db
from app.review.forms import AuditFilterForm

from . import services

bp = Blueprint("audit", __name__, url_prefix="/admin/audit")


@bp.route("/")
@login_required
def index():
    form = AuditFilterForm(request.args)
    form.action.choices = [("", _("Tất cả"))] + services.action_choices(db.session)
    form.validate()
    flt = services.AuditFilter(action=form.action.data or "", actor=form.actor.data or "", date_from=form.date_from.data,
                               date_to=form.date_to.data)
    entries = services.search(db.session, current_user, flt)
    return render_template("audit/index.html", form=form, entries=entries, rows=services.describe(db.session, entries))
