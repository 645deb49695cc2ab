"""The printable A4 poster of a unit's survey (QR code, unit, invitation) and the survey links of the pages.

GET /surveys/poster/<campaign_id>/<unit_id>/<survey_code>.pdf — for the unit's officials, reviewers of the
set and admins. The first request makes the unit's public link (`services.ensure_link`): a GET that may
insert one row. That is deliberate: the link is a deterministic get-or-create of the one link of that
unit, campaign and survey (a second request returns the same link), nothing the user could undo or would
want to confirm, and a cross-site request can only pre-create a link the unit is entitled to anyway (it
cannot read the PDF). A POST step before printing would add a click at the one-stop-shop counter for no
safety gain. In production without a public address the poster is refused, as certificates are: the QR
code would lead nowhere.
"""

from __future__ import annotations

import io
from functools import lru_cache

from flask import Blueprint, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.auth.models import User
from app.campaigns.models import Campaign
from app.certificates.pdf import qr_svg
from app.certificates.services import public_address, require_public_address
from app.errors import NotFound, PermissionDenied, ValidationFailed
from app.extensions import db
from app.pdf import AppStaticFetcher, render_pdf
from app.units.models import Unit
from app.web import commit_after, send_attachment

from . import services
from .models import SurveyLink

bp = Blueprint("survey_poster", __name__, url_prefix="/surveys")


def can_print(actor: User, campaign: Campaign, unit: Unit) -> bool:
    """The unit's officials, reviewers of the campaign's set and admins may print (and so create) the unit's link."""
    if actor.role == "admin":
        return True
    if actor.role == "reviewer":
        return campaign.criteria_version.code in actor.scope_codes
    return actor.role == "official" and actor.unit_id == unit.id


def public_url(link: SurveyLink) -> str:
    """The full public address of the link's form (https://…/khao-sat/<code>); raises ValidationFailed without a
    public address in production (see app.certificates.services.require_public_address)."""
    return require_public_address() + url_for("survey_public.respond", code=link.code)


def short_url(url: str) -> str:
    """The URL as printed for typing: without the scheme ("datchuan.haiphong.gov.vn/khao-sat/…")."""
    return url.split("://", 1)[-1]


def link_url(link: SurveyLink) -> str:
    """Where a page links a survey: its results page when that page exists (`surveys.results`), else the public form."""
    if "surveys.results" in current_app.view_functions:
        return url_for("surveys.results", link_id=link.id)
    return url_for("survey_public.respond", code=link.code)


def poster_context(link: SurveyLink, url: str) -> dict:
    """Plain values for templates/surveys/poster.html (no ORM objects): unit, survey title, invitation, URLs, year."""
    survey = services.survey_of(link)
    return {"unit_name": link.unit.name, "title": survey.title_vi, "invitation": survey.invitation_vi, "url": url,
            "short_url": short_url(url), "year": link.campaign.year}


def render_poster(context: dict) -> bytes:
    """The A4 portrait poster PDF (WeasyPrint, the certificates' fonts, only appstatic: URLs).

    A poster's content changes only with its context, so the last few renders are kept in memory: a second
    print (or a counter printing ten copies) costs no second WeasyPrint run.
    """
    return _poster_pdf(tuple(sorted(context.items())))


@lru_cache(maxsize=32)
def _poster_pdf(items: tuple) -> bytes:
    context = dict(items)
    html = render_template("surveys/poster.html", p=context, qr=qr_svg(context["url"]))
    return render_pdf(html, AppStaticFetcher())


@bp.route("/poster/<int:campaign_id>/<int:unit_id>/<survey_code>.pdf")
@login_required
@commit_after
def poster(campaign_id: int, unit_id: int, survey_code: str):
    campaign = db.session.get(Campaign, campaign_id)
    unit = db.session.get(Unit, unit_id)
    if campaign is None or unit is None or len(survey_code) > 40:
        raise NotFound(_("Không có khảo sát này cho đơn vị."))
    if not can_print(current_user, campaign, unit):
        raise PermissionDenied(_("Chỉ cán bộ của đơn vị, người thẩm định của bộ tiêu chí và quản trị viên in được áp phích khảo sát."))
    if public_address() is None:  # nothing is created: the QR code would lead to a wrong address
        flash(no_address_message(), "error")
        return redirect(url_for("submissions.dashboard") if current_user.role == "official" else url_for("main.index"))
    link = services.ensure_link(db.session, campaign, unit, survey_code)
    pdf = render_poster(poster_context(link, public_url(link)))
    return send_attachment(io.BytesIO(pdf), "application/pdf", f"ap-phich-khao-sat-{survey_code}-{unit.code}.pdf")


def no_address_message() -> str:
    """The refusal without a public address (the same advice as certificates give)."""
    return _("Chưa cấu hình địa chỉ công khai của hệ thống (PUBLIC_BASE_URL) nên chưa in được áp phích: mã QR trên áp "
             "phích sẽ dẫn tới một địa chỉ sai. Hãy báo quản trị hệ thống đặt PUBLIC_BASE_URL (ví dụ "
             "https://datchuan.haiphong.gov.vn) rồi in lại.")


@bp.app_template_global("survey_link_url")
def survey_link_url(link: SurveyLink) -> str:
    """Template global: see `link_url`."""
    return link_url(link)


@bp.app_template_global("survey_poster_url")
def survey_poster_url(campaign_id: int, unit_id: int, survey_code: str) -> str:
    """Template global: the poster PDF's address for a unit's survey."""
    return url_for("survey_poster.poster", campaign_id=campaign_id, unit_id=unit_id, survey_code=survey_code)


@bp.app_template_global("survey_public_url")
def survey_public_url(link: SurveyLink) -> str:
    """Template global: the link's full public address, or "" when production has no public address."""
    try:
        return public_url(link)
    except ValidationFailed:
        return ""


@bp.app_template_global("survey_answer_note")
def survey_answer_note(meta: dict) -> str:
    """Template global: "từ khảo sát trực tuyến, n = 35, ± 12 %" for a stored survey note (`Answer.meta`)."""
    from .fill import note_text

    return note_text(meta.get("n", 0), meta.get("margin", 0))
