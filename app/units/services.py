"""Unit services: load the official register and the sample file, list units."""

from __future__ import annotations

from importlib import metadata
from pathlib import Path

import sqlalchemy as sa
import yaml
from sqlalchemy.orm import Session

from app.text import nfc, vn_sort_key

from .models import UNIT_TYPES, Unit

CITY_PROVINCE_CODE = 31
CITY_NAME = "Thành phố Hải Phòng"
SAMPLE_FILE = Path(__file__).with_name("sample_units.yaml")
_DIVISION_TO_TYPE = {"xã": "xa", "phường": "phuong", "đặc khu": "dac_khu"}


def _upsert(session: Session, code: str, name: str, unit_type: str, parent: Unit | None,
            is_sample: bool, data_source: str) -> tuple[Unit, bool]:
    unit = session.scalar(sa.select(Unit).where(Unit.code == code))
    created = unit is None
    if created:
        unit = Unit(code=code)
        session.add(unit)
    unit.name = nfc(name) or name
    unit.unit_type = unit_type
    unit.parent = parent
    unit.is_sample = is_sample
    unit.data_source = data_source
    return unit, created


def load_official_units(session: Session) -> dict[str, int]:
    """Load the city and its 2025 commune-level units from vietnam-provinces. Idempotent."""
    from vietnam_provinces import Province, ProvinceCode, Ward

    source = f"vietnam-provinces {metadata.version('vietnam-provinces')}"
    province = Province.from_code(ProvinceCode(CITY_PROVINCE_CODE))
    city, _ = _upsert(session, str(CITY_PROVINCE_CODE), province.name or CITY_NAME, "city", None, False, source)
    session.flush()
    counts = {"created": 0, "updated": 0}
    for ward in Ward.iter_all():
        if int(ward.province_code) != CITY_PROVINCE_CODE:
            continue
        unit_type = _DIVISION_TO_TYPE[ward.division_type.value]
        _, created = _upsert(session, str(int(ward.code)), ward.name, unit_type, city, False, source)
        counts["created" if created else "updated"] += 1
    session.flush()
    return counts


def load_sample_units(session: Session, path: Path = SAMPLE_FILE) -> int:
    """Load the labelled sample departments, schools and youth branches. Idempotent."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not data.get("sample_data"):
        raise ValueError(f"{path} is not marked sample_data: true")
    city = session.scalar(sa.select(Unit).where(Unit.code == str(CITY_PROVINCE_CODE)))
    for row in data["units"]:
        if row["type"] not in UNIT_TYPES:
            raise ValueError(f"{path}: unknown unit type {row['type']!r}")
        _upsert(session, row["code"], row["name"], row["type"], city, True, path.name)
    session.flush()
    return len(data["units"])


def count_by_type(session: Session) -> dict[str, int]:
    rows = session.execute(sa.select(Unit.unit_type, sa.func.count().label("n")).group_by(Unit.unit_type))
    return {row.unit_type: row.n for row in rows}


def unit_choices(session: Session) -> list[tuple[int, str]]:
    units = sorted(session.scalars(sa.select(Unit)), key=lambda u: (u.unit_type, vn_sort_key(u.name)))
    return [(u.id, f"{u.name} ({u.type_label})") for u in units]


def find_by_name(session: Session, name: str) -> Unit | None:
    return session.scalar(sa.select(Unit).where(Unit.name == nfc(name)))
