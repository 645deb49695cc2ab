"""Đạt chuẩn: application factory."""

from __future__ import annotations

from pathlib import Path

from flask import Flask, request, session
from flask_login import current_user

from .config import Config, from_environment
from .extensions import babel, csrf, db, limiter, login_manager, mail, migrate


def _select_locale() -> str:
    from flask import current_app, has_request_context

    if has_request_context() and request.path.startswith("/api/v1"):  # the API: Accept-Language, never the session
        from .api.problems import api_locale

        return api_locale()
    lang = session.get("lang") if has_request_context() else None
    if lang in current_app.config["LANGUAGES"]:
        return lang
    return current_app.config["BABEL_DEFAULT_LOCALE"]


class InsecureConfig(RuntimeError):
    """Refusal to start in production with unsafe settings."""


def check_production_config(app: Flask) -> None:
    """In production (FLASK_ENV/APP_ENV=production) refuse a default or short SECRET_KEY, and in-memory rate
    limits with more than one web worker (each would count on its own). Raises InsecureConfig saying what to set.
    SQLite in production is logged as a warning (app.config.sqlite_in_production_problem), not refused."""
    import os

    from .config import shared_limits_problem, sqlite_in_production_problem

    production = os.environ.get("APP_ENV", os.environ.get("FLASK_ENV", "")) == "production" or app.config.get("PRODUCTION")
    key = app.config.get("SECRET_KEY") or ""
    if production and (key == "dev-only-change-me" or len(key) < 32):
        raise InsecureConfig("SECRET_KEY must be set to a random value of at least 32 characters in production")
    problem = shared_limits_problem(bool(production), app.config.get("RATELIMIT_STORAGE_URI", ""), app.config.get("WEB_WORKERS", 1))
    if problem:
        raise InsecureConfig(problem)
    warning = sqlite_in_production_problem(bool(production), app.config.get("SQLALCHEMY_DATABASE_URI", ""))
    if warning:
        app.logger.warning(warning)


def create_app(config: type | dict | None = None) -> Flask:
    """Build the app: config, extensions, blueprints, CLI. No queries or migrations here."""
    root = Path(__file__).resolve().parent.parent
    app = Flask(__name__, template_folder=str(root / "templates"), static_folder="static", instance_path=str(root / "instance"))
    app.config.from_object(Config)
    app.config.update(from_environment())  # read now, not when app.config was imported
    from .storage import settings_from_environment

    app.config.update(settings_from_environment())  # STORAGE_BACKEND, S3_*: read now too
    if isinstance(config, dict):
        app.config.update(config)
    elif config is not None:
        app.config.from_object(config)

    check_production_config(app)
    if app.config.get("TRUSTED_PROXY_HOPS"):
        # Behind nginx / a load balancer every request comes from the proxy: take the client's address from
        # X-Forwarded-For (only as many hops as there are trusted proxies), or every user shares one rate limit.
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=int(app.config["TRUSTED_PROXY_HOPS"]))
    from . import params

    params.register(app)  # <int:…> only matches 0 … 2**31-1 (a huge id is a 404, not a 500)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)  # the default SQLite file lives here
    db.init_app(app)
    migrate.init_app(app, db, directory=str(root / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = None
    babel.init_app(app, locale_selector=_select_locale)
    from . import jinja_i18n

    jinja_i18n.install(app)  # the same catalogue, found once per request instead of per string
    mail.init_app(app)
    limiter.init_app(app)

    from . import models  # noqa: F401  (register every model)
    from .auth.models import User

    @login_manager.user_loader
    def load_user(session_token: str):
        """The enabled user whose current session token the cookie holds (see User.get_id), else None."""
        import sqlalchemy as sa

        if not session_token or len(session_token) > 64:
            return None
        user = db.session.scalar(sa.select(User).where(User.session_token == session_token))
        return user if user is not None and user.is_enabled else None

    from .api.admin import bp as api_tokens_bp
    from .api.cli import bp as api_tokens_cli
    from .api.views import bp as api_bp
    from .audit.views import bp as audit_bp
    from .auth.cli import bp as users_cli
    from .auth.views import bp as auth_bp
    from .campaigns.cli import bp as criteria_cli
    from .campaigns.views import bp as campaigns_bp
    from .certificates.views import bp as certificates_bp
    from .certificates.views import public as verify_bp
    from .criteria_sets.views import bp as criteria_sets_bp
    from .demo import bp as demo_cli
    from .jobs.cli import worker
    from .main import bp as main_bp
    from .notifications.cli import bp as notifications_cli
    from .notifications.views import bp as notifications_bp
    from .public.views import bp as public_bp
    from .reports.cli import bp as reports_cli
    from .reports.views import bp as reports_bp
    from .review.views import bp as review_bp
    from .submissions.views import bp as submissions_bp
    from .surveys.cli import bp as surveys_cli
    from .surveys.poster import bp as survey_poster_bp
    from .surveys.views import public as survey_public_bp
    from .surveys.views import results_bp as survey_results_bp
    from .units.cli import bp as units_cli

    for bp in (main_bp, auth_bp, campaigns_bp, submissions_bp, review_bp, reports_bp, certificates_bp, verify_bp, audit_bp, notifications_bp, criteria_sets_bp, survey_public_bp, survey_results_bp,
               survey_poster_bp, public_bp, api_bp, api_tokens_bp, api_tokens_cli,
               criteria_cli, units_cli, demo_cli, notifications_cli, reports_cli, users_cli, surveys_cli):
        app.register_blueprint(bp)
    app.cli.add_command(worker)
    from .backup import backup_command, restore_command

    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)
    from . import storage

    storage.init_app(app)  # checks STORAGE_BACKEND / S3_* (ValueError naming the variable); `flask storage`

    from .auth.sessions import register_session_rules
    from .web import register_error_handlers, register_input_checks, register_security_headers

    register_input_checks(app)
    register_session_rules(app)
    register_error_handlers(app)
    from .logging_setup import configure_logging

    configure_logging(app)
    from .config import public_base_url

    if public_base_url(app.config) is None:
        app.logger.warning("PUBLIC_BASE_URL is not set: certificates will not be issued (their QR code would point at a wrong "
                           "address). Set PUBLIC_BASE_URL to the public address of this app, e.g. https://datchuan.haiphong.gov.vn")
    register_security_headers(app)
    from . import numbers

    numbers.register(app)  # Babel filters: num, answer, vndate
    from .submissions.messages import reason_text

    app.jinja_env.filters["reason"] = reason_text
    from . import labels

    labels.register(app)  # code labels, citations, English criteria texts

    from .workflow.services import status_label

    app.jinja_env.globals["status_label"] = status_label
    from .criteria_sets.services import is_manager

    app.jinja_env.globals["is_criteria_manager"] = is_manager
    from .reports.charts import hbars, heatmap_grid, heatmap_svg, heatmap_table, line_svg
    from .reports.sections import BUCKET_LABELS, HEAT_LABELS, TRACK_LABELS
    from .units.models import UNIT_TYPES

    app.jinja_env.globals.update(hbars=hbars, heatmap_grid=heatmap_grid, heatmap_svg=heatmap_svg, heatmap_table=heatmap_table, line_svg=line_svg)
    app.jinja_env.globals.update(track_labels=TRACK_LABELS, bucket_labels=BUCKET_LABELS, heat_labels=HEAT_LABELS, unit_types=UNIT_TYPES)

    @app.context_processor
    def inject() -> dict:
        from flask import has_request_context
        from flask_babel import get_locale

        from .notifications.services import unread_count

        if not has_request_context():  # PDFs rendered by background jobs
            return {"current_lang": str(get_locale()), "user": None, "unread": 0}
        from flask import g

        if g.get("database_down"):  # the error page must not read the user or the badge from a dead database
            return {"current_lang": str(get_locale()), "current_path": request.full_path.rstrip("?"),
                    "user": login_manager.anonymous_user(), "unread": 0}

        unread = unread_count(db.session, current_user) if current_user.is_authenticated else 0
        return {"current_lang": str(get_locale()), "current_path": request.full_path.rstrip("?"), "user": current_user, "unread": unread}

    return app
