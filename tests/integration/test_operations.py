"""Operations: health check, request ids, JSON logs, production config refusal, backup/restore round trip."""

from __future__ import annotations

import json
import logging
import os

import pytest
import sqlalchemy as sa

from app import InsecureConfig, create_app
from app.config import TestConfig
from app.extensions import db
from app.units.models import Unit


def test_healthz_checks_the_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.get_json() == {"status": "ok"}
    assert len(response.headers["X-Request-ID"]) >= 8


def test_request_id_is_echoed(client):
    assert client.get("/healthz", headers={"X-Request-ID": "abcdef1234"}).headers["X-Request-ID"] == "abcdef1234"
    assert client.get("/healthz", headers={"X-Request-ID": "<script>"}).headers["X-Request-ID"] != "<script>"


def test_json_log_lines_carry_the_request_id(app, capsys):
    from app.logging_setup import JsonFormatter, RequestIdFilter

    record = logging.LogRecord("app.test", logging.INFO, __file__, 1, "Đã lưu %s", ("phiếu",), None)
    RequestIdFilter().filter(record)
    line = json.loads(JsonFormatter().format(record))
    assert line["message"] == "Đã lưu phiếu" and line["level"] == "INFO" and line["request_id"] == "-"


def test_production_refuses_a_default_or_short_secret_key():
    class Production(TestConfig):
        PRODUCTION = True
        SECRET_KEY = "dev-only-change-me"

    with pytest.raises(InsecureConfig):
        create_app(Production)

    class Short(Production):
        SECRET_KEY = "short-key"

    with pytest.raises(InsecureConfig):
        create_app(Short)

    class Good(Production):
        SECRET_KEY = "x" * 48
        WEB_WORKERS = 1  # one worker: in-memory rate limits are allowed (see test_sessions for several workers)

    assert create_app(Good)


def test_backup_and_restore_round_trip(app, runner, tmp_path, make_unit):
    if app.config["SQLALCHEMY_DATABASE_URI"].endswith(":memory:"):
        # The in-memory test database uses the same online backup API as a file database.
        pass
    make_unit("Phường Trước Sao Lưu", "phuong", "RT1")
    dest = tmp_path / "backup.bin"
    result = runner.invoke(args=["backup", str(dest)])
    assert result.exit_code == 0, result.output
    assert dest.stat().st_size > 0
    db.session.execute(sa.delete(Unit).where(Unit.code == "RT1"))
    make_unit("Phường Sau Sao Lưu", "phuong", "RT2")
    db.session.commit()
    result = runner.invoke(args=["restore", "--yes", str(dest)])
    assert result.exit_code == 0, result.output
    db.session.remove()
    codes = set(db.session.scalars(sa.select(Unit.code)))
    assert "RT1" in codes and "RT2" not in codes


def test_restore_refuses_a_missing_file(runner, tmp_path):
    result = runner.invoke(args=["restore", "--yes", str(tmp_path / "missing.bin")])
    assert result.exit_code != 0 and "no such backup file" in result.output


@pytest.mark.skipif(os.environ.get("CI_SKIP_GUNICORN") == "1", reason="gunicorn config check disabled")
def test_gunicorn_config_loads():
    import runpy

    config = runpy.run_path(str(__import__("pathlib").Path(__file__).resolve().parents[2] / "gunicorn.conf.py"))
    assert config["workers"] >= 3 and config["timeout"] >= 30 and config["accesslog"] == "-"


def test_create_first_admin_from_the_command_line(app, runner):
    from app.auth.models import User

    result = runner.invoke(args=["users", "create-admin", "quantri.moi", "--full-name", "Quản trị viên"], input="mat-khau-rat-dai\nmat-khau-rat-dai\n")
    assert result.exit_code == 0, result.output
    user = db.session.scalar(sa.select(User).where(User.username == "quantri.moi"))
    assert user.role == "admin" and user.password_hash.startswith("$argon2")
    again = runner.invoke(args=["users", "create-admin", "quantri.moi"], input="ngan\nngan\n")
    assert again.exit_code != 0 and "Tên đăng nhập này đã được dùng." in again.output
