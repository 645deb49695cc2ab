"""Loading the official 2025 units of Hải Phòng and the sample file."""

from __future__ import annotations

import sqlalchemy as sa

from app.extensions import db
from app.units.models import Unit
from app.units.services import count_by_type, load_official_units, load_sample_units


def test_official_units_counts_and_idempotence(app):
    first = load_official_units(db.session)
    db.session.commit()
    assert first == {"created": 114, "updated": 0}
    assert count_by_type(db.session) == {"city": 1, "xa": 67, "phuong": 45, "dac_khu": 2}
    city = db.session.scalar(sa.select(Unit).where(Unit.unit_type == "city"))
    assert city.name == "Thành phố Hải Phòng" and city.code == "31"
    hong_bang = db.session.scalar(sa.select(Unit).where(Unit.name == "Phường Hồng Bàng"))
    assert hong_bang.parent_id == city.id and hong_bang.code.isdigit() and not hong_bang.is_sample
    assert db.session.scalar(sa.select(Unit).where(Unit.name == "Đặc khu Bạch Long Vĩ")).unit_type == "dac_khu"
    again = load_official_units(db.session)
    db.session.commit()
    assert again == {"created": 0, "updated": 114}
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Unit)) == 115


def test_sample_units_are_labelled(app):
    load_official_units(db.session)
    n = load_sample_units(db.session)
    load_sample_units(db.session)
    db.session.commit()
    samples = list(db.session.scalars(sa.select(Unit).where(Unit.is_sample)))
    assert len(samples) == n
    assert {u.unit_type for u in samples} == {"department", "school", "youth_branch", "health_facility", "association", "enterprise"}
    assert all(u.data_source == "sample_units.yaml" for u in samples)
