"""Storing an imported criteria set (from a workbook) as a new version row. Service layer: takes the session, flushes only.

`create_draft_version` is the ONE database write of the workbook import. It never changes an
existing row (a row a campaign uses stays as it is): it always adds a new `CriteriaVersion`.
Placeholder until the criteria-set versions service (draft / in use / retired) exists: at that
point this function should call (or be replaced by) that service's "create a draft".
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.assessment.criteria import criteria_from_dict
from app.audit.services import record
from app.auth.models import User
from app.campaigns.models import CriteriaVersion


def next_revision(session: Session, code: str, version: int) -> int:
    """1 + the highest stored revision of (code, version); 1 when none is stored."""
    highest = session.scalar(
        sa.select(sa.func.max(CriteriaVersion.revision)).where(CriteriaVersion.code == code, CriteriaVersion.version == version)
    )
    return (highest or 0) + 1


def create_draft_version(session: Session, actor: User | None, data: dict, *, source: str) -> CriteriaVersion:
    """Add a new CriteriaVersion for `data` (a criteria dict that passes the schema) and return it (flushed).

    The row takes the set's code and version from `data` and the next free revision of that
    (code, version); `content` is the validated data, `checksum` its sha256, `source_file` the
    `source` name (e.g. the uploaded workbook's file name, cut to 255 characters). Existing rows are
    never modified. The import is audited as `criteria.import`. Raises ValueError when `data` does
    not pass the schema.
    """
    cset = criteria_from_dict(data)
    row = CriteriaVersion(
        code=cset.code,
        version=cset.version,
        revision=next_revision(session, cset.code, cset.version),
        name_vi=cset.name_vi,
        name_en=cset.name_en,
        effective_from=cset.effective_from,
        checksum=cset.checksum,
        content=cset.data,
        source_file=source[:255],
    )
    session.add(row)
    session.flush()
    record(session, actor, "criteria.import", row, code=row.code, version=row.version, revision=row.revision,
           checksum=row.checksum, source=row.source_file)
    return row
