"""Heatmap of units × criteria groups: pass / partial / fail / no data."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.assessment.rollup import heat_class
from app.auth.models import User
from app.submissions.models import GroupScore, Submission
from app.units.models import Unit

from .common import ReportFilter, check_set, criteria_of, latest_submissions, scope_units


@dataclass
class Heatmap:
    groups: list[tuple[str, str]]  # (code, title)
    #: (unit name, unit type, [(class, percent)] in group order)
    rows: list[tuple[str, str, list[tuple[str, float | None]]]]
    total: int = 0
    page: int = 1
    pages: int = 1

    def counts(self) -> dict[str, int]:
        result = {"pass": 0, "partial": 0, "fail": 0, "none": 0}  # nosec B105
        for _name, _type, cells in self.rows:
            for cls, _p in cells:
                result[cls] += 1
        return result


#: Units per screen page (6 columns of 40); exports take every unit.
PAGE_SIZE = 240


def heatmap(session: Session, actor: User, flt: ReportFilter, page: int = 1, per_page: int | None = None) -> Heatmap | None:
    check_set(session, actor, flt.set_code)
    if not flt.set_code:
        return None
    version = criteria_of(session, flt.set_code)
    groups = [(g.code, g.title_vi) for g in version.criteria.groups]
    scope = scope_units(session, flt.set_code, flt.year, flt.unit_type)
    latest = latest_submissions(flt.set_code, flt.year)
    total = session.scalar(sa.select(sa.func.count()).select_from(scope)) or 0
    query = sa.select(Unit.id, Unit.name, Unit.unit_type).join(scope, scope.c.unit_id == Unit.id).order_by(Unit.unit_type, Unit.name)
    pages = max(1, -(-total // per_page)) if per_page else 1
    page = min(max(page, 1), pages)
    if per_page:
        query = query.limit(per_page).offset((page - 1) * per_page)
    units = session.execute(query).all()
    cells_query = (sa.select(Submission.unit_id, GroupScore.group_code, GroupScore.earned, GroupScore.max_points, GroupScore.passed)
                   .join(Submission, Submission.id == GroupScore.submission_id).join(latest, latest.c.submission_id == Submission.id))
    if per_page:
        cells_query = cells_query.where(Submission.unit_id.in_([u.id for u in units] or [-1]))
    else:
        cells_query = cells_query.join(scope, scope.c.unit_id == Submission.unit_id)
    cells: dict[tuple[int, str], tuple[float, float, bool]] = {}
    for unit_id, code, earned, max_points, passed in session.execute(cells_query):
        cells[(unit_id, code)] = (float(earned), float(max_points), bool(passed))
    rows = []
    for unit_id, name, unit_type in units:
        row = []
        for code, _title in groups:
            earned, max_points, passed = cells.get((unit_id, code), (None, None, None))
            percent = round(100.0 * earned / max_points, 1) if earned is not None and max_points else None
            row.append((heat_class(earned, max_points, passed), percent))
        rows.append((name, unit_type, row))
    return Heatmap(groups, rows, total, page, pages)
