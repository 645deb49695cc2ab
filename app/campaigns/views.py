"""Campaign list, creation (admin) and per-campaign unit status."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.auth.services import require_admin
from app.errors import ValidationFailed
from app.extensions import db
from app.submissions.models import Submission
from app.units.services import unit_choices
from app.web import commit_after, csrf_rerender, render_service_errors

from . import services
from .forms import CampaignForm

bp = Blueprint("campaigns", __name__, url_prefix="/campaigns")


@bp.route("/")
@login_required
def index():
    campaigns = services.campaigns_for(db.session, current_user)
    counts = services.status_counts(db.session, [c.id for c in campaigns]) if current_user.role != "official" else {}
    return render_template("campaigns/index.html", campaigns=campaigns, counts=counts)


@bp.route("/new", methods=["GET", "POST"])
@csrf_rerender()
@login_required
@commit_after
def new():
    require_admin(current_user)
    form = CampaignForm()
    form.criteria_version_id.choices = [(v.id, f"{v.name_vi} — {v.label}") for v in services.latest_versions(db.session, published_only=True)]
    form.unit_ids.choices = unit_choices(db.session)
    if form.validate_on_submit():
        try:
            campaign = services.create_campaign(
                db.session, current_user, name=form.name.data, criteria_version_id=form.criteria_version_id.data,
                year=form.year.data, opens_on=form.opens_on.data, closes_on=form.closes_on.data,
                scope_unit_types=form.scope_unit_types.data, unit_ids=form.unit_ids.data,
            )
        except ValidationFailed as exc:
            return render_service_errors("campaigns/new.html", form, exc)
        flash(_("Đã tạo đợt đánh giá “%(name)s”.", name=campaign.name), "success")
        return redirect(url_for(".detail", campaign_id=campaign.id))
    return render_template("campaigns/new.html", form=form), 422 if form.errors else 200


@bp.route("/<int:campaign_id>")
@login_required
def detail(campaign_id: int):
    campaign = services.get_campaign(db.session, current_user, campaign_id)
    if current_user.role == "official":
        return redirect(url_for("submissions.overview", campaign_id=campaign.id, unit_id=current_user.unit_id))
    query = (request.args.get("q") or "").strip()[:100]
    units = services.units_in_scope(db.session, campaign, search=query)
    subs = {s.unit_id: s for s in db.session.scalars(sa.select(Submission).where(Submission.campaign_id == campaign.id))}
    in_scope = units if not query else services.units_in_scope(db.session, campaign)
    counts = services.status_counts(db.session, [campaign.id])[campaign.id]
    not_started = sum(1 for u in in_scope if u.id not in subs)
    return render_template("campaigns/detail.html", campaign=campaign, units=units, subs=subs, q=query, counts=counts,
                           not_started=not_started, in_scope_total=len(in_scope))
