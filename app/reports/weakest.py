"""Weakest criteria (lowest pass rate across units) and the largest self-vs-appraised gaps.

"Không áp dụng" answers (final N/A) are left out of pass rates and counted apart (`na`); conditions
(điều kiện bắt buộc) are listed apart from the scored indicators (`WeakestReport.conditions`).
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.assessment.rollup import share
from app.auth.models import User
from app.submissions.models import IndicatorScore, Submission

from .common import ReportFilter, check_set, criteria_of, latest_submissions, scope_units


@dataclass
class IndicatorRow:
    """One indicator across the units' latest submissions.

    `units`: units with a row; `na`: of them, answered "không áp dụng" (final); `passed`: met and
    applicable; `pass_rate`: percent of `passed` among applicable rows (None when none applies).
    `origin` is the indicator's (seed/proposed); `threshold_origin` the threshold's in the filter's
    year (seed/default/official); `condition` marks a điều kiện bắt buộc.
    """

    code: str
    text: str
    units: int
    passed: int
    pass_rate: float | None
    appraised: int
    over_rated: int
    under_rated: int
    na: int = 0
    origin: str = "seed"
    threshold_origin: str = "seed"
    condition: bool = False


class WeakestReport(tuple):
    """`(low, gaps)` — scored indicators with the lowest pass rates, and the biggest self-vs-appraised
    gaps — with `conditions`: the conditions' rows (lowest pass rate first), shown apart."""

    conditions: list[IndicatorRow]

    def __new__(cls, low: list[IndicatorRow], gaps: list[IndicatorRow], conditions: list[IndicatorRow]) -> WeakestReport:
        report = super().__new__(cls, (low, gaps))
        report.conditions = conditions
        return report


def _rate_key(row: IndicatorRow) -> tuple:
    return (row.pass_rate if row.pass_rate is not None else 101, row.code)


def weakest(session: Session, actor: User, flt: ReportFilter, limit: int = 15) -> WeakestReport:
    """(lowest pass rates first, biggest over-rating first), with `.conditions` apart."""
    check_set(session, actor, flt.set_code)
    if not flt.set_code:
        return WeakestReport([], [], [])
    version = criteria_of(session, flt.set_code)
    indicators = {i.code: i for i in version.criteria.indicators} if version else {}
    scope = scope_units(session, flt.set_code, flt.year, flt.unit_type)
    latest = latest_submissions(flt.set_code, flt.year)
    true, false = sa.literal(True), sa.false()
    applicable = IndicatorScore.final_na == false
    rows = session.execute(
        sa.select(IndicatorScore.indicator_code, sa.func.count(),
                  sa.func.sum(sa.case((sa.and_(IndicatorScore.final_met == true, applicable), 1), else_=0)),
                  sa.func.sum(sa.case((IndicatorScore.appraised == true, 1), else_=0)),
                  sa.func.sum(sa.case((sa.and_(IndicatorScore.self_met == true, IndicatorScore.final_met == false), 1), else_=0)),
                  sa.func.sum(sa.case((sa.and_(IndicatorScore.self_met == false, IndicatorScore.final_met == true), 1), else_=0)),
                  sa.func.sum(sa.case((IndicatorScore.final_na == true, 1), else_=0)),
                  sa.func.max(sa.case((IndicatorScore.condition == true, 1), else_=0)))
        .join(Submission, Submission.id == IndicatorScore.submission_id)
        .join(latest, latest.c.submission_id == Submission.id).join(scope, scope.c.unit_id == Submission.unit_id)
        .group_by(IndicatorScore.indicator_code)
    ).all()
    items = []
    for code, n, p, a, o, u, na, cond in rows:
        ind = indicators.get(code)
        passed, na = int(p or 0), int(na or 0)
        items.append(IndicatorRow(
            code, ind.text if ind else code, n, passed, share(passed, n - na), int(a or 0), int(o or 0), int(u or 0), na=na,
            origin=ind.origin if ind else "seed", threshold_origin=ind.threshold_origin_for(flt.year) if ind else "seed",
            condition=bool(cond) or bool(ind and ind.condition)))
    scored = [r for r in items if not r.condition]
    low = sorted(scored, key=_rate_key)[:limit]
    gaps = sorted((r for r in items if r.over_rated or r.under_rated), key=lambda r: (-r.over_rated, -r.under_rated, r.code))[:limit]
    conditions = sorted((r for r in items if r.condition), key=_rate_key)
    return WeakestReport(low, gaps, conditions)
