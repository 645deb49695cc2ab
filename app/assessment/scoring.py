"""Scoring: evaluate answers against a criteria set and aggregate indicator → group → overall.

`score_set(cset, answers, year)` takes parsed values (and evidence counts / explanations / a
"không áp dụng" flag) keyed by indicator code and returns a `SetResult` that explains itself: for
each indicator whether it is met and why not, and for the set every rule that failed and by how
much (`SetResult.failures`). `year` is the campaign's year: it chooses the roadmap value of each
threshold and of the pass mark.

Rules (from the file's `scoring`): `weighted_percent` (weighted mean of group percentages ≥
`overall_pass_percent`) or `total_points` (sum of points ≥ `pass_points`); a minimum per group;
core indicators; conditions (no points, fail the set when not met, listed apart in
`SetResult.conditions`); graded points (bands, proportional, steps); "không áp dụng" answers
(out of the maximum).

Arithmetic is exact (decimal.Decimal) and verdicts compare raw values; the numbers a result shows
(`percent`, group `percent`) are rounded so that they cannot contradict the verdict
(`display_value`). Results carry floats so they can be stored as JSON. Pure Python.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

from .indicators import describe_threshold, get_type

if TYPE_CHECKING:  # pragma: no cover
    from .criteria import Band, CriteriaSet, Indicator

HUNDRED = Decimal(100)
CENT = Decimal("0.01")


def to_decimal(value: Any) -> Decimal:
    """An int, float (through its shortest repr, so 0.1 → Decimal('0.1')) or Decimal as a Decimal."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, bool):
        raise TypeError("a boolean is not a number")
    if isinstance(value, int):
        return Decimal(value)
    return Decimal(repr(float(value)))


def display_value(raw: Decimal | float, passed: bool | None = None, mark: Decimal | float | None = None, places: int = 2) -> float:
    """Round `raw` for display so the shown number agrees with the verdict against `mark`.

    A failing value is rounded down (79.9992 → 79.99, never 80 next to "below 80"); a passing one
    is rounded half up and never below the mark. Returns a float with at most `places` decimals.
    """
    raw = to_decimal(raw)
    quantum = Decimal(1).scaleb(-places)
    shown = raw.quantize(quantum, ROUND_HALF_UP)
    if passed is False and (mark is None or shown >= to_decimal(mark)):
        shown = raw.quantize(quantum, ROUND_FLOOR)
    elif passed is True and mark is not None and shown < to_decimal(mark):
        shown = raw.quantize(quantum, ROUND_CEILING)
    return float(shown)


def _shortfall(required: Decimal, actual: Decimal) -> float:
    """How much is missing, rounded UP to 0.01 so a real shortfall never shows as 0."""
    return float(max(Decimal(0), required - actual).quantize(CENT, ROUND_CEILING))


# --------------------------------------------------------------------------- inputs and results


@dataclass(frozen=True)
class AnswerInput:
    """What the scorer needs to know about one indicator's answer.

    `value` is the parsed value (None: unanswered); numbers may be int, float or Decimal.
    `not_applicable` is the official's "không áp dụng" answer (then `value` is ignored); it counts
    only where the indicator has `allow_na`, and it needs an explanation to be submitted.
    """

    value: Any = None
    evidence_count: int = 0
    explanation: str = ""
    not_applicable: bool = False


@dataclass
class IndicatorResult:
    """One indicator's outcome. `points`/`max_points` are floats (0/0 for a condition or a "không áp dụng" answer)."""

    code: str
    answered: bool
    met: bool
    points: float
    max_points: float
    #: Reason codes: 'unanswered', 'below_threshold', 'partial_points', 'evidence_missing', 'na_not_allowed'.
    reasons: list[str] = field(default_factory=list)
    threshold_text: str = ""
    core: bool = False
    condition: bool = False
    not_applicable: bool = False
    #: Origin of the threshold in force (seed/default/official), for the "mặc định" badge.
    threshold_origin: str = "seed"


@dataclass
class Failure:
    """One rule that failed: `rule` in overall_percent, total_points, group_minimum, core, condition.

    `actual` and `required` are display values (they agree with the verdict); `shortfall` is the raw
    difference rounded up to 0.01; `unit` is '%', 'points' or ''.
    """

    rule: str
    code: str = ""
    actual: float | None = None
    required: float | None = None
    shortfall: float | None = None
    unit: str = ""

    @property
    def reason(self) -> str:
        """The short reason code ('overall_below', 'group_failed:G1', ...)."""
        return {
            "overall_percent": "overall_below", "total_points": "points_below", "group_minimum": f"group_failed:{self.code}",
            "core": f"core_not_met:{self.code}", "condition": f"condition_not_met:{self.code}",
        }[self.rule]


@dataclass
class GroupResult:
    """A group's earned and maximum points, percent (display value), pass and minimum."""

    code: str
    earned: float
    max_points: float
    percent: float
    passed: bool
    weight: float | None
    indicators: list[IndicatorResult]
    #: The minimum percent this group needs (None: no minimum).
    minimum: float | None = None
    #: False when the group has no points to score (only conditions or "không áp dụng" answers).
    scored: bool = True

    @property
    def failed(self) -> list[IndicatorResult]:
        """Indicators that are not met (conditions included)."""
        return [i for i in self.indicators if not i.met]

    @property
    def earned_shown(self) -> float:
        """`earned` rounded for display so it agrees with the group's verdict against its minimum (`display_value`)."""
        if self.minimum is None or not self.max_points:
            return display_value(self.earned)
        mark = to_decimal(self.minimum) * to_decimal(self.max_points) / HUNDRED
        return display_value(self.earned, self.passed, mark)


@dataclass
class SetResult:
    """A set's outcome: `percent` (display value), `passed`, groups, failures and conditions (apart from the score)."""

    percent: float
    passed: bool
    groups: list[GroupResult]
    #: Why the set did not pass: 'overall_below', 'points_below', 'group_failed:<code>', 'core_not_met:<code>', 'condition_not_met:<code>'.
    reasons: list[str]
    earned: float
    max_points: float
    failures: list[Failure] = field(default_factory=list)
    #: Results of the conditions (điều kiện bắt buộc); they carry no points and are not in the totals.
    conditions: list[IndicatorResult] = field(default_factory=list)
    method: str = "weighted_percent"
    #: The pass mark in force (percent or points) and its origin.
    pass_mark: float | None = None
    pass_mark_origin: str = "default"  # noqa: S105 - an origin label, not a password
    year: int | None = None

    @property
    def points_passed(self) -> bool | None:
        """Under `total_points`: whether the points total reaches the pass mark (None under `weighted_percent`)."""
        if self.method != "total_points":
            return None
        return "points_below" not in self.reasons

    @property
    def earned_shown(self) -> float:
        """`earned` rounded for display so it cannot contradict the points verdict (79.9992 → 79.99 below 80)."""
        if self.method == "total_points" and self.pass_mark is not None:
            return display_value(self.earned, self.points_passed, self.pass_mark)
        return display_value(self.earned)

    def indicator(self, code: str) -> IndicatorResult | None:
        """The result of one indicator (conditions included), or None."""
        return next((i for g in self.groups for i in g.indicators if i.code == code), None)

    def to_dict(self) -> dict:
        """JSON-compatible dict (what a submission stores)."""
        return {
            "percent": self.percent,
            "passed": self.passed,
            "reasons": list(self.reasons),
            "earned": self.earned,
            "max_points": self.max_points,
            "method": self.method,
            "pass_mark": self.pass_mark,
            "pass_mark_origin": self.pass_mark_origin,
            "year": self.year,
            "failures": [asdict(f) for f in self.failures],
            "conditions": [c.code for c in self.conditions],
            "groups": [
                {
                    "code": g.code,
                    "earned": g.earned,
                    "max_points": g.max_points,
                    "percent": g.percent,
                    "passed": g.passed,
                    "weight": g.weight,
                    "minimum": g.minimum,
                    "scored": g.scored,
                    "indicators": [vars(i).copy() for i in g.indicators],
                }
                for g in self.groups
            ],
        }


# --------------------------------------------------------------------------- one indicator


def _band_holds(band: Band, value: Decimal) -> bool:
    if band.op == "between":
        low, high = band.value
        return to_decimal(low) <= value < to_decimal(high)
    target = to_decimal(band.value)
    return {">=": value >= target, ">": value > target, "<=": value <= target, "<": value < target}[band.op]


def _floor_to(points: Decimal, step: Decimal) -> Decimal:
    return (points / step).to_integral_value(ROUND_FLOOR) * step


def graded_points(indicator: Indicator, value: Any) -> Decimal:
    """Points a numeric `value` earns on a graded indicator (bands or proportional), within [0, points].

    Bands: the best band the value falls in (0 when none). Proportional: linear from `zero_at`
    (0 points) to `full_at` (full points), capped, floored to `points_step` (else to 0.01).
    """
    maximum = to_decimal(indicator.points)
    number = to_decimal(value)
    if indicator.bands:
        earned = max((to_decimal(b.points) for b in indicator.bands if _band_holds(b, number)), default=Decimal(0))
    elif indicator.proportional is not None:
        zero, full = to_decimal(indicator.proportional.zero_at), to_decimal(indicator.proportional.full_at)
        fraction = min(Decimal(1), max(Decimal(0), (number - zero) / (full - zero)))
        earned = _floor_to(maximum * fraction, to_decimal(indicator.points_step) if indicator.points_step else CENT)
    else:
        raise ValueError(f"indicator {indicator.code} is not graded")
    return min(maximum, max(Decimal(0), earned))


def _judge(indicator: Indicator, value: Any, year: int | None) -> tuple[Decimal, list[str]]:
    """Points for an answered value (evidence aside) and the reasons it falls short."""
    maximum = Decimal(0) if indicator.condition else to_decimal(indicator.points)
    if indicator.graded:
        earned = graded_points(indicator, value)
        if earned >= maximum:
            return maximum, []
        return earned, ["partial_points" if earned > 0 else "below_threshold"]
    if get_type(indicator.type).is_met(value, indicator.threshold_for(year)):
        return maximum, []
    return Decimal(0), ["below_threshold"]


def threshold_text(indicator: Indicator, year: int | None = None, locale: str | None = "vi") -> str:
    """The rule shown beside an input: '≥ 70%', or the bands ('≥ 100: 2 đ; 90–100: 1 đ'), for the campaign year.

    Numbers are written for `locale` ('vi': 62,5 and 10.000; 'en': 62.5 and 10,000).
    """
    if indicator.bands:
        parts = []
        for band in indicator.bands:
            if band.op == "between":
                rule = f"{_n(band.value[0], locale)}–{_n(band.value[1], locale)}"
            else:
                rule = describe_threshold(_as_threshold(band.op, band.value), None, locale)
            parts.append(f"{rule}: {_n(band.points, locale)} đ")
        return "; ".join(parts)
    if indicator.proportional is not None:
        p = indicator.proportional
        return f"{_n(p.zero_at, locale)} → 0 đ … {_n(p.full_at, locale)} → {_n(indicator.points, locale)} đ"
    return describe_threshold(indicator.threshold_for(year), list(indicator.options), locale)


def _n(value: Any, locale: str | None = "vi") -> str:
    from .numbers import format_number

    return format_number(value, locale)


def _as_threshold(op: str, value: Any):
    from .indicators import Threshold

    return Threshold(op=op, value=value)


def evaluate_indicator(indicator: Indicator, answer: AnswerInput, year: int | None = None) -> IndicatorResult:
    """Points and reasons for one answer in a campaign `year`.

    Unanswered → 0; "không áp dụng" where allowed → out of the maximum (0/0, met); missing required
    evidence → 0. Met means the full points were earned (for a condition: its threshold holds).
    """
    common = {"code": indicator.code, "threshold_text": threshold_text(indicator, year), "core": indicator.core,
              "condition": indicator.condition, "threshold_origin": indicator.threshold_origin_for(year)}
    maximum = Decimal(0) if indicator.condition else to_decimal(indicator.points)
    if answer.not_applicable and indicator.allow_na:
        return IndicatorResult(answered=True, met=True, points=0.0, max_points=0.0, not_applicable=True, **common)
    reasons: list[str] = []
    earned = Decimal(0)
    answered = answer.value is not None and not answer.not_applicable
    if answer.not_applicable:
        reasons.append("na_not_allowed")
    elif not answered:
        reasons.append("unanswered")
    else:
        earned, more = _judge(indicator, answer.value, year)
        reasons += more
    if indicator.evidence.required and answer.evidence_count == 0:
        reasons.append("evidence_missing")
        earned = Decimal(0)
    return IndicatorResult(answered=answered, met=not reasons, points=float(earned), max_points=float(maximum), reasons=reasons, **common)


def appraised_points(indicator: Indicator, value: Any, year: int | None = None) -> float:
    """Points a reviewer's value earns, by the same rule as the official's (bands, proportional or threshold)."""
    if value is None:
        return 0.0
    return float(_judge(indicator, value, year)[0])


def band_levels(indicator: Indicator) -> list[float]:
    """The points a banded indicator can earn: 0 and each band's points, ascending (empty when not banded)."""
    if not indicator.bands:
        return []
    return sorted({0.0, *(float(b.points) for b in indicator.bands)})


def check_appraised_points(indicator: Indicator, points: Any, value: Any = None, year: int | None = None) -> str | None:
    """Check points a reviewer typed. Returns None when acceptable, else a problem code.

    'points_range': outside [0, max]; 'points_step': not a multiple of `points_step`;
    'points_not_band': on a graded indicator with a known `value`, not the points that value earns
    (`appraised_points` gives them).
    """
    number = to_decimal(points)
    maximum = Decimal(0) if indicator.condition else to_decimal(indicator.points)
    if number < 0 or number > maximum:
        return "points_range"
    if indicator.points_step and (number / to_decimal(indicator.points_step)) % 1 != 0:
        return "points_step"
    if indicator.graded and value is not None and number != to_decimal(appraised_points(indicator, value)):
        return "points_not_band"
    return None


# --------------------------------------------------------------------------- aggregation


def _group_result(group, results: list[IndicatorResult], rule) -> tuple[GroupResult, Decimal]:
    earned = sum((to_decimal(r.points) for r in results), Decimal(0))
    maximum = sum((to_decimal(r.max_points) for r in results), Decimal(0))
    minimum = rule.group_minimum(group)
    if not maximum:
        return GroupResult(code=group.code, earned=0.0, max_points=0.0, percent=0.0, passed=True, weight=group.weight,
                           indicators=results, minimum=minimum, scored=False), Decimal(0)
    raw = earned * HUNDRED / maximum
    passed = minimum is None or raw >= to_decimal(minimum)
    return GroupResult(code=group.code, earned=float(earned), max_points=float(maximum), percent=display_value(raw, passed, minimum),
                       passed=passed, weight=group.weight, indicators=results, minimum=minimum), raw


def aggregate(cset: CriteriaSet, results: dict[str, IndicatorResult], year: int | None = None) -> SetResult:
    """Indicator results → groups → the set's verdict by its rule, with every failure explained."""
    rule = cset.scoring
    pairs = [_group_result(g, [results[i.code] for i in g.indicators], rule) for g in cset.groups]
    groups = [p[0] for p in pairs]
    earned = sum((to_decimal(g.earned) for g in groups), Decimal(0))
    maximum = sum((to_decimal(g.max_points) for g in groups), Decimal(0))
    mark = to_decimal(rule.pass_mark_for(year))
    failures: list[Failure] = []
    if rule.method == "total_points":
        overall_ok = earned >= mark
        raw_percent = earned * HUNDRED / maximum if maximum else Decimal(0)
        percent = display_value(raw_percent, None if overall_ok else False)
        if not overall_ok:
            failures.append(Failure("total_points", actual=display_value(earned, False, mark), required=float(mark),
                                    shortfall=_shortfall(mark, earned), unit="points"))
    else:
        weighted = [(to_decimal(g.weight), raw) for g, raw in pairs if g.scored and g.weight]
        total_weight = sum((w for w, _ in weighted), Decimal(0))
        raw_percent = sum((w * raw for w, raw in weighted), Decimal(0)) / total_weight if total_weight else Decimal(0)
        raw_percent = min(HUNDRED, max(Decimal(0), raw_percent))
        overall_ok = raw_percent >= mark
        percent = display_value(raw_percent, overall_ok, mark)
        if not overall_ok:
            failures.append(Failure("overall_percent", actual=percent, required=float(mark), shortfall=_shortfall(mark, raw_percent), unit="%"))
    for (group, raw), spec in zip(pairs, cset.groups, strict=True):
        enforced = spec.min_percent is not None or rule.require_all_groups
        if enforced and group.scored and not group.passed:
            failures.append(Failure("group_minimum", group.code, actual=group.percent, required=float(group.minimum),
                                    shortfall=_shortfall(to_decimal(group.minimum), raw), unit="%"))
    all_results = [i for g in groups for i in g.indicators]
    if rule.require_core_indicators:
        failures += [Failure("core", i.code) for i in all_results if i.core and not i.met]
    conditions = [i for i in all_results if i.condition]
    failures += [Failure("condition", i.code) for i in conditions if not i.met]
    return SetResult(percent=percent, passed=not failures, groups=groups, reasons=[f.reason for f in failures], earned=float(earned),
                     max_points=float(maximum), failures=failures, conditions=conditions, method=rule.method,
                     pass_mark=float(mark), pass_mark_origin=rule.pass_mark_origin_for(year), year=year)


def evaluate_all(cset: CriteriaSet, answers: dict[str, AnswerInput], year: int | None = None) -> dict[str, IndicatorResult]:
    """Every indicator's result (unanswered where no answer is given)."""
    return {i.code: evaluate_indicator(i, answers.get(i.code, AnswerInput()), year) for i in cset.indicators}


def _score(cset: CriteriaSet, answers: dict[str, AnswerInput], year: int | None = None) -> SetResult:
    return aggregate(cset, evaluate_all(cset, answers, year), year)


SCORING_METHODS: dict[str, Callable[..., SetResult]] = {}


def register_method(name: str, func: Callable[..., SetResult]) -> None:
    """Add a scoring method `func(cset, answers, year)`; a duplicate name is an error."""
    if name in SCORING_METHODS:
        raise ValueError(f"scoring method {name!r} registered twice")
    SCORING_METHODS[name] = func


register_method("weighted_percent", _score)
register_method("total_points", _score)


def score_set(cset: CriteriaSet, answers: dict[str, AnswerInput], year: int | None = None) -> SetResult:
    """Score a whole set with the method its file names, for a campaign `year` (roadmaps; None: base values)."""
    return SCORING_METHODS[cset.scoring.method](cset, answers, year)


def needs_explanation(indicator: Indicator, result: IndicatorResult) -> bool:
    """An explanation (giải trình) is required for "không áp dụng", and when the indicator is not met (by its rule)."""
    if result.not_applicable:
        return True
    rule = indicator.explanation_required
    if rule == "never":
        return False
    if rule == "always":
        return True
    return result.answered and not result.met


@dataclass(frozen=True)
class Override:
    """A reviewer's judgement of one indicator.

    `value`: the reviewer's corrected value, scored by the indicator's own rule (bands included);
    `met`: forces met / not met (full or no points); `points`: the appraised points (clamped to
    [0, max]). None keeps the computed one. Applied in that order. On a "không áp dụng" answer, no
    override accepts it; a value, `met` or `points` means the reviewer judged the indicator
    applicable, so it counts in the maximum again.
    """

    met: bool | None = None
    points: float | None = None
    value: Any = None


def score_with_overrides(cset: CriteriaSet, answers: dict[str, AnswerInput], overrides: dict[str, Override],
                         year: int | None = None) -> SetResult:
    """Score with the reviewers' appraisals applied, aggregated by the set's own rule (the final score)."""
    results = evaluate_all(cset, answers, year)
    for code, override in overrides.items():
        result = results.get(code)
        indicator = cset.indicator(code)
        if result is None or indicator is None:
            continue
        if override.value is not None:
            earned, reasons = _judge(indicator, override.value, year)
            result.answered, result.not_applicable = True, False
            result.max_points = 0.0 if indicator.condition else float(indicator.points)
            result.points, result.reasons, result.met = float(earned), reasons, not reasons
        reopened = result.not_applicable and (override.met is not None or override.points is not None)
        if reopened:
            # the reviewer did not accept "không áp dụng": the indicator counts in the maximum again
            result.not_applicable, result.answered = False, True
            result.max_points = 0.0 if indicator.condition else float(indicator.points)
            result.points, result.met, result.reasons = 0.0, False, ["below_threshold"]
        if override.met is not None:
            result.met = override.met
            result.reasons = [] if override.met else (result.reasons or ["below_threshold"])
            result.points = result.max_points if override.met else 0.0
        if override.points is not None and not indicator.condition:
            result.points = float(min(max(to_decimal(override.points), Decimal(0)), to_decimal(result.max_points)))
            if reopened and override.met is None:
                result.met = result.points >= result.max_points
                result.reasons = [] if result.met else (["partial_points"] if result.points > 0 else ["below_threshold"])
    return aggregate(cset, results, year)
