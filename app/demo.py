"""`flask demo seed`: sample units, demo logins (every role and unit type) and one campaign per criteria set. Idempotent."""

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
from app.submissions.services import today_local
from app.units.models import Unit
from app.units.services import find_by_name, load_sample_units

bp = Blueprint("demo_cli", __name__, cli_group="demo")

DEMO_PASSWORD = "DatChuan@2026"  # nosec B105  # noqa: S105 - printed demo password, demo data only
#: (username, role, full name, unit name or None, reviewer scope)
DEMO_USERS = [
    ("admin", "admin", "Quản trị hệ thống", None, []),
    ("canbo.hongbang", "official", "Nguyễn Thị Lan (Phường Hồng Bàng)", "Phường Hồng Bàng", []),
    ("canbo.lechan", "official", "Trần Văn Minh (Phường Lê Chân)", "Phường Lê Chân", []),
    ("canbo.cathai", "official", "Phạm Văn Hải (Đặc khu Cát Hải)", "Đặc khu Cát Hải", []),
    ("canbo.thanhpho", "official", "Bùi Minh Tuấn (Văn phòng UBND thành phố)", "Thành phố Hải Phòng", []),
    ("canbo.sonoivu", "official", "Lê Thu Hà (Sở Nội vụ)", "Sở Nội vụ thành phố Hải Phòng", []),
    ("canbo.truong", "official", "Đỗ Quang Huy (Trường THPT Ngô Quyền — mẫu)", "Trường THPT Ngô Quyền (mẫu)", []),
    ("canbo.chidoan", "official", "Ngô Thanh Tâm (Bí thư chi đoàn — mẫu)", "Chi đoàn Phường Hồng Bàng (mẫu)", []),
    ("canbo.yte", "official", "Đặng Thị Hoa (Trung tâm Y tế — mẫu)", "Trung tâm Y tế khu vực Hồng Bàng (mẫu)", []),
    ("canbo.phunu", "official", "Vũ Thị Hằng (Hội Phụ nữ — mẫu)", "Hội Liên hiệp Phụ nữ phường Hồng Bàng (mẫu)", []),
    ("canbo.nongdan", "official", "Phạm Văn Lực (Hội Nông dân — mẫu)", "Hội Nông dân xã An Lão (mẫu)", []),
    ("canbo.trithuc", "official", "Trịnh Quốc Bảo (Liên hiệp các Hội KH&KT — mẫu)", "Liên hiệp các Hội Khoa học và Kỹ thuật thành phố (mẫu)", []),
    ("canbo.ccb", "official", "Hoàng Văn Thắng (Hội Cựu chiến binh — mẫu)", "Hội Cựu chiến binh phường Lê Chân (mẫu)", []),
    ("canbo.tongiao", "official", "Nguyễn Văn Phúc (Ban đoàn kết công giáo — mẫu)", "Ban đoàn kết công giáo phường Hồng Bàng (mẫu)", []),
    ("canbo.doanhnghiep", "official", "Lương Thị Ngọc (Công ty Cơ khí Bạch Đằng — mẫu)", "Công ty TNHH Cơ khí Bạch Đằng (mẫu)", []),
    ("thamdinh", "reviewer", "Vũ Thị Mai (thẩm định CQTT, CSTT)", None, ["CQTT", "CSTT"]),
    ("xem", "viewer", "Hoàng Văn Nam (xem toàn thành phố)", None, []),
]
#: Sets for one kind of association: their demo campaign covers that sample unit only, not every association.
DEMO_UNIT_SCOPE = {
    "PHUNU": "Hội Liên hiệp Phụ nữ phường Hồng Bàng (mẫu)",
    "NONGDAN": "Hội Nông dân xã An Lão (mẫu)",
    "TRITHUC": "Liên hiệp các Hội Khoa học và Kỹ thuật thành phố (mẫu)",
    "CUUCHIENBINH": "Hội Cựu chiến binh phường Lê Chân (mẫu)",
    "TONGIAO": "Ban đoàn kết công giáo phường Hồng Bàng (mẫu)",
}
DEMO_YEAR = 2026
#: A demo campaign stays open at least this many days after the demo is seeded.
DEMO_MIN_OPEN_DAYS = 90


def demo_closes_on(today: dt.date) -> dt.date:
    """Closing date of the demo campaigns seeded on `today`: 31/12/DEMO_YEAR, or today + DEMO_MIN_OPEN_DAYS when
    that is later, so a demo seeded late in the year (or after it) still has an open campaign to fill in."""
    return max(dt.date(DEMO_YEAR, 12, 31), today + dt.timedelta(days=DEMO_MIN_OPEN_DAYS))


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
    for version in latest_versions(session, published_only=True):
        name = f"{version.name_vi} {DEMO_YEAR}"
        if session.scalar(sa.select(Campaign).where(Campaign.name == name)) is not None:
            continue
        unit_name = DEMO_UNIT_SCOPE.get(version.code)
        unit = find_by_name(session, unit_name) if unit_name else None
        create_campaign(session, None, name=name, criteria_version_id=version.id, year=DEMO_YEAR,
                        opens_on=dt.date(DEMO_YEAR, 1, 1), closes_on=demo_closes_on(today_local()),
                        scope_unit_types=[] if unit else list(version.criteria.applies_to),
                        unit_ids=[unit.id] if unit else [], system=True)
    session.flush()
    from app.demo_review import seed_review_states

    logins += seed_review_states(session, DEMO_PASSWORD)
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
