"""Writing and reading the audit log. `record` is the only writer; there is no update or delete."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.auth.models import User
from app.auth.services import require_admin

from .models import AuditEntry


def record(session: Session, actor: User | None, action: str, obj: object | None = None, *,
           unit_id: int | None = None, campaign_id: int | None = None, **detail) -> AuditEntry:
    """Append one entry. `obj` gives object_type/object_id; unit and campaign are taken from it when it has them."""
    entry = AuditEntry(
        actor_id=actor.id if actor is not None else None,
        action=action,
        object_type=type(obj).__name__.lower() if obj is not None else "",
        object_id=getattr(obj, "id", None),
        unit_id=unit_id if unit_id is not None else getattr(obj, "unit_id", None),
        campaign_id=campaign_id if campaign_id is not None else getattr(obj, "campaign_id", None),
        detail={k: v for k, v in detail.items() if v is not None},
    )
    session.add(entry)
    return entry


@dataclass
class AuditFilter:
    action: str = ""
    actor: str = ""
    unit_id: int | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None


def search(session: Session, actor: User, flt: AuditFilter, limit: int = 200) -> list[AuditEntry]:
    """Entries matching the filter, newest first (admins only)."""
    require_admin(actor)
    query = sa.select(AuditEntry).order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(limit)
    if flt.action:
        query = query.where(AuditEntry.action.startswith(flt.action))
    if flt.actor:
        query = query.join(User, AuditEntry.actor_id == User.id).where(User.username == flt.actor.lower())
    if flt.unit_id:
        query = query.where(AuditEntry.unit_id == flt.unit_id)
    if flt.date_from:
        query = query.where(AuditEntry.at >= dt.datetime.combine(flt.date_from, dt.time(), dt.UTC))
    if flt.date_to:
        query = query.where(AuditEntry.at < dt.datetime.combine(flt.date_to + dt.timedelta(days=1), dt.time(), dt.UTC))
    return list(session.scalars(query))


def actions(session: Session) -> list[str]:
    return list(session.scalars(sa.select(AuditEntry.action).distinct().order_by(AuditEntry.action)))


@dataclass
class DetailItem:
    """One detail of an audit entry as shown: the key in words, the value in words, and the full raw value
    (a whole hash, an id list) for auditors when the shown value is shortened or translated, else ""."""

    key: str
    value: str
    raw: str = ""


@dataclass
class AuditRow:
    """An audit entry for people: who (name), what (action in words, the raw code kept for auditors), on
    what (the object in words: a unit's name, a certificate number, a user's name), and the details."""

    entry: AuditEntry
    actor: str
    action: str
    obj: str
    details: list[DetailItem]


_HASH_KEYS = ("sha256", "old_checksum", "new_checksum")
_DATE_KEYS = ("deadline", "until")


def describe(session: Session, entries: list[AuditEntry]) -> list[AuditRow]:
    """The entries in words for the audit page, looking names up in a few queries (units, users, campaigns,
    criteria versions, decisions, certificates by id). Unknown ids are shown as "#id"."""
    from app.campaigns.models import Campaign, CriteriaVersion
    from app.certificates.models import Certificate
    from app.labels import label, short_hash
    from app.numbers import num, vndate
    from app.review.models import RecognitionDecision
    from app.units.models import Unit

    def ids(kind: str) -> set[int]:
        return {e.object_id for e in entries if e.object_type == kind and e.object_id is not None}

    unit_ids = {e.unit_id for e in entries if e.unit_id} | {u for e in entries for u in (e.detail or {}).get("units", []) if isinstance(u, int)}
    user_ids = ids("user") | {int(p.split(":")[1]) for e in entries for p in (e.detail or {}).get("pairs", [])
                              if isinstance(p, str) and p.count(":") == 1 and p.split(":")[1].isdigit()}
    campaign_ids = {e.campaign_id for e in entries if e.campaign_id} | ids("campaign")

    def names(model, wanted: set[int], attr: str) -> dict[int, str]:
        if not wanted:
            return {}
        return {row.id: getattr(row, attr) for row in session.scalars(sa.select(model).where(model.id.in_(wanted)))}

    units = names(Unit, unit_ids, "name")
    users = {u.id: (u.full_name or u.username) for u in session.scalars(sa.select(User).where(User.id.in_(user_ids)))} if user_ids else {}
    campaigns = names(Campaign, campaign_ids, "name")
    versions = names(CriteriaVersion, ids("criteriaversion"), "label")
    decisions = names(RecognitionDecision, ids("recognitiondecision"), "number")
    certificates = names(Certificate, ids("certificate"), "number")

    def object_text(e: AuditEntry) -> str:
        kind, oid = e.object_type, e.object_id
        known = {"user": users, "criteriaversion": versions, "recognitiondecision": decisions, "certificate": certificates,
                 "campaign": campaigns}.get(kind, {})
        if kind == "submission":
            parts = [units.get(e.unit_id, "") if e.unit_id else "", campaigns.get(e.campaign_id, "") if e.campaign_id else ""]
            text = " — ".join(p for p in parts if p)
        else:
            text = known.get(oid, "") if oid is not None else ""
            if kind == "certificate" and e.unit_id in units:
                text = f"{text} — {units[e.unit_id]}" if text else units[e.unit_id]
        if not kind:
            return text or "—"
        return f"{label(kind, 'object_type')}: {text or f'#{oid}'}"

    def value_text(action: str, key: str, value) -> tuple[str, str]:
        if key in _HASH_KEYS and isinstance(value, str):
            return short_hash(value), value
        if key in _DATE_KEYS and isinstance(value, str):
            try:
                return vndate(dt.date.fromisoformat(value)), ""
            except ValueError:
                return value, ""
        if key == "met" and isinstance(value, bool):
            from flask_babel import gettext as _

            return (_("Đạt") if value else _("Chưa đạt")), ""
        if key in ("old", "new") and action.startswith("submission."):
            return label(value, "submission_status"), ""
        if key == "was":
            return label(value, "version_status"), ""
        if key == "via":
            return label(value, "audit_via"), ""
        if key in ("self_score", "final"):
            return f"{num(value)}%", ""
        if key == "size" and isinstance(value, int):
            return f"{num(value / 1024)} KB", ""
        if key == "units" and isinstance(value, list):
            return ", ".join(units.get(u, f"#{u}") for u in value), ""
        if key == "pairs" and isinstance(value, list):
            shown = []
            for pair in value:
                group, _sep, rid = str(pair).partition(":")
                shown.append(f"{group}: {users.get(int(rid), '#' + rid) if rid.isdigit() else rid}")
            return "; ".join(shown), ""
        if isinstance(value, dict):
            return "; ".join(f"{k} → {v}" for k, v in value.items()), ""
        if isinstance(value, list):
            return ", ".join(str(v) for v in value), ""
        return str(value), ""

    rows = []
    for e in entries:
        details = []
        for key, value in (e.detail or {}).items():
            shown, raw = value_text(e.action, key, value)
            details.append(DetailItem(label(key, "audit_detail"), shown, raw))
        actor = (e.actor.full_name or e.actor.username) if e.actor else ""
        rows.append(AuditRow(e, actor, label(e.action, "audit_action"), object_text(e), details))
    return rows


def action_choices(session: Session) -> list[tuple[str, str]]:
    """(code, label) of every action in the log and every known action, sorted by label, for the filter."""
    from app.labels import AUDIT_ACTION, label

    codes = set(actions(session)) | set(AUDIT_ACTION)
    return sorted(((c, label(c, "audit_action")) for c in codes), key=lambda pair: pair[1])
