"""Campaign and criteria-version services. They flush; the caller commits."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import Session, selectinload

from app.assessment.criteria import CriteriaError, CriteriaSet, check_across_files, find_files, load_file
from app.auth.models import User
from app.auth.services import require_admin
from app.errors import NotFound, PermissionDenied, ValidationFailed
from app.text import fold, nfc, vn_sort_key
from app.units.models import Unit

from .models import Campaign, CriteriaVersion

# ------------------------------------------------------------------ criteria versions


def validate_paths(paths: list[str | Path]) -> tuple[list[tuple[Path, CriteriaSet]], list[CriteriaError]]:
    """Validate every criteria file; returns the valid sets and all errors."""
    sets: list[tuple[Path, CriteriaSet]] = []
    errors: list[CriteriaError] = []
    files = find_files(paths)
    if not files:
        errors.append(CriteriaError(str(paths[0]) if paths else "criteria", 0, "no criteria files found"))
    for path in files:
        cset, errs = load_file(path)
        errors += errs
        if cset is not None:
            sets.append((path, cset))
    errors += check_across_files(sets)
    return sets, errors


def load_criteria(session: Session, sets: list[tuple[Path, CriteriaSet]]) -> dict[str, str]:
    """Store each set; unchanged → kept, changed content → a new revision. Returns code → outcome."""
    outcome: dict[str, str] = {}
    for path, cset in sets:
        latest = session.scalar(
            sa.select(CriteriaVersion)
            .where(CriteriaVersion.code == cset.code, CriteriaVersion.version == cset.version)
            .order_by(CriteriaVersion.revision.desc())
            .limit(1)
        )
        label = f"{cset.code} v{cset.version}"
        if latest is not None and latest.checksum == cset.checksum:
            outcome[label] = "unchanged"
            continue
        revision = 1 if latest is None else latest.revision + 1
        session.add(
            CriteriaVersion(
                code=cset.code,
                version=cset.version,
                revision=revision,
                name_vi=cset.name_vi,
                name_en=cset.name_en,
                effective_from=cset.effective_from,
                checksum=cset.checksum,
                content=cset.data,
                source_file=path.name,
                status="published",
                published_at=dt.datetime.now(dt.UTC),
            )
        )
        outcome[label] = "loaded" if revision == 1 else f"changed → revision {revision}"
    session.flush()
    return outcome


def known_set_codes(session: Session) -> list[str]:
    return list(session.scalars(sa.select(CriteriaVersion.code).distinct().order_by(CriteriaVersion.code)))


def set_choices(session: Session, codes: list[str] | None = None) -> list[tuple[str, str]]:
    """(code, "Name (CODE)") for a select of criteria sets, the name from the newest version of each set in the
    UI language; `codes` limits and orders the list (default: every known set)."""
    from app.numbers import ui_locale

    names: dict[str, str] = {}
    english = ui_locale() == "en"
    rows = session.execute(sa.select(CriteriaVersion.code, CriteriaVersion.name_vi, CriteriaVersion.name_en)
                           .order_by(CriteriaVersion.code, CriteriaVersion.version, CriteriaVersion.revision))
    for code, name_vi, name_en in rows:
        names[code] = (name_en or name_vi) if english else name_vi
    wanted = codes if codes is not None else sorted(names)
    return [(c, f"{names[c]} ({c})" if names.get(c) else c) for c in wanted]


def set_label(code: str) -> str:
    """Jinja global: a criteria set's name and code ("Name (CODE)") in the UI language, looked up once per request."""
    from flask import g

    from app.extensions import db

    names = g.get("_set_labels")
    if names is None:
        names = g._set_labels = dict(set_choices(db.session))
    return names.get(code, code)


def latest_versions(session: Session, published_only: bool = False) -> list[CriteriaVersion]:
    """The newest revision of every (code, version); with `published_only`, among published versions only."""
    query = sa.select(CriteriaVersion).order_by(CriteriaVersion.code, CriteriaVersion.version, CriteriaVersion.revision)
    if published_only:
        query = query.where(CriteriaVersion.status == "published")
    rows = session.scalars(query)
    latest: dict[tuple[str, int], CriteriaVersion] = {}
    for row in rows:
        latest[(row.code, row.version)] = row
    return list(latest.values())


# ------------------------------------------------------------------ campaigns


def create_campaign(session: Session, actor: User | None, *, name: str, criteria_version_id: int, year: int,
                    opens_on: dt.date, closes_on: dt.date, scope_unit_types: list[str],
                    unit_ids: list[int] | None = None, system: bool = False) -> Campaign:
    if not system:
        require_admin(actor)
    errors: dict[str, list[str]] = {}
    name = nfc(name) or ""
    if not name:
        errors["name"] = [_("Vui lòng nhập tên đợt đánh giá.")]
    version = session.get(CriteriaVersion, criteria_version_id)
    if version is None:
        errors["criteria_version_id"] = [_("Không tìm thấy bộ tiêu chí.")]
    elif version.status != "published":
        errors["criteria_version_id"] = [_("Phiên bản %(label)s chưa được công bố hoặc đã ngừng dùng: chỉ dùng được phiên bản đã công bố.",
                                           label=version.label)]
    if closes_on < opens_on:
        errors["closes_on"] = [_("Ngày kết thúc phải sau hoặc bằng ngày mở.")]
    if not 2000 <= year <= 2100:
        errors["year"] = [_("Năm không hợp lệ.")]
    units = list(session.scalars(sa.select(Unit).where(Unit.id.in_(unit_ids or []))))
    if version is not None:
        applies = set(version.criteria.applies_to)
        wrong = [t for t in scope_unit_types if t not in applies]
        if wrong:
            errors["scope_unit_types"] = [_("Bộ tiêu chí này không áp dụng cho loại đơn vị: %(types)s.", types=", ".join(wrong))]
        wrong_units = [u.name for u in units if u.unit_type not in applies]
        if wrong_units:
            errors["unit_ids"] = [_("Bộ tiêu chí này không áp dụng cho: %(units)s.", units=", ".join(wrong_units))]
    if not scope_unit_types and not units:
        errors["scope_unit_types"] = errors.get("scope_unit_types", []) + [_("Chọn ít nhất một loại đơn vị hoặc một đơn vị.")]
    if errors:
        raise ValidationFailed(_("Không thể tạo đợt đánh giá. Vui lòng sửa các lỗi bên dưới."), errors)
    campaign = Campaign(
        name=name, criteria_version_id=criteria_version_id, year=year, opens_on=opens_on, closes_on=closes_on,
        scope_unit_types=sorted(scope_unit_types), units=units, created_by_id=actor.id if actor else None,
    )
    session.add(campaign)
    session.flush()
    return campaign


def get_campaign(session: Session, actor: User, campaign_id: int) -> Campaign:
    campaign = session.get(Campaign, campaign_id)
    if campaign is None:
        raise NotFound(_("Không tìm thấy đợt đánh giá."))
    if not can_see_campaign(actor, campaign):
        raise PermissionDenied(_("Bạn không có quyền xem đợt đánh giá này."))
    return campaign


def can_see_campaign(actor: User, campaign: Campaign) -> bool:
    if actor.role in ("admin", "viewer"):
        return True
    if actor.role == "reviewer":
        return campaign.criteria_version.code in actor.scope_codes
    if actor.role == "official":
        return actor.unit is not None and campaign.covers(actor.unit)
    return False


def campaigns_for(session: Session, actor: User) -> list[Campaign]:
    """Campaigns the actor may see, newest first."""
    rows = session.scalars(sa.select(Campaign).options(selectinload(Campaign.criteria_version), selectinload(Campaign.units))
                           .order_by(Campaign.year.desc(), Campaign.opens_on.desc(), Campaign.id.desc()))
    return [c for c in rows if can_see_campaign(actor, c)]


def status_counts(session: Session, campaign_ids: list[int]) -> dict[int, dict[str, int]]:
    """Submissions per status of each campaign, in one grouped query: {campaign id: {status: count}} with the
    statuses in workflow order (app.submissions.models.STATUSES) and only those present; a campaign with no
    submission maps to {}."""
    from app.submissions.models import STATUSES, Submission

    counts: dict[int, dict[str, int]] = {cid: {} for cid in campaign_ids}
    if not campaign_ids:
        return counts
    rows = session.execute(sa.select(Submission.campaign_id, Submission.status, sa.func.count())
                           .where(Submission.campaign_id.in_(campaign_ids)).group_by(Submission.campaign_id, Submission.status))
    found: dict[int, dict[str, int]] = {}
    for campaign_id, status, n in rows:
        found.setdefault(campaign_id, {})[status] = int(n)
    for campaign_id, by_status in found.items():
        counts[campaign_id] = {st: by_status[st] for st in STATUSES if st in by_status}
    return counts


def units_in_scope(session: Session, campaign: Campaign, search: str = "") -> list[Unit]:
    """Units a campaign covers, in Vietnamese alphabetical order; `search` ignores tones and NFC/NFD."""
    query = sa.select(Unit).where(
        sa.or_(Unit.unit_type.in_(campaign.scope_unit_types or ["-"]), Unit.id.in_([u.id for u in campaign.units] or [-1])))
    units = list(session.scalars(query))
    if search:
        needle = fold(search)
        units = [u for u in units if needle in fold(u.name)]
    return sorted(units, key=lambda u: (u.unit_type, vn_sort_key(u.name)))
