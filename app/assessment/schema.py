"""The criteria file format, defined once as pydantic v2 models (extra keys forbidden).

`CriteriaFile` is the whole format: structure, types, ranges and the cross-field rules (duplicate
codes, duplicate option values, weights that contradict the scoring method, thresholds that do
not fit the indicator type, origins and their sources). Everything else derives from it:
`criteria check` (app/assessment/criteria.py maps each problem to file:line), the field tables of
criteria/README.md (`field_tables()`), the JSON Schema (`json_schema()`) for an editor or a
workbook importer. `validate_data(raw)` is the one entry point: it returns the model or the list
of `Problem(loc, message)`; `loc` is the path of keys/indices in the raw data.

Pure: no Flask, no database.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
import types
import typing
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator, model_validator

from .indicators import INDICATOR_TYPES

UNIT_TYPES = ("city", "xa", "phuong", "dac_khu", "department", "school", "youth_branch", "health_facility", "association", "enterprise")
EVIDENCE_KINDS = ("pdf", "image", "docx", "xlsx")
ORIGINS = ("seed", "proposed")
NUMBER_ORIGINS = ("default", "seed", "official")
TARGET_METRICS = ("recognised_share", "recognised_count")
SCORING_METHOD_NAMES = ("weighted_percent", "total_points")
NUMERIC_TYPES = ("percent", "count", "number")
BAND_OPS = (">=", ">", "<=", "<", "between")
CODE_PATTERN = r"^[A-Z][A-Z0-9_]*$"
ITEM_CODE_PATTERN = r"^[A-Za-z][A-Za-z0-9_.]*$"

#: Words other schemes (or a first guess) use for a field of this format: key → suggestion.
ALIASES = {  # nosec B105 - field names, not passwords
    "knock_out": "condition", "knockout": "condition", "mandatory": "condition", "required_condition": "condition", "dieu_kien": "condition",
    "overall_pass_points": "pass_points", "pass_total": "pass_points", "min_points": "pass_points",  # nosec B105
    "pass_percent": "min_percent", "group_min_percent": "min_percent",  # nosec B105
    "not_applicable": "allow_na", "na": "allow_na", "roadmap": "by_year", "years": "by_year", "graded": "bands", "tiers": "bands",
    "weight_points": "weight",
}

Number = int | float
TypeName = Literal[tuple(INDICATOR_TYPES)]  # type: ignore[valid-type]


class _Strict(BaseModel):
    """Base of every model: unknown keys are errors, values are not coerced (strict)."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class SourceModel(_Strict):
    """A verbatim quote from a seed document."""

    file: str = Field(min_length=1, description="seed file name, e.g. `004_9df586bd548f38af.txt`.")
    line: int = Field(ge=1, description="1-based line where the quote starts.")
    quote: str = Field(min_length=1, pattern=r"\S", description="verbatim text from that line on (whitespace is normalised when checking; it may run over following lines).")


class TextPair(_Strict):
    """A text in Vietnamese and English."""

    vi: str = Field(description="Vietnamese text.")
    en: str = Field(description="English text.")


class LegalBasisModel(_Strict):
    """The document a set comes from, as the seeds name it (never an invented decision number)."""

    document: str = Field(description="the document's name as the seeds give it.")
    file: str = Field(description="seed file name.")
    line: int = Field(ge=1, description="1-based line of the quote.")
    quote: str = Field(min_length=1, description="verbatim quote.")


class EvidenceModel(_Strict):
    """What evidence an indicator asks for."""

    required: bool = Field(False, description="a file (or a written explanation) is required before submitting.")
    kinds: list[Literal[EVIDENCE_KINDS]] = Field(default_factory=lambda: list(EVIDENCE_KINDS),  # type: ignore[valid-type]
                                                 description=f"accepted kinds, any of {', '.join(EVIDENCE_KINDS)} (default: all).")
    description: str = Field("", description="what to upload, shown beside the upload field.")


class OptionModel(_Strict):
    """One answer of a `choice` indicator."""

    value: str | int = Field(description="stored value; unique within the indicator.")
    label: str = Field(description="text shown to the official.")


class RoadmapStep(_Strict):
    """The value that applies from one year on (a milestone of a roadmap)."""

    value: bool | int | float | list[str | int] = Field(description="the threshold value (or pass mark) from this year on; same shape as the base value.")
    op: Literal[">=", ">", "==", "<=", "<", "in"] | None = Field(None, description="optional operator from this year on (default: the base operator).")
    origin: Literal[NUMBER_ORIGINS] = Field("seed", description="`seed` when the programme text gives this year's value, else `default`.")  # type: ignore[valid-type]
    source: SourceModel | None = Field(None, description="`{file, line, quote}` of this year's value, where the text gives one.")
    note: str = Field("", description="how the value was read, when it is the project's reading.")


def _int_keys(value: Any) -> Any:
    """JSON turns year keys into strings: accept '2027' as 2027 (only digit strings)."""
    if isinstance(value, dict):
        return {int(k) if isinstance(k, str) and k.isdigit() else k: v for k, v in value.items()}
    return value


Roadmap = dict[Annotated[int, Field(ge=2000, le=2100)], RoadmapStep]


class ThresholdModel(_Strict):
    """What "met" means for an all-or-nothing indicator."""

    op: Literal[">=", ">", "==", "<=", "<", "in"] = Field(description="comparison; the operators allowed depend on the type (table below).")
    value: bool | int | float | list[str | int] = Field(description="base value: applies in every year before the first `by_year` milestone (or always).")
    unit: str | None = Field(None, description="unit shown beside the input, e.g. `%`, `lần`.")
    period: str | None = Field(None, description="period of a count, e.g. `quý`, `năm`.")
    by_year: Roadmap = Field(default_factory=dict, description="roadmap: `{YEAR: {value, op?, origin, source?, note?}}`; from each year on its value applies (the campaign's year chooses).")

    @field_validator("by_year", mode="before")
    @classmethod
    def _years(cls, value: Any) -> Any:
        return _int_keys(value)


class BandModel(_Strict):
    """One band of a graded indicator: points when the answer is in the band."""

    op: Literal[BAND_OPS] = Field(description="`>=`, `>`, `<=`, `<` compare with `value`; `between` means `value[0] ≤ answer < value[1]` (từ … đến dưới …).")  # type: ignore[valid-type]
    value: int | float | list[int | float] = Field(description="a number, or `[low, high]` for `between`.")
    points: int | float = Field(ge=0, description="points earned in this band; the best matching band counts.")


class ProportionalModel(_Strict):
    """Points in proportion to the answer, capped at the indicator's points."""

    full_at: int | float = Field(description="answer that earns the full points.")
    zero_at: int | float = Field(0, description="answer that earns 0 points (default 0); may be above `full_at` when lower is better.")


class IndicatorModel(_Strict):
    """One question of the questionnaire."""

    code: str = Field(pattern=ITEM_CODE_PATTERN, description="unique within the file, e.g. `G1.1`. Used as the form field and across versions: keep codes stable.")
    text: str = Field(min_length=1, description="Vietnamese question shown to the official.")
    text_en: str = Field("", description="English question.")
    type: TypeName = Field(description=f"one of the registered indicator types: {', '.join(INDICATOR_TYPES)} (table below).")
    threshold: ThresholdModel | None = Field(None, description="all-or-nothing rule: met ⇒ full points. Exactly one of `threshold`, `bands`, `proportional` (none for `text`).")
    bands: list[BandModel] | None = Field(None, description="graded points on a numeric answer: `[{op, value, points}]`; the best matching band counts; the highest band's points equal `points`.")
    proportional: ProportionalModel | None = Field(None, description="points in proportion to a numeric answer, capped at `points`, floored to `points_step`.")
    points: int | float | None = Field(None, gt=0, description="maximum points. Required, except for a `condition` (which has none).")
    points_step: int | float | None = Field(None, gt=0, description="points are earned (and appraised) in steps of this size, e.g. `0.5`.")
    points_origin: Literal[NUMBER_ORIGINS] | None = Field(None, description="`default` unless the programme gives the points. Required with `points`.")  # type: ignore[valid-type]
    threshold_origin: Literal[NUMBER_ORIGINS] = Field("seed", description="`default` when the threshold (or bands) is the project's reading, not the text's; the UI shows “mặc định”.")  # type: ignore[valid-type]
    condition: bool = Field(False, description="điều kiện bắt buộc: carries no points, fails the set when not met, shown apart from the score.")
    core: bool = Field(False, description="must be met for the set to pass when `scoring.require_core_indicators` (it keeps its points).")
    allow_na: bool = Field(False, description="the official may answer “không áp dụng”: the indicator leaves the maximum; an explanation is required.")
    evidence: EvidenceModel = Field(description="`{required, kinds, description}`.")
    explanation_required: Literal["when_not_met", "always", "never"] = Field("when_not_met", description="when an explanation (giải trình) is required.")
    origin: Literal[ORIGINS] = Field(description="`seed`: stated in the programme text (needs `source`); `proposed`: this project's measurable reading (needs `rationale`; shown “đề xuất”).")  # type: ignore[valid-type]
    source: SourceModel | None = Field(None, description="`{file, line, quote}`.")
    rationale: str = Field("", description="why a proposed item was added and what seed line it makes measurable.")
    options: list[OptionModel] = Field(default_factory=list, description="for `choice`: `[{value, label}]`, values unique.")
    help: str = Field("", description="guidance shown under the question.")


class GroupModel(_Strict):
    """A criteria group (nhóm tiêu chí)."""

    code: str = Field(pattern=ITEM_CODE_PATTERN, description="unique within the file, e.g. `G1`.")
    title: TextPair = Field(description="`{vi, en}`.")
    weight: int | float | None = Field(None, gt=0, description="only with `scoring.method: weighted_percent` (required there for a group with points); forbidden with `total_points`.")
    weight_origin: Literal[NUMBER_ORIGINS] | None = Field(None, description="`default` unless the programme gives the weight. Required with `weight`.")  # type: ignore[valid-type]
    min_percent: int | float | None = Field(None, ge=0, le=100, description="this group's own minimum (percent of its maximum), overriding `scoring.group_pass_percent`.")
    origin: Literal[ORIGINS] = Field(description="`seed` (needs `source`) or `proposed` (needs `rationale`).")  # type: ignore[valid-type]
    source: SourceModel | None = Field(None, description="`{file, line, quote}`.")
    rationale: str = Field("", description="why a proposed group was added.")
    indicators: list[IndicatorModel] = Field(min_length=1, description="the group's indicators (≥ 1).")


class TargetModel(_Strict):
    """A coverage target from the seeds."""

    code: str = Field(pattern=ITEM_CODE_PATTERN, description="unique within the file, e.g. `T1`.")
    text: TextPair = Field(description="`{vi, en}` short description.")
    metric: Literal[TARGET_METRICS] = Field(description="`recognised_share` (share of in-scope units recognised) or `recognised_count`.")  # type: ignore[valid-type]
    value: int | float = Field(ge=0, description="percent for `recognised_share` (0 < value ≤ 100), count for `recognised_count`.")
    value_max: int | float | None = Field(None, description="upper end of a range such as 30-50 %.")
    year: int = Field(ge=2000, le=2100, description="the year by which it must be met (end of that year).")
    scope: list[Literal[UNIT_TYPES]] = Field(description="unit types counted.")  # type: ignore[valid-type]
    source: SourceModel = Field(description="`{file, line, quote}`: targets always come from the seeds.")
    interpretation: str = Field("", description="when the reading is the project's, not the text's.")


class ScoringModel(_Strict):
    """How a set passes."""

    method: Literal[SCORING_METHOD_NAMES] = Field(description="`weighted_percent`: the weighted mean of group percentages (group `weight`) must reach `overall_pass_percent`. `total_points`: the sum of earned points must reach `pass_points`; groups have no weights.")  # type: ignore[valid-type]
    overall_pass_percent: int | float | None = Field(None, ge=0, le=100, description="`weighted_percent` only: the set passes at this overall percentage or more.")
    pass_points: int | float | None = Field(None, gt=0, description="`total_points` only: the set passes at this many points or more (≤ the set's maximum).")
    pass_by_year: Roadmap = Field(default_factory=dict, description="roadmap of the pass mark (`overall_pass_percent` or `pass_points`): `{YEAR: {value, origin, source?}}`.")
    group_pass_percent: int | float | None = Field(None, ge=0, le=100, description="a group passes at this percent of its maximum or more (a group's `min_percent` overrides).")
    require_all_groups: bool = Field(False, description="every group must pass (the minimum per group).")
    require_core_indicators: bool = Field(False, description="every indicator with `core: true` must be met.")
    origin: Literal["default", "official"] = Field(description="`default` until the city issues an official scoring rule; then `official` with a `source`.")
    source: SourceModel | None = Field(None, description="`{file, line, quote}` of an official rule.")
    note: str = Field("", description="text shown to users explaining the rule.")

    @field_validator("pass_by_year", mode="before")
    @classmethod
    def _years(cls, value: Any) -> Any:
        return _int_keys(value)


SURVEY_QUESTION_TYPES = ("scale5", "yes_no", "comment")
#: The 5-point scale's labels when a survey gives none (Vietnamese, English), 1 = worst … 5 = best.
DEFAULT_SCALE_VI = ("Rất không hài lòng", "Không hài lòng", "Bình thường", "Hài lòng", "Rất hài lòng")
DEFAULT_SCALE_EN = ("Very dissatisfied", "Dissatisfied", "Neutral", "Satisfied", "Very satisfied")


class SurveyQuestionModel(_Strict):
    """One question of a citizen survey."""

    code: str = Field(pattern=ITEM_CODE_PATTERN, description="unique within the survey, e.g. `Q1`; keep codes stable (answers are stored by code).")
    text: TextPair = Field(description="`{vi, en}` question shown to the citizen.")
    type: Literal[SURVEY_QUESTION_TYPES] = Field(description="`scale5` (1–5 with the survey's labels), `yes_no`, or `comment` (optional free text, never counted).")  # type: ignore[valid-type]


class SurveyModel(_Strict):
    """A public, anonymous citizen survey whose result becomes one indicator's value (“Nhân dân trực tiếp đánh giá”)."""

    code: str = Field(pattern=CODE_PATTERN, description="unique within the set, e.g. `HAILONG_DV`; part of every unit's survey link.")
    title: TextPair = Field(description="`{vi, en}` title of the public form and the poster.")
    invitation: TextPair = Field(description="`{vi, en}` one or two sentences printed on the poster under the QR code.")
    feeds: str = Field(pattern=ITEM_CODE_PATTERN, description="code of the `percent` indicator whose value the survey gives (share satisfied on the `overall` question).")
    overall: str = Field(pattern=ITEM_CODE_PATTERN, description="code of the `scale5` or `yes_no` question that measures overall satisfaction.")
    satisfied: list[int] = Field(default_factory=lambda: [4, 5], min_length=1, description="answers of a `scale5` question that count as satisfied (a `yes_no` question counts “yes”).")
    satisfied_origin: Literal[NUMBER_ORIGINS] = Field("default", description="`default` unless the programme says which answers count as satisfied; the UI shows “mặc định”.")  # type: ignore[valid-type]
    min_sample: int = Field(30, ge=1, le=100000, description="responses needed in the period before the survey fills the indicator.")
    min_sample_origin: Literal[NUMBER_ORIGINS] = Field("default", description="`default` unless the programme gives the minimum sample.")  # type: ignore[valid-type]
    scale_labels: list[str] = Field(default_factory=lambda: list(DEFAULT_SCALE_VI), description="the five labels of a `scale5` answer, 1 … 5 (Vietnamese).")
    scale_labels_en: list[str] = Field(default_factory=lambda: list(DEFAULT_SCALE_EN), description="the same five labels in English.")
    period: Literal["campaign_year"] = Field("campaign_year", description="responses counted: those of the campaign's year (Asia/Ho_Chi_Minh calendar year).")
    origin: Literal[ORIGINS] = Field("proposed", description="`seed` (needs `source`) or `proposed` (needs `rationale`).")  # type: ignore[valid-type]
    source: SourceModel | None = Field(None, description="`{file, line, quote}`.")
    rationale: str = Field("", description="what the survey measures and the seed line it makes measurable.")
    questions: list[SurveyQuestionModel] = Field(min_length=1, description="the questions, in order.")


def _date(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            return value
    return value


class CriteriaFile(_Strict):
    """A criteria set, one version (one YAML file)."""

    code: str = Field(pattern=CODE_PATTERN, description="stable code of the set, e.g. `CQTT`; same across versions.")
    name: TextPair = Field(description="display name `{vi, en}`.")
    version: int = Field(ge=1, description="version of this set. A revised set is a new file with a higher version.")
    effective_from: dt.date = Field(description="date `YYYY-MM-DD` when this version starts to apply.")
    legal_basis: LegalBasisModel = Field(description="`{document, file, line, quote}`.")
    applies_to: list[Literal[UNIT_TYPES]] = Field(min_length=1, description=f"unit types: any of {', '.join(UNIT_TYPES)}.")  # type: ignore[valid-type]
    description: TextPair | None = Field(None, description="`{vi, en}` shown on the campaign page.")
    notes: list[str] = Field(default_factory=list, description="how ambiguities were resolved, with the source lines of both readings.")
    scoring: ScoringModel = Field(description="the pass rule (below).")
    targets: list[TargetModel] = Field(description="coverage targets; `[]` when the seeds give none.")
    groups: list[GroupModel] = Field(min_length=1, description="criteria groups (≥ 1).")
    surveys: list[SurveyModel] = Field(default_factory=list, description="citizen surveys that give an indicator its value (below); `[]` when none.")

    @field_validator("effective_from", mode="before")
    @classmethod
    def _iso_date(cls, value: Any) -> Any:
        return _date(value)

    @model_validator(mode="after")
    def _rules(self, info: ValidationInfo) -> CriteriaFile:
        """Cross-field rules; problems go to `context['problems']` (all of them) or raise the first."""
        problems = cross_field_problems(self)
        sink = info.context.get("problems") if isinstance(info.context, dict) else None
        if sink is not None:
            sink.extend(problems)
        elif problems:
            raise ValueError(f"{'.'.join(map(str, problems[0].loc))}: {problems[0].message}")
        return self


# --------------------------------------------------------------------------- cross-field rules


@dataclass(frozen=True)
class Problem:
    """One problem: `loc` is the path of keys/indices into the raw data, `message` says what is wrong."""

    loc: tuple
    message: str


def _threshold_problems(ind: IndicatorModel, base: tuple) -> list[Problem]:
    out: list[Problem] = []
    type_obj = INDICATOR_TYPES[ind.type]
    options = [o.model_dump() for o in ind.options]
    rules = [k for k in ("threshold", "bands", "proportional") if getattr(ind, k) is not None]
    if len(rules) > 1:
        out.append(Problem(base + (rules[1],), f"use one of threshold, bands, proportional (this indicator has {', '.join(rules)})"))
    if not type_obj.needs_threshold:
        out += [Problem(base + (k,), f"type '{ind.type}' takes no {k}") for k in rules]
        return out
    if not rules:
        what = "a 'threshold'" if ind.type not in NUMERIC_TYPES else "a 'threshold', 'bands' or 'proportional'"
        return out + [Problem(base, f"type '{ind.type}' needs {what}")]
    if ind.threshold is not None:
        t, tl = ind.threshold, base + ("threshold",)
        if t.op not in type_obj.operators:
            out.append(Problem(tl + ("op",), f"operator {t.op!r} not allowed for type '{ind.type}' (allowed: {list(type_obj.operators)})"))
        else:
            problem = type_obj.check_threshold_value(t.value, options)
            if problem:
                out.append(Problem(tl + ("value",), problem))
        if ind.type == "percent" and t.unit not in (None, "%"):
            out.append(Problem(tl + ("unit",), "a percent threshold has unit '%'"))
        for year, step in t.by_year.items():
            op = step.op or t.op
            if op not in type_obj.operators:
                out.append(Problem(tl + ("by_year", year, "op"), f"operator {op!r} not allowed for type '{ind.type}'"))
            problem = type_obj.check_threshold_value(step.value, options)
            if problem:
                out.append(Problem(tl + ("by_year", year, "value"), problem))
            if step.origin == "seed" and step.source is None and ind.source is None:
                out.append(Problem(tl + ("by_year", year), "a 'seed' value needs a 'source' (or write origin: default)"))
    if ind.bands is not None or ind.proportional is not None:
        key = "bands" if ind.bands is not None else "proportional"
        if ind.type not in NUMERIC_TYPES:
            out.append(Problem(base + (key,), f"{key} need a numeric type ({', '.join(NUMERIC_TYPES)}), not '{ind.type}'"))
            return out
        if ind.condition:
            out.append(Problem(base + (key,), f"a condition carries no points, so it takes a threshold, not {key}"))
    for k, band in enumerate(ind.bands or []):
        bl = base + ("bands", k)
        values = band.value if isinstance(band.value, list) else [band.value]
        if (band.op == "between") != isinstance(band.value, list) or (band.op == "between" and (len(values) != 2 or values[0] >= values[1])):
            out.append(Problem(bl + ("value",), "'between' takes [low, high] with low < high; other operators take one number"))
            continue
        for v in values:
            problem = type_obj.check_threshold_value(v, options)
            if problem:
                out.append(Problem(bl + ("value",), problem))
        if ind.points is not None and band.points > ind.points:
            out.append(Problem(bl + ("points",), f"band points {band.points:g} exceed the indicator's points {ind.points:g}"))
        if ind.points_step and not _multiple(band.points, ind.points_step):
            out.append(Problem(bl + ("points",), f"band points {band.points:g} are not a multiple of points_step {ind.points_step:g}"))
    if ind.bands and ind.points is not None and max(b.points for b in ind.bands) != ind.points:
        out.append(Problem(base + ("bands",), f"the best band gives {max(b.points for b in ind.bands):g} points but the indicator's points are {ind.points:g}"))
    if ind.proportional is not None:
        p = ind.proportional
        if p.full_at == p.zero_at:
            out.append(Problem(base + ("proportional", "full_at"), "full_at must differ from zero_at"))
        for name in ("full_at", "zero_at"):
            problem = type_obj.check_threshold_value(getattr(p, name), options)
            if problem:
                out.append(Problem(base + ("proportional", name), problem))
    return out


def _multiple(value: float, step: float) -> bool:
    ratio = value / step
    return abs(ratio - round(ratio)) < 1e-9


def _origin_problems(item: Any, base: tuple) -> list[Problem]:
    out = []
    if item.origin == "seed" and item.source is None:
        out.append(Problem(base, "a 'seed' item needs 'source: {file, line, quote}'"))
    if item.origin == "proposed" and not item.rationale.strip():
        out.append(Problem(base, "a 'proposed' item needs a 'rationale'"))
    return out


def _indicator_problems(ind: IndicatorModel, base: tuple, scoring: ScoringModel) -> list[Problem]:
    out = _origin_problems(ind, base) + _threshold_problems(ind, base)
    if ind.condition:
        for key in ("points", "points_origin", "points_step"):
            if getattr(ind, key) is not None:
                out.append(Problem(base + (key,), f"a condition carries no points: remove '{key}'"))
    else:
        if ind.points is None:
            out.append(Problem(base, "missing 'points' (or mark the indicator 'condition: true')"))
        if ind.points_origin is None:
            out.append(Problem(base, "missing 'points_origin' (write 'default' unless the programme text gives this number)"))
        if ind.points is not None and ind.points_step and not _multiple(ind.points, ind.points_step):
            out.append(Problem(base + ("points_step",), f"points {ind.points:g} are not a multiple of points_step {ind.points_step:g}"))
    if ind.type == "choice" and not ind.options:
        out.append(Problem(base, "a 'choice' indicator needs 'options'"))
    if ind.type != "choice" and ind.options:
        out.append(Problem(base + ("options",), "only 'choice' indicators take options"))
    seen: dict[str, int] = {}
    for k, option in enumerate(ind.options):
        key = str(option.value)
        if key in seen:
            out.append(Problem(base + ("options", k, "value"), f"option value {key!r} is used twice (options #{seen[key] + 1} and #{k + 1}): "
                                                               "each answer needs its own value"))
        seen.setdefault(key, k)
    numeric = ind.type in NUMERIC_TYPES
    if ind.origin == "proposed" and numeric and ind.threshold_origin == "seed" and ind.source is None and not ind.condition:
        out.append(Problem(base + ("threshold",), "a proposed indicator's threshold is not from the text; add threshold_origin: default"))
    if ind.condition and ind.core:
        out.append(Problem(base + ("core",), "a condition is already required: remove 'core'"))
    if ind.condition and ind.allow_na and ind.explanation_required == "never":
        out.append(Problem(base + ("explanation_required",), "a 'không áp dụng' answer needs an explanation"))
    return out


def cross_field_problems(model: CriteriaFile) -> list[Problem]:
    """Rules that span fields: duplicates, type fit, weights against the method, origins, pass marks."""
    out: list[Problem] = []
    s = model.scoring
    if s.method == "weighted_percent":
        if s.overall_pass_percent is None:
            out.append(Problem(("scoring",), "method weighted_percent needs 'overall_pass_percent'"))
        if s.pass_points is not None:
            out.append(Problem(("scoring", "pass_points"), "pass_points contradicts method weighted_percent (use overall_pass_percent, or method: total_points)"))
    else:
        if s.pass_points is None:
            out.append(Problem(("scoring",), "method total_points needs 'pass_points'"))
        if s.overall_pass_percent is not None:
            out.append(Problem(("scoring", "overall_pass_percent"), "overall_pass_percent contradicts method total_points (use pass_points)"))
    if s.origin == "official" and s.source is None:
        out.append(Problem(("scoring", "origin"), "an official scoring rule needs a 'source'"))
    if s.require_all_groups and s.group_pass_percent is None and any(g.min_percent is None for g in model.groups):
        out.append(Problem(("scoring", "require_all_groups"), "require_all_groups needs 'group_pass_percent' (or a min_percent on every group)"))
    for year, step in s.pass_by_year.items():
        if isinstance(step.value, bool) or not isinstance(step.value, int | float):
            out.append(Problem(("scoring", "pass_by_year", year, "value"), "a pass mark is a number"))
        elif s.method == "weighted_percent" and not 0 <= step.value <= 100:
            out.append(Problem(("scoring", "pass_by_year", year, "value"), "a percent pass mark is between 0 and 100"))
        if step.op is not None:
            out.append(Problem(("scoring", "pass_by_year", year, "op"), "a pass mark has no operator (it is always 'at least')"))
    total = 0.0
    group_codes: dict[str, int] = {}
    ind_codes: dict[str, tuple] = {}
    for gi, group in enumerate(model.groups):
        gl = ("groups", gi)
        if group.code in group_codes:
            out.append(Problem(gl + ("code",), f"duplicate group code {group.code!r} (also group #{group_codes[group.code] + 1})"))
        group_codes.setdefault(group.code, gi)
        out += _origin_problems(group, gl)
        group_points = sum(i.points or 0 for i in group.indicators if not i.condition)
        total += group_points
        if s.method == "total_points" and group.weight is not None:
            out.append(Problem(gl + ("weight",), "weight contradicts method total_points: the pass mark is on total points, "
                                                 "each indicator counts its own points (remove 'weight')"))
        if s.method == "weighted_percent" and group.weight is None and group_points:
            out.append(Problem(gl, "missing 'weight' (method weighted_percent weighs group percentages)"))
        if group.weight is not None and not group_points:
            out.append(Problem(gl + ("weight",), "a group without points (conditions only) takes no weight"))
        if group.weight is not None and group.weight_origin is None:
            out.append(Problem(gl, "missing 'weight_origin' (write 'default' unless the programme text gives this number)"))
        if group.weight is None and group.weight_origin is not None:
            out.append(Problem(gl + ("weight_origin",), "weight_origin without a weight"))
        for ii, ind in enumerate(group.indicators):
            il = gl + ("indicators", ii)
            if ind.code in ind_codes:
                out.append(Problem(il + ("code",), f"duplicate indicator code {ind.code!r}"))
            ind_codes.setdefault(ind.code, il)
            out += _indicator_problems(ind, il, s)
    if s.method == "total_points":
        marks = [s.pass_points] + [st.value for st in s.pass_by_year.values() if isinstance(st.value, int | float)]
        for mark in marks:
            if mark is not None and not isinstance(mark, bool) and mark > total:
                out.append(Problem(("scoring", "pass_points"), f"pass mark {mark:g} is above the set's maximum {total:g} points: no unit can pass"))
    target_codes: set[str] = set()
    for ti, target in enumerate(model.targets):
        tl = ("targets", ti)
        if target.code in target_codes:
            out.append(Problem(tl + ("code",), f"duplicate target code {target.code!r}"))
        target_codes.add(target.code)
        if target.metric == "recognised_share" and not 0 < target.value <= 100:
            out.append(Problem(tl + ("value",), "a share target is a percentage in (0, 100]"))
        if target.value_max is not None and target.value_max < target.value:
            out.append(Problem(tl + ("value_max",), "value_max is below value"))
    out += _survey_problems(model, ind_codes)
    return out


def _survey_problems(model: CriteriaFile, ind_codes: dict[str, tuple]) -> list[Problem]:
    """Surveys: unique codes, a `percent` indicator fed once, an `overall` question that can be satisfied."""
    out: list[Problem] = []
    types_by_code = {i.code: i.type for g in model.groups for i in g.indicators}
    seen: set[str] = set()
    fed: set[str] = set()
    for si, survey in enumerate(model.surveys):
        sl = ("surveys", si)
        if survey.code in seen:
            out.append(Problem(sl + ("code",), f"duplicate survey code {survey.code!r}"))
        seen.add(survey.code)
        if survey.feeds not in types_by_code:
            out.append(Problem(sl + ("feeds",), f"no indicator {survey.feeds!r} in this set"))
        elif types_by_code[survey.feeds] != "percent":
            out.append(Problem(sl + ("feeds",), f"indicator {survey.feeds!r} is a {types_by_code[survey.feeds]}; a survey feeds a percent indicator"))
        if survey.feeds in fed:
            out.append(Problem(sl + ("feeds",), f"indicator {survey.feeds!r} is fed by two surveys"))
        fed.add(survey.feeds)
        q_codes: dict[str, str] = {}
        for qi, question in enumerate(survey.questions):
            if question.code in q_codes:
                out.append(Problem(sl + ("questions", qi, "code"), f"duplicate question code {question.code!r}"))
            q_codes.setdefault(question.code, question.type)
        kind = q_codes.get(survey.overall)
        if kind is None:
            out.append(Problem(sl + ("overall",), f"no question {survey.overall!r} in this survey"))
        elif kind == "comment":
            out.append(Problem(sl + ("overall",), "the overall question cannot be a comment"))
        if any(not 1 <= v <= 5 for v in survey.satisfied) or len(set(survey.satisfied)) != len(survey.satisfied):
            out.append(Problem(sl + ("satisfied",), "satisfied answers are distinct values from 1 to 5"))
        for key in ("scale_labels", "scale_labels_en"):
            if len(getattr(survey, key)) != 5 or not all(str(x).strip() for x in getattr(survey, key)):
                out.append(Problem(sl + (key,), "a 5-point scale needs exactly five non-empty labels"))
        out += _origin_problems(survey, sl)
    return out


# --------------------------------------------------------------------------- validation entry point


def validate_data(raw: Any) -> tuple[CriteriaFile | None, list[Problem]]:
    """Validate raw data (from YAML or stored JSON). Returns (model, []) or (None, problems)."""
    if not isinstance(raw, dict):
        return None, [Problem((), "the file must hold a mapping at the top level")]
    problems: list[Problem] = []
    try:
        model = CriteriaFile.model_validate(raw, context={"problems": problems})
    except ValidationError as exc:
        return None, _from_pydantic(exc, raw)
    return (None, problems) if problems else (model, [])


def _model_fields_at(loc: tuple) -> list[str]:
    """Known keys of the model found at `loc` (walking CriteriaFile's annotations)."""
    candidates: list[Any] = [CriteriaFile]
    for part in loc:
        nxt: list[Any] = []
        for cls in candidates:
            if isinstance(cls, type) and issubclass(cls, BaseModel):
                if isinstance(part, str) and part in cls.model_fields:
                    nxt += _unwrap(cls.model_fields[part].annotation)
            elif cls in ("list", "dict"):
                pass
        # list items and dict values: the element types were already unwrapped; keep them for int keys
        if isinstance(part, int):
            nxt = candidates
        candidates = nxt
    keys: list[str] = []
    for cls in candidates:
        if isinstance(cls, type) and issubclass(cls, BaseModel):
            keys += list(cls.model_fields)
    return keys


def _unwrap(annotation: Any) -> list[Any]:
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _unwrap(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        return [m for a in typing.get_args(annotation) for m in _unwrap(a)]
    if origin is list:
        return _unwrap(typing.get_args(annotation)[0])
    if origin is dict:
        return _unwrap(typing.get_args(annotation)[1])
    return [annotation]


def suggest(key: str, known: list[str]) -> list[str]:
    """Near misses of an unknown key among the known ones (aliases first, then difflib)."""
    found: list[str] = []
    alias = ALIASES.get(str(key).lower())
    if alias and alias in known:
        found.append(alias)
    for match in difflib.get_close_matches(str(key), known, n=2, cutoff=0.6):
        if match not in found:
            found.append(match)
    return found[:2]


_UNION_TAG = re.compile(r"^(int|float|bool|str|list\[.*\]|dict\[.*\]|literal\[.*\]|function-.*|.*Model|date)$")


def _from_pydantic(exc: ValidationError, raw: dict) -> list[Problem]:
    merged: dict[tuple, list[str]] = {}
    for err in exc.errors(include_url=False):
        loc = tuple(err["loc"])
        # union members add a tag (e.g. 'int', 'float') to the location: drop tags that are not keys of the raw data
        real = _real_loc(raw, loc)
        if err["type"] == "extra_forbidden":
            key = loc[-1]
            hints = suggest(key, _model_fields_at(loc[:-1]))
            message = f"unknown key '{key}'" + (f" (did you mean {' or '.join(repr(h) for h in hints)}?)" if hints else "")
        elif err["type"] == "missing":
            message = f"missing required field '{loc[-1]}'"
            real = _real_loc(raw, loc[:-1])
        elif err["type"] in ("literal_error", "enum"):
            allowed = re.findall(r"'([^']*)'", str((err.get("ctx") or {}).get("expected", "")))
            hints = difflib.get_close_matches(str(err["input"]), allowed, n=1, cutoff=0.6)
            message = (f"{_last_key(real)}: unknown value {err['input']!r}" + (f" (did you mean {hints[0]!r}?)" if hints else "")
                       + f"; allowed: {', '.join(allowed)}")
        elif err["type"] == "value_error":
            message = str(err["msg"]).removeprefix("Value error, ")
        else:
            message = f"{_last_key(real)}: {err['msg'][0].lower()}{err['msg'][1:]} (got {err.get('input')!r})"
        if message not in merged.setdefault(real, []):
            merged[real].append(message)
    out: list[Problem] = []
    for loc, messages in merged.items():
        if len(messages) > 1 and all("should be a valid" in m for m in messages):
            kinds = [m.split("should be a valid ", 1)[1].split(" (got")[0] for m in messages]
            got = messages[0].split(" (got ", 1)[1].rstrip(")") if " (got " in messages[0] else "?"
            out.append(Problem(loc, f"{_last_key(loc)}: expected {' or '.join(kinds)} (got {got})"))
        else:
            out += [Problem(loc, m) for m in messages]
    return out


def _last_key(loc: tuple) -> str:
    return next((str(p) for p in reversed(loc) if isinstance(p, str)), "value")


def _real_loc(raw: Any, loc: tuple) -> tuple:
    """The longest prefix of `loc` that exists in the raw data (plus an unknown last key)."""
    node, real = raw, []
    for part in loc:
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, dict) and isinstance(part, str) and part.isdigit() and int(part) in node:
            part = int(part)
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
        elif isinstance(node, dict) and part not in node and not _UNION_TAG.match(str(part)):
            real.append(part)  # the unknown or missing key itself
            break
        else:
            break
        real.append(part)
    return tuple(real)


# --------------------------------------------------------------------------- documentation


def json_schema() -> dict:
    """The JSON Schema of a criteria file (for editors, the workbook importer and docs)."""
    return CriteriaFile.model_json_schema()


DOC_SECTIONS: tuple[tuple[str, type[BaseModel]], ...] = (
    ("Top level", CriteriaFile),
    ("`scoring`", ScoringModel),
    ("`targets[]`", TargetModel),
    ("`groups[]`", GroupModel),
    ("`groups[].indicators[]`", IndicatorModel),
    ("`threshold` (all-or-nothing)", ThresholdModel),
    ("`threshold.by_year.<YEAR>`, `scoring.pass_by_year.<YEAR>` (roadmap steps)", RoadmapStep),
    ("`bands[]` (graded points)", BandModel),
    ("`proportional`", ProportionalModel),
    ("`evidence`", EvidenceModel),
    ("`options[]`", OptionModel),
    ("`source`", SourceModel),
    ("`legal_basis`", LegalBasisModel),
    ("`surveys[]` (citizen surveys)", SurveyModel),
    ("`surveys[].questions[]`", SurveyQuestionModel),
)


_NAMES = {int: "int", float: "number", str: "text", bool: "bool", dt.date: "date YYYY-MM-DD", type(None): "null"}


def _type_text(annotation: Any) -> str:
    """A short readable type for the docs, e.g. 'number', 'list of Indicator', '`a` or `b`'."""
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Annotated:
        return _type_text(args[0])
    if origin in (typing.Union, types.UnionType):
        members = [a for a in args if a is not type(None)]
        if int in members and float in members:
            members = [float if a is int else a for a in members if a is not float]
        return " or ".join(dict.fromkeys(_type_text(a) for a in members))
    if origin is Literal:
        return " \\| ".join(f"`{a}`" for a in args)
    if origin is list:
        return f"list of {_type_text(args[0])}"
    if origin is dict:
        return f"{{year: {_type_text(args[1])}}}"
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation.__name__.removesuffix("Model")
    return _NAMES.get(annotation, str(annotation))


def field_tables() -> str:
    """Markdown tables of every model's fields (name, type, required/default, meaning), from the schema."""
    parts: list[str] = []
    for title, model in DOC_SECTIONS:
        parts.append(f"### {title}\n\n{model.__doc__.strip()}\n\n| field | type | required | meaning |\n|---|---|---|---|")
        for name, info in model.model_fields.items():
            if info.is_required():
                required = "yes"
            else:
                default = info.get_default(call_default_factory=True)
                required = "no" if default in (None, "", [], {}) else f"no (`{str(default).lower() if isinstance(default, bool) else default}`)"
            description = (info.description or "").replace("|", "\\|").replace("\n", " ")
            parts.append(f"| `{name}` | {_type_text(info.annotation)} | {required} | {description} |")
        parts.append("")
    return "\n".join(parts).rstrip() + "\n"
