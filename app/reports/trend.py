"""Trends across years and campaign rounds, for the city and for one unit."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.assessment.rollup import share
from app.auth.models import User
from app.campaigns.models import Campaign, CriteriaVersion
from app.submissions.models import Submission

from .common import check_set


@dataclass
class TrendPoint:
    year: int
    campaign: str
    submitted: int
    recognised: int
    average: Decimal | None
    recognised_share: float | None


def city_trend(session: Session, actor: User, set_code: str) -> list[TrendPoint]:
    check_set(session, actor, set_code)
    if not set_code:
        return []
    score = sa.func.coalesce(Submission.final_score, Submission.self_score)
    rows = session.execute(
        sa.select(Campaign.year, Campaign.name, sa.func.count(Submission.id),
                  sa.func.sum(sa.case((Submission.status == "recognised", 1), else_=0)), sa.func.avg(score))
        .select_from(Campaign).join(CriteriaVersion)
        .outerjoin(Submission, sa.and_(Submission.campaign_id == Campaign.id, Submission.status != "draft"))
        .where(CriteriaVersion.code == set_code).group_by(Campaign.year, Campaign.id, Campaign.name).order_by(Campaign.year, Campaign.id)
    ).all()
    return [TrendPoint(year, name, n, int(rec or 0), Decimal(str(round(float(avg), 2))) if avg is not None else None, share(int(rec or 0), n))
            for year, name, n, rec, avg in rows]


@dataclass
class UnitPoint:
    year: int
    campaign: str
    status: str
    self_score: Decimal | None
    final_score: Decimal | None


def unit_trend(session: Session, actor: User, set_code: str, unit_id: int) -> list[UnitPoint]:
    from .card import check_card

    check_card(session, actor, unit_id)
    rows = session.execute(
        sa.select(Campaign.year, Campaign.name, Submission.status, Submission.self_score, Submission.final_score)
        .join(Campaign, Submission.campaign_id == Campaign.id).join(CriteriaVersion)
        .where(Submission.unit_id == unit_id, CriteriaVersion.code == set_code).order_by(Campaign.year, Campaign.id)
    ).all()
    return [UnitPoint(*row) for row in rows]
