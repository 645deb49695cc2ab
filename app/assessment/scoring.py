"""Scoring: evaluate answers against a criteria set and aggregate indicator → group → overall.

`score_set(cset, answers)` takes parsed values (and evidence counts / explanations) keyed by
indicator code and returns a `SetResult` that explains itself: for each indicator whether it is
met and why not. Methods are registered by name in `SCORING_METHODS` (duplicates refused).
Pure Python; the numbers in the rule come from the criteria file, where they are labelled.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .indicators import describe_threshold, get_type

if TYPE_CHECKING:  # pragma: no cover
    from .criteria import CriteriaSet, Indicator


@dataclass(frozen=True)
class AnswerInput:
    """What the scorer needs to know about one indicator's answer."""

    value: Any = None
    evidence_count: int = 0
    explanation: str = ""


@dataclass
class IndicatorResult:
    code: str
    answered: bool
    met: bool
    points: float
    max_points: float
    #: Reason codes: 'unanswered', 'below_threshold', 'evidence_missing'.
    reasons: list[str] = field(default_factory=list)
    threshold_text: str = ""
    core: bool = False


@dataclass
class GroupResult:
    code: str
    earned: float
    max_points: float
    percent: float
    passed: bool
    weight: float
    indicators: list[IndicatorResult]

    @property
    def failed(self) -> list[IndicatorResult]:
        return [i for i in self.indicators if not i.met]


@dataclass
class SetResult:
    percent: float
    passed: bool
    groups: list[GroupResult]
    #: Why the set did not pass: 'overall_below', 'group_failed:<code>', 'core_not_met:<code>'.
    reasons: list[str]
    earned: float
    max_points: float

    def indicator(self, code: str) -> IndicatorResult | None:
        return next((i for g in self.groups for i in g.indicators if i.code == code), None)

    def to_dict(self) -> dict:
        return {
            "percent": self.percent,
            "passed": self.passed,
            "reasons": list(self.reasons),
            "earned": self.earned,
            "max_points": self.max_points,
            "groups": [
                {
                    "code": g.code,
                    "earned": g.earned,
                    "max_points": g.max_points,
                    "percent": g.percent,
                    "passed": g.passed,
                    "weight": g.weight,
                    "indicators": [vars(i).copy() for i in g.indicators],
                }
                for g in self.groups
            ],
        }


def evaluate_indicator(indicator: Indicator, answer: AnswerInput) -> IndicatorResult:
    """Met when the answer satisfies the threshold and any required evidence is attached."""
    type_obj = get_type(indicator.type)
    reasons: list[str] = []
    answered = answer.value is not None
    if not answered:
        reasons.append("unanswered")
    elif not type_obj.is_met(answer.value, indicator.threshold):
        reasons.append("below_threshold")
    if indicator.evidence.required and answer.evidence_count == 0:
        reasons.append("evidence_missing")
    met = not reasons
    return IndicatorResult(
        code=indicator.code,
        answered=answered,
        met=met,
        points=indicator.points if met else 0.0,
        max_points=indicator.points,
        reasons=reasons,
        threshold_text=describe_threshold(indicator.threshold, list(indicator.options)),
        core=indicator.core,
    )


def _round(value: float) -> float:
    return round(value, 2)


def _group_result(group, results: list[IndicatorResult], rule) -> GroupResult:
    earned = sum(r.points for r in results)
    max_points = sum(r.max_points for r in results)
    percent = 100.0 * earned / max_points if max_points else 0.0
    return GroupResult(code=group.code, earned=earned, max_points=max_points, percent=_round(percent),
                       passed=percent >= rule.group_pass_percent, weight=group.weight, indicators=results)


def aggregate(cset: CriteriaSet, results: dict[str, IndicatorResult]) -> SetResult:
    """Indicator results → group percentages → weighted overall percentage and the pass rule."""
    rule = cset.scoring
    groups = [_group_result(g, [results[i.code] for i in g.indicators], rule) for g in cset.groups]
    total_weight = sum(g.weight for g in groups)
    overall = sum(g.weight * (100.0 * g.earned / g.max_points if g.max_points else 0.0) for g in groups) / total_weight
    overall = min(100.0, max(0.0, overall))
    reasons: list[str] = []
    if overall < rule.overall_pass_percent:
        reasons.append("overall_below")
    if rule.require_all_groups:
        reasons += [f"group_failed:{g.code}" for g in groups if not g.passed]
    if rule.require_core_indicators:
        reasons += [f"core_not_met:{i.code}" for g in groups for i in g.indicators if i.core and not i.met]
    return SetResult(percent=_round(overall), passed=not reasons, groups=groups, reasons=reasons,
                     earned=sum(g.earned for g in groups), max_points=sum(g.max_points for g in groups))


def evaluate_all(cset: CriteriaSet, answers: dict[str, AnswerInput]) -> dict[str, IndicatorResult]:
    return {i.code: evaluate_indicator(i, answers.get(i.code, AnswerInput())) for i in cset.indicators}


def score_by_points(cset: CriteriaSet, answers: dict[str, AnswerInput]) -> SetResult:
    return aggregate(cset, evaluate_all(cset, answers))


SCORING_METHODS: dict[str, Callable[[Any, dict[str, AnswerInput]], SetResult]] = {}


def register_method(name: str, func: Callable[[Any, dict[str, AnswerInput]], SetResult]) -> None:
    """Add a scoring method; a duplicate name is an error."""
    if name in SCORING_METHODS:
        raise ValueError(f"scoring method {name!r} registered twice")
    SCORING_METHODS[name] = func


register_method("points", score_by_points)


def score_set(cset: CriteriaSet, answers: dict[str, AnswerInput]) -> SetResult:
    """Score a whole set with the method its file names."""
    return SCORING_METHODS[cset.scoring.method](cset, answers)


def needs_explanation(indicator: Indicator, result: IndicatorResult) -> bool:
    """An explanation (giải trình) is required when the indicator is not met or evidence is missing."""
    rule = indicator.explanation_required
    if rule == "never":
        return False
    if rule == "always":
        return True
    return result.answered and not result.met



@dataclass(frozen=True)
class Override:
    """A reviewer's judgement of one indicator: met and/or points (None keeps the computed one)."""

    met: bool | None = None
    points: float | None = None


def score_with_overrides(cset: CriteriaSet, answers: dict[str, AnswerInput], overrides: dict[str, Override]) -> SetResult:
    """Score with the reviewers' appraisals applied, aggregated by the set's own rule (the final score)."""
    results = evaluate_all(cset, answers)
    for code, override in overrides.items():
        result = results.get(code)
        if result is None:
            continue
        if override.met is not None:
            result.met = override.met
            result.reasons = [] if override.met else (result.reasons or ["below_threshold"])
            result.points = result.max_points if override.met else 0.0
        if override.points is not None:
            result.points = max(0.0, min(float(override.points), result.max_points))
    return aggregate(cset, results)
