"""The public address printed in certificates: from PUBLIC_BASE_URL, set by `make run` from its PORT."""

from __future__ import annotations

import shutil
import subprocess  # nosec B404 - runs make -n on the project's own Makefile

import pytest

from app.config import DEV_BASE_URL, PROJECT_ROOT, from_environment, public_base_url


def test_read_from_the_environment_when_the_app_is_created():
    assert from_environment({"PUBLIC_BASE_URL": "https://datchuan.haiphong.gov.vn/"})["BASE_URL"] == "https://datchuan.haiphong.gov.vn"
    assert from_environment({"BASE_URL": "https://cu.example.vn"})["BASE_URL"] == "https://cu.example.vn"  # the older name
    assert from_environment({"PUBLIC_BASE_URL": "https://moi.vn", "BASE_URL": "https://cu.vn"})["BASE_URL"] == "https://moi.vn"
    assert from_environment({})["BASE_URL"] == ""


@pytest.mark.parametrize(("config", "root", "expected"), [
    ({"BASE_URL": "https://datchuan.haiphong.gov.vn/"}, None, "https://datchuan.haiphong.gov.vn"),
    ({"BASE_URL": "https://datchuan.haiphong.gov.vn", "DEBUG": True}, "http://127.0.0.1:5123/", "https://datchuan.haiphong.gov.vn"),
    ({"BASE_URL": ""}, "http://127.0.0.1:5123/", None),                       # production: no address, no guess
    ({"BASE_URL": "", "DEBUG": True}, "http://127.0.0.1:5123/", "http://127.0.0.1:5123"),  # debug: this request's address
    ({"BASE_URL": "", "TESTING": True}, None, DEV_BASE_URL),
    ({"BASE_URL": "", "DEBUG": True, "PRODUCTION": True}, "http://127.0.0.1:5123/", None),
])
def test_public_base_url(config, root, expected):
    assert public_base_url(config, root) == expected


def _make_n(*args: str, env: dict[str, str]) -> str:
    make = shutil.which("make")
    if make is None:
        pytest.skip("make is not installed")
    done = subprocess.run([make, "-n", "-s", "-C", str(PROJECT_ROOT), "run", *args], capture_output=True, text=True,  # noqa: S603
                          env=env, check=False, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


def _server_line(output: str) -> str:
    return next(line for line in output.splitlines() if " run --host " in line)


def test_make_run_sets_the_public_address_from_its_port(monkeypatch):
    env = {"PATH": "/usr/bin:/bin"}
    assert _server_line(_make_n("PORT=5123", env=env)).startswith("PUBLIC_BASE_URL='http://127.0.0.1:5123' ")
    assert "--port 5123" in _server_line(_make_n("PORT=5123", env=env))
    assert _server_line(_make_n(env=env)).startswith("PUBLIC_BASE_URL='http://127.0.0.1:5000' ")
    # An address given by the operator wins over the one made from the port.
    given = _make_n("PORT=5123", env={**env, "PUBLIC_BASE_URL": "https://datchuan.haiphong.gov.vn"})
    assert _server_line(given).startswith("PUBLIC_BASE_URL='https://datchuan.haiphong.gov.vn' ")
