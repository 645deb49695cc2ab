"""API tokens (issue, revoke, list, authenticate, record a use) and the scoped reads behind /api/v1/.

Tokens: `dc_<prefix>_<secret>`, prefix 12 base32 characters (60 bits, unique, finds the row), secret 43 URL-safe
characters (256 bits from `secrets`). Only SHA-256 of the whole token is stored. A fast hash is right here, unlike
for passwords: the secret is 256 random bits, so there is no dictionary to try and brute force is out of reach
whatever the hash speed; a slow hash (argon2) would add tens of milliseconds to every API request for nothing.

Reads take the session and the acting user (the token's user) and apply the same scope as the web pages:
officials see their own unit only, reviewers the sets in their scope, viewers and admins everything. Objects
outside the scope are "not found" (the API never says that something exists which the caller may not see).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import Session, selectinload

from app.audit.services import record
from app.auth.models import User
from app.auth.services import require_admin
from app.errors import NotFound, PermissionDenied, ValidationFailed
from app.text import nfc

from .models import ApiToken

TOKEN_PREFIX = "dc_"  # noqa: S105  # nosec B105 - the public marker of a token, not a secret


def hash_token(plain: str) -> str:
    """SHA-256 hex of a plain token (64 characters)."""
    return hashlib.sha256(plain.encode("utf-8")).hexdigest()


def new_token() -> tuple[str, str]:
    """A fresh (prefix, plain token): prefix 12 lower-case base32 characters, token `dc_<prefix>_<43 chars>`."""
    prefix = base64.b32encode(secrets.token_bytes(10)).decode("ascii").lower()[:12]
    return prefix, f"{TOKEN_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"


def split_token(plain: str) -> str | None:
    """The prefix of a well-formed plain token, else None."""
    if not plain.startswith(TOKEN_PREFIX) or len(plain) > 100:
        return None
    prefix, sep, secret = plain[len(TOKEN_PREFIX):].partition("_")
    if not sep or len(prefix) != 12 or not prefix.isalnum() or not secret:
        return None
    return prefix


def bearer(header: str | None) -> str | None:
    """The token of an `Authorization: Bearer <token>` header, else None."""
    if not header:
        return None
    scheme, _sep, value = header.strip().partition(" ")
    return value.strip() or None if scheme.lower() == "bearer" else None


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def issue_token(session: Session, actor: User | None, user_id: int, name: str, expires_at: dt.datetime | None = None,
                system: bool = False) -> tuple[ApiToken, str]:
    """Issue a token to user `user_id` (admins only, or `system` for the CLI). Returns (row, plain token): the plain
    token exists only in this return value. Raises PermissionDenied, NotFound, ValidationFailed (empty name, a
    disabled user, an expiry in the past). Audited as api_token.issue. Flushes."""
    if not system:
        require_admin(actor)
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(_("Không tìm thấy người dùng."))
    name = (nfc(name) or "").strip()
    errors: dict[str, list[str]] = {}
    if not name or len(name) > 120:
        errors["name"] = [_("Ghi mục đích của mã (tối đa 120 ký tự).")]
    if not user.is_enabled:
        errors["user_id"] = [_("Người dùng đã bị khoá; không cấp mã được.")]
    if expires_at is not None and expires_at <= _now():
        errors["expires_on"] = [_("Ngày hết hạn phải sau hôm nay.")]
    if errors:
        raise ValidationFailed(_("Chưa cấp được mã truy cập API. Vui lòng sửa các lỗi bên dưới."), errors)
    prefix, plain = new_token()
    token = ApiToken(user_id=user.id, name=name, prefix=prefix, token_hash=hash_token(plain), expires_at=expires_at,
                     created_by_id=actor.id if actor is not None else None)
    session.add(token)
    session.flush()
    record(session, actor, "api_token.issue", token, user=user.username, prefix=prefix,
           expires=expires_at.isoformat() if expires_at else None, via="cli" if system else None)
    return token, plain


def revoke_token(session: Session, actor: User | None, token_id: int, system: bool = False) -> ApiToken:
    """Revoke a token for good (admins, or `system` for the CLI); revoking twice keeps the first time. Audited. Flushes."""
    if not system:
        require_admin(actor)
    token = session.get(ApiToken, token_id)
    if token is None:
        raise NotFound(_("Không tìm thấy mã truy cập API."))
    if token.revoked_at is None:
        token.revoked_at = _now()
        token.revoked_by_id = actor.id if actor is not None else None
        record(session, actor, "api_token.revoke", token, prefix=token.prefix, via="cli" if system else None)
        session.flush()
    return token


def list_tokens(session: Session, actor: User | None, system: bool = False) -> list[ApiToken]:
    """Every token, newest first, with its user (admins, or `system`)."""
    if not system:
        require_admin(actor)
    return list(session.scalars(sa.select(ApiToken).options(selectinload(ApiToken.user)).order_by(ApiToken.id.desc())))


@dataclass
class AuthOutcome:
    """The result of checking a bearer token: the token (known and proven) or None, and why it is refused
    ('' when accepted; missing, malformed, unknown, revoked, expired, disabled)."""

    token: ApiToken | None
    refused: str


def authenticate(session: Session, plain: str | None, now: dt.datetime | None = None) -> AuthOutcome:
    """Check a plain bearer token: one indexed look-up by prefix, then a constant-time hash comparison."""
    if not plain:
        return AuthOutcome(None, "missing")
    prefix = split_token(plain)
    if prefix is None:
        return AuthOutcome(None, "malformed")
    token = session.scalar(sa.select(ApiToken).where(ApiToken.prefix == prefix).options(selectinload(ApiToken.user)))
    if token is None or not hmac.compare_digest(token.token_hash, hash_token(plain)):
        return AuthOutcome(None, "unknown")
    state = token.state(now or _now())
    return AuthOutcome(token, "" if state == "active" else state)


def record_use(session: Session, token: ApiToken, endpoint: str, method: str, status: int, now: dt.datetime | None = None,
               accepted: bool = True) -> None:
    """One audit row for one API request (action api.request: token id, endpoint, method, status) and, when the
    token was accepted, its last use. A refused token (revoked, expired, user disabled) is audited too.
    Flushes nothing; the caller commits."""
    if accepted:
        token.last_used_at = now or _now()
    record(session, token.user, "api.request", token, endpoint=endpoint[:200], method=method, status=status)


# ------------------------------------------------------------------ paging


def paged(session: Session, query: sa.Select, page: int, per_page: int) -> tuple[list[Any], int]:
    """(rows of page `page`, total) of a select; a page past the end is empty."""
    total = session.scalar(sa.select(sa.func.count()).select_from(query.order_by(None).subquery())) or 0
    rows = list(session.execute(query.limit(per_page).offset((page - 1) * per_page)))
    return rows, total


def page_of(items: list[Any], page: int, per_page: int) -> tuple[list[Any], int]:
    """(slice of a Python list for page `page`, total)."""
    start = (page - 1) * per_page
    return items[start:start + per_page], len(items)


# ------------------------------------------------------------------ units


def units(session: Session, actor: User, unit_type: str | None, q: str | None, page: int, per_page: int):
    """Units the actor may see (officials: their own), by type then code; `q` matches part of the name or the code."""
    from app.units.models import Unit

    query = sa.select(Unit).order_by(Unit.unit_type, Unit.code)
    if actor.role == "official":
        query = query.where(Unit.id == actor.unit_id)
    if unit_type:
        query = query.where(Unit.unit_type == unit_type)
    if q:
        needle = (nfc(q) or "").replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = query.where(sa.or_(Unit.name.ilike(f"%{needle}%", escape="\\"), Unit.code == q))
    rows, total = paged(session, query, page, per_page)
    return [r[0] for r in rows], total


def unit(session: Session, actor: User, unit_id: int):
    """One unit the actor may see; NotFound otherwise."""
    from app.units.models import Unit

    found = session.get(Unit, unit_id)
    if found is None or (actor.role == "official" and actor.unit_id != found.id):
        raise NotFound(_("Không tìm thấy đơn vị."))
    return found


# ------------------------------------------------------------------ criteria


def _may_see_version(actor: User, version) -> bool:
    from app.criteria_sets.services import can_manage

    return version.status != "draft" or can_manage(actor, version.code)


def criteria_sets(session: Session, actor: User) -> list[tuple[str, list]]:
    """[(set code, its versions oldest first)] of the versions the actor may see (drafts only to their managers)."""
    from app.campaigns.models import CriteriaVersion

    versions = sorted(session.scalars(sa.select(CriteriaVersion)), key=lambda v: (v.code, v.version, v.revision, v.id))
    sets: dict[str, list] = {}
    for version in versions:
        if _may_see_version(actor, version):
            sets.setdefault(version.code, []).append(version)
    return list(sets.items())


def criteria_version(session: Session, actor: User, version_id: int):
    """One criteria version with its content; NotFound for an unknown id or a draft the actor does not manage."""
    from app.campaigns.models import CriteriaVersion

    version = session.get(CriteriaVersion, version_id)
    if version is None or not _may_see_version(actor, version):
        raise NotFound(_("Không tìm thấy phiên bản bộ tiêu chí."))
    return version


# ------------------------------------------------------------------ campaigns


def campaigns(session: Session, actor: User, set_code: str | None, year: int | None) -> list:
    """Campaigns the actor may see (app.campaigns.services.campaigns_for), newest first, filtered."""
    from app.campaigns.services import campaigns_for

    return [c for c in campaigns_for(session, actor)
            if (not set_code or c.criteria_version.code == set_code) and (year is None or c.year == year)]


def campaign(session: Session, actor: User, campaign_id: int):
    """One campaign the actor may see; NotFound otherwise (also for one outside the scope)."""
    from app.campaigns.services import get_campaign

    try:
        return get_campaign(session, actor, campaign_id)
    except PermissionDenied:
        raise NotFound(_("Không tìm thấy đợt đánh giá.")) from None


# ------------------------------------------------------------------ submissions


def _submission_scope(query: sa.Select, actor: User) -> sa.Select:
    """Restrict a select over Submission joined to Campaign and CriteriaVersion to what the actor may read, as on
    the web (app.submissions.services._check_read, app.campaigns.services.can_see_campaign)."""
    from app.campaigns.models import CriteriaVersion
    from app.submissions.models import Submission

    if actor.role in ("admin", "viewer"):
        return query
    if actor.role == "reviewer":
        return query.where(CriteriaVersion.code.in_(sorted(actor.scope_codes) or ["-"]))
    if actor.role == "official":
        return query.where(Submission.unit_id == (actor.unit_id or -1))
    return query.where(sa.false())


def submissions(session: Session, actor: User, *, set_code: str | None, year: int | None, campaign_id: int | None,
                unit_id: int | None, status: str | None, page: int, per_page: int) -> tuple[list, int]:
    """Submissions the actor may read, filtered, newest campaign first then unit code: ([Submission], total)."""
    from app.campaigns.models import Campaign, CriteriaVersion
    from app.submissions.models import Submission
    from app.units.models import Unit

    query = (sa.select(Submission).join(Campaign, Campaign.id == Submission.campaign_id)
             .join(CriteriaVersion, CriteriaVersion.id == Campaign.criteria_version_id).join(Unit, Unit.id == Submission.unit_id)
             .options(selectinload(Submission.unit), selectinload(Submission.campaign).selectinload(Campaign.criteria_version))
             .order_by(Campaign.year.desc(), Campaign.id.desc(), Unit.code, Submission.id))
    query = _submission_scope(query, actor)
    if set_code:
        query = query.where(CriteriaVersion.code == set_code)
    if year is not None:
        query = query.where(Campaign.year == year)
    if campaign_id is not None:
        query = query.where(Submission.campaign_id == campaign_id)
    if unit_id is not None:
        query = query.where(Submission.unit_id == unit_id)
    if status:
        query = query.where(Submission.status == status)
    rows, total = paged(session, query, page, per_page)
    if actor.role == "official":  # the campaign must still cover the unit and be visible, as on the web
        from app.campaigns.services import can_see_campaign

        rows = [r for r in rows if can_see_campaign(actor, r[0].campaign)]
    return [r[0] for r in rows], total


def submission(session: Session, actor: User, submission_id: int) -> tuple[Any, list, list]:
    """(Submission, [GroupScore], [IndicatorScore]) of one submission the actor may read; NotFound otherwise."""
    from app.campaigns.models import Campaign, CriteriaVersion
    from app.submissions.models import GroupScore, IndicatorScore, Submission

    query = (sa.select(Submission).join(Campaign, Campaign.id == Submission.campaign_id)
             .join(CriteriaVersion, CriteriaVersion.id == Campaign.criteria_version_id).where(Submission.id == submission_id))
    found = session.scalar(_submission_scope(query, actor))
    if found is None:
        raise NotFound(_("Không tìm thấy phiếu."))
    if actor.role == "official":
        from app.campaigns.services import can_see_campaign

        if not can_see_campaign(actor, found.campaign):
            raise NotFound(_("Không tìm thấy phiếu."))
    groups = list(session.scalars(sa.select(GroupScore).where(GroupScore.submission_id == found.id).order_by(GroupScore.group_code)))
    indicators = list(session.scalars(sa.select(IndicatorScore).where(IndicatorScore.submission_id == found.id)
                                      .order_by(IndicatorScore.id)))
    return found, groups, indicators


# ------------------------------------------------------------------ certificates


def certificates(session: Session, actor: User, *, set_code: str | None, year: int | None, unit_id: int | None,
                 status: str | None, page: int, per_page: int) -> tuple[list, int]:
    """Certificates the actor may read (officials: their unit's; others: sets they may read, as
    app.certificates.services.get_certificate), newest first: ([Certificate], total)."""
    from app.campaigns.models import Campaign, CriteriaVersion
    from app.certificates.models import Certificate
    from app.review.models import RecognitionDecision

    query = (sa.select(Certificate).join(RecognitionDecision, RecognitionDecision.id == Certificate.decision_id)
             .join(Campaign, Campaign.id == RecognitionDecision.campaign_id)
             .join(CriteriaVersion, CriteriaVersion.id == Campaign.criteria_version_id)
             .options(selectinload(Certificate.unit), selectinload(Certificate.decision))
             .order_by(Certificate.year.desc(), Certificate.set_code, Certificate.seq))
    if actor.role == "official":
        query = query.where(Certificate.unit_id == (actor.unit_id or -1))
    elif actor.role == "reviewer":
        query = query.where(CriteriaVersion.code.in_(sorted(actor.scope_codes) or ["-"]))
    elif actor.role not in ("admin", "viewer"):
        query = query.where(sa.false())
    if set_code:
        query = query.where(Certificate.set_code == set_code)
    if year is not None:
        query = query.where(Certificate.year == year)
    if unit_id is not None:
        query = query.where(Certificate.unit_id == unit_id)
    if status == "superseded":
        query = query.where(Certificate.superseded_by_id.is_not(None))
    elif status == "revoked":
        query = query.where(Certificate.superseded_by_id.is_(None), Certificate.revoked_at.is_not(None))
    elif status == "valid":
        query = query.where(Certificate.superseded_by_id.is_(None), Certificate.revoked_at.is_(None))
    rows, total = paged(session, query, page, per_page)
    return [r[0] for r in rows], total


def certificate(session: Session, actor: User, cert_id: int):
    """One certificate the actor may read (app.certificates.services.get_certificate); NotFound otherwise."""
    from app.certificates.services import get_certificate

    try:
        return get_certificate(session, actor, cert_id)
    except PermissionDenied:
        raise NotFound(_("Không tìm thấy giấy chứng nhận.")) from None
