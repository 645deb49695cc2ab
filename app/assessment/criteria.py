"""Criteria sets as plain data: dataclasses built from the YAML files after validation by the schema.

The file format is defined once, in `app.assessment.schema` (pydantic models). `load_file(path)`
parses a YAML file keeping line numbers, validates it against the schema and returns
(CriteriaSet | None, [CriteriaError]); each error names `file:line` (the line of the offending key
or item). `criteria_from_dict(data)` rebuilds a set from the JSON stored in the database. The
dataclasses here are the read-only view the questionnaire, scoring, review and reports use.
Nothing here imports Flask or SQLAlchemy.
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

from .indicators import Threshold
from .schema import (
    EVIDENCE_KINDS,
    ORIGINS,
    TARGET_METRICS,
    UNIT_TYPES,
    IndicatorModel,
    Problem,
    SourceModel,
    validate_data,
)

__all__ = [
    "EVIDENCE_KINDS", "ORIGINS", "TARGET_METRICS", "UNIT_TYPES", "Band", "CriteriaError", "CriteriaSet", "Evidence", "Group",
    "Indicator", "Proportional", "RoadmapStep", "ScoringRule", "Source", "Survey", "SurveyQuestion", "Target", "Threshold", "check_across_files",
    "content_checksum", "criteria_from_dict", "find_files", "load_file", "parse_text",
]


# --------------------------------------------------------------------------- data classes


@dataclass(frozen=True)
class Source:
    """A verbatim quote: seed file name, 1-based line, text."""

    file: str
    line: int
    quote: str


@dataclass(frozen=True)
class Evidence:
    """What evidence an indicator asks for: required?, accepted kinds, description."""

    required: bool
    kinds: tuple[str, ...]
    description: str = ""


@dataclass(frozen=True)
class RoadmapStep:
    """A value that applies from `year` on (threshold value or pass mark), with its origin and source."""

    year: int
    value: Any
    op: str | None = None
    origin: str = "seed"
    source: Source | None = None
    note: str = ""


@dataclass(frozen=True)
class Band:
    """Graded points: `points` when the answer satisfies `op value` (`between`: value[0] ≤ answer < value[1])."""

    op: str
    value: Any
    points: float


@dataclass(frozen=True)
class Proportional:
    """Points in proportion: 0 at `zero_at`, full at `full_at` (linear between, capped)."""

    full_at: float
    zero_at: float = 0


def _step_for(steps: tuple[RoadmapStep, ...], year: int | None) -> RoadmapStep | None:
    """The roadmap step in force in `year` (the latest with step.year ≤ year), or None."""
    if year is None:
        return None
    found = None
    for step in steps:
        if step.year <= year:
            found = step
    return found


@dataclass(frozen=True)
class Indicator:
    """One question. `points` is the maximum (0 for a condition); exactly one rule: threshold, bands or proportional."""

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
    #: Roadmap of the threshold value by year (from each step's year on).
    roadmap: tuple[RoadmapStep, ...] = ()
    bands: tuple[Band, ...] = ()
    proportional: Proportional | None = None
    points_step: float | None = None
    #: Điều kiện bắt buộc: no points, fails the set when not met.
    condition: bool = False
    #: The official may answer "không áp dụng".
    allow_na: bool = False

    @property
    def field_name(self) -> str:
        """Form field name derived from the code, e.g. G1.2 → ind_G1_2."""
        return "ind_" + re.sub(r"[^A-Za-z0-9]", "_", self.code)

    @property
    def graded(self) -> bool:
        """True when points are graded (bands or proportional), not all or nothing."""
        return bool(self.bands) or self.proportional is not None

    def threshold_for(self, year: int | None) -> Threshold | None:
        """The threshold in force in a campaign year: the roadmap step of that year, else the base threshold."""
        step = _step_for(self.roadmap, year)
        if self.threshold is None or step is None:
            return self.threshold
        return Threshold(op=step.op or self.threshold.op, value=step.value, unit=self.threshold.unit, period=self.threshold.period)

    def threshold_origin_for(self, year: int | None) -> str:
        """`seed`, `default` or `official` for the threshold value in force in `year`."""
        step = _step_for(self.roadmap, year)
        return step.origin if step is not None else self.threshold_origin

    def threshold_source_for(self, year: int | None) -> Source | None:
        """The source of the threshold value in force in `year` (the step's, else the indicator's)."""
        step = _step_for(self.roadmap, year)
        return (step.source if step is not None and step.source else None) or self.source


@dataclass(frozen=True)
class Group:
    """A criteria group; `weight` is None under `total_points`; `min_percent` overrides the set's group minimum."""

    code: str
    title_vi: str
    title_en: str
    weight: float | None
    origin: str
    indicators: tuple[Indicator, ...]
    weight_origin: str = "default"
    source: Source | None = None
    rationale: str = ""
    min_percent: float | None = None


@dataclass(frozen=True)
class Target:
    """A coverage target from the seeds (value in percent or a count, by the end of `year`)."""

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
    """The pass rule of a set. `method`: weighted_percent (overall_pass_percent) or total_points (pass_points)."""

    method: str
    group_pass_percent: float | None
    overall_pass_percent: float | None
    require_all_groups: bool
    require_core_indicators: bool
    origin: str
    note: str = ""
    pass_points: float | None = None
    pass_roadmap: tuple[RoadmapStep, ...] = ()
    source: Source | None = None

    def pass_mark_for(self, year: int | None) -> float:
        """The pass mark in force in `year`: percent (weighted_percent) or points (total_points)."""
        step = _step_for(self.pass_roadmap, year)
        if step is not None:
            return step.value
        return self.pass_points if self.method == "total_points" else self.overall_pass_percent

    def pass_mark_origin_for(self, year: int | None) -> str:
        """`default`, `seed` or `official` for the pass mark in force in `year`."""
        step = _step_for(self.pass_roadmap, year)
        return step.origin if step is not None else self.origin

    def group_minimum(self, group: Group) -> float | None:
        """The minimum percent a group needs (its own `min_percent`, else the set's), or None."""
        return group.min_percent if group.min_percent is not None else self.group_pass_percent


@dataclass(frozen=True)
class SurveyQuestion:
    """One question of a citizen survey: `type` is `scale5`, `yes_no` or `comment`."""

    code: str
    text_vi: str
    text_en: str
    type: str

    @property
    def counted(self) -> bool:
        """True for questions with a satisfied share (`scale5`, `yes_no`); comments are never counted."""
        return self.type != "comment"


@dataclass(frozen=True)
class Survey:
    """A citizen survey of a set (schema `surveys[]`): its result is the `feeds` indicator's value (percent).

    `satisfied` are the `scale5` answers (1–5) that count as satisfied; `min_sample` is the count of
    responses in the campaign year needed before the survey fills the indicator. Both are project
    defaults unless their `*_origin` says otherwise.
    """

    code: str
    title_vi: str
    title_en: str
    invitation_vi: str
    invitation_en: str
    feeds: str
    overall: str
    satisfied: tuple[int, ...]
    satisfied_origin: str
    min_sample: int
    min_sample_origin: str
    scale_labels_vi: tuple[str, ...]
    scale_labels_en: tuple[str, ...]
    questions: tuple[SurveyQuestion, ...]
    origin: str = "proposed"
    source: Source | None = None
    rationale: str = ""

    def question(self, code: str) -> SurveyQuestion | None:
        """The question with this code, or None."""
        return next((q for q in self.questions if q.code == code), None)

    def is_satisfied(self, question: SurveyQuestion, answer: Any) -> bool | None:
        """Whether one answer counts as satisfied: None when unanswered or for a comment."""
        if answer is None or not question.counted:
            return None
        if question.type == "yes_no":
            return bool(answer)
        return int(answer) in self.satisfied


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
    surveys: tuple[Survey, ...] = ()
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

    def survey(self, code: str) -> Survey | None:
        """The survey with this code, or None."""
        return next((s for s in self.surveys if s.code == code), None)

    def survey_feeding(self, indicator_code: str) -> Survey | None:
        """The survey whose result is this indicator's value, or None."""
        return next((s for s in self.surveys if s.feeds == indicator_code), None)

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


#: libyaml's parser when PyYAML was built with it (about 10× faster; same marks, so the same line numbers).
_SafeBase = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _LineLoader(_SafeBase):  # type: ignore[misc, valid-type]
    """SafeLoader (libyaml when present) whose mappings and sequences remember their YAML line numbers."""


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


def plain_data(value: Any) -> Any:
    """A JSON-compatible copy of loaded criteria data: strings NFC, dates ISO, lists and tuples as lists,
    keys as strings (year keys of roadmaps stay digit strings). Takes and returns dict/list/scalars."""
    if isinstance(value, dict):
        return {str(k): plain_data(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain_data(v) for v in value]
    if isinstance(value, str):
        return unicodedata.normalize("NFC", value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


# --------------------------------------------------------------------------- build from the schema


def _line_of(raw: Any, loc: tuple) -> int:
    """YAML line of the item at `loc` in the loaded data (the key's line for a mapping key)."""
    node, line = raw, getattr(raw, "line", 0)
    for part in loc:
        if isinstance(node, _LineDict) and part in node:
            line = node.key_lines.get(part, line)
            node = node[part]
        elif isinstance(node, _LineDict) and part not in node:
            break
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
            line = getattr(node, "line", line)
        else:
            break
    return line


def _label(model_raw: Any, loc: tuple) -> tuple[str, tuple]:
    """A readable owner of `loc` ('indicator G1.2', 'group G1', 'target T1', 'scoring', 'set') and the rest of loc."""
    label, rest = "set", loc
    if loc[:1] == ("scoring",):
        label, rest = "scoring", loc[1:]
    elif loc[:1] == ("legal_basis",):
        label, rest = "legal_basis", loc[1:]
    if len(loc) >= 2 and loc[0] in ("groups", "targets") and isinstance(loc[1], int):
        kind = "group" if loc[0] == "groups" else "target"
        item = _get(model_raw, loc[:2])
        code = item.get("code") if isinstance(item, dict) else None
        label, rest = (f"{kind} {code}" if isinstance(code, str) else f"{kind} #{loc[1] + 1}"), loc[2:]
        if kind == "group" and len(loc) >= 4 and loc[2] == "indicators" and isinstance(loc[3], int):
            ind = _get(model_raw, loc[:4])
            code = ind.get("code") if isinstance(ind, dict) else None
            label, rest = (f"indicator {code}" if isinstance(code, str) else f"{label} indicator #{loc[3] + 1}"), loc[4:]
    return label, rest


def _get(raw: Any, loc: tuple) -> Any:
    for part in loc:
        try:
            raw = raw[part]
        except (KeyError, IndexError, TypeError):
            return None
    return raw


def _message(raw: Any, problem: Problem) -> str:
    label, rest = _label(raw, problem.loc)
    # the path inside the item, without the last key when the message already names it
    path = ".".join(str(p) if not isinstance(p, int) else f"[{p}]" for p in rest).replace(".[", "[")
    message = problem.message
    if path and (rest[-1] == "code" or message.startswith(f"{rest[-1]}:") or f"'{rest[-1]}'" in message or message.startswith(f"{rest[-1]} ")):
        path = ".".join(str(p) if not isinstance(p, int) else f"[{p}]" for p in rest[:-1]).replace(".[", "[")
    return f"{label}{'.' + path if path else ''}: {message}"


def _source(model: SourceModel | None) -> Source | None:
    return Source(file=model.file, line=model.line, quote=model.quote) if model is not None else None


def _steps(roadmap: dict) -> tuple[RoadmapStep, ...]:
    return tuple(
        RoadmapStep(year=year, value=step.value, op=step.op, origin=step.origin, source=_source(step.source), note=step.note)
        for year, step in sorted(roadmap.items())
    )


def _indicator(m: IndicatorModel) -> Indicator:
    t = m.threshold
    return Indicator(
        code=m.code, text=m.text, text_en=m.text_en, type=m.type,
        threshold=Threshold(op=t.op, value=t.value, unit=t.unit, period=t.period) if t is not None else None,
        roadmap=_steps(t.by_year) if t is not None else (),
        bands=tuple(Band(op=b.op, value=tuple(b.value) if isinstance(b.value, list) else b.value, points=b.points) for b in m.bands or ()),
        proportional=Proportional(full_at=m.proportional.full_at, zero_at=m.proportional.zero_at) if m.proportional else None,
        points=float(m.points or 0), points_step=m.points_step, points_origin=m.points_origin or "default",
        threshold_origin=m.threshold_origin, condition=m.condition, core=m.core, allow_na=m.allow_na,
        evidence=Evidence(required=m.evidence.required, kinds=tuple(m.evidence.kinds), description=m.evidence.description),
        explanation_required=m.explanation_required, origin=m.origin, source=_source(m.source), rationale=m.rationale,
        options=tuple({"value": o.value, "label": o.label} for o in m.options), help=m.help,
    )


def _build(raw: Any, file: str) -> tuple[CriteriaSet | None, list[CriteriaError]]:
    model, problems = validate_data(raw)
    if model is None:
        errors = [CriteriaError(file, _line_of(raw, p.loc), _message(raw, p)) for p in problems]
        return None, sorted(errors, key=lambda e: e.line)
    lines: dict[str, int] = {"legal_basis": _line_of(raw, ("legal_basis",))}
    for gi, g in enumerate(model.groups):
        lines[f"group {g.code}"] = _line_of(raw, ("groups", gi))
        for ii, i in enumerate(g.indicators):
            lines[f"indicator {i.code}"] = _line_of(raw, ("groups", gi, "indicators", ii))
    for ti, t in enumerate(model.targets):
        lines[f"target {t.code}"] = _line_of(raw, ("targets", ti))
    s = model.scoring
    scoring = ScoringRule(
        method=s.method, origin=s.origin, note=s.note, source=_source(s.source),
        group_pass_percent=s.group_pass_percent, overall_pass_percent=s.overall_pass_percent, pass_points=s.pass_points,
        pass_roadmap=_steps(s.pass_by_year), require_all_groups=s.require_all_groups, require_core_indicators=s.require_core_indicators,
    )
    groups = tuple(
        Group(code=g.code, title_vi=g.title.vi, title_en=g.title.en, weight=float(g.weight) if g.weight is not None else None,
              weight_origin=g.weight_origin or "default", min_percent=g.min_percent, origin=g.origin, source=_source(g.source),
              rationale=g.rationale, indicators=tuple(_indicator(i) for i in g.indicators))
        for g in model.groups
    )
    targets = tuple(
        Target(code=t.code, text_vi=t.text.vi, text_en=t.text.en, metric=t.metric, value=float(t.value),
               value_max=float(t.value_max) if t.value_max is not None else None, year=t.year, scope=tuple(t.scope),
               source=_source(t.source), interpretation=t.interpretation)
        for t in model.targets
    )
    surveys = tuple(
        Survey(code=sv.code, title_vi=sv.title.vi, title_en=sv.title.en, invitation_vi=sv.invitation.vi,
               invitation_en=sv.invitation.en, feeds=sv.feeds, overall=sv.overall, satisfied=tuple(sv.satisfied),
               satisfied_origin=sv.satisfied_origin, min_sample=sv.min_sample, min_sample_origin=sv.min_sample_origin,
               scale_labels_vi=tuple(sv.scale_labels), scale_labels_en=tuple(sv.scale_labels_en),
               questions=tuple(SurveyQuestion(q.code, q.text.vi, q.text.en, q.type) for q in sv.questions),
               origin=sv.origin, source=_source(sv.source), rationale=sv.rationale)
        for sv in model.surveys
    )
    for si, sv in enumerate(model.surveys):
        lines[f"survey {sv.code}"] = _line_of(raw, ("surveys", si))
    return (
        CriteriaSet(
            code=model.code, name_vi=model.name.vi, name_en=model.name.en, version=model.version,
            effective_from=model.effective_from, applies_to=tuple(model.applies_to), scoring=scoring, groups=groups,
            targets=targets, legal_basis=plain_data(raw["legal_basis"]),
            description_vi=model.description.vi if model.description else "",
            description_en=model.description.en if model.description else "",
            notes=tuple(model.notes), surveys=surveys, data=plain_data(raw), item_lines=lines,
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


def _upgrade_stored(data: dict) -> dict:
    """Versions stored before the schema (scoring.method 'points') read as today's 'weighted_percent'."""
    scoring = data.get("scoring") if isinstance(data, dict) else None
    if isinstance(scoring, dict) and scoring.get("method") == "points":
        return {**data, "scoring": {**scoring, "method": "weighted_percent"}}
    return data


def criteria_from_dict(data: dict) -> CriteriaSet:
    """Rebuild a set from its stored JSON; raises ValueError if it no longer validates.

    Content stored before the schema existed (`method: points`) is read as `weighted_percent`.
    """
    result, errors = _build(_upgrade_stored(data), "<stored>")
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
