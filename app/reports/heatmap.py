"""Heatmap of units × criteria groups: pass / partial / fail / no data."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from app.assessment.rollup import heat_class
from app.auth.models import User
from app.submissions.models import GroupScore, IndicatorScore, Submission
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
        """Cells per class: pass, partial, fail, none (no data), na (nothing to score: "không áp dụng")."""
        result = {"pass": 0, "partial": 0, "fail": 0, "none": 0, "na": 0}  # nosec B105
        for _name, _type, cells in self.rows:
            for cls, _p in cells:
                result[cls] += 1
        return result


#: The heatmap's column for a set's conditions (điều kiện bắt buộc), shown apart from the groups.
CONDITIONS_COLUMN = "ĐK"

#: Units per screen page (6 columns of 40); exports take every unit.
PAGE_SIZE = 240


def heatmap(session: Session, actor: User, flt: ReportFilter, page: int = 1, per_page: int | None = None) -> Heatmap | None:
    check_set(session, actor, flt.set_code)
    if not flt.set_code:
        return None
    version = criteria_of(session, flt.set_code)
    groups = [(g.code, g.title_vi) for g in version.criteria.groups]
    has_conditions = any(i.condition for i in version.criteria.indicators)
    scope = scope_units(session, flt.set_code, flt.year, flt.unit_type)
    latest = latest_submissions(flt.set_code, flt.year)
    total = session.scalar(sa.select(sa.func.count()).select_from(scope)) or 0
    query = sa.select(Unit.id, Unit.name, Unit.unit_type).join(scope, scope.c.unit_id == Unit.id).order_by(Unit.unit_type, Unit.name)
    pages = max(1, -(-total // per_page)) if per_page else 1
    page = min(max(page, 1), pages)
    if per_page:
        query = query.limit(per_page).offset((page - 1) * per_page)
    units = session.execute(query).all()
    cells_query = (sa.select(Submission.unit_id, GroupScore.group_code, GroupScore.earned, GroupScore.max_points, GroupScore.passed,
                             GroupScore.percent)
                   .join(Submission, Submission.id == GroupScore.submission_id).join(latest, latest.c.submission_id == Submission.id))
    conditions_query = (sa.select(Submission.unit_id, sa.func.count(),
                                  sa.func.sum(sa.case((sa.or_(IndicatorScore.final_met == sa.literal(True), IndicatorScore.final_na == sa.literal(True)), 1), else_=0)))
                        .join(Submission, Submission.id == IndicatorScore.submission_id).join(latest, latest.c.submission_id == Submission.id)
                        .where(IndicatorScore.condition == sa.literal(True)).group_by(Submission.unit_id))
    if per_page:
        in_page = Submission.unit_id.in_([u.id for u in units] or [-1])
        cells_query, conditions_query = cells_query.where(in_page), conditions_query.where(in_page)
    else:
        cells_query = cells_query.join(scope, scope.c.unit_id == Submission.unit_id)
        conditions_query = conditions_query.join(scope, scope.c.unit_id == Submission.unit_id)
    cells: dict[tuple[int, str], tuple[float, float, bool, float]] = {}
    for unit_id, code, earned, max_points, passed, percent in session.execute(cells_query):
        cells[(unit_id, code)] = (float(earned), float(max_points), bool(passed), float(percent))
    met_conditions = {unit_id: n == int(ok or 0) for unit_id, n, ok in session.execute(conditions_query)} if has_conditions else {}
    rows = []
    for unit_id, name, unit_type in units:
        row = []
        for code, _title in groups:
            earned, max_points, passed, shown = cells.get((unit_id, code), (None, None, None, None))
            # the stored percent is scoring.display_value's: it agrees with `passed` (79.9992 → 79.99 below 80)
            percent = shown if max_points else None
            row.append((heat_class(earned, max_points, passed), percent))
        if has_conditions:
            ok = met_conditions.get(unit_id)
            row.append(("none" if ok is None else "pass" if ok else "fail", None))
        rows.append((name, unit_type, row))
    if has_conditions:
        groups = [*groups, (CONDITIONS_COLUMN, str(_("Điều kiện bắt buộc (không tính điểm)")))]
    return Heatmap(groups, rows, total, page, pages)
