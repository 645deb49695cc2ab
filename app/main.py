"""Home page routing by role, and the language switch."""

from __future__ import annotations

from flask import Blueprint, current_app, redirect, request, session, url_for
from flask_login import current_user

from app.web import safe_next

bp = Blueprint("main", __name__)


@bp.route("/")
def index():
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    if current_user.role == "official":
        return redirect(url_for("submissions.dashboard"))
    return redirect(url_for("campaigns.index"))


@bp.route("/healthz")
@bp.route("/health")
def health():
    """Liveness and database check for load balancers and monitoring (no login, no details)."""
    import sqlalchemy as sa

    from app.extensions import db

    try:
        db.session.execute(sa.text("SELECT 1"))
    except Exception:  # noqa: BLE001 - any database failure means not ready
        return {"status": "database unavailable"}, 503
    return {"status": "ok"}


@bp.route("/lang", methods=["POST"])
def set_language():
    lang = request.form.get("lang", "")
    if lang in current_app.config["LANGUAGES"]:
        session["lang"] = lang
    return redirect(safe_next(request.form.get("next"), url_for("main.index")))
