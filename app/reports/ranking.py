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
#: Rows per screen page; exports take every row.
PAGE_SIZE = 100


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
    #: The verdict that goes with `score` (final when appraised, else the self-assessment's).
    passed: bool | None = None


class Ranking(list):
    """Rows of one page, with `total`, `page` and `pages`."""

    total: int = 0
    page: int = 1
    pages: int = 1


def ranking(session: Session, actor: User, flt: ReportFilter, sort: str = "score_desc", page: int = 1,
            per_page: int | None = None) -> Ranking:
    check_set(session, actor, flt.set_code)
    if not flt.set_code:
        return Ranking()
    scope = scope_units(session, flt.set_code, flt.year, flt.unit_type)
    latest = latest_submissions(flt.set_code, flt.year)
    # Stored scores are scoring.display_value's (2 decimals, agreeing with the stored verdict).
    score = sa.func.coalesce(Submission.final_score, Submission.self_score)
    passed = sa.case((Submission.final_score.is_not(None), Submission.final_passed), else_=Submission.self_passed)
    query = (sa.select(Unit.id, Unit.name, Unit.unit_type, Submission.status, score.label("score"),
                       Submission.final_score.is_not(None).label("appraised"), Submission.self_score, passed.label("passed"))
             .select_from(Unit).join(scope, scope.c.unit_id == Unit.id)
             .join(latest, latest.c.unit_id == Unit.id).join(Submission, Submission.id == latest.c.submission_id)
             .where(Submission.status != "draft"))
    unordered = query
    if sort == "score_asc":
        query = query.order_by(score.asc(), Unit.name)
    elif sort == "name":
        query = query.order_by(Unit.name)
    else:
        query = query.order_by(score.desc(), Unit.name)
    result = Ranking()
    offset = 0
    if per_page:
        result.total = session.scalar(sa.select(sa.func.count()).select_from(unordered.subquery())) or 0
        result.pages = max(1, -(-result.total // per_page))
        result.page = min(max(page, 1), result.pages)
        offset = (result.page - 1) * per_page
        query = query.offset(offset).limit(per_page)
    rows = session.execute(query).all()
    rank, last = 0, object()
    if per_page and offset and rows and sort != "name":
        # The rank of the first row on the page: 1 + the number of units with a strictly better score.
        first = rows[0]
        cmp = (score > first.score) if sort == "score_desc" else (score < first.score)
        better = session.scalar(sa.select(sa.func.count()).select_from(
            sa.select(Unit.id).select_from(Unit).join(scope, scope.c.unit_id == Unit.id).join(latest, latest.c.unit_id == Unit.id)
            .join(Submission, Submission.id == latest.c.submission_id).where(Submission.status != "draft", cmp).subquery()))
        rank, last = better + 1, first.score
    for n, row in enumerate(rows, start=offset + 1):
        if sort != "name" and row.score != last:
            rank, last = n, row.score
        result.append(RankRow(rank if sort != "name" else n, row.id, row.name, row.unit_type, row.status, row.score,
                              bool(row.appraised), row.self_score, None if row.passed is None else bool(row.passed)))
    if not per_page:
        result.total = len(result)
    return result
