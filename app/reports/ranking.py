"""Ranking of units by final score (the self score where not yet appraised, marked as such)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.auth.models import User
from app.submissions.models import Submission
from app.units.models import Unit

from .common import ReportFilter, check_set, latest_submissions, scope_units

SORTS = ("score_desc", "score_asc", "name")


@dataclass
class RankRow:
    rank: int
    unit_id: int
    unit_name: str
    unit_type: str
    status: str
    score: Decimal | None
    appraised: bool
    self_score: Decimal | None


def ranking(session: Session, actor: User, flt: ReportFilter, sort: str = "score_desc") -> list[RankRow]:
    check_set(session, actor, flt.set_code)
    if not flt.set_code:
        return []
    scope = scope_units(session, flt.set_code, flt.year, flt.unit_type)
    latest = latest_submissions(flt.set_code, flt.year)
    score = sa.func.coalesce(Submission.final_score, Submission.self_score)
    query = (sa.select(Unit.id, Unit.name, Unit.unit_type, Submission.status, score.label("score"),
                       Submission.final_score.is_not(None).label("appraised"), Submission.self_score)
             .select_from(Unit).join(scope, scope.c.unit_id == Unit.id)
             .join(latest, latest.c.unit_id == Unit.id).join(Submission, Submission.id == latest.c.submission_id)
             .where(Submission.status != "draft"))
    if sort == "score_asc":
        query = query.order_by(score.asc(), Unit.name)
    elif sort == "name":
        query = query.order_by(Unit.name)
    else:
        query = query.order_by(score.desc(), Unit.name)
    rows = session.execute(query).all()
    result, rank, last = [], 0, object()
    for n, row in enumerate(rows, start=1):
        if sort != "name" and row.score != last:
            rank, last = n, row.score
        result.append(RankRow(rank if sort != "name" else n, row.id, row.name, row.unit_type, row.status, row.score,
                              bool(row.appraised), row.self_score))
    return result
