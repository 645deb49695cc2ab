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
    """Settings read from the environment when an app is created (not frozen when this module is imported).

    Takes the environment (default os.environ) and returns config keys:
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
    return {
        "TRUSTED_PROXY_HOPS": int(hops),
        "RATELIMIT_STORAGE_URI": env.get("RATELIMIT_STORAGE_URI", "").strip() or "memory://",
        "IDLE_TIMEOUT_MINUTES": int(idle),
        "WEB_WORKERS": web_workers(env),
        "BASE_URL": (env.get("PUBLIC_BASE_URL", "").strip() or env.get("BASE_URL", "").strip()).rstrip("/"),
    }


class Config:
    """Settings for a normal run. Every value can be overridden by an environment variable."""

    SECRET_KEY = os.environ.get("SECRET_KEY", "dev-only-change-me")
    SQLALCHEMY_DATABASE_URI = _normalise_db_url(os.environ.get("DATABASE_URL", _default_db_url()))
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}
    UPLOAD_DIR = os.environ.get("UPLOAD_DIR", str(INSTANCE_DIR / "uploads"))
    #: Largest evidence file accepted, in bytes (default 10 MiB).
    MAX_EVIDENCE_BYTES = int(os.environ.get("MAX_EVIDENCE_BYTES", str(10 * 1024 * 1024)))
    #: Largest request body for every page except the questionnaire and appraisal saves (below).
    MAX_CONTENT_LENGTH = int(os.environ.get("MAX_CONTENT_LENGTH", str(50 * 1024 * 1024)))
    #: Questionnaire/appraisal saves: evidence bytes kept from one save (default 60 MiB: six 10 MiB scans);
    #: files beyond it are refused by name, the typed values are still saved.
    MAX_SAVE_BYTES = int(os.environ.get("MAX_SAVE_BYTES", str(60 * 1024 * 1024)))
    #: Hard cap on the body of one save (default 500 MiB). Above it the body is not read at all, so
    #: nothing typed can be recovered (the page says so); below it every text field is read.
    MAX_SAVE_BODY_BYTES = int(os.environ.get("MAX_SAVE_BODY_BYTES", str(500 * 1024 * 1024)))
    #: Largest text part of a save (one field in a questionnaire save; the whole text form of an appraisal), default 16 MiB.
    MAX_SAVE_TEXT_BYTES = int(os.environ.get("MAX_SAVE_TEXT_BYTES", str(16 * 1024 * 1024)))
    #: Quotas, far above honest use: files per indicator (20), evidence bytes per submission (1 GiB), characters per
    #: explanation or appraisal comment (20 000, about six A4 pages; longer material belongs in an evidence file).
    MAX_FILES_PER_INDICATOR = int(os.environ.get("MAX_FILES_PER_INDICATOR", "20"))
    MAX_EVIDENCE_TOTAL_BYTES = int(os.environ.get("MAX_EVIDENCE_TOTAL_BYTES", str(1024 * 1024 * 1024)))
    MAX_EXPLANATION_CHARS = int(os.environ.get("MAX_EXPLANATION_CHARS", "20000"))
    CRITERIA_DIR = os.environ.get("CRITERIA_DIR", str(PROJECT_ROOT / "criteria"))
    BABEL_DEFAULT_LOCALE = "vi"
    BABEL_DEFAULT_TIMEZONE = "Asia/Ho_Chi_Minh"
    BABEL_TRANSLATION_DIRECTORIES = str(PROJECT_ROOT / "app" / "translations")
    LANGUAGES = ("vi", "en")
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = os.environ.get("SESSION_COOKIE_SECURE", "0") == "1"
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE
    REMEMBER_COOKIE_HTTPONLY = True
    WTF_CSRF_TIME_LIMIT = None
    #: E-mail copies of notifications: off unless MAIL_ENABLED=1 (Flask-Mail settings below).
    MAIL_ENABLED = os.environ.get("MAIL_ENABLED", "0") == "1"
    MAIL_SERVER = os.environ.get("MAIL_SERVER", "localhost")
    MAIL_PORT = int(os.environ.get("MAIL_PORT", "25"))
    MAIL_USE_TLS = os.environ.get("MAIL_USE_TLS", "0") == "1"
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME") or None
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD") or None
    MAIL_DEFAULT_SENDER = os.environ.get("MAIL_DEFAULT_SENDER", "datchuan@localhost")
    #: Public base URL used in e-mails and certificate QR codes: PUBLIC_BASE_URL (or BASE_URL), read by
    #: from_environment() in create_app; `make run` sets it from HOST and PORT. See public_base_url().
    #: Log format: text (default) or json; every line carries the request id.
    LOG_FORMAT = os.environ.get("LOG_FORMAT", "text")
    LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO")
    #: Production mode refuses a default or short SECRET_KEY (also set by APP_ENV=production).
    PRODUCTION = os.environ.get("APP_ENV") == "production"
    #: How export jobs run: auto (procrastinate on PostgreSQL, a thread on SQLite), thread, sync, procrastinate.
    JOBS_BACKEND = os.environ.get("JOBS_BACKEND", "auto")
    #: A running export whose heartbeat is older than this many seconds is stalled (its worker died).
    JOB_STALL_SECONDS = int(os.environ.get("JOB_STALL_SECONDS", "120"))
    #: How often a running export writes its heartbeat, in seconds (well under JOB_STALL_SECONDS).
    JOB_HEARTBEAT_SECONDS = int(os.environ.get("JOB_HEARTBEAT_SECONDS", "15"))
    #: How many times a stalled export is queued again by itself before it is marked failed.
    JOB_AUTO_RETRIES = int(os.environ.get("JOB_AUTO_RETRIES", "1"))
    #: How often `flask worker` looks for stalled exports, in seconds.
    JOB_SWEEP_SECONDS = int(os.environ.get("JOB_SWEEP_SECONDS", "30"))
    #: Rate limits: the public verification page and the login form. Their store, RATELIMIT_STORAGE_URI
    #: (memory:// or redis://host:port/db), and IDLE_TIMEOUT_MINUTES are read by from_environment() in create_app.
    VERIFY_RATE_LIMIT = os.environ.get("VERIFY_RATE_LIMIT", "30 per minute")
    LOGIN_RATE_LIMIT = os.environ.get("LOGIN_RATE_LIMIT", "10 per minute")
    #: The JSON API (/api/v1/): requests per token (per address without a well-formed token), in the shared store.
    API_RATE_LIMIT = os.environ.get("API_RATE_LIMIT", "120 per minute")
    #: Public citizen surveys: per-address limit on sending a response (in the shared store), the fewest
    #: seconds between opening the form and sending it, and one response per device per day (cookie).
    SURVEY_RATE_LIMIT = os.environ.get("SURVEY_RATE_LIMIT", "6 per minute;60 per day")
    SURVEY_MIN_SECONDS = int(os.environ.get("SURVEY_MIN_SECONDS", "3"))
    #: Public results (/cong-khai/) and its open data: the licence stated in the CSV and JSON and on the page. The default
    #: "CC BY 4.0" is the software's suggestion, not the city's decision: until PUBLIC_DATA_LICENCE is set, the page and
    #: the data say it is a configurable default. PUBLIC_CACHE_SECONDS is the max-age of those public responses.
    PUBLIC_DATA_LICENCE = os.environ.get("PUBLIC_DATA_LICENCE", "").strip()
    PUBLIC_DATA_LICENCE_URL = os.environ.get("PUBLIC_DATA_LICENCE_URL", "").strip()
    PUBLIC_CACHE_SECONDS = int(os.environ.get("PUBLIC_CACHE_SECONDS", "300"))
    #: How many built public responses each process keeps, by ETag (0 turns this cache off).
    PUBLIC_RESPONSE_CACHE = int(os.environ.get("PUBLIC_RESPONSE_CACHE", "32"))
    #: When the shared Redis is unreachable, each worker limits on its own (logged) instead of failing the request.
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    #: Optional PAdES signature of certificates: PEM key and certificate paths (unsigned when unset).
    CERT_SIGNING_KEY = os.environ.get("CERT_SIGNING_KEY") or None
    CERT_SIGNING_CERT = os.environ.get("CERT_SIGNING_CERT") or None
    CERT_SIGNING_KEY_PASSWORD = os.environ.get("CERT_SIGNING_KEY_PASSWORD") or None
    #: argon2 cost parameters (argon2-cffi defaults unless overridden).
    ARGON2_TIME_COST = int(os.environ.get("ARGON2_TIME_COST", "3"))
    ARGON2_MEMORY_COST = int(os.environ.get("ARGON2_MEMORY_COST", "65536"))


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
