"""Shared fixtures: app, client, CSRF-aware login, factories. SQLite in memory by default;
TEST_DATABASE_URL=postgresql://... runs the same suite against PostgreSQL."""

from __future__ import annotations

import datetime as dt
import os
import re
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient


def _database_per_xdist_worker() -> None:
    """Under pytest-xdist on PostgreSQL, give each worker its own database (`<name>_gw0`, `<name>_gw1`, …),
    created afresh, by rewriting TEST_DATABASE_URL before app.config reads it. Every test resets the schema of
    its database, so two workers must never share one. SQLite in memory needs nothing (one per process)."""
    url = os.environ.get("TEST_DATABASE_URL", "")
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if not worker or not url.startswith("postgres") or worker in url:
        return
    import psycopg
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    name = f"{parsed.database}_{worker}"
    if not name.replace("_", "").isalnum():
        raise RuntimeError(f"unexpected test database name {name!r}")
    with psycopg.connect(host=parsed.host, port=parsed.port, user=parsed.username, password=parsed.password, dbname="postgres",
                         autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')  # nosec B608 - name checked above, built from our own worker id
        conn.execute(f'CREATE DATABASE "{name}"')  # nosec B608
    os.environ["TEST_DATABASE_URL"] = parsed.set(database=name).render_as_string(hide_password=False)


_database_per_xdist_worker()  # before app.config reads TEST_DATABASE_URL

from hypothesis import settings as hypothesis_settings  # noqa: E402

#: No per-example deadline: it is a timing assertion, and a loaded CI machine (2 cores, two suites) trips it.
hypothesis_settings.register_profile("datchuan", deadline=None)
hypothesis_settings.load_profile("datchuan")

from app import create_app  # noqa: E402
from app.config import PROJECT_ROOT, TestConfig  # noqa: E402
from app.extensions import db  # noqa: E402

PASSWORD = "mat-khau-thu-nghiem"
CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
SEEDS_DIR = PROJECT_ROOT.parent / "shared" / "seeds"


def pytest_addoption(parser):
    parser.addoption("--no-browser", action="store_true", default=False,
                     help="skip the real-browser (Chromium) tests locally; CI never skips them")


def pytest_collection_modifyitems(config, items):
    if config.getoption("--no-browser") and not os.environ.get("CI"):
        skip = pytest.mark.skip(reason="--no-browser given")
        for item in items:
            if "browser" in item.keywords:
                item.add_marker(skip)


def _reset_schema(keep_tables: bool = False) -> bool:
    """Empty the test database. Without `keep_tables` nothing is left (for tests that run the migrations themselves).
    With it, returns True when the models' tables are there, empty, and False when they must be created.

    PostgreSQL with `keep_tables`: when the schema holds exactly the models' tables (the usual case), every table is
    emptied with one TRUNCATE … RESTART IDENTITY (about 0,1 s); otherwise (first test of a worker, or a test that ran migrations or
    created procrastinate's tables) the schema is dropped and made again (about 0,5 s). SQLite in memory: a new
    database per app, tables dropped if any."""
    db.session.remove()
    with db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            wanted = {table.name for table in db.metadata.sorted_tables}
            if keep_tables and set(sa.inspect(conn).get_table_names()) == wanted:
                names = ", ".join(f'"{table.name}"' for table in db.metadata.sorted_tables)
                conn.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))  # nosec B608 - our own table names
                return True
            conn.execute(sa.text("DROP SCHEMA public CASCADE"))
            conn.execute(sa.text("CREATE SCHEMA public"))
        else:
            db.metadata.drop_all(conn)
            conn.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))
    return False


@pytest.fixture
def app(tmp_path: Path):
    class Config(TestConfig):
        UPLOAD_DIR = str(tmp_path / "uploads")

    app = create_app(Config)
    with app.app_context():
        if not _reset_schema(keep_tables=True):
            db.create_all()
        yield app
        db.session.remove()


class Client:
    """Test client that fetches a CSRF token the way a browser would, from a rendered page."""

    def __init__(self, flask_client):
        self.c = flask_client

    def __getattr__(self, name):
        return getattr(self.c, name)

    def token(self, url: str = "/login") -> str:
        html = self.c.get(url, follow_redirects=True).get_data(as_text=True)
        match = CSRF_RE.search(html)
        assert match, f"no csrf token on {url}"
        return match.group(1)

    def post_form(self, url: str, data: dict | None = None, token_from: str | None = None, **kwargs):
        data = dict(data or {})
        data.setdefault("csrf_token", self.token(token_from or url))
        return self.c.post(url, data=data, **kwargs)

    def login(self, username: str, password: str = PASSWORD):
        return self.post_form("/login", {"username": username, "password": password})

    def logout(self):
        return self.post_form("/logout", token_from="/")


class FreshContextClient(FlaskClient):
    """Each request runs in its own app context, as in production, so `g` (CSRF token, logged-in
    user) never leaks from the test body's long-lived context into a request."""

    def open(self, *args, **kwargs):
        with self.application.app_context():
            return super().open(*args, **kwargs)


@pytest.fixture
def client(app) -> Client:
    app.test_client_class = FreshContextClient
    return Client(app.test_client())


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


_PARSED: dict[tuple, list] = {}


def _parsed_criteria(folder: str) -> list:
    """The repository's criteria files parsed and validated once per test process (keyed by the folder and every
    file's size and mtime, so a test that writes a file gets a fresh parse). The parsed sets are immutable."""
    from app.campaigns.services import validate_paths

    files = sorted(Path(folder).glob("**/*.y*ml"))
    key = (str(folder), *((str(f), f.stat().st_size, f.stat().st_mtime_ns) for f in files))
    if key not in _PARSED:
        sets, errors = validate_paths([folder])
        assert not errors, errors
        _PARSED[key] = sets
    return _PARSED[key]


@pytest.fixture
def criteria(app):
    """Load the repository's criteria files; returns {code: CriteriaVersion}."""
    from app.campaigns.services import latest_versions, load_criteria

    sets = _parsed_criteria(app.config["CRITERIA_DIR"])
    load_criteria(db.session, sets)
    db.session.commit()
    return {v.code: v for v in latest_versions(db.session)}


@pytest.fixture
def make_unit(app):
    from app.units.models import Unit

    counter = {"n": 0}

    def make(name: str = "Phường Thử Nghiệm", unit_type: str = "phuong", code: str | None = None) -> Unit:
        counter["n"] += 1
        unit = Unit(code=code or f"T{counter['n']:04d}", name=name, unit_type=unit_type, data_source="test")
        db.session.add(unit)
        db.session.commit()
        return unit

    return make


@pytest.fixture
def make_user(app):
    from app.auth.services import HashCost, create_user

    def make(username: str, role: str = "official", unit=None, scope=None, enabled: bool = True):
        user = create_user(db.session, None, username=username, password=PASSWORD, role=role, full_name=username.title(),
                           unit_id=unit.id if unit else None, scope_codes=scope or [],
                           cost=HashCost(app.config["ARGON2_TIME_COST"], app.config["ARGON2_MEMORY_COST"]), system=True)
        user.is_enabled = enabled
        db.session.commit()
        return user

    return make


@pytest.fixture
def make_campaign(app, criteria):
    from app.campaigns.services import create_campaign

    def make(code: str = "CQTT", types=("xa", "phuong", "dac_khu"), opens=dt.date(2020, 1, 1), closes=dt.date(2099, 12, 31),
             name: str | None = None, year: int = 2026):
        campaign = create_campaign(db.session, None, name=name or f"{criteria[code].name_vi} {year}",
                                   criteria_version_id=criteria[code].id, year=year, opens_on=opens, closes_on=closes,
                                   scope_unit_types=list(types), system=True)
        db.session.commit()
        return campaign

    return make


@pytest.fixture
def world(make_unit, make_user, make_campaign):
    """Two wards with an official each, a reviewer in and out of scope, a viewer, an admin, the CQTT campaign."""
    a = make_unit("Phường Hồng Bàng", "phuong", "11299")
    b = make_unit("Phường Lê Chân", "phuong", "11311")
    dept = make_unit("Sở Nội vụ (mẫu)", "department", "DEMO-1")
    campaign = make_campaign("CQTT")
    return {
        "unit_a": a, "unit_b": b, "dept": dept, "campaign": campaign,
        "official_a": make_user("canbo.a", "official", a),
        "official_b": make_user("canbo.b", "official", b),
        "reviewer_in": make_user("thamdinh.cqtt", "reviewer", scope=["CQTT"]),
        "reviewer_out": make_user("thamdinh.th", "reviewer", scope=["THXHCN"]),
        "viewer": make_user("xem", "viewer"),
        "admin": make_user("quantri", "admin"),
    }


# ------------------------------------------------------------------ small file builders

def pdf_bytes(size: int = 400) -> bytes:
    body = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    return body + b"%" * max(0, size - len(body))


def png_bytes() -> bytes:
    import base64

    return base64.b64decode(
        "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
    )
