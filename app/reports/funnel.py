"""Funnel and reporting rates: units by status and unit type; on time, late and missing submissions."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.assessment.rollup import FUNNEL, funnel_bucket, share
from app.auth.models import User
from app.campaigns.models import Campaign
from app.clock import local_midnight_utc
from app.submissions.models import Submission
from app.units.models import Unit

from .common import ReportFilter, check_set, latest_submissions, scope_units


@dataclass
class Funnel:
    #: bucket → count (all unit types)
    totals: dict[str, int]
    #: unit type → bucket → count
    by_type: dict[str, dict[str, int]]
    #: on_time / late / missing counts and rates
    timeliness: dict[str, int] = field(default_factory=dict)
    expected: int = 0

    def rate(self, key: str) -> float | None:
        return share(self.timeliness.get(key, 0), self.expected)


def funnel(session: Session, actor: User, flt: ReportFilter) -> Funnel | None:
    check_set(session, actor, flt.set_code)
    if not flt.set_code:
        return None
    scope = scope_units(session, flt.set_code, flt.year, flt.unit_type)
    latest = latest_submissions(flt.set_code, flt.year)
    rows = session.execute(
        sa.select(Unit.unit_type, Submission.status, sa.func.count())
        .select_from(Unit).join(scope, scope.c.unit_id == Unit.id)
        .outerjoin(latest, latest.c.unit_id == Unit.id).outerjoin(Submission, Submission.id == latest.c.submission_id)
        .group_by(Unit.unit_type, Submission.status)
    ).all()
    totals = dict.fromkeys(FUNNEL, 0)
    by_type: dict[str, dict[str, int]] = {}
    for unit_type, status, n in rows:
        bucket = funnel_bucket(status)
        totals[bucket] += n
        by_type.setdefault(unit_type, dict.fromkeys(FUNNEL, 0))[bucket] += n
    result = Funnel(totals, by_type, expected=sum(totals.values()))
    # Timeliness: a submission counts when sent (first time) by the end of the close day, Vietnam time.
    deadline = session.scalar(sa.select(sa.func.max(Campaign.closes_on)).where(
        Campaign.id.in_(sa.select(Submission.campaign_id).where(Submission.id.in_(sa.select(latest.c.submission_id))))))
    if deadline is None:
        result.timeliness = {"on_time": 0, "late": 0, "missing": result.expected}
        return result
    cutoff = local_midnight_utc(deadline + dt.timedelta(days=1))
    kind = sa.case((Submission.submitted_at.is_(None), "missing"), (Submission.submitted_at < cutoff, "on_time"), else_="late")
    counts = dict(session.execute(
        sa.select(kind, sa.func.count()).select_from(Unit).join(scope, scope.c.unit_id == Unit.id)
        .outerjoin(latest, latest.c.unit_id == Unit.id).outerjoin(Submission, Submission.id == latest.c.submission_id)
        .group_by(kind)
    ).all())
    result.timeliness = {k: counts.get(k, 0) for k in ("on_time", "late", "missing")}
    return result
