"""A throwaway S3-compatible server for tests: moto's standalone server (PyPI `moto[server]`, in the dev extra),
started as its own process on a free 127.0.0.1 port and stopped at the end.

Why moto and not MinIO: MinIO is neither packaged in Debian nor on PyPI, and nothing but the package registries
can be reached here (no binary download), so moto's server is the S3-compatible server that installs. It speaks
the S3 REST API over real HTTP, so the app's boto3 client, its multipart uploads and streamed downloads are
exercised end to end. Nothing is persisted; every test uses its own bucket (`new_bucket`).
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import secrets
import socket
import subprocess  # nosec B404 - starts moto's server with fixed arguments
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator

#: Bound on waiting for the server to answer (not a timing assertion: only a server that never comes up fails).
STARTUP_SECONDS = 60
ACCESS_KEY = "testing"
SECRET_KEY = "testing"  # noqa: S105 - moto accepts any credentials


def moto_installed() -> bool:
    """Whether moto's server can be started (moto and its server extra, flask, importable)."""
    return importlib.util.find_spec("moto") is not None and importlib.util.find_spec("moto.server") is not None


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def moto_server() -> Iterator[str]:
    """Start `python -m moto.server` on a free loopback port; yield its endpoint URL; stop it on exit. Raises
    RuntimeError (with the server's log) if it exits or does not answer within STARTUP_SECONDS."""
    port = free_port()
    log = tempfile.TemporaryFile()  # noqa: SIM115 - closed below
    env = {**os.environ, "MOTO_PORT": str(port)}
    proc = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],  # nosec B603  # noqa: S603
                            stdout=log, stderr=subprocess.STDOUT, env=env)
    endpoint = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            if proc.poll() is not None or time.monotonic() > deadline:
                log.seek(0)
                raise RuntimeError(f"moto server did not start (exit code {proc.poll()}):\n{log.read().decode(errors='replace')[-3000:]}")
            try:
                with urllib.request.urlopen(endpoint + "/moto-api/", timeout=2):  # noqa: S310 - loopback
                    break
            except OSError:
                time.sleep(0.1)
        yield endpoint
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=20)
        log.close()


_clients: dict = {}


def new_bucket(endpoint: str) -> dict[str, str]:
    """Create a bucket with a fresh random name on the server at `endpoint`; return the app config keys that
    point STORAGE_BACKEND=s3 at it."""
    import boto3

    name = f"test-{secrets.token_hex(6)}"
    if endpoint not in _clients:
        _clients[endpoint] = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id=ACCESS_KEY,
                                          aws_secret_access_key=SECRET_KEY)
    _clients[endpoint].create_bucket(Bucket=name)
    return {"STORAGE_BACKEND": "s3", "S3_BUCKET": name, "S3_ENDPOINT_URL": endpoint, "S3_REGION": "us-east-1",
            "S3_ACCESS_KEY_ID": ACCESS_KEY, "S3_SECRET_ACCESS_KEY": SECRET_KEY, "S3_PREFIX": ""}
