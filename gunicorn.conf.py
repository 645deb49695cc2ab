"""gunicorn settings for `make serve` and production (override with GUNICORN_* or command-line flags)."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from app.config import shared_limits_problem, web_workers  # noqa: E402  (the app checks the same count at start-up)

bind = os.environ.get("BIND", f"127.0.0.1:{os.environ.get('PORT', '8000')}")
#: (2 × cores) + 1 sync workers unless WEB_CONCURRENCY says otherwise.
workers = web_workers()
worker_class = "sync"
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = 30
keepalive = 5
#: Restart workers now and then so memory stays bounded.
max_requests = 2000
max_requests_jitter = 200
accesslog = os.environ.get("ACCESS_LOG", "-")
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms rid=%({x-request-id}o)s'
errorlog = "-"
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")


def on_starting(server):
    """Refuse to start in production with per-worker (memory://) rate limits and more than one worker,
    whatever set the count (WEB_CONCURRENCY, this file or -w on the command line)."""
    problem = shared_limits_problem(os.environ.get("APP_ENV") == "production", os.environ.get("RATELIMIT_STORAGE_URI", ""),
                                    server.cfg.workers)
    if problem:
        raise SystemExit(problem)


def post_worker_init(worker):
    """After the worker loaded the app: move every object made so far (modules, the app, its templates' caches) to
    the collector's permanent generation, so the full collections a request's garbage triggers no longer walk them."""
    import gc

    gc.freeze()
