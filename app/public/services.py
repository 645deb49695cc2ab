"""Public results ("Công khai kết quả"): what anyone may read without logging in, and nothing more.

Only final facts leave this module: units recognised by a recorded decision (number, date, issuing body), the
certificate that is valid for that recognition (its number and verification code), and city-wide progress against the
targets of the criteria files. Never a score, a submission under review, a comment, evidence, or a person's name (not
even the decision's signer). A recognition whose certificates were all revoked (none valid, none replacing them) is
withdrawn and is not shown, nor counted in the progress.

Functions take the SQLAlchemy session and read only; the views (app.public.views) make pages, CSV and JSON of them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import Session, aliased

from app.campaigns.models import Campaign, CriteriaVersion
from app.certificates.models import Certificate
from app.clock import to_local
from app.reports.common import ReportFilter
from app.reports.plan import PlanRow, plan_rows
from app.review.models import RecognitionDecision, decision_submissions
from app.submissions.models import Submission
from app.units.models import Unit

#: The licence stated when PUBLIC_DATA_LICENCE is not set: the software's suggestion, not the city's decision.
DEFAULT_LICENCE = "CC BY 4.0"
DEFAULT_LICENCE_URL = "https://creativecommons.org/licenses/by/4.0/"
#: Criteria version statuses whose targets and names may be shown (a draft is not final).
PUBLIC_VERSION_STATUSES = ("published", "retired")


@dataclass(frozen=True)
class Recognition:
    """One unit recognised for one criteria set and year, as published.

    set_name_vi/en are the names of the campaign's criteria version; decision_date is a date; certificate_number and
    verify_code are None while no certificate has been issued for the recognition."""

    set_code: str
    set_name_vi: str
    set_name_en: str
    year: int
    unit_code: str
    unit_name: str
    unit_type: str
    decision_number: str
    decision_date: dt.date
    issuing_body: str
    certificate_number: str | None
    verify_code: str | None


@dataclass(frozen=True)
class SetYear:
    """A criteria set and a year with at least one campaign: how many units are recognised (0 or more)."""

    set_code: str
    set_name_vi: str
    set_name_en: str
    year: int
    recognised: int


@dataclass(frozen=True)
class DataState:
    """What the public data depends on: `basis` (a text that changes whenever any of it changes, for the ETag) and
    `last_updated` (aware datetime in Asia/Ho_Chi_Minh of the last change, None for an empty database)."""

    basis: str
    last_updated: dt.datetime | None


def _valid_certificate():
    return sa.and_(Certificate.revoked_at.is_(None), Certificate.superseded_by_id.is_(None))


def still_valid() -> sa.ColumnElement[bool]:
    """Condition on Submission: its recognition is not withdrawn, i.e. it has a valid certificate or none issued yet.

    A recognition whose every certificate is revoked or replaced by a revoked one counts as withdrawn."""
    any_cert = aliased(Certificate)
    valid_cert = aliased(Certificate)
    has_any = sa.exists().where(any_cert.submission_id == Submission.id)
    has_valid = sa.exists().where(valid_cert.submission_id == Submission.id, valid_cert.revoked_at.is_(None),
                                  valid_cert.superseded_by_id.is_(None))
    return sa.or_(~has_any, has_valid)


def recognitions(session: Session, *, set_code: str | None = None, year: int | None = None,
                 unit_id: int | None = None) -> list[Recognition]:
    """Valid recognitions, optionally of one set code, one year and/or one unit, in one query.

    Ordered by set code, year (newest first), unit name. Only submissions in status "recognised" that a decision
    covers and whose recognition is not withdrawn (see still_valid). Returns [] when nothing matches."""
    query = (sa.select(Submission.id, CriteriaVersion.code, CriteriaVersion.name_vi, CriteriaVersion.name_en, Campaign.year, Unit.code,
                       Unit.name, Unit.unit_type, RecognitionDecision.number, RecognitionDecision.decided_on,
                       RecognitionDecision.issuing_body, Certificate.number, Certificate.verify_code)
             .select_from(Submission)
             .join(decision_submissions, decision_submissions.c.submission_id == Submission.id)
             .join(RecognitionDecision, RecognitionDecision.id == decision_submissions.c.decision_id)
             .join(Campaign, Campaign.id == Submission.campaign_id)
             .join(CriteriaVersion, CriteriaVersion.id == Campaign.criteria_version_id)
             .join(Unit, Unit.id == Submission.unit_id)
             .outerjoin(Certificate, sa.and_(Certificate.submission_id == Submission.id, _valid_certificate()))
             .where(Submission.status == "recognised", still_valid())
             .order_by(CriteriaVersion.code, Campaign.year.desc(), Unit.name, Unit.code, Certificate.id.desc()))
    if set_code is not None:
        query = query.where(CriteriaVersion.code == set_code)
    if year is not None:
        query = query.where(Campaign.year == year)
    if unit_id is not None:
        query = query.where(Submission.unit_id == unit_id)
    seen: set[int] = set()
    out: list[Recognition] = []
    for row in session.execute(query):
        if row[0] in seen:  # never expected (one valid certificate per submission); keep the newest if it happens
            continue
        seen.add(row[0])
        out.append(Recognition(*row[1:]))
    return out


def public_versions(session: Session) -> list[CriteriaVersion]:
    """The newest non-draft version of each set code (its names and targets are public), ordered by code."""
    rows = session.scalars(sa.select(CriteriaVersion).where(CriteriaVersion.status.in_(PUBLIC_VERSION_STATUSES))
                           .order_by(CriteriaVersion.code, CriteriaVersion.version.desc(), CriteriaVersion.revision.desc()))
    newest: dict[str, CriteriaVersion] = {}
    for version in rows:
        newest.setdefault(version.code, version)
    return list(newest.values())


def set_years(session: Session) -> list[SetYear]:
    """Every (set code, year) with a campaign of a non-draft version, with its count of valid recognitions.

    Ordered by set code, then year newest first. Names are those of the newest public version of the set."""
    names = {v.code: (v.name_vi, v.name_en) for v in public_versions(session)}
    pairs = session.execute(sa.select(CriteriaVersion.code, Campaign.year).join(Campaign, Campaign.criteria_version_id == CriteriaVersion.id)
                            .where(CriteriaVersion.status.in_(PUBLIC_VERSION_STATUSES)).distinct()).all()
    counts = {(code, year): n for code, year, n in session.execute(
        sa.select(CriteriaVersion.code, Campaign.year, sa.func.count(sa.distinct(Submission.id))).select_from(Submission)
        .join(decision_submissions, decision_submissions.c.submission_id == Submission.id)
        .join(Campaign, Campaign.id == Submission.campaign_id)
        .join(CriteriaVersion, CriteriaVersion.id == Campaign.criteria_version_id)
        .where(Submission.status == "recognised", still_valid())
        .group_by(CriteriaVersion.code, Campaign.year))}
    out = [SetYear(code, *names.get(code, (code, code)), year, counts.get((code, year), 0)) for code, year in pairs]
    return sorted(out, key=lambda s: (s.set_code, -s.year))


def progress(session: Session, today: dt.date) -> list[PlanRow]:
    """City-wide plan vs actual for every target of the public versions (app.reports.plan.plan_rows), counting only
    recognitions that are still valid. `today` (local date) dates the expected progress."""
    return plan_rows(session, public_versions(session), ReportFilter(), today, recognised_filter=still_valid())


def unit_by_code(session: Session, code: str) -> Unit | None:
    """The unit with this code, or None (also for a code longer than any stored one)."""
    if not code or len(code) > 32:
        return None
    return session.scalar(sa.select(Unit).where(Unit.code == code))


def licence(config) -> dict:
    """The stated licence of the open data from the app config: {"name", "url", "configured"}; `configured` is False
    while PUBLIC_DATA_LICENCE is unset and the software's default (DEFAULT_LICENCE) is stated instead."""
    name = (config.get("PUBLIC_DATA_LICENCE") or "").strip()
    if name:
        return {"name": name, "url": (config.get("PUBLIC_DATA_LICENCE_URL") or "").strip(), "configured": True}
    return {"name": DEFAULT_LICENCE, "url": DEFAULT_LICENCE_URL, "configured": False}


_TEMPLATES_HASH: str | None = None


def templates_hash() -> str:
    """A short hash of the public templates and stylesheet, so a new release changes every ETag."""
    global _TEMPLATES_HASH
    if _TEMPLATES_HASH is None:
        root = Path(__file__).resolve().parent.parent.parent
        digest = hashlib.sha256()
        files = sorted((root / "templates" / "public").glob("*.html")) + [Path(__file__), Path(__file__).with_name("views.py"),
                                                                            root / "app" / "static" / "css" / "public.css"]
        for path in files:
            if path.is_file():
                digest.update(path.read_bytes())
        _TEMPLATES_HASH = digest.hexdigest()[:16]
    return _TEMPLATES_HASH


def _latest(*values: dt.datetime | None) -> dt.datetime | None:
    known = [to_local(v) for v in values if v is not None]
    return max(known) if known else None


def data_state(session: Session) -> DataState:
    """The state of everything the public pages show, in two cheap queries (aggregates, no rows of data).

    basis changes when a decision, a certificate (issued, revoked, replaced), a recognised submission, a unit (added,
    renamed or retyped: `units.updated_at`) or a criteria version changes; last_updated is the latest of their times (Asia/Ho_Chi_Minh)."""
    dec = sa.select(sa.func.count(RecognitionDecision.id), sa.func.max(RecognitionDecision.id),
                    sa.func.max(RecognitionDecision.created_at)).subquery()
    cert = sa.select(sa.func.count(Certificate.id), sa.func.max(Certificate.id), sa.func.max(Certificate.issued_at),
                     sa.func.count(Certificate.revoked_at), sa.func.max(Certificate.revoked_at),
                     sa.func.count(Certificate.superseded_by_id), sa.func.sum(Certificate.superseded_by_id)).subquery()
    sub = sa.select(sa.func.count(Submission.id), sa.func.sum(Submission.id), sa.func.max(Submission.updated_at)) \
        .where(Submission.status == "recognised").subquery()
    unit = sa.select(sa.func.count(Unit.id), sa.func.max(Unit.id), sa.func.max(Unit.created_at),
                     sa.func.max(Unit.updated_at), sa.func.count(Unit.updated_at)).subquery()
    one_row = dec.join(cert, sa.true()).join(sub, sa.true()).join(unit, sa.true())  # four one-row aggregates side by side
    row = session.execute(sa.select(dec, cert, sub, unit).select_from(one_row)).one()
    versions = session.execute(sa.select(CriteriaVersion.id, CriteriaVersion.checksum, CriteriaVersion.status,
                                         CriteriaVersion.loaded_at, CriteriaVersion.published_at, CriteriaVersion.retired_at)
                               .order_by(CriteriaVersion.id)).all()
    basis = "|".join(str(v) for v in row) + "|" + ";".join(f"{v[0]}:{v[1]}:{v[2]}" for v in versions)
    times = [row[2], row[5], row[7], row[12], row[15], row[16]] + [t for v in versions if v[2] in PUBLIC_VERSION_STATUSES for t in v[3:6]]
    return DataState(basis, _latest(*times))
