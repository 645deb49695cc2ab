"""Alembic: upgrade head on an empty database, no drift from the models, downgrade base."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from app.extensions import db
from tests.conftest import _reset_schema


def test_upgrade_compare_downgrade(app):
    _reset_schema()
    upgrade()
    tables = set(sa.inspect(db.engine).get_table_names())
    assert {"units", "users", "criteria_versions", "campaigns", "submissions", "answers", "evidence", "alembic_version",
            "audit_log", "notifications", "appraisals", "indicator_scores", "group_scores", "export_jobs"} <= tables
    with db.engine.connect() as conn:
        opts = {"compare_type": True, "include_object": lambda obj, name, type_, *a: not name.startswith("procrastinate_")}
        diff = compare_metadata(MigrationContext.configure(conn, opts=opts), db.metadata)
    assert diff == []
    # CHECK constraints are not compared by autogenerate: check the migrated one accepts every model unit type.
    from app.units.models import UNIT_TYPES

    with db.engine.begin() as conn:
        for n, unit_type in enumerate(UNIT_TYPES):
            conn.execute(sa.text("INSERT INTO units (code, name, unit_type, is_sample, data_source, created_at) "
                                 "VALUES (:c, :n, :t, false, 'test', CURRENT_TIMESTAMP)"), {"c": f"M{n}", "n": "Đơn vị", "t": unit_type})
    with pytest.raises(sa.exc.IntegrityError), db.engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO units (code, name, unit_type, is_sample, data_source, created_at) "
                             "VALUES ('X', 'X', 'village', false, 'test', CURRENT_TIMESTAMP)"))
    downgrade(revision="base")
    assert set(sa.inspect(db.engine).get_table_names()) <= {"alembic_version"}


def test_suite_runs_on_the_database_it_was_given(app):
    import os

    expected = "postgresql" if os.environ.get("TEST_DATABASE_URL", "").startswith("postgres") else "sqlite"
    assert db.engine.dialect.name == expected
