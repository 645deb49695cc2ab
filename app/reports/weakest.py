"""Weakest criteria (lowest pass rate across units) and the largest self-vs-appraised gaps."""

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
    code: str
    text: str
    units: int
    passed: int
    pass_rate: float | None
    appraised: int
    over_rated: int
    under_rated: int


def weakest(session: Session, actor: User, flt: ReportFilter, limit: int = 15) -> tuple[list[IndicatorRow], list[IndicatorRow]]:
    """(lowest pass rates first, biggest over-rating first)."""
    check_set(session, actor, flt.set_code)
    if not flt.set_code:
        return [], []
    version = criteria_of(session, flt.set_code)
    texts = {i.code: i.text for i in version.criteria.indicators} if version else {}
    scope = scope_units(session, flt.set_code, flt.year, flt.unit_type)
    latest = latest_submissions(flt.set_code, flt.year)
    true = sa.literal(True)
    rows = session.execute(
        sa.select(IndicatorScore.indicator_code, sa.func.count(),
                  sa.func.sum(sa.case((IndicatorScore.final_met == true, 1), else_=0)),
                  sa.func.sum(sa.case((IndicatorScore.appraised == true, 1), else_=0)),
                  sa.func.sum(sa.case((sa.and_(IndicatorScore.self_met == true, IndicatorScore.final_met == sa.false()), 1), else_=0)),
                  sa.func.sum(sa.case((sa.and_(IndicatorScore.self_met == sa.false(), IndicatorScore.final_met == true), 1), else_=0)))
        .join(Submission, Submission.id == IndicatorScore.submission_id)
        .join(latest, latest.c.submission_id == Submission.id).join(scope, scope.c.unit_id == Submission.unit_id)
        .group_by(IndicatorScore.indicator_code)
    ).all()
    items = [IndicatorRow(code, texts.get(code, code), n, int(p or 0), share(int(p or 0), n), int(a or 0), int(o or 0), int(u or 0))
             for code, n, p, a, o, u in rows]
    low = sorted(items, key=lambda r: (r.pass_rate if r.pass_rate is not None else 101, r.code))[:limit]
    gaps = sorted((r for r in items if r.over_rated or r.under_rated), key=lambda r: (-r.over_rated, -r.under_rated, r.code))[:limit]
    return low, gaps
