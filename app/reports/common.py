"""Shared pieces of the report services: the filter, access rules, and the 'latest submission' subquery."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from app.auth.models import User
from app.campaigns.models import Campaign, CriteriaVersion, campaign_units
from app.errors import PermissionDenied
from app.submissions.models import Submission
from app.units.models import Unit


@dataclass(frozen=True)
class ReportFilter:
    set_code: str = ""
    year: int | None = None
    unit_type: str = ""

    def as_dict(self) -> dict:
        return {"set_code": self.set_code, "year": self.year, "unit_type": self.unit_type}


def require_reports(actor: User) -> None:
    if actor.role not in ("admin", "reviewer", "viewer"):
        raise PermissionDenied(_("Chỉ người xem, cán bộ thẩm định và quản trị viên được xem báo cáo toàn thành phố."))


@dataclass(frozen=True)
class FilterLists:
    """What the report filter offers, read in one statement: `sets` {code: (name_vi, name_en) of its newest version}
    in code order, and `years` (campaign years, newest first)."""

    sets: dict[str, tuple[str, str | None]]
    years: tuple[int, ...]

    def choices(self, codes: list[str], english: bool) -> list[tuple[str, str]]:
        """(code, "Name (CODE)") for `codes`, as campaigns.services.set_choices writes them."""
        names = {c: ((en or vi) if english else vi) for c, (vi, en) in self.sets.items()}
        return [(c, f"{names[c]} ({c})" if names.get(c) else c) for c in codes]


#: FilterLists by the content of its rows (criteria checksums, names and years): every process reads the current rows
#: on each request (one small statement), so a criteria or campaign change shows at once on every node.
_FILTER_CACHE: dict[tuple, FilterLists] = {}
_ENVIRON_KEY = "datchuan.report_filter_lists"


def filter_lists(session: Session) -> FilterLists:
    """The report filter lists (set codes and names, years) in ONE statement, kept for the rest of the request
    (in its WSGI environ) when there is one; the parsed lists are shared per process, keyed by the rows' content (each version's
    code, version, revision, checksum and names, and the years), so a criteria change gives a new key. Returns
    FilterLists."""
    from flask import has_request_context, request

    # kept in the request's own environ: flask.g lives on the app context, which can outlast a request
    memo = request.environ if has_request_context() else {}
    if _ENVIRON_KEY in memo:
        return memo[_ENVIRON_KEY]
    versions = (sa.select(sa.literal(0).label("kind"), CriteriaVersion.code, CriteriaVersion.version, CriteriaVersion.revision,
                          CriteriaVersion.checksum, CriteriaVersion.name_vi, CriteriaVersion.name_en))
    years_q = (sa.select(sa.literal(1), sa.literal(""), Campaign.year, sa.literal(0), sa.literal(""), sa.literal(""),
                         sa.literal(None)).distinct())
    rows = tuple(tuple(r) for r in session.execute(sa.union_all(versions, years_q)))
    lists = _FILTER_CACHE.get(rows)
    if lists is None:
        sets: dict[str, tuple[str, str | None]] = {}
        for _kind, code, _version, _revision, _checksum, name_vi, name_en in sorted(
                (r for r in rows if r[0] == 0), key=lambda r: (r[1], r[2], r[3])):
            sets[code] = (name_vi, name_en)
        lists = FilterLists(dict(sorted(sets.items())), tuple(sorted({r[2] for r in rows if r[0] == 1}, reverse=True)))
        if len(_FILTER_CACHE) > 64:
            _FILTER_CACHE.clear()
        _FILTER_CACHE[rows] = lists
    memo[_ENVIRON_KEY] = lists
    return lists


def visible_sets(session: Session, actor: User) -> list[str]:
    """Set codes the actor may report on: reviewers only their sets."""
    codes = list(filter_lists(session).sets)
    if actor.role == "reviewer":
        return [c for c in codes if c in actor.scope_codes]
    return codes


def default_set(session: Session, actor: User) -> str:
    """The set a report that needs one shows when none is chosen: the first of the actor's visible set codes
    (alphabetical) that has scores to show (a submission with group scores), else the first visible set; "" when
    the actor sees no set at all."""
    from app.submissions.models import GroupScore

    codes = visible_sets(session, actor)
    with_data = set(session.scalars(sa.select(CriteriaVersion.code).distinct()
                                    .join(Campaign, Campaign.criteria_version_id == CriteriaVersion.id)
                                    .join(Submission, Submission.campaign_id == Campaign.id)
                                    .join(GroupScore, GroupScore.submission_id == Submission.id)))
    return next((c for c in codes if c in with_data), codes[0] if codes else "")


def check_set(session: Session, actor: User, set_code: str) -> None:
    require_reports(actor)
    if set_code and set_code not in visible_sets(session, actor):
        raise PermissionDenied(_("Bạn không có quyền xem báo cáo của bộ tiêu chí này."))


def years(session: Session) -> list[int]:
    """Campaign years, newest first (from filter_lists)."""
    return list(filter_lists(session).years)


def campaigns_of(session: Session, set_code: str, year: int | None) -> sa.Select:
    query = sa.select(Campaign.id).join(CriteriaVersion).where(CriteriaVersion.code == set_code)
    if year:
        query = query.where(Campaign.year == year)
    return query


def latest_submissions(set_code: str, year: int | None) -> sa.Subquery:
    """(unit_id, submission_id) of each unit's most recent submission for a set (and year)."""
    query = (sa.select(Submission.unit_id.label("unit_id"), sa.func.max(Submission.id).label("submission_id"))
             .join(Campaign, Submission.campaign_id == Campaign.id).join(CriteriaVersion)
             .where(CriteriaVersion.code == set_code).group_by(Submission.unit_id))
    if year:
        query = query.where(Campaign.year == year)
    return query.subquery("latest")


def scope_units(session: Session, set_code: str, year: int | None, unit_type: str = "") -> sa.Subquery:
    """Units covered by the campaigns of a set (and year): by unit type or by explicit list."""
    campaign_ids = campaigns_of(session, set_code, year)
    types = set()
    for scope in session.scalars(sa.select(Campaign.scope_unit_types).where(Campaign.id.in_(campaign_ids))):
        types.update(scope or [])
    explicit = sa.select(campaign_units.c.unit_id).where(campaign_units.c.campaign_id.in_(campaign_ids))
    query = sa.select(Unit.id.label("unit_id")).where(sa.or_(Unit.unit_type.in_(sorted(types) or ["-"]), Unit.id.in_(explicit)))
    if unit_type:
        query = query.where(Unit.unit_type == unit_type)
    return query.subquery("scope")


def criteria_of(session: Session, set_code: str):
    """The newest loaded version of a set (for names of groups, indicators and the targets)."""
    version = session.scalar(sa.select(CriteriaVersion).where(CriteriaVersion.code == set_code)
                             .order_by(CriteriaVersion.version.desc(), CriteriaVersion.revision.desc()).limit(1))
    return version
