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


def _check_redis(uri: str) -> str:
    """'ok', 'not used' (memory:// limits) or 'unavailable': one PING with a 1 s timeout to the rate-limit store."""
    if not uri.startswith(("redis://", "rediss://")):
        return "not used"
    import redis

    client = redis.Redis.from_url(uri, socket_timeout=1, socket_connect_timeout=1)
    try:
        client.ping()
    except redis.RedisError:
        return "unavailable"
    finally:
        client.close()
    return "ok"


def _check_storage(config) -> str:
    """'ok' or 'unavailable': the file store answers. Local: UPLOAD_DIR is a writable folder. S3 (when the
    storage backend exists, app.storage): one existence check of a probe key (bucket reachable, credentials valid).
    A missing UPLOAD_DIR whose parent is a writable folder is ready (the app creates it on the first upload)."""
    import os

    if config.get("STORAGE_BACKEND", "local") != "local":
        try:
            from app.storage import get_storage  # the S3 backend (i15-storage)

            get_storage().exists("readyz-probe")
        except Exception:  # noqa: BLE001 - unreachable, refused or misconfigured: not ready
            return "unavailable"
        return "ok"
    folder = config["UPLOAD_DIR"]
    if not os.path.isdir(folder):  # created on the first upload: its parent must be there and writable (a mount)
        folder = os.path.dirname(os.path.abspath(folder))
    return "ok" if os.path.isdir(folder) and os.access(folder, os.W_OK | os.X_OK) else "unavailable"


@bp.route("/readyz")
def ready():
    """Readiness for load balancers: the database, the file store and the shared Redis (when
    RATELIMIT_STORAGE_URI names one). No login; names only ("ok", "not used", "unavailable"), no addresses or errors.

    200 {"status": "ok", "checks": {...}} when all answer. 503 {"status": "unavailable", ...} when the database or
    the file store does not (this node cannot serve: take it out). 200 {"status": "degraded", ...} when only Redis
    does not: every node shares that Redis, the app then counts rate limits per worker (logged) and keeps serving,
    so failing the probe would take every node out at once; alert on "degraded" instead.
    """
    import sqlalchemy as sa

    from app.extensions import db

    checks = {}
    try:
        db.session.execute(sa.text("SELECT 1"))
        checks["database"] = "ok"
    except Exception:  # noqa: BLE001 - any database failure means not ready
        db.session.rollback()
        checks["database"] = "unavailable"
    checks["storage"] = _check_storage(current_app.config)
    checks["redis"] = _check_redis(current_app.config.get("RATELIMIT_STORAGE_URI") or "")
    if "unavailable" in (checks["database"], checks["storage"]):
        return {"status": "unavailable", "checks": checks}, 503
    return {"status": "degraded" if checks["redis"] == "unavailable" else "ok", "checks": checks}, 200


@bp.route("/lang", methods=["POST"])
def set_language():
    lang = request.form.get("lang", "")
    if lang in current_app.config["LANGUAGES"]:
        session["lang"] = lang
    return redirect(safe_next(request.form.get("next"), url_for("main.index")))
