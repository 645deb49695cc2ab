"""Criteria-set services: drafts, publish/retire, preview, compare, code mappings, owners. They flush only.

Who may act: an admin on every set; a criteria owner (a reviewer or viewer with a
`CriteriaOwnerScope` for the set's code) on that set only. Every change is written to the audit
log. A version a campaign uses is never edited: a revision is a new draft version.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from app.assessment.criteria import CriteriaSet, criteria_from_dict, plain_data
from app.assessment.indicators import AnswerError, get_type
from app.assessment.schema import Problem, validate_data
from app.assessment.scoring import AnswerInput, SetResult, score_set
from app.audit.services import record
from app.auth.models import User
from app.campaigns.models import Campaign, CriteriaVersion
from app.errors import InvalidTransition, NotFound, PermissionDenied, ValidationFailed
from app.labels import VERSION_STATUS

from . import compare as cmp
from .models import CodeMapping, CriteriaOwnerScope

#: Roles that may be given criteria-owner scopes (admins own every set already).
OWNER_ROLES = ("reviewer", "viewer")

STATE_LABELS = VERSION_STATUS

# ------------------------------------------------------------------ permissions


def owned_codes(actor: User | None) -> set[str]:
    """Set codes the actor owns through criteria-owner scopes (empty for officials and anonymous users)."""
    if actor is None or not getattr(actor, "is_authenticated", True) or actor.role not in OWNER_ROLES:
        return set()
    return {s.set_code for s in getattr(actor, "owned_sets", [])}


def is_manager(actor: User | None) -> bool:
    """True for an admin or a user owning at least one set (who may open the "Bộ tiêu chí" pages)."""
    return actor is not None and getattr(actor, "is_authenticated", True) and (actor.role == "admin" or bool(owned_codes(actor)))


def can_manage(actor: User | None, code: str) -> bool:
    """True when the actor may author, publish, retire and map versions of the set `code`."""
    return actor is not None and getattr(actor, "is_authenticated", True) and (actor.role == "admin" or code in owned_codes(actor))


def require_manager(actor: User | None) -> None:
    """Raise PermissionDenied unless the actor is an admin or owns a set."""
    if not is_manager(actor):
        raise PermissionDenied(_("Chỉ quản trị viên và người phụ trách bộ tiêu chí được vào trang này."))


def require_set(actor: User | None, code: str) -> None:
    """Raise PermissionDenied unless the actor may manage the set `code`."""
    if not can_manage(actor, code):
        raise PermissionDenied(_("Bạn không phụ trách bộ tiêu chí %(code)s.", code=code))


def set_owned_codes(session: Session, actor: User, user: User, codes: list[str]) -> None:
    """Admin: replace the sets `user` owns with `codes` (audited). Only reviewers and viewers may own sets.

    Raises PermissionDenied (not an admin) or ValidationFailed (an official or admin given sets).
    """
    if actor is None or actor.role != "admin":
        raise PermissionDenied(_("Chỉ quản trị viên được thực hiện thao tác này."))
    wanted = sorted(set(codes))
    if wanted and user.role not in OWNER_ROLES:
        raise ValidationFailed(_("Không thể lưu người dùng. Vui lòng sửa các lỗi bên dưới."),
                               {"owner_codes": [_("Chỉ cán bộ thẩm định hoặc người xem được phụ trách bộ tiêu chí (quản trị viên đã có mọi quyền).")]})
    before = sorted(s.set_code for s in user.owned_sets)
    if before == wanted:
        return
    keep = [s for s in user.owned_sets if s.set_code in wanted]
    user.owned_sets[:] = keep + [CriteriaOwnerScope(set_code=c) for c in wanted if c not in before]
    record(session, actor, "user.criteria_owner", user, before=before, after=wanted)
    session.flush()


# ------------------------------------------------------------------ listing and states


def campaign_counts(session: Session) -> dict[int, int]:
    """criteria_version_id → number of campaigns using it."""
    rows = session.execute(sa.select(Campaign.criteria_version_id, sa.func.count(Campaign.id)).group_by(Campaign.criteria_version_id))
    return {row[0]: row[1] for row in rows}


def state_of(version: CriteriaVersion, campaigns: int) -> str:
    """'draft', 'in_use' (published and used by a campaign), 'published' (not yet used) or 'retired'."""
    if version.status == "published" and campaigns:
        return "in_use"
    return version.status


@dataclass
class VersionRow:
    """One version in the list: the row, its state, campaigns using it and counts of its content."""

    version: CriteriaVersion
    state: str
    campaigns: int
    groups: int
    indicators: int
    seed: int
    proposed: int
    conditions: int

    @property
    def state_label(self) -> str:
        """The state in words (nháp / đang dùng / ngừng dùng …)."""
        return str(STATE_LABELS[self.state])


@dataclass
class SetSummary:
    """A set code with its name (from the newest version) and every version, newest first."""

    code: str
    name_vi: str
    name_en: str
    versions: list[VersionRow] = field(default_factory=list)

    @property
    def can_create_campaigns(self) -> bool:
        """True when some version is published (campaigns may use it)."""
        return any(v.version.status == "published" for v in self.versions)


def _order(version: CriteriaVersion) -> tuple:
    return (version.version, version.revision, version.id)


def list_sets(session: Session, actor: User) -> list[SetSummary]:
    """The sets the actor manages (admin: all) with their versions and counts, by code."""
    require_manager(actor)
    counts = campaign_counts(session)
    rows = sorted(session.scalars(sa.select(CriteriaVersion)), key=lambda v: (v.code, _order(v)))
    sets: dict[str, SetSummary] = {}
    for version in rows:
        if not can_manage(actor, version.code):
            continue
        cset = version.criteria
        origin = cset.count_by_origin()
        summary = sets.setdefault(version.code, SetSummary(version.code, version.name_vi, version.name_en))
        summary.name_vi, summary.name_en = version.name_vi, version.name_en
        summary.versions.insert(0, VersionRow(version, state_of(version, counts.get(version.id, 0)), counts.get(version.id, 0),
                                              len(cset.groups), len(cset.indicators), origin["seed"], origin["proposed"],
                                              sum(1 for i in cset.indicators if i.condition)))
    return list(sets.values())


def get_version(session: Session, actor: User, version_id: int) -> CriteriaVersion:
    """A version the actor may manage. Raises NotFound or PermissionDenied."""
    require_manager(actor)
    version = session.get(CriteriaVersion, version_id)
    if version is None:
        raise NotFound(_("Không tìm thấy phiên bản bộ tiêu chí."))
    require_set(actor, version.code)
    return version


def version_state(session: Session, version: CriteriaVersion) -> str:
    """The state of one version (see `state_of`)."""
    used = session.scalar(sa.select(sa.func.count(Campaign.id)).where(Campaign.criteria_version_id == version.id)) or 0
    return state_of(version, used)


def versions_of(session: Session, code: str) -> list[CriteriaVersion]:
    """Every stored version of a set, oldest first."""
    return sorted(session.scalars(sa.select(CriteriaVersion).where(CriteriaVersion.code == code)), key=_order)


def previous_version(session: Session, version: CriteriaVersion) -> CriteriaVersion | None:
    """The newest non-draft version of the same set before `version` (what a revision revises), or None."""
    earlier = [v for v in versions_of(session, version.code) if _order(v) < _order(version) and v.status != "draft"]
    return earlier[-1] if earlier else None


def published_versions(session: Session) -> list[CriteriaVersion]:
    """Versions campaigns may use: published ones, by code and version."""
    return sorted(session.scalars(sa.select(CriteriaVersion).where(CriteriaVersion.status == "published")),
                  key=lambda v: (v.code, _order(v)))


# ------------------------------------------------------------------ drafts


def problem_text(raw: Any, problem: Problem) -> str:
    """A schema problem as 'where: message', naming groups and indicators by their codes."""
    parts: list[str] = []
    node = raw
    for part in problem.loc:
        child = node[part] if isinstance(node, dict | list) and _has(node, part) else None
        if isinstance(part, int) and isinstance(child, dict) and isinstance(child.get("code"), str):
            parts[-1:] = [f"{parts[-1] if parts else ''}[{child['code']}]"]
        elif isinstance(part, int):
            parts[-1:] = [f"{parts[-1] if parts else ''}[{part + 1}]"]
        else:
            parts.append(str(part))
        node = child
    where = ".".join(parts)
    return f"{where}: {problem.message}" if where else problem.message


def _has(node: Any, part: Any) -> bool:
    if isinstance(node, dict):
        return part in node
    return isinstance(part, int) and 0 <= part < len(node)


def _validated(raw: dict) -> CriteriaSet:
    model, problems = validate_data(raw)
    if model is None:
        raise ValidationFailed(_("Bộ tiêu chí chưa hợp lệ: %(n)d lỗi (liệt kê bên dưới). Chưa lưu gì.", n=len(problems)),
                               {"data": [problem_text(raw, p) for p in problems]})
    return criteria_from_dict(raw)


def _check_code(session: Session, actor: User | None, raw: Any) -> str:
    code = raw.get("code") if isinstance(raw, dict) else None
    if not isinstance(code, str) or not code:
        raise ValidationFailed(_("Bộ tiêu chí chưa hợp lệ: thiếu mã bộ (code)."), {"data": [_("thiếu mã bộ (code)")]})
    if actor is None:
        return code
    exists = session.scalar(sa.select(sa.func.count(CriteriaVersion.id)).where(CriteriaVersion.code == code))
    if not exists and actor.role != "admin":
        raise PermissionDenied(_("Chỉ quản trị viên được tạo bộ tiêu chí mới (mã %(code)s).", code=code))
    require_set(actor, code)
    return code


def next_version_number(session: Session, code: str) -> int:
    """1 + the highest version number stored for the set (1 for a new set)."""
    return (session.scalar(sa.select(sa.func.max(CriteriaVersion.version)).where(CriteriaVersion.code == code)) or 0) + 1


def create_draft_version(session: Session, actor: User | None, data: dict, *, source: str) -> CriteriaVersion:
    """Store `data` (a criteria set as plain data, e.g. from a workbook) as a NEW draft version.

    The set's `version` is set to the next number for its code (any value in `data` is replaced);
    no existing version is ever modified. `source` says where it came from (e.g. "web: ctt.xlsx",
    "cli: ctt.xlsx"; stored, 255 characters at most). `actor` is the acting user, or None for the
    command line. Returns the new row (flushed, status 'draft').

    Raises PermissionDenied (not an owner of the set; only admins create a new set code) or
    ValidationFailed whose `errors["data"]` lists every schema problem as "where: message".
    """
    if actor is not None:
        require_manager(actor)
    raw = plain_data(data) if isinstance(data, dict) else data
    code = _check_code(session, actor, raw)
    number = next_version_number(session, code)
    raw = {**raw, "version": number}
    cset = _validated(raw)
    version = CriteriaVersion(
        code=cset.code, version=number, revision=1, name_vi=cset.name_vi, name_en=cset.name_en, effective_from=cset.effective_from,
        checksum=cset.checksum, content=cset.data, source_file=(source or "")[:255], status="draft",
        created_by_id=actor.id if actor is not None else None,
    )
    session.add(version)
    session.flush()
    record(session, actor, "criteria.draft_create", version, code=code, version=number, source=source,
           given_version=data.get("version") if isinstance(data, dict) else None)
    session.flush()
    return version


def replace_draft(session: Session, actor: User, version_id: int, data: dict, *, source: str) -> CriteriaVersion:
    """Replace the content of a draft (same code and version number). Raises InvalidTransition for a
    version that is not a draft or that a campaign uses, PermissionDenied or ValidationFailed."""
    version = get_version(session, actor, version_id)
    if version.status != "draft" or version_state(session, version) != "draft":
        raise InvalidTransition(_("Chỉ sửa được bản nháp. Phiên bản đã công bố hoặc đang dùng không bao giờ bị sửa: hãy tạo phiên bản mới."))
    raw = plain_data(data) if isinstance(data, dict) else data
    if not isinstance(raw, dict) or raw.get("code") != version.code:
        raise ValidationFailed(_("Bộ tiêu chí chưa hợp lệ: mã bộ phải là %(code)s.", code=version.code),
                               {"data": [_("mã bộ phải là %(code)s", code=version.code)]})
    raw = {**raw, "version": version.version}
    cset = _validated(raw)
    old = version.checksum
    version.name_vi, version.name_en, version.effective_from = cset.name_vi, cset.name_en, cset.effective_from
    version.checksum, version.content, version.source_file = cset.checksum, cset.data, (source or "")[:255]
    record(session, actor, "criteria.draft_replace", version, code=version.code, version=version.version, source=source,
           old_checksum=old, new_checksum=cset.checksum)
    session.flush()
    return version


def publish(session: Session, actor: User, version_id: int) -> CriteriaVersion:
    """Publish a draft: campaigns may then use it, and it is never edited again (audited).
    Raises InvalidTransition when it is not a draft."""
    version = get_version(session, actor, version_id)
    if version.status != "draft":
        raise InvalidTransition(_("Chỉ công bố được bản nháp."))
    version.status = "published"
    version.published_at = dt.datetime.now(dt.UTC)
    version.published_by_id = actor.id
    record(session, actor, "criteria.publish", version, code=version.code, version=version.version)
    session.flush()
    return version


def retire(session: Session, actor: User, version_id: int, reason: str = "") -> CriteriaVersion:
    """Retire a draft or published version: no longer offered to new campaigns; campaigns that use it
    keep it (audited). Raises InvalidTransition when it is already retired."""
    version = get_version(session, actor, version_id)
    if version.status == "retired":
        raise InvalidTransition(_("Phiên bản này đã ngừng dùng."))
    before = version_state(session, version)
    version.status = "retired"
    version.retired_at = dt.datetime.now(dt.UTC)
    version.retired_by_id = actor.id
    record(session, actor, "criteria.retire", version, code=version.code, version=version.version, was=before, reason=reason or None)
    session.flush()
    return version


# ------------------------------------------------------------------ compare and mappings


def get_mapping(session: Session, from_version: CriteriaVersion, to_version: CriteriaVersion) -> dict[str, str | None] | None:
    """The saved mapping old code → new code (None: discontinued) between two versions, or None if none is saved."""
    rows = list(session.scalars(sa.select(CodeMapping).where(CodeMapping.from_version_id == from_version.id,
                                                             CodeMapping.to_version_id == to_version.id)))
    if not rows:
        return None
    return {r.from_code: (r.to_code or None) for r in rows}


def compare_versions(session: Session, actor: User, old_id: int, new_id: int) -> tuple[CriteriaVersion, CriteriaVersion, cmp.Comparison]:
    """Compare two versions of one set (the saved code mapping between them applies). Raises
    ValidationFailed for versions of different sets."""
    old, new = get_version(session, actor, old_id), get_version(session, actor, new_id)
    if old.code != new.code:
        raise ValidationFailed(_("Chỉ so sánh được hai phiên bản của cùng một bộ tiêu chí."))
    return old, new, cmp.compare(old.content, new.content, get_mapping(session, old, new))


@dataclass
class MappingPage:
    """What the mapping page shows: the two versions, each old indicator with its current target and
    the suggestion, the new codes to choose from, and whether a mapping is saved."""

    old: CriteriaVersion
    new: CriteriaVersion
    rows: list[dict]
    choices: list[tuple[str, str]]
    saved: bool


def mapping_page(session: Session, actor: User, version_id: int) -> MappingPage | None:
    """Mapping of the previous version's codes to `version_id`'s codes, or None when there is no previous version."""
    new = get_version(session, actor, version_id)
    old = previous_version(session, new)
    if old is None:
        return None
    saved = get_mapping(session, old, new)
    suggestion = cmp.suggest_mapping(old.content, new.content)
    new_set = new.criteria
    rows = []
    for ind in old.criteria.indicators:
        current = saved.get(ind.code) if saved is not None else suggestion.get(ind.code)
        rows.append({"indicator": ind, "current": current or "", "suggested": suggestion.get(ind.code) or ""})
    choices = [(i.code, f"{i.code} — {i.text[:80]}") for i in new_set.indicators]
    return MappingPage(old, new, rows, choices, saved is not None)


def save_mapping(session: Session, actor: User, version_id: int, pairs: dict[str, str]) -> dict[str, str | None]:
    """Save the mapping previous version → `version_id`: `pairs` maps every old code to a new code, or ""
    when it is discontinued. Replaces any saved mapping for the pair (audited). Returns the saved mapping.
    Raises ValidationFailed for unknown codes or a version without a previous one."""
    page = mapping_page(session, actor, version_id)
    if page is None:
        raise ValidationFailed(_("Phiên bản này không có phiên bản trước để ánh xạ mã chỉ tiêu."))
    old_codes = [r["indicator"].code for r in page.rows]
    new_codes = {c for c, _label in page.choices}
    errors: dict[str, list[str]] = {}
    unknown_old = sorted(set(pairs) - set(old_codes))
    if unknown_old:
        errors["mapping"] = [_("Mã cũ không có trong phiên bản trước: %(codes)s.", codes=", ".join(unknown_old))]
    bad = {old: new for old, new in pairs.items() if new and new not in new_codes}
    for old, new in bad.items():
        errors.setdefault("map_" + old, []).append(_("Mã %(code)s không có trong phiên bản mới.", code=new))
    if errors:
        raise ValidationFailed(_("Chưa lưu ánh xạ: có mã không hợp lệ."), errors)
    mapping = {code: (pairs.get(code) or None) for code in old_codes}
    session.execute(sa.delete(CodeMapping).where(CodeMapping.from_version_id == page.old.id, CodeMapping.to_version_id == page.new.id))
    session.add_all(CodeMapping(from_version_id=page.old.id, from_code=old, to_version_id=page.new.id, to_code=new or "",
                                created_by_id=actor.id) for old, new in mapping.items())
    record(session, actor, "criteria.map_codes", page.new, code=page.new.code, from_version=page.old.label, to_version=page.new.label,
           renamed={o: n for o, n in mapping.items() if n and n != o}, discontinued=sorted(o for o, n in mapping.items() if not n))
    session.flush()
    return mapping


@dataclass
class CodeResolver:
    """Follows indicator codes across the versions of one set, so figures continue across a revision.

    The chain is the set's non-draft versions in order; between two neighbours the saved mapping
    applies, or (when none is saved) the same code where it still exists. `resolve(version_id,
    code)` gives (key, version_id, code) where the walk ends: the key is the code in the newest
    version, or "code (vN)" for an indicator discontinued after version N.
    """

    chain: list[CriteriaVersion]
    steps: dict[int, dict[str, str | None]]

    def resolve(self, version_id: int, code: str) -> tuple[str, int, str]:
        """Key, version id and code where `code` of `version_id` ends up (unchanged for unknown versions)."""
        ids = [v.id for v in self.chain]
        if version_id not in ids:
            return code, version_id, code
        i = ids.index(version_id)
        while i + 1 < len(ids):
            nxt = self.steps[ids[i]].get(code)
            if nxt is None:
                break
            code, i = nxt, i + 1
        key = code if i == len(ids) - 1 else f"{code} (v{self.chain[i].version})"
        return key, ids[i], code

    def key(self, version_id: int, code: str) -> str:
        """The report key of an indicator code of a version (see `resolve`)."""
        return self.resolve(version_id, code)[0]

    def text(self, version_id: int, code: str) -> str:
        """The question text of the indicator where its walk ends (the newest wording)."""
        _key, vid, final = self.resolve(version_id, code)
        version = next((v for v in self.chain if v.id == vid), None)
        ind = version.criteria.indicator(final) if version is not None else None
        return ind.text if ind is not None else ""


def code_resolver(session: Session, set_code: str) -> CodeResolver:
    """The resolver of one set's codes (see CodeResolver)."""
    chain = [v for v in versions_of(session, set_code) if v.status != "draft"]
    steps: dict[int, dict[str, str | None]] = {}
    for old, new in zip(chain, chain[1:], strict=False):
        saved = get_mapping(session, old, new)
        if saved is None:
            new_codes = {i.code for i in new.criteria.indicators}
            saved = {i.code: i.code for i in old.criteria.indicators if i.code in new_codes}
        steps[old.id] = saved
    if chain:
        steps[chain[-1].id] = {}
    return CodeResolver(chain, steps)


# ------------------------------------------------------------------ preview


def roadmap_years(cset: CriteriaSet, around: int) -> list[int]:
    """Years worth previewing: every roadmap milestone (thresholds and pass marks), the year before
    the first one, and `around` (usually this year), sorted."""
    years = {around}
    for ind in cset.indicators:
        years |= {s.year for s in ind.roadmap}
    years |= {s.year for s in cset.scoring.pass_roadmap}
    if len(years) > 1:
        years.add(min(years) - 1)
    return sorted(years)


@dataclass
class PreviewOutcome:
    """Result of a preview: the score of the typed answers, and messages per field for unreadable inputs."""

    result: SetResult
    errors: dict[str, list[str]]
    answers: dict[str, AnswerInput]


def preview(session: Session, actor: User, version_id: int, *, values: dict[str, str | None], explanations: dict[str, str | None],
            not_applicable: dict[str, bool], evidence_counts: dict[str, int], year: int | None) -> PreviewOutcome:
    """Score answers typed on the preview page (keys: form field names) for a campaign `year`. Nothing is stored.

    Values are parsed as the questionnaire parses them; an unreadable value is left unanswered and
    its message returned under its field name.
    """
    from app.submissions.messages import answer_error

    version = get_version(session, actor, version_id)
    cset = version.criteria
    answers: dict[str, AnswerInput] = {}
    errors: dict[str, list[str]] = {}
    for ind in cset.indicators:
        name = ind.field_name
        raw = unicodedata.normalize("NFC", values.get(name) or "")
        explanation = unicodedata.normalize("NFC", explanations.get(name) or "")
        count = evidence_counts.get(name, 0)
        if ind.allow_na and not_applicable.get(name):
            if raw.strip():
                errors.setdefault(name, []).append(_("Chọn “Không áp dụng” hoặc nhập giá trị, không chọn cả hai."))
                answers[ind.code] = AnswerInput(None, count, explanation)
            else:
                answers[ind.code] = AnswerInput(None, count, explanation, not_applicable=True)
            continue
        try:
            parsed = get_type(ind.type).parse(raw, list(ind.options))
        except AnswerError as exc:
            errors.setdefault(name, []).append(answer_error(exc))
            parsed = None
        answers[ind.code] = AnswerInput(parsed, count, explanation)
    return PreviewOutcome(score_set(cset, answers, year), errors, answers)
