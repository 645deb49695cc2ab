"""Configuration objects: read from the environment, with safe defaults for a local run."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
INSTANCE_DIR = PROJECT_ROOT / "instance"


def _default_db_url() -> str:
    return f"sqlite:///{INSTANCE_DIR / 'datchuan.sqlite3'}"


def _normalise_db_url(url: str) -> str:
    """Use the psycopg 3 driver for plain postgresql:// URLs."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def web_workers(environ: dict[str, str] | None = None) -> int:
    """How many web worker processes gunicorn runs: WEB_CONCURRENCY when set, else (2 × CPU cores) + 1.

    gunicorn.conf.py uses this same function, so the app and the server agree. Raises ValueError when
    WEB_CONCURRENCY is not a whole number ≥ 1.
    """
    import multiprocessing

    env = os.environ if environ is None else environ
    raw = env.get("WEB_CONCURRENCY", "").strip()
    if not raw:
        return multiprocessing.cpu_count() * 2 + 1
    if not raw.isdigit() or int(raw) < 1:
        raise ValueError(f"WEB_CONCURRENCY must be a whole number of worker processes >= 1, not {raw!r}")
    return int(raw)


def shared_limits_problem(production: bool, storage_uri: str, workers: int) -> str | None:
    """Why rate limits would not hold, or None: in production, memory:// storage with more than one worker.

    Each worker (and each node) would keep its own count, so "10 per minute" becomes 10 × workers.
    Takes the production flag, the RATELIMIT_STORAGE_URI and the worker count; returns an operator message.
    """
    if production and workers > 1 and (storage_uri or "memory://").startswith("memory://"):
        return (f"RATELIMIT_STORAGE_URI is {storage_uri or 'memory://'} but {workers} web workers are configured "
                "(WEB_CONCURRENCY, gunicorn.conf.py or -w): every worker would count login attempts on its own. "
                "Set RATELIMIT_STORAGE_URI=redis://HOST:6379/0 (one Redis shared by every worker and node), "
                "or WEB_CONCURRENCY=1 for a single worker.")
    return None


def sqlite_in_production_problem(production: bool, database_uri: str) -> str | None:
    """Why this production app would be tied to one machine, or None: APP_ENV=production on SQLite.

    On SQLite export jobs run in a thread of the web process (lost when it restarts; no `flask worker`), the
    database is a file on one disk and every web node would have its own. That path is for `make run` only.
    Takes the production flag and the SQLAlchemy database URI; returns an operator message (logged as a warning).
    """
    if production and (database_uri or "").startswith("sqlite"):
        return ("APP_ENV=production on SQLite: export jobs run in threads of the web process (lost on restart, no "
                "`flask worker`) and the database cannot be shared by a second machine. SQLite is for `make run` only; "
                "set DATABASE_URL=postgresql://… and run `flask worker` beside the web nodes.")
    return None


#: The address a debug or test app falls back to when no public address is configured (never used in production).
DEV_BASE_URL = "http://127.0.0.1:5000"


def public_base_url(config: Mapping[str, object], request_root: str | None = None) -> str | None:
    """The public address of the app, as printed in certificate QR codes and e-mail links, without a trailing "/".

    Takes the app config and, inside a request, the request's root URL (request.url_root). Returns BASE_URL
    (set from PUBLIC_BASE_URL, see from_environment) when configured. Without it a debug or testing app (DEBUG or
    TESTING, and not PRODUCTION) falls back to the request's root, else DEV_BASE_URL; a production app gets None:
    the caller must refuse to print an address (a certificate would point at the wrong server for good).
    """
    configured = str(config.get("BASE_URL") or "").strip().rstrip("/")
    if configured:
        return configured
    if (config.get("DEBUG") or config.get("TESTING")) and not config.get("PRODUCTION"):
        return (request_root or DEV_BASE_URL).rstrip("/")
    return None


def from_environment(environ: dict[str, str] | None = None) -> dict[str, object]:
    """Every setting that comes from the environment, read when an app is created (never when this module is imported).

    Takes the environment (default os.environ) and returns config keys, among them (README "Configuration" lists all):
    RATELIMIT_STORAGE_URI (str, default "memory://"), IDLE_TIMEOUT_MINUTES (int ≥ 1, default 480 = 8 hours),
    WEB_WORKERS (int, see web_workers), BASE_URL (str: PUBLIC_BASE_URL, else the older name BASE_URL, else ""
    = not configured; see public_base_url), TRUSTED_PROXY_HOPS (int ≥ 0, default 0: how many proxies in front
    of gunicorn append to X-Forwarded-For, e.g. 1 for nginx, 2 for a load balancer then nginx; the client address
    used by rate limits and the audit log is taken that many hops from the right). Raises ValueError with the
    variable's name on a malformed value.
    """
    env = os.environ if environ is None else environ
    idle = env.get("IDLE_TIMEOUT_MINUTES", "480").strip()
    if not idle.isdigit() or int(idle) < 1:
        raise ValueError(f"IDLE_TIMEOUT_MINUTES must be a whole number of minutes >= 1, not {idle!r}")
    hops = env.get("TRUSTED_PROXY_HOPS", "0").strip() or "0"
    if not hops.isdigit():
        raise ValueError(f"TRUSTED_PROXY_HOPS must be the whole number of proxies in front of the app (0, 1, 2…), not {hops!r}")
    def text(name: str, default: str = "") -> str:
        return env.get(name, default).strip()

    def number(name: str, default: int, minimum: int = 0) -> int:
        raw = env.get(name, "").strip() or str(default)
        if not raw.isdigit() or int(raw) < minimum:
            raise ValueError(f"{name} must be a whole number >= {minimum}, not {raw!r}")
        return int(raw)

    def flag(name: str) -> bool:
        return env.get(name, "0").strip() == "1"

    secure_cookies = flag("SESSION_COOKIE_SECURE")
    return {
        "SECRET_KEY": text("SECRET_KEY") or "dev-only-change-me",
        "SQLALCHEMY_DATABASE_URI": _normalise_db_url(text("DATABASE_URL") or _default_db_url()),
        "UPLOAD_DIR": text("UPLOAD_DIR") or str(INSTANCE_DIR / "uploads"),
        "CRITERIA_DIR": text("CRITERIA_DIR") or str(PROJECT_ROOT / "criteria"),
        # Largest evidence file (10 MiB); largest body of any page but the saves (50 MiB); evidence bytes kept from one
        # save (60 MiB: six scans; files beyond are refused by name, the typed values are still saved); hard cap on a
        # save's body (500 MiB: above it nothing can be read back); largest text part of a save (16 MiB); quotas far
        # above honest use: files per indicator, evidence bytes per submission (1 GiB), characters per explanation.
        "MAX_EVIDENCE_BYTES": number("MAX_EVIDENCE_BYTES", 10 * 1024 * 1024, 1),
        "MAX_CONTENT_LENGTH": number("MAX_CONTENT_LENGTH", 50 * 1024 * 1024, 1),
        "MAX_SAVE_BYTES": number("MAX_SAVE_BYTES", 60 * 1024 * 1024, 1),
        "MAX_SAVE_BODY_BYTES": number("MAX_SAVE_BODY_BYTES", 500 * 1024 * 1024, 1),
        "MAX_SAVE_TEXT_BYTES": number("MAX_SAVE_TEXT_BYTES", 16 * 1024 * 1024, 1),
        "MAX_FILES_PER_INDICATOR": number("MAX_FILES_PER_INDICATOR", 20, 1),
        "MAX_EVIDENCE_TOTAL_BYTES": number("MAX_EVIDENCE_TOTAL_BYTES", 1024 * 1024 * 1024, 1),
        "MAX_EXPLANATION_CHARS": number("MAX_EXPLANATION_CHARS", 20000, 1),
        "SESSION_COOKIE_SECURE": secure_cookies,
        "REMEMBER_COOKIE_SECURE": secure_cookies,
        # E-mail copies of notifications: off unless MAIL_ENABLED=1.
        "MAIL_ENABLED": flag("MAIL_ENABLED"),
        "MAIL_SERVER": text("MAIL_SERVER") or "localhost",
        "MAIL_PORT": number("MAIL_PORT", 25, 1),
        "MAIL_USE_TLS": flag("MAIL_USE_TLS"),
        "MAIL_USERNAME": text("MAIL_USERNAME") or None,
        "MAIL_PASSWORD": env.get("MAIL_PASSWORD") or None,
        "MAIL_DEFAULT_SENDER": text("MAIL_DEFAULT_SENDER") or "datchuan@localhost",
        "LOG_FORMAT": text("LOG_FORMAT") or "text",
        "LOG_LEVEL": text("LOG_LEVEL") or "INFO",
        # Production refuses a default or short SECRET_KEY and per-worker rate limits.
        "PRODUCTION": text("APP_ENV") == "production",
        # Export jobs: auto (procrastinate on PostgreSQL, a thread on SQLite), thread, sync, procrastinate; a running
        # export with no heartbeat for JOB_STALL_SECONDS is stalled; heartbeat interval; automatic re-queues of a
        # stalled export; how often `flask worker` looks for stalled exports (seconds).
        "JOBS_BACKEND": text("JOBS_BACKEND") or "auto",
        "JOB_STALL_SECONDS": number("JOB_STALL_SECONDS", 120, 1),
        "JOB_HEARTBEAT_SECONDS": number("JOB_HEARTBEAT_SECONDS", 15, 1),
        "JOB_AUTO_RETRIES": number("JOB_AUTO_RETRIES", 1),
        "JOB_SWEEP_SECONDS": number("JOB_SWEEP_SECONDS", 30, 1),
        # Rate limits (Flask-Limiter syntax), counted in RATELIMIT_STORAGE_URI: the public verify page, the login form,
        # the JSON API per token, the public survey per address; the fewest seconds between showing and sending a survey.
        "VERIFY_RATE_LIMIT": text("VERIFY_RATE_LIMIT") or "30 per minute",
        "LOGIN_RATE_LIMIT": text("LOGIN_RATE_LIMIT") or "10 per minute",
        "API_RATE_LIMIT": text("API_RATE_LIMIT") or "120 per minute",
        "SURVEY_RATE_LIMIT": text("SURVEY_RATE_LIMIT") or "6 per minute;60 per day",
        "SURVEY_MIN_SECONDS": number("SURVEY_MIN_SECONDS", 3),
        # Public results (/cong-khai/): the licence stated with the open data ("" = the configurable default "CC BY
        # 4.0", which the page says is not the city's decision), its link, max-age, built responses kept per process.
        "PUBLIC_DATA_LICENCE": text("PUBLIC_DATA_LICENCE"),
        "PUBLIC_DATA_LICENCE_URL": text("PUBLIC_DATA_LICENCE_URL"),
        "PUBLIC_CACHE_SECONDS": number("PUBLIC_CACHE_SECONDS", 300),
        "PUBLIC_RESPONSE_CACHE": number("PUBLIC_RESPONSE_CACHE", 32),
        # Optional PAdES signature of certificates: PEM key and certificate paths (unsigned when unset).
        "CERT_SIGNING_KEY": text("CERT_SIGNING_KEY") or None,
        "CERT_SIGNING_CERT": text("CERT_SIGNING_CERT") or None,
        "CERT_SIGNING_KEY_PASSWORD": env.get("CERT_SIGNING_KEY_PASSWORD") or None,
        # argon2 cost (argon2-cffi's defaults).
        "ARGON2_TIME_COST": number("ARGON2_TIME_COST", 3, 1),
        "ARGON2_MEMORY_COST": number("ARGON2_MEMORY_COST", 65536, 8),
        "TRUSTED_PROXY_HOPS": int(hops),
        "RATELIMIT_STORAGE_URI": env.get("RATELIMIT_STORAGE_URI", "").strip() or "memory://",
        "IDLE_TIMEOUT_MINUTES": int(idle),
        "WEB_WORKERS": web_workers(env),
        "BASE_URL": (env.get("PUBLIC_BASE_URL", "").strip() or env.get("BASE_URL", "").strip()).rstrip("/"),
    }


class Config:
    """The settings that do not come from the environment (the others: `from_environment`, read in create_app)."""

    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}
    BABEL_DEFAULT_LOCALE = "vi"
    BABEL_DEFAULT_TIMEZONE = "Asia/Ho_Chi_Minh"
    BABEL_TRANSLATION_DIRECTORIES = str(PROJECT_ROOT / "app" / "translations")
    LANGUAGES = ("vi", "en")
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    WTF_CSRF_TIME_LIMIT = None
    #: When the shared Redis is unreachable, each worker limits on its own (logged) instead of failing the request.
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True


class TestConfig(Config):
    """Settings for the test suite: in-memory SQLite unless TEST_DATABASE_URL names PostgreSQL."""

    TESTING = True
    SECRET_KEY = "test-secret-key-not-for-production-000000"  # nosec B105  # noqa: S105 - tests only
    SQLALCHEMY_DATABASE_URI = _normalise_db_url(
        os.environ.get("TEST_DATABASE_URL", "sqlite+pysqlite:///:memory:")
    )
    ARGON2_TIME_COST = 1
    ARGON2_MEMORY_COST = 1024
    MAX_EVIDENCE_BYTES = 200 * 1024
    MAIL_ENABLED = False
    MAIL_SUPPRESS_SEND = True
    PRODUCTION = False
    JOBS_BACKEND = "sync"
    LOGIN_RATE_LIMIT = "200 per minute"
    #: Each test app counts on its own, whatever the environment says; idle expiry at its default.
    RATELIMIT_STORAGE_URI = "memory://"
    IDLE_TIMEOUT_MINUTES = 480
    #: Certificates in tests point here, whatever the environment says.
    BASE_URL = DEV_BASE_URL
    #: Files in the test's own folder, whatever the environment says (S3 tests set their bucket themselves).
    STORAGE_BACKEND = "local"
