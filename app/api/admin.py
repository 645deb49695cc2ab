"""The admin screen for API tokens: list, issue (the plain token is shown once, on the answer to the POST), revoke."""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.errors import ValidationFailed
from app.extensions import db
from app.web import commit_after, csrf_rerender, invalid_form, render_service_errors

from . import services
from .forms import IssueTokenForm, RevokeTokenForm

bp = Blueprint("api_tokens", __name__, url_prefix="/admin/api-tokens")

LOCAL = "Asia/Ho_Chi_Minh"


def _form(fresh: bool = False) -> IssueTokenForm:
    """The issue form with the enabled users to choose from; `fresh` ignores what was posted (after a success)."""
    import sqlalchemy as sa

    from app.auth.models import User

    form = IssueTokenForm(formdata=None) if fresh else IssueTokenForm()
    users = db.session.scalars(sa.select(User).where(User.is_enabled.is_(True)).order_by(User.username))
    form.user_id.choices = [("", _("— chọn —"))] + [(u.id, f"{u.username} ({u.full_name})" if u.full_name else u.username) for u in users]
    return form


def _page(form: IssueTokenForm, plain: str | None = None, issued=None, status: int = 200):
    tokens = services.list_tokens(db.session, current_user)
    now = dt.datetime.now(dt.UTC)
    return render_template("api/tokens.html", form=form, tokens=tokens, now=now, plain=plain, issued=issued,
                           revoke_form=RevokeTokenForm()), status


def expiry_of(day: dt.date | None) -> dt.datetime | None:
    """The UTC moment a token expiring on local day `day` stops working: 00:00 of that day in Hải Phòng."""
    if day is None:
        return None
    from zoneinfo import ZoneInfo

    return dt.datetime.combine(day, dt.time(), ZoneInfo(LOCAL)).astimezone(dt.UTC)


@bp.route("/", methods=["GET", "POST"])
@csrf_rerender()
@login_required
@commit_after
def index():
    """The tokens list and the issue form; a successful POST shows the new plain token once (never stored)."""
    services.require_admin(current_user)
    form = _form()
    if form.validate_on_submit():
        try:
            token, plain = services.issue_token(db.session, current_user, form.user_id.data, form.name.data or "",
                                                expiry_of(form.expires_on.data))
        except ValidationFailed as exc:
            tokens = services.list_tokens(db.session, current_user)
            return render_service_errors("api/tokens.html", form, exc, tokens=tokens, now=dt.datetime.now(dt.UTC), plain=None,
                                         issued=None, revoke_form=RevokeTokenForm())
        db.session.flush()
        return _page(_form(fresh=True), plain=plain, issued=token)
    return _page(form, status=422 if form.errors else 200)


@bp.route("/<int:token_id>/revoke", methods=["POST"])
@login_required
@commit_after
def revoke(token_id: int):
    """Revoke a token for good."""
    form = RevokeTokenForm()
    if not form.validate_on_submit():
        return invalid_form()
    token = services.revoke_token(db.session, current_user, token_id)
    flash(_("Đã thu hồi mã %(prefix)s; ứng dụng dùng mã này sẽ bị từ chối ngay.", prefix=token.prefix), "success")
    return redirect(url_for("api_tokens.index"))
