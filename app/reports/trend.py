"""Trends across years and campaign rounds, for the city and for one unit."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.assessment.rollup import share
from app.auth.models import User
from app.campaigns.models import Campaign, CriteriaVersion
from app.submissions.models import IndicatorScore, Submission

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


@dataclass
class IndicatorLine:
    """One indicator followed across versions: its key (code in the newest version, see
    app.criteria_sets.services.CodeResolver), newest wording, the codes it had, and per campaign
    the share of submitted units that met it (final result; None when the campaign has no data)."""

    key: str
    text: str
    codes: list[str]
    shares: list[float | None]


@dataclass
class IndicatorTrend:
    """Per-indicator trend of one set: `columns` are (year, campaign name, version label), oldest first."""

    columns: list[tuple[int, str, str]]
    lines: list[IndicatorLine]


def indicator_trend(session: Session, actor: User, set_code: str, unit_id: int | None = None) -> IndicatorTrend:
    """Share of submitted units meeting each indicator, campaign by campaign, across versions of the set.

    Codes of older versions are followed to the newest version through the saved code mappings
    (or the same code when a revision saved none), so a renamed indicator continues on one line.
    With `unit_id`: that unit only (100 = met, 0 = not met), over the campaigns it submitted in;
    the unit-card access rule applies instead of the report rule.
    """
    from app.criteria_sets.services import code_resolver

    if unit_id is None:
        check_set(session, actor, set_code)
    else:
        from .card import check_card

        check_card(session, actor, unit_id)
        if actor.role == "reviewer" and set_code not in actor.scope_codes:
            return IndicatorTrend([], [])
    if not set_code:
        return IndicatorTrend([], [])
    query = sa.select(Campaign).join(CriteriaVersion).where(CriteriaVersion.code == set_code).order_by(Campaign.year, Campaign.id)
    if unit_id is not None:
        query = query.where(Campaign.id.in_(sa.select(Submission.campaign_id).where(Submission.unit_id == unit_id,
                                                                                    Submission.status != "draft")))
    campaigns = list(session.scalars(query))
    resolver = code_resolver(session, set_code)
    score_query = (
        sa.select(Submission.campaign_id, IndicatorScore.indicator_code, sa.func.count(IndicatorScore.id),
                  sa.func.sum(sa.case((IndicatorScore.final_met.is_(True), 1), else_=0)))
        .join(Submission, IndicatorScore.submission_id == Submission.id)
        .where(Submission.campaign_id.in_([c.id for c in campaigns] or [-1]), Submission.status != "draft")
        .group_by(Submission.campaign_id, IndicatorScore.indicator_code)
    )
    if unit_id is not None:
        score_query = score_query.where(Submission.unit_id == unit_id)
    rows = session.execute(score_query).all()
    by_campaign = {c.id: c for c in campaigns}
    counts: dict[str, dict[int, list[int]]] = {}
    codes: dict[str, list[str]] = {}
    texts: dict[str, str] = {}
    order: list[str] = []
    for campaign in campaigns:  # every indicator of every version used, in order, even without data
        for ind in campaign.criteria_version.criteria.indicators:
            key = resolver.key(campaign.criteria_version_id, ind.code)
            if key not in texts:
                order.append(key)
                texts[key] = resolver.text(campaign.criteria_version_id, ind.code) or ind.text
            if ind.code not in codes.setdefault(key, []):
                codes[key].append(ind.code)
    for campaign_id, code, n, met in rows:
        key = resolver.key(by_campaign[campaign_id].criteria_version_id, code)
        cell = counts.setdefault(key, {}).setdefault(campaign_id, [0, 0])
        cell[0] += n
        cell[1] += int(met or 0)
    newest = {i.code: n for n, i in enumerate(resolver.chain[-1].criteria.indicators)} if resolver.chain else {}
    order.sort(key=lambda k: (k not in newest, newest.get(k, 0)))
    lines = [IndicatorLine(key, texts[key], codes[key],
                           [share(counts[key][c.id][1], counts[key][c.id][0]) if c.id in counts.get(key, {}) else None for c in campaigns])
             for key in order]
    return IndicatorTrend([(c.year, c.name, c.criteria_version.label) for c in campaigns], lines)


@dataclass
class CityTrend:
    """The trend section: the set's points per campaign and the per-indicator lines."""

    points: list[TrendPoint]
    indicators: IndicatorTrend


def city_trend_section(session: Session, actor: User, set_code: str) -> CityTrend:
    """Data of the "trend" report section (see city_trend and indicator_trend)."""
    return CityTrend(city_trend(session, actor, set_code), indicator_trend(session, actor, set_code))
