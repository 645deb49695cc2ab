"""Criteria sets as plain data: dataclasses built from the YAML files, with validation.

`load_file(path)` parses a YAML file keeping line numbers and returns (CriteriaSet | None,
[CriteriaError]); each error names `file:line`. `criteria_from_dict(data)` rebuilds a set from
the JSON stored in the database. Nothing here imports Flask or SQLAlchemy.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .indicators import INDICATOR_TYPES, Threshold

UNIT_TYPES = ("city", "xa", "phuong", "dac_khu", "department", "school", "youth_branch", "health_facility", "association", "enterprise")
EVIDENCE_KINDS = ("pdf", "image", "docx", "xlsx")
ORIGINS = ("seed", "proposed")
TARGET_METRICS = ("recognised_share", "recognised_count")
CODE_RE = re.compile(r"^[A-Z][A-Z0-9_]*$")
ITEM_CODE_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_.]*$")


# --------------------------------------------------------------------------- data classes


@dataclass(frozen=True)
class Source:
    file: str
    line: int
    quote: str


@dataclass(frozen=True)
class Evidence:
    required: bool
    kinds: tuple[str, ...]
    description: str = ""


@dataclass(frozen=True)
class Indicator:
    code: str
    text: str
    type: str
    points: float
    origin: str
    evidence: Evidence
    threshold: Threshold | None = None
    text_en: str = ""
    points_origin: str = "default"
    threshold_origin: str = "seed"
    core: bool = False
    source: Source | None = None
    rationale: str = ""
    options: tuple[dict, ...] = ()
    help: str = ""
    explanation_required: str = "when_not_met"

    @property
    def field_name(self) -> str:
        """Form field name derived from the code, e.g. G1.2 → ind_G1_2."""
        return "ind_" + re.sub(r"[^A-Za-z0-9]", "_", self.code)


@dataclass(frozen=True)
class Group:
    code: str
    title_vi: str
    title_en: str
    weight: float
    origin: str
    indicators: tuple[Indicator, ...]
    weight_origin: str = "default"
    source: Source | None = None
    rationale: str = ""


@dataclass(frozen=True)
class Target:
    code: str
    text_vi: str
    text_en: str
    metric: str
    value: float
    year: int
    scope: tuple[str, ...]
    source: Source
    value_max: float | None = None
    interpretation: str = ""


@dataclass(frozen=True)
class ScoringRule:
    method: str
    group_pass_percent: float
    overall_pass_percent: float
    require_all_groups: bool
    require_core_indicators: bool
    origin: str
    note: str = ""


@dataclass(frozen=True)
class CriteriaSet:
    code: str
    name_vi: str
    name_en: str
    version: int
    effective_from: dt.date
    applies_to: tuple[str, ...]
    scoring: ScoringRule
    groups: tuple[Group, ...]
    targets: tuple[Target, ...]
    legal_basis: dict
    description_vi: str = ""
    description_en: str = ""
    notes: tuple[str, ...] = ()
    #: The validated data as JSON-compatible dict (what the database stores).
    data: dict = field(default_factory=dict, compare=False, repr=False)
    #: YAML line of each item ('group G1', 'indicator G1.1', 'target T1', 'legal_basis').
    item_lines: dict = field(default_factory=dict, compare=False, repr=False)

    @property
    def indicators(self) -> list[Indicator]:
        return [i for g in self.groups for i in g.indicators]

    def group(self, code: str) -> Group | None:
        return next((g for g in self.groups if g.code == code), None)

    def group_of(self, indicator_code: str) -> Group | None:
        return next((g for g in self.groups if any(i.code == indicator_code for i in g.indicators)), None)

    def indicator(self, code: str) -> Indicator | None:
        return next((i for i in self.indicators if i.code == code), None)

    def count_by_origin(self) -> dict[str, int]:
        counts = {"seed": 0, "proposed": 0}
        for ind in self.indicators:
            counts[ind.origin] += 1
        return counts

    @property
    def checksum(self) -> str:
        return content_checksum(self.data)


def content_checksum(data: dict) -> str:
    """Stable hash of a set's content, used to detect a changed file."""
    blob = json.dumps(data, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class CriteriaError:
    file: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"


# --------------------------------------------------------------------------- YAML with lines


class _LineDict(dict):
    """A mapping that remembers the line of itself and of each key (1-based)."""

    line: int = 0
    key_lines: dict


class _LineList(list):
    line: int = 0


class _LineLoader(yaml.SafeLoader):
    pass


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> _LineDict:
    result = _LineDict()
    result.line = node.start_mark.line + 1
    result.key_lines = {}
    loader.flatten_mapping(node)
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_lines[key] = key_node.start_mark.line + 1
    return result


def _construct_sequence(loader: _LineLoader, node: yaml.SequenceNode) -> _LineList:
    result = _LineList(loader.construct_object(child, deep=True) for child in node.value)
    result.line = node.start_mark.line + 1
    return result


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)


def _plain(value: Any) -> Any:
    """Turn loader containers into plain JSON-compatible data, NFC-normalising strings."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, str):
        return unicodedata.normalize("NFC", value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


# --------------------------------------------------------------------------- validation


class _Checker:
    """Collects errors while building dataclasses; `where` gives the line of a key."""

    def __init__(self, file: str):
        self.file = file
        self.errors: list[CriteriaError] = []
        self.lines: dict[str, int] = {}

    def mark(self, label: str, node: Any) -> None:
        self.lines[label] = getattr(node, "line", 0)

    def err(self, node: Any, key: str | None, message: str) -> None:
        line = 0
        if isinstance(node, _LineDict):
            line = node.key_lines.get(key, node.line) if key else node.line
        elif isinstance(node, _LineList):
            line = node.line
        self.errors.append(CriteriaError(self.file, line, message))

    def req(self, node: dict, key: str, kind: type | tuple, where: str) -> Any:
        if not isinstance(node, dict) or key not in node:
            self.err(node, None, f"{where}: missing required field '{key}'")
            return None
        value = node[key]
        if kind is float:
            kind = (int, float)
        if not isinstance(value, kind) or (isinstance(value, bool) and kind in (int, (int, float))):
            self.err(node, key, f"{where}: '{key}' has the wrong type ({type(value).__name__})")
            return None
        return value

    def opt(self, node: dict, key: str, kind: type | tuple, where: str, default: Any = None) -> Any:
        if not isinstance(node, dict) or key not in node or node[key] is None:
            return default
        return self.req(node, key, kind, where)

    def text_pair(self, node: dict, key: str, where: str) -> tuple[str, str]:
        value = self.req(node, key, dict, where)
        if value is None:
            return "", ""
        vi = self.req(value, "vi", str, f"{where}.{key}") or ""
        en = self.req(value, "en", str, f"{where}.{key}") or ""
        return vi, en

    def source(self, node: dict, where: str, required: bool) -> Source | None:
        if "source" not in node:
            if required:
                self.err(node, None, f"{where}: a 'seed' item needs 'source: {{file, line, quote}}'")
            return None
        src = self.req(node, "source", dict, where)
        if src is None:
            return None
        file = self.req(src, "file", str, f"{where}.source")
        line = self.req(src, "line", int, f"{where}.source")
        quote = self.req(src, "quote", str, f"{where}.source")
        if file is None or line is None or quote is None:
            return None
        if line < 1:
            self.err(src, "line", f"{where}.source: line must be ≥ 1")
        if not quote.strip():
            self.err(src, "quote", f"{where}.source: quote is empty")
        return Source(file=file, line=line, quote=quote)

    def origin_fields(self, node: dict, where: str) -> tuple[str, Source | None, str]:
        origin = self.req(node, "origin", str, where) or "seed"
        if origin not in ORIGINS:
            self.err(node, "origin", f"{where}: origin must be one of {list(ORIGINS)}, not {origin!r}")
        source = self.source(node, where, required=origin == "seed")
        rationale = self.opt(node, "rationale", str, where, "") or ""
        if origin == "proposed" and not rationale.strip():
            self.err(node, None, f"{where}: a 'proposed' item needs a 'rationale'")
        return origin, source, rationale


def _check_origin_label(c: _Checker, node: dict, key: str, where: str) -> str:
    """Numbers the seeds do not give must be labelled `<key>: default`."""
    value = c.opt(node, key, str, where, None)
    if value is None:
        c.err(node, None, f"{where}: missing '{key}' (write 'default' unless the programme text gives this number)")
        return "default"
    if value not in ("default", "seed", "official"):
        c.err(node, key, f"{where}: '{key}' must be default, seed or official")
    return value


def _threshold(c: _Checker, node: dict, ind_type: str, options: list, where: str) -> Threshold | None:
    type_obj = INDICATOR_TYPES.get(ind_type)
    if type_obj is None:
        return None
    raw = node.get("threshold")
    if not type_obj.needs_threshold:
        if raw is not None:
            c.err(node, "threshold", f"{where}: type '{ind_type}' takes no threshold")
        return None
    if raw is None:
        c.err(node, None, f"{where}: type '{ind_type}' needs a 'threshold'")
        return None
    if not isinstance(raw, dict):
        c.err(node, "threshold", f"{where}: threshold must be a mapping")
        return None
    op = c.req(raw, "op", str, f"{where}.threshold")
    if "value" not in raw:
        c.err(raw, None, f"{where}.threshold: missing required field 'value'")
        return None
    if op is not None and op not in type_obj.operators:
        c.err(raw, "op", f"{where}.threshold: operator {op!r} not allowed for type '{ind_type}' (allowed: {list(type_obj.operators)})")
        return None
    problem = type_obj.check_threshold_value(raw["value"], options)
    if problem:
        c.err(raw, "value", f"{where}.threshold: {problem}")
        return None
    unit = c.opt(raw, "unit", str, f"{where}.threshold")
    period = c.opt(raw, "period", str, f"{where}.threshold")
    if ind_type == "percent" and unit not in (None, "%"):
        c.err(raw, "unit", f"{where}.threshold: a percent threshold has unit '%'")
    if op is None:
        return None
    return Threshold(op=op, value=raw["value"], unit=unit, period=period)


def _indicator(c: _Checker, node: Any, where: str, codes: set[str]) -> Indicator | None:
    if not isinstance(node, dict):
        c.err(node, None, f"{where}: an indicator must be a mapping")
        return None
    code = c.req(node, "code", str, where)
    if code is not None:
        where = f"indicator {code}"
        c.mark(where, node)
        if not ITEM_CODE_RE.match(code):
            c.err(node, "code", f"{where}: code may hold only letters, digits, '.' and '_'")
        if code in codes:
            c.err(node, "code", f"{where}: duplicate code")
        codes.add(code)
    text = c.req(node, "text", str, where) or ""
    ind_type = c.req(node, "type", str, where) or ""
    if ind_type and ind_type not in INDICATOR_TYPES:
        c.err(node, "type", f"{where}: unknown indicator type {ind_type!r} (known: {sorted(INDICATOR_TYPES)})")
    options = c.opt(node, "options", list, where, []) or []
    if ind_type == "choice":
        if not options:
            c.err(node, None, f"{where}: a 'choice' indicator needs 'options'")
        for opt in options:
            if not isinstance(opt, dict) or "value" not in opt or "label" not in opt:
                c.err(node, "options", f"{where}: each option needs 'value' and 'label'")
    elif options:
        c.err(node, "options", f"{where}: only 'choice' indicators take options")
    threshold = _threshold(c, node, ind_type, options, where)
    threshold_origin = c.opt(node, "threshold_origin", str, where, "seed")
    if threshold_origin not in ("seed", "default", "official"):
        c.err(node, "threshold_origin", f"{where}: threshold_origin must be seed, default or official")
    points = c.req(node, "points", float, where)
    if points is not None and points <= 0:
        c.err(node, "points", f"{where}: points must be > 0")
    points_origin = _check_origin_label(c, node, "points_origin", where)
    evidence_node = c.req(node, "evidence", dict, where) or {}
    required = c.opt(evidence_node, "required", bool, f"{where}.evidence", False)
    kinds = c.opt(evidence_node, "kinds", list, f"{where}.evidence", list(EVIDENCE_KINDS)) or []
    for kind in kinds:
        if kind not in EVIDENCE_KINDS:
            c.err(evidence_node, "kinds", f"{where}.evidence: unknown kind {kind!r} (known: {list(EVIDENCE_KINDS)})")
    origin, source, rationale = c.origin_fields(node, where)
    numeric = ind_type in ("percent", "count", "number")
    if origin == "proposed" and numeric and threshold_origin == "seed" and threshold is not None and source is None:
        c.err(node, "threshold", f"{where}: a proposed indicator's threshold is not from the text; add threshold_origin: default")
    core = c.opt(node, "core", bool, where, False)
    explanation_rule = c.opt(node, "explanation_required", str, where, "when_not_met")
    if explanation_rule not in ("when_not_met", "always", "never"):
        c.err(node, "explanation_required", f"{where}: explanation_required must be when_not_met, always or never")
    if code is None or points is None:
        return None
    return Indicator(
        code=code,
        text=text,
        text_en=c.opt(node, "text_en", str, where, "") or "",
        type=ind_type,
        threshold=threshold,
        threshold_origin=threshold_origin or "seed",
        points=float(points),
        points_origin=points_origin,
        core=bool(core),
        evidence=Evidence(
            required=bool(required),
            kinds=tuple(kinds),
            description=c.opt(evidence_node, "description", str, f"{where}.evidence", "") or "",
        ),
        origin=origin,
        source=source,
        rationale=rationale,
        options=tuple(options),
        help=c.opt(node, "help", str, where, "") or "",
        explanation_required=explanation_rule or "when_not_met",
    )


def _group(c: _Checker, node: Any, where: str, group_codes: set[str], ind_codes: set[str]) -> Group | None:
    if not isinstance(node, dict):
        c.err(node, None, f"{where}: a group must be a mapping")
        return None
    code = c.req(node, "code", str, where)
    if code is not None:
        where = f"group {code}"
        c.mark(where, node)
        if code in group_codes:
            c.err(node, "code", f"{where}: duplicate group code")
        group_codes.add(code)
    title_vi, title_en = c.text_pair(node, "title", where)
    weight = c.req(node, "weight", float, where)
    if weight is not None and weight <= 0:
        c.err(node, "weight", f"{where}: weight must be > 0")
    weight_origin = _check_origin_label(c, node, "weight_origin", where)
    origin, source, rationale = c.origin_fields(node, where)
    raw_inds = c.req(node, "indicators", list, where) or []
    if not raw_inds:
        c.err(node, "indicators", f"{where}: a group needs at least one indicator")
    indicators = [i for i in (_indicator(c, n, f"{where} indicator #{k + 1}", ind_codes) for k, n in enumerate(raw_inds)) if i]
    if code is None or weight is None:
        return None
    return Group(
        code=code,
        title_vi=title_vi,
        title_en=title_en,
        weight=float(weight),
        weight_origin=weight_origin,
        origin=origin,
        source=source,
        rationale=rationale,
        indicators=tuple(indicators),
    )


def _target(c: _Checker, node: Any, where: str, codes: set[str]) -> Target | None:
    if not isinstance(node, dict):
        c.err(node, None, f"{where}: a target must be a mapping")
        return None
    code = c.req(node, "code", str, where)
    if code is not None:
        where = f"target {code}"
        c.mark(where, node)
        if code in codes:
            c.err(node, "code", f"{where}: duplicate target code")
        codes.add(code)
    text_vi, text_en = c.text_pair(node, "text", where)
    metric = c.req(node, "metric", str, where)
    if metric is not None and metric not in TARGET_METRICS:
        c.err(node, "metric", f"{where}: metric must be one of {list(TARGET_METRICS)}")
    value = c.req(node, "value", float, where)
    value_max = c.opt(node, "value_max", float, where)
    if metric == "recognised_share" and value is not None and not 0 < value <= 100:
        c.err(node, "value", f"{where}: a share target is a percentage in (0, 100]")
    if value is not None and value_max is not None and value_max < value:
        c.err(node, "value_max", f"{where}: value_max is below value")
    year = c.req(node, "year", int, where)
    if year is not None and not 2000 <= year <= 2100:
        c.err(node, "year", f"{where}: year {year} is not plausible")
    scope = c.req(node, "scope", list, where) or []
    for unit_type in scope:
        if unit_type not in UNIT_TYPES:
            c.err(node, "scope", f"{where}: unknown unit type {unit_type!r}")
    source = c.source(node, where, required=True)
    if None in (code, metric, value, year, source):
        return None
    return Target(
        code=code,
        text_vi=text_vi,
        text_en=text_en,
        metric=metric,
        value=float(value),
        value_max=float(value_max) if value_max is not None else None,
        year=year,
        scope=tuple(scope),
        source=source,
        interpretation=c.opt(node, "interpretation", str, where, "") or "",
    )


def _scoring(c: _Checker, node: Any) -> ScoringRule | None:
    where = "scoring"
    if not isinstance(node, dict):
        return None
    from .scoring import SCORING_METHODS

    method = c.req(node, "method", str, where)
    if method is not None and method not in SCORING_METHODS:
        c.err(node, "method", f"{where}: unknown method {method!r} (known: {sorted(SCORING_METHODS)})")
    values = {}
    for key in ("group_pass_percent", "overall_pass_percent"):
        values[key] = c.req(node, key, float, where)
        if values[key] is not None and not 0 <= values[key] <= 100:
            c.err(node, key, f"{where}: {key} must be between 0 and 100")
    flags = {key: c.req(node, key, bool, where) for key in ("require_all_groups", "require_core_indicators")}
    origin = c.req(node, "origin", str, where)
    if origin is not None and origin not in ("default", "official"):
        c.err(node, "origin", f"{where}: origin must be 'default' (the seeds give no scoring rule) or 'official'")
    if origin == "official" and "source" not in node:
        c.err(node, "origin", f"{where}: an official scoring rule needs a 'source'")
    if None in (method, origin, *values.values(), *flags.values()):
        return None
    return ScoringRule(
        method=method,
        origin=origin,
        note=c.opt(node, "note", str, where, "") or "",
        group_pass_percent=float(values["group_pass_percent"]),
        overall_pass_percent=float(values["overall_pass_percent"]),
        require_all_groups=flags["require_all_groups"],
        require_core_indicators=flags["require_core_indicators"],
    )


def _build(raw: Any, file: str) -> tuple[CriteriaSet | None, list[CriteriaError]]:
    c = _Checker(file)
    if not isinstance(raw, dict):
        c.err(raw, None, "the file must hold a mapping at the top level")
        return None, c.errors
    code = c.req(raw, "code", str, "set")
    if code is not None and not CODE_RE.match(code):
        c.err(raw, "code", "set: code must be upper-case letters, digits and '_'")
    name_vi, name_en = c.text_pair(raw, "name", "set")
    version = c.req(raw, "version", int, "set")
    if version is not None and version < 1:
        c.err(raw, "version", "set: version must be ≥ 1")
    effective = raw.get("effective_from")
    if isinstance(effective, str):
        try:
            effective = dt.date.fromisoformat(effective)
        except ValueError:
            effective = None
    if not isinstance(effective, dt.date):
        c.err(raw, "effective_from" if "effective_from" in raw else None, "set: effective_from must be a date YYYY-MM-DD")
    legal = c.req(raw, "legal_basis", dict, "set") or {}
    if legal:
        c.mark("legal_basis", legal)
        c.req(legal, "document", str, "legal_basis")
        for key, kind in (("file", str), ("line", int), ("quote", str)):
            c.req(legal, key, kind, "legal_basis")
    applies = c.req(raw, "applies_to", list, "set") or []
    if not applies:
        c.err(raw, "applies_to", "set: applies_to needs at least one unit type")
    for unit_type in applies:
        if unit_type not in UNIT_TYPES:
            c.err(raw, "applies_to", f"set: unknown unit type {unit_type!r} (known: {list(UNIT_TYPES)})")
    description = raw.get("description") or {}
    scoring = _scoring(c, c.req(raw, "scoring", dict, "set"))
    target_codes: set[str] = set()
    targets = [t for t in (_target(c, n, f"target #{k + 1}", target_codes) for k, n in enumerate(c.req(raw, "targets", list, "set") or [])) if t]
    raw_groups = c.req(raw, "groups", list, "set") or []
    if not raw_groups:
        c.err(raw, "groups", "set: at least one group is required")
    group_codes: set[str] = set()
    ind_codes: set[str] = set()
    groups = [g for g in (_group(c, n, f"group #{k + 1}", group_codes, ind_codes) for k, n in enumerate(raw_groups)) if g]
    notes = c.opt(raw, "notes", list, "set", []) or []
    if c.errors or None in (code, version, scoring):
        return None, c.errors
    return (
        CriteriaSet(
            code=code,
            name_vi=name_vi,
            name_en=name_en,
            version=version,
            effective_from=effective,
            applies_to=tuple(applies),
            scoring=scoring,
            groups=tuple(groups),
            targets=tuple(targets),
            legal_basis=_plain(legal),
            description_vi=(description.get("vi") or "") if isinstance(description, dict) else "",
            description_en=(description.get("en") or "") if isinstance(description, dict) else "",
            notes=tuple(str(n) for n in notes),
            data=_plain(raw),
            item_lines=dict(c.lines),
        ),
        [],
    )


def parse_text(text: str, file: str) -> tuple[CriteriaSet | None, list[CriteriaError]]:
    """Parse and validate YAML text; errors carry `file:line`."""
    try:
        raw = yaml.load(text, Loader=_LineLoader)  # nosec B506  # noqa: S506 - SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else 0
        return None, [CriteriaError(file, line, f"invalid YAML: {getattr(exc, 'problem', exc)}")]
    return _build(raw, file)


def load_file(path: str | Path) -> tuple[CriteriaSet | None, list[CriteriaError]]:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return None, [CriteriaError(str(path), 0, f"cannot read file: {exc}")]
    return parse_text(text, str(path))


def criteria_from_dict(data: dict) -> CriteriaSet:
    """Rebuild a set from its stored JSON; raises ValueError if it no longer validates."""
    result, errors = _build(data, "<stored>")
    if result is None:
        raise ValueError("; ".join(str(e) for e in errors))
    return result


def find_files(paths: list[str | Path]) -> list[Path]:
    """Expand directories into their *.yaml files (sorted); keep files as given."""
    found: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            found.extend(sorted(p.glob("*.yaml")) + sorted(p.glob("*.yml")))
        else:
            found.append(p)
    return found


def check_across_files(sets: list[tuple[Path, CriteriaSet]]) -> list[CriteriaError]:
    """Checks that need every file: one file per (code, version), file name matching code/version."""
    errors: list[CriteriaError] = []
    seen: dict[tuple[str, int], Path] = {}
    for path, cset in sets:
        key = (cset.code, cset.version)
        if key in seen:
            errors.append(CriteriaError(str(path), 1, f"{cset.code} version {cset.version} is also defined in {seen[key]}"))
        seen[key] = path
        expected = f"{cset.code.lower()}-v{cset.version}"
        if path.stem != expected:
            errors.append(CriteriaError(str(path), 1, f"file name should be {expected}.yaml"))
    return errors
