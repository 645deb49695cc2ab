"""Plan vs actual: recognised units against each coverage target of the criteria files."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.assessment.criteria import Target
from app.assessment.rollup import share, track
from app.auth.models import User
from app.campaigns.models import Campaign, CriteriaVersion
from app.submissions.models import Submission
from app.units.models import Unit

from .common import ReportFilter, check_set, criteria_of, visible_sets


@dataclass
class PlanRow:
    set_code: str
    set_name: str
    target: Target
    in_scope: int
    recognised: int
    #: percent for share targets, count for count targets
    actual: float | None
    expected: float
    status: str


def plan_vs_actual(session: Session, actor: User, flt: ReportFilter, today: dt.date) -> list[PlanRow]:
    """One PlanRow per coverage target of the chosen set (or of every visible set), in set then file order: units in
    the target's scope, units recognised by the target year (or the filter's year when earlier), actual against the
    target and the straight-line expectation on `today` (see plan_rows). Raises PermissionDenied as check_set does."""
    check_set(session, actor, flt.set_code)
    codes = [flt.set_code] if flt.set_code else visible_sets(session, actor)
    versions = [v for v in (criteria_of(session, code) for code in codes) if v is not None]
    return plan_rows(session, versions, flt, today)


def plan_rows(session: Session, versions: list[CriteriaVersion], flt: ReportFilter, today: dt.date,
              recognised_filter: sa.ColumnElement[bool] | None = None) -> list[PlanRow]:
    """Plan vs actual for the targets of the given criteria versions (one per set code), no access check.

    `flt.year` caps the years counted (a target counts recognitions up to its own year); `today` dates the expected
    progress. `recognised_filter`, when given, is an extra condition on the recognised submissions counted (e.g. the
    public page's "recognition still valid"). Returns one PlanRow per target, in the files' order. Two statements
    whatever the number of sets and targets: units per type, and one count column per target.
    """
    targets = []
    for version in versions:
        cset = version.criteria
        for target in cset.targets:
            until = min(target.year, flt.year) if flt.year else target.year
            targets.append((version.code, cset, target, until))
    if not targets:
        return []
    by_type = dict(session.execute(sa.select(Unit.unit_type, sa.func.count()).group_by(Unit.unit_type)).all())
    # Recognised units per target, one column each: the set, the years up to `until` and the target's unit types.
    columns = [sa.func.count(sa.distinct(sa.case((sa.and_(CriteriaVersion.code == code, Campaign.year <= until,
                                                          Unit.unit_type.in_(target.scope)), Submission.unit_id))))
               for code, _cset, target, until in targets]
    query = (sa.select(*columns).select_from(Submission).join(Campaign, Submission.campaign_id == Campaign.id).join(CriteriaVersion)
             .join(Unit, Submission.unit_id == Unit.id)
             .where(Submission.status == "recognised", CriteriaVersion.code.in_(sorted({t[0] for t in targets}))))
    if recognised_filter is not None:
        query = query.where(recognised_filter)
    recognised_counts = session.execute(query).one()
    rows: list[PlanRow] = []
    for (code, cset, target, _until), recognised in zip(targets, recognised_counts, strict=True):
        in_scope = sum(by_type.get(t, 0) for t in set(target.scope))
        recognised = recognised or 0
        actual = share(recognised, in_scope) if target.metric == "recognised_share" else float(recognised)
        judged = track(actual or 0.0, target.value, target.year, today)
        rows.append(PlanRow(code, cset.name_vi, target, in_scope, recognised, actual, judged.expected, judged.status))
    return rows
