"""Jobs in production: `flask worker` needs PostgreSQL, and SQLite is for `make run` only (the worker says so;
a production app on SQLite logs a warning). The worker itself is killed and restarted on PostgreSQL in
tests/functional/test_worker_killed.py."""

from __future__ import annotations

import logging

import pytest

from app import create_app
from app.config import TestConfig, sqlite_in_production_problem


class OnSqlite(TestConfig):
    SQLALCHEMY_DATABASE_URI = "sqlite://"


@pytest.mark.parametrize(("production", "uri", "warned"), [
    (True, "sqlite:///instance/datchuan.sqlite3", True),
    (True, "sqlite+pysqlite:///:memory:", True),
    (True, "postgresql+psycopg://datchuan@db.internal/datchuan", False),
    (False, "sqlite:///instance/datchuan.sqlite3", False),
])
def test_sqlite_in_production_is_named(production, uri, warned):
    problem = sqlite_in_production_problem(production, uri)
    assert (problem is not None) == warned
    if warned:
        assert "make run" in problem and "DATABASE_URL=postgresql://" in problem and "flask worker" in problem


def test_a_production_app_on_sqlite_logs_the_warning_at_start(caplog):
    class Production(OnSqlite):
        PRODUCTION = True
        SECRET_KEY = "x" * 48
        WEB_WORKERS = 1

    with caplog.at_level(logging.WARNING):
        create_app(Production)
    assert any("APP_ENV=production on SQLite" in r.getMessage() for r in caplog.records)

    caplog.clear()
    with caplog.at_level(logging.WARNING):
        create_app(OnSqlite)  # not production: `make run` stays quiet
    assert not any("SQLite" in r.getMessage() for r in caplog.records)


def test_flask_worker_on_sqlite_refuses_and_says_it_is_not_for_production():
    result = create_app(OnSqlite).test_cli_runner().invoke(args=["worker", "--once"])
    assert result.exit_code != 0
    assert "needs PostgreSQL" in result.output and "not for production" in result.output and "make run" in result.output
