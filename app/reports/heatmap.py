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

    def counts(self) -> dict[str, int]:
        result = {"pass": 0, "partial": 0, "fail": 0, "none": 0}
        for _name, _type, cells in self.rows:
            for cls, _p in cells:
                result[cls] += 1
        return result


def heatmap(session: Session, actor: User, flt: ReportFilter) -> Heatmap | None:
    check_set(session, actor, flt.set_code)
    if not flt.set_code:
        return None
    version = criteria_of(session, flt.set_code)
    groups = [(g.code, g.title_vi) for g in version.criteria.groups]
    scope = scope_units(session, flt.set_code, flt.year, flt.unit_type)
    latest = latest_submissions(flt.set_code, flt.year)
    units = session.execute(sa.select(Unit.id, Unit.name, Unit.unit_type).join(scope, scope.c.unit_id == Unit.id)
                            .order_by(Unit.unit_type, Unit.name)).all()
    cells: dict[tuple[int, str], tuple[float, float, bool]] = {}
    for unit_id, code, earned, max_points, passed in session.execute(
        sa.select(Submission.unit_id, GroupScore.group_code, GroupScore.earned, GroupScore.max_points, GroupScore.passed)
        .join(Submission, Submission.id == GroupScore.submission_id).join(latest, latest.c.submission_id == Submission.id)
        .join(scope, scope.c.unit_id == Submission.unit_id)
    ):
        cells[(unit_id, code)] = (float(earned), float(max_points), bool(passed))
    rows = []
    for unit_id, name, unit_type in units:
        row = []
        for code, _title in groups:
            earned, max_points, passed = cells.get((unit_id, code), (None, None, None))
            percent = round(100.0 * earned / max_points, 1) if earned is not None and max_points else None
            row.append((heat_class(earned, max_points, passed), percent))
        rows.append((name, unit_type, row))
    return Heatmap(groups, rows)
