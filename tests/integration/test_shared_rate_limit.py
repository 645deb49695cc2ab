"""The login rate limit is one count for every worker and node: two separate gunicorn processes share one Redis
(RATELIMIT_STORAGE_URI). 10 failed logins spread over both, then the 11th is refused on either.

The test starts its own throwaway redis-server (Debian's /usr/bin/redis-server) on a free loopback port with no
persistence, and stops it and both app processes at the end, also on failure. Skipped only when redis-server is
not installed. The limit is set to "10 per hour" so a minute boundary can never reset the count mid-test.
"""

from __future__ import annotations

import html
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path

import pytest

from app.config import PROJECT_ROOT

REDIS_SERVER = shutil.which("redis-server") or ("/usr/bin/redis-server" if os.path.exists("/usr/bin/redis-server") else None)
pytestmark = pytest.mark.skipif(REDIS_SERVER is None, reason="redis-server is not installed (Debian package redis-server; .ci/run installs it)")

PASSWORD = "mat-khau-thu-nghiem"
CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
#: Bound on waiting for a process to come up (not a timing assertion: the test fails only if it never comes up).
STARTUP_SECONDS = 90


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(check, what: str, proc: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"{what} exited with {proc.returncode}:\n{log.read_text(errors='replace')[-3000:]}")
        try:
            if check():
                return
        except OSError:
            pass
        time.sleep(0.2)
    pytest.fail(f"{what} did not start within {STARTUP_SECONDS} s:\n{log.read_text(errors='replace')[-3000:]}")


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=20)


class Browser:
    """One browser (its own cookies) talking to one app process."""

    def __init__(self, port: int):
        self.base = f"http://127.0.0.1:{port}"
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))

    def status(self, path: str, data: dict | None = None) -> tuple[int, str]:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        try:
            with self.opener.open(self.base + path, data=body, timeout=60) as response:  # noqa: S310 - loopback test server
                return response.status, response.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode()

    def failed_login(self) -> int:
        status, page = self.status("/login")
        assert status == 200, page[:500]
        token = html.unescape(CSRF_RE.search(page).group(1))
        return self.status("/login", {"csrf_token": token, "username": "canbo.a", "password": "sai-mat-khau"})[0]


@pytest.fixture
def shared_redis(tmp_path):
    port = free_port()
    log = tmp_path / "redis.log"
    with log.open("w") as out:
        proc = subprocess.Popen([REDIS_SERVER, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",  # noqa: S603
                                 "--dir", str(tmp_path)], stdout=out, stderr=subprocess.STDOUT)
    try:
        import redis

        client = redis.Redis(host="127.0.0.1", port=port, socket_timeout=5)
        wait_until(client.ping, "redis-server", proc, log)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        stop(proc)


@pytest.fixture
def database(tmp_path):
    """A SQLite file with the schema and one official, shared by both app processes."""
    from app import create_app
    from app.auth.services import HashCost, create_user
    from app.extensions import db

    url = f"sqlite:///{tmp_path / 'shared.sqlite3'}"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True})
    with app.app_context():
        db.create_all()
        create_user(db.session, None, username="canbo.a", password=PASSWORD, role="viewer", cost=HashCost(1, 1024), system=True)
        db.session.commit()
        db.engine.dispose()
    return url


def start_app(tmp_path: Path, name: str, database: str, storage: str) -> tuple[subprocess.Popen, int, Path]:
    port = free_port()
    log = tmp_path / f"{name}.log"
    env = {**os.environ, "DATABASE_URL": database, "RATELIMIT_STORAGE_URI": storage, "LOGIN_RATE_LIMIT": "10 per hour",
           "SECRET_KEY": "cross-process-test-secret-key-000000000", "UPLOAD_DIR": str(tmp_path / "uploads"), "JOBS_BACKEND": "sync",
           "ARGON2_TIME_COST": "1", "ARGON2_MEMORY_COST": "1024", "WEB_CONCURRENCY": "1", "ACCESS_LOG": "-", "APP_ENV": "test"}
    with log.open("w") as out:
        proc = subprocess.Popen([sys.executable, "-m", "gunicorn", "--workers", "1", "--bind", f"127.0.0.1:{port}", "wsgi:app"],  # noqa: S603
                                cwd=PROJECT_ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    return proc, port, log


def test_login_limit_counts_across_two_app_processes(tmp_path, shared_redis, database):
    procs = []
    try:
        browsers = []
        for name in ("node-a", "node-b"):
            proc, port, log = start_app(tmp_path, name, database, shared_redis)
            procs.append(proc)
            browser = Browser(port)
            wait_until(lambda b=browser: b.status("/healthz")[0] == 200, name, proc, log)
            browsers.append(browser)
        a, b = browsers
        statuses = [(a if n % 2 == 0 else b).failed_login() for n in range(10)]
        assert statuses == [401] * 10  # five wrong passwords on each process, each refused as a wrong password
        assert a.failed_login() == 429  # the 11th is refused by the rate limit on either process...
        assert b.failed_login() == 429
        status, page = b.status("/login")
        assert status == 200  # GET is never limited
    finally:
        for proc in procs:
            stop(proc)
