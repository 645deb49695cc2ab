"""Displayed totals agree with the verdict; "không áp dụng" under a reviewer's appraisal; band levels."""

from __future__ import annotations

from decimal import Decimal

from app.assessment.rollup import heat_class
from app.assessment.scoring import AnswerInput, Override, band_levels, score_set, score_with_overrides
from tests.unit.test_scoring_rules import _group, _ind, _set

#: 79.9992 points met of a 100-point set that passes at 80 points.
POINTS = _set(
    "  method: total_points\n  pass_points: 80\n  group_pass_percent: 80\n  origin: default\n",
    _group("G1", _ind("G1.1", 79.9992) + _ind("G1.2", 20.0008)),
)

NA = _set(
    "  method: weighted_percent\n  overall_pass_percent: 50\n  origin: default\n",
    _group("G1", _ind("G1.1", 10) + _ind("G1.2", 10, extra="        allow_na: true\n"), "    weight: 1\n    weight_origin: default\n"),
)

BANDS = _set(
    "  method: total_points\n  pass_points: 1\n  origin: default\n",
    _group("G1", _ind("G1.1", 2, 'bands:\n          - {op: ">=", value: 100, points: 2}\n          - {op: between, value: [90, 100], points: 1}')),
)


def test_points_total_just_below_the_mark_is_shown_below_it(app):
    from app.submissions.messages import failure_text

    result = score_set(POINTS, {"G1.1": AnswerInput(Decimal(100)), "G1.2": AnswerInput(Decimal(0))})
    assert result.earned == 79.9992 and not result.passed and result.points_passed is False
    assert result.earned_shown == 79.99  # never 80 next to "below 80 points"
    failure = result.failures[0]
    assert (failure.rule, failure.actual, failure.shortfall) == ("total_points", 79.99, 0.01)
    with app.test_request_context():
        assert failure_text(failure) == "tổng điểm 79,99 dưới mức đạt 80 điểm (thiếu 0,01 điểm)"
    group = result.groups[0]
    assert not group.passed and group.percent == 79.99 and group.earned_shown == 79.99


def test_points_total_at_the_mark_is_shown_at_it():
    result = score_set(POINTS, {"G1.1": AnswerInput(Decimal(100)), "G1.2": AnswerInput(Decimal(100))})
    assert result.passed and result.earned_shown == 100.0 and result.groups[0].earned_shown == 100.0


def test_weighted_percent_has_no_points_verdict():
    result = score_set(NA, {"G1.1": AnswerInput(Decimal(100)), "G1.2": AnswerInput(Decimal(100))})
    assert result.points_passed is None and result.earned_shown == 20.0


def test_not_applicable_is_kept_unless_the_reviewer_appraises_the_indicator():
    answers = {"G1.1": AnswerInput(Decimal(100)), "G1.2": AnswerInput(not_applicable=True, explanation="Không phát sinh.")}
    accepted = score_with_overrides(NA, answers, {})
    assert accepted.indicator("G1.2").not_applicable and accepted.max_points == 10 and accepted.percent == 100
    refused = score_with_overrides(NA, answers, {"G1.2": Override(met=False)})
    ind = refused.indicator("G1.2")
    assert not ind.not_applicable and (ind.points, ind.max_points, ind.met) == (0.0, 10.0, False)
    assert refused.max_points == 20 and refused.percent == 50
    met = score_with_overrides(NA, answers, {"G1.2": Override(met=True)}).indicator("G1.2")
    assert (met.not_applicable, met.points, met.max_points, met.met) == (False, 10.0, 10.0, True)
    partial = score_with_overrides(NA, answers, {"G1.2": Override(points=4)}).indicator("G1.2")
    assert (partial.not_applicable, partial.points, partial.met, partial.reasons) == (False, 4.0, False, ["partial_points"])
    full = score_with_overrides(NA, answers, {"G1.2": Override(points=10)}).indicator("G1.2")
    assert (full.met, full.reasons) == (True, [])
    valued = score_with_overrides(NA, answers, {"G1.2": Override(value=Decimal(20))}).indicator("G1.2")
    assert (valued.not_applicable, valued.max_points, valued.met) == (False, 10.0, False)


def test_band_levels():
    assert band_levels(BANDS.indicator("G1.1")) == [0.0, 1.0, 2.0]
    assert band_levels(NA.indicator("G1.1")) == []


def test_heat_class_for_a_group_with_nothing_to_score():
    assert heat_class(0, 0, True) == "na"
    assert heat_class(0.0, 10.0, True) == "pass" and heat_class(None, 0, None) == "none"
