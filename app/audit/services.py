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
