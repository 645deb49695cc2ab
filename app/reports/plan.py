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
    target and the straight-line expectation on `today`. Two statements whatever the number of sets and targets.
    Raises PermissionDenied as check_set does."""
    check_set(session, actor, flt.set_code)
    codes = [flt.set_code] if flt.set_code else visible_sets(session, actor)
    targets = []
    for code in codes:
        version = criteria_of(session, code)
        if version is None:
            continue
        cset = version.criteria
        for target in cset.targets:
            until = min(target.year, flt.year) if flt.year else target.year
            targets.append((code, cset, target, until))
    if not targets:
        return []
    by_type = dict(session.execute(sa.select(Unit.unit_type, sa.func.count()).group_by(Unit.unit_type)).all())
    # Recognised units per target, one column each: the set, the years up to `until` and the target's unit types.
    columns = [sa.func.count(sa.distinct(sa.case((sa.and_(CriteriaVersion.code == code, Campaign.year <= until,
                                                          Unit.unit_type.in_(target.scope)), Submission.unit_id))))
               for code, _cset, target, until in targets]
    recognised_counts = session.execute(
        sa.select(*columns).select_from(Submission).join(Campaign, Submission.campaign_id == Campaign.id).join(CriteriaVersion)
        .join(Unit, Submission.unit_id == Unit.id)
        .where(Submission.status == "recognised", CriteriaVersion.code.in_(sorted({t[0] for t in targets})))).one()
    rows: list[PlanRow] = []
    for (code, cset, target, _until), recognised in zip(targets, recognised_counts, strict=True):
        in_scope = sum(by_type.get(t, 0) for t in set(target.scope))
        recognised = recognised or 0
        actual = share(recognised, in_scope) if target.metric == "recognised_share" else float(recognised)
        judged = track(actual or 0.0, target.value, target.year, today)
        rows.append(PlanRow(code, cset.name_vi, target, in_scope, recognised, actual, judged.expected, judged.status))
    return rows
