"""`flask demo seed`: sample units, one login per role and the demo campaigns. Idempotent."""

from __future__ import annotations

import datetime as dt

import click
import sqlalchemy as sa
from flask import Blueprint, current_app

from app.auth.models import User
from app.auth.services import HashCost, create_user
from app.campaigns.models import Campaign
from app.campaigns.services import create_campaign, latest_versions
from app.extensions import db
from app.units.models import Unit
from app.units.services import find_by_name, load_sample_units

bp = Blueprint("demo_cli", __name__, cli_group="demo")

DEMO_PASSWORD = "DatChuan@2026"  # noqa: S105 - printed demo password, demo data only
#: (username, role, full name, unit name or None, reviewer scope)
DEMO_USERS = [
    ("admin", "admin", "Quản trị hệ thống", None, []),
    ("canbo.hongbang", "official", "Nguyễn Thị Lan (Phường Hồng Bàng)", "Phường Hồng Bàng", []),
    ("canbo.lechan", "official", "Trần Văn Minh (Phường Lê Chân)", "Phường Lê Chân", []),
    ("canbo.cathai", "official", "Phạm Văn Hải (Đặc khu Cát Hải)", "Đặc khu Cát Hải", []),
    ("canbo.sonoivu", "official", "Lê Thu Hà (Sở Nội vụ — mẫu)", "Sở Nội vụ thành phố Hải Phòng", []),
    ("canbo.truong", "official", "Đỗ Quang Huy (Trường THPT Ngô Quyền — mẫu)", "Trường THPT Ngô Quyền (mẫu)", []),
    ("thamdinh", "reviewer", "Vũ Thị Mai (thẩm định CQTT, CSTT)", None, ["CQTT", "CSTT"]),
    ("xem", "viewer", "Hoàng Văn Nam (xem toàn thành phố)", None, []),
]
#: (campaign name, set code, unit types)
DEMO_CAMPAIGNS = [
    ("Chính quyền thân thiện 2026", "CQTT", ["xa", "phuong", "dac_khu"]),
    ("Công sở thân thiện 2026", "CSTT", ["department"]),
    ("Trường học xã hội chủ nghĩa 2026", "THXHCN", ["school"]),
]


def seed(session) -> list[tuple[str, str, str]]:
    """Create what is missing; return (username, role, unit) for every demo login."""
    load_sample_units(session)
    cost = HashCost(current_app.config["ARGON2_TIME_COST"], current_app.config["ARGON2_MEMORY_COST"])
    logins = []
    for username, role, full_name, unit_name, scope in DEMO_USERS:
        unit = find_by_name(session, unit_name) if unit_name else None
        if unit_name and unit is None:
            raise click.ClickException(f"unit {unit_name!r} not found: run `flask units load` first")
        if session.scalar(sa.select(User).where(User.username == username)) is None:
            create_user(session, None, username=username, password=DEMO_PASSWORD, role=role, full_name=full_name,
                        unit_id=unit.id if unit else None, scope_codes=scope, cost=cost, system=True)
        logins.append((username, role, unit.name if unit else ""))
    versions = {v.code: v for v in latest_versions(session)}
    for name, code, types in DEMO_CAMPAIGNS:
        if code not in versions:
            raise click.ClickException(f"criteria set {code} not loaded: run `flask criteria load` first")
        if session.scalar(sa.select(Campaign).where(Campaign.name == name)) is None:
            create_campaign(session, None, name=name, criteria_version_id=versions[code].id, year=2026,
                            opens_on=dt.date(2026, 1, 1), closes_on=dt.date(2026, 12, 31), scope_unit_types=types,
                            system=True)
    session.flush()
    return logins


@bp.cli.command("seed")
def seed_command() -> None:
    """Create sample units, demo users (one per role) and the demo campaigns."""
    logins = seed(db.session)
    db.session.commit()
    units = db.session.scalar(sa.select(sa.func.count()).select_from(Unit))
    click.echo(f"demo data ready ({units} units). Demo logins (password {DEMO_PASSWORD}):")
    for username, role, unit in logins:
        click.echo(f"  {username:<16} {role:<9} {unit}")
