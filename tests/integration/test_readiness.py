"""/readyz: the database, the shared Redis (when configured) and the file store, each named when it fails.
/healthz stays the liveness check (database only); a load balancer takes a node out on /readyz."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess  # nosec B404 - starts a throwaway redis-server
import time

import pytest

REDIS_SERVER = shutil.which("redis-server") or ("/usr/bin/redis-server" if os.path.exists("/usr/bin/redis-server") else None)


def _closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_ready_with_memory_limits_and_a_writable_upload_dir(client, app):
    os.makedirs(app.config["UPLOAD_DIR"], exist_ok=True)
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "checks": {"database": "ok", "redis": "not used", "storage": "ok"}}


def test_degraded_but_serving_when_the_shared_redis_does_not_answer(client, app):
    """Redis is shared by every node: failing the probe would take them all out at once, while the app keeps
    serving with per-worker counts. The probe says "degraded" (for alerts) with 200."""
    os.makedirs(app.config["UPLOAD_DIR"], exist_ok=True)
    app.config["RATELIMIT_STORAGE_URI"] = f"redis://127.0.0.1:{_closed_port()}/0"
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "degraded", "checks": {"database": "ok", "redis": "unavailable", "storage": "ok"}}


def test_not_ready_when_the_database_does_not_answer(client, app, monkeypatch):
    import sqlalchemy as sa

    from app.extensions import db

    os.makedirs(app.config["UPLOAD_DIR"], exist_ok=True)

    def down(*args, **kwargs):
        raise sa.exc.OperationalError("SELECT 1", {}, Exception("connection refused"))

    monkeypatch.setattr(db.session, "execute", down)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "unavailable", "checks": {"database": "unavailable", "redis": "not used", "storage": "ok"}}


def test_not_ready_when_the_upload_dir_cannot_be_there(client, app, tmp_path):
    app.config["UPLOAD_DIR"] = str(tmp_path / "no-such-mount" / "uploads")  # its parent is missing too (an absent mount)
    response = client.get("/readyz")
    assert response.status_code == 503 and response.get_json()["checks"]["storage"] == "unavailable"
    app.config["UPLOAD_DIR"] = str(tmp_path / "uploads-not-yet-created")  # a fresh install: created on the first upload
    assert client.get("/readyz").status_code == 200


@pytest.mark.skipif(REDIS_SERVER is None, reason="redis-server is not installed (Debian package redis-server; .ci/run installs it)")
def test_ready_when_the_shared_redis_answers(client, app, tmp_path):
    os.makedirs(app.config["UPLOAD_DIR"], exist_ok=True)
    port = _closed_port()
    proc = subprocess.Popen([REDIS_SERVER, "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no",  # noqa: S603  # nosec B603
                             "--dir", str(tmp_path)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert proc.poll() is None and time.monotonic() < deadline, "redis-server did not start"
                time.sleep(0.05)
        app.config["RATELIMIT_STORAGE_URI"] = f"redis://127.0.0.1:{port}/0"
        response = client.get("/readyz")
        assert response.status_code == 200 and response.get_json()["checks"]["redis"] == "ok"
    finally:
        proc.terminate()
        proc.wait(timeout=20)
