"""The session-token migration: every existing user gets their own random token; stored file names lose their
control and bidi characters."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from app.extensions import db
from tests.conftest import _reset_schema

BEFORE = "c48a33e1b3fd"


def test_existing_users_get_distinct_tokens_and_file_names_are_cleaned(app):
    from app.campaigns.services import create_campaign, latest_versions, load_criteria, validate_paths
    from app.submissions.models import Evidence, Submission
    from app.units.models import Unit

    _reset_schema()
    upgrade()  # the data below is written with today's models, then the schema is taken back to BEFORE
    sets, errors = validate_paths([app.config["CRITERIA_DIR"]])
    assert not errors
    load_criteria(db.session, sets)
    unit = Unit(code="M1", name="Phường Mẫu", unit_type="phuong", data_source="test")
    db.session.add(unit)
    db.session.flush()
    version = next(v for v in latest_versions(db.session) if v.code == "CQTT")
    campaign = create_campaign(db.session, None, name="CQTT 2026", criteria_version_id=version.id, year=2026, opens_on=dt.date(2026, 1, 1),
                               closes_on=dt.date(2026, 12, 31), scope_unit_types=["phuong"], system=True)
    submission = Submission(campaign_id=campaign.id, unit_id=unit.id)
    db.session.add(submission)
    db.session.flush()
    # PostgreSQL never stored a NUL in text (it refuses one), so that row exists only on SQLite.
    nul = "bien\x00ban.pdf" if db.engine.dialect.name == "sqlite" else "bien\x1fban.pdf"
    for n, name in enumerate(("hoso\u202efdp.exe", nul, "Biên bản.pdf")):
        db.session.add(Evidence(submission_id=submission.id, indicator_code="G1.1", original_name=name, stored_name=f"s{n}",
                                kind="pdf", content_type="application/pdf", size=1, sha256="0" * 64))
    db.session.commit()
    db.session.remove()
    downgrade(revision=BEFORE)
    with db.engine.begin() as conn:
        for name in ("canbo.a", "canbo.b", "xem"):
            conn.execute(sa.text("INSERT INTO users (username, full_name, email, password_hash, role, is_enabled, locale, created_at) "
                                 "VALUES (:u, '', '', 'x', 'viewer', true, 'vi', CURRENT_TIMESTAMP)"), {"u": name})

    upgrade()
    with db.engine.connect() as conn:
        tokens = conn.execute(sa.text("SELECT session_token FROM users")).scalars().all()
        names = conn.execute(sa.text("SELECT original_name FROM evidence ORDER BY stored_name")).scalars().all()
    assert len(tokens) == 3 and len(set(tokens)) == 3 and all(len(t) >= 40 for t in tokens)
    assert names == ["hosofdp.exe", "bienban.pdf", "Biên bản.pdf"]
