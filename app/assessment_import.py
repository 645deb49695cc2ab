"""Compatibility name for the workbook import's database write.

`create_draft_version(session, actor, data, *, source)` lives in `app.criteria_sets.services`
(criteria-set versions: draft / published / retired). It always adds a NEW draft version with the
next version number of the set and never changes an existing row. Re-exported here so callers
written against this module keep working.
"""

from __future__ import annotations

from app.criteria_sets.services import create_draft_version

__all__ = ["create_draft_version"]
