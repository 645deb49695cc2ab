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
    if sort == "score_asc":
        order, rank_order = (score.asc(), Unit.name), score.asc()
    elif sort == "name":
        order, rank_order = (Unit.name,), None
    else:
        order, rank_order = (score.desc(), Unit.name), score.desc()
    # One statement, set-based: the page's rows, each with its rank (tied scores share the rank: 1 + the number of
    # units with a strictly better score, as SQL's rank()) and the number of rows in all (for the pager).
    rank = sa.func.rank().over(order_by=rank_order) if rank_order is not None else sa.func.row_number().over(order_by=order)
    query = (sa.select(Unit.id, Unit.name, Unit.unit_type, Submission.status, score.label("score"),
                       Submission.final_score.is_not(None).label("appraised"), Submission.self_score, passed.label("passed"),
                       rank.label("rank"), sa.func.count().over().label("total"))
             .select_from(Unit).join(scope, scope.c.unit_id == Unit.id)
             .join(latest, latest.c.unit_id == Unit.id).join(Submission, Submission.id == latest.c.submission_id)
             .where(Submission.status != "draft").order_by(*order))
    result = Ranking()
    if per_page:
        page = max(page, 1)
        rows = session.execute(query.offset((page - 1) * per_page).limit(per_page)).all()
        total = rows[0].total if rows else 0
        if not rows and page > 1:  # past the last page: the last page (the total is needed to know which)
            total = session.scalar(sa.select(sa.func.count()).select_from(query.order_by(None).subquery())) or 0
            page = max(1, -(-total // per_page))
            rows = session.execute(query.offset((page - 1) * per_page).limit(per_page)).all()
        result.total = total
        result.pages = max(1, -(-total // per_page))
        result.page = page
    else:
        rows = session.execute(query).all()
    for row in rows:
        result.append(RankRow(int(row.rank), row.id, row.name, row.unit_type, row.status, row.score,
                              bool(row.appraised), row.self_score, None if row.passed is None else bool(row.passed)))
    if not per_page:
        result.total = len(result)
    return result
