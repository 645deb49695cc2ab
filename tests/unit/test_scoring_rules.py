"""Scoring rules at their boundaries (just below, at, just above) and their properties (hypothesis)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.assessment.criteria import parse_text
from app.assessment.scoring import (
    AnswerInput,
    Override,
    appraised_points,
    check_appraised_points,
    display_value,
    evaluate_indicator,
    needs_explanation,
    score_set,
    score_with_overrides,
)

HEAD = """\
code: TEST
name: {vi: "Bộ thử", en: "Test"}
version: 1
effective_from: 2026-01-01
legal_basis: {document: "Đề án", file: seed.txt, line: 1, quote: "Dòng một"}
applies_to: [xa]
targets: []
"""


def _ind(code: str, points: float | None = 10, rule: str = 'threshold: {op: ">=", value: 50, unit: "%"}', extra: str = "") -> str:
    pts = f"        points: {points}\n        points_origin: default\n" if points is not None else ""
    return (f"      - code: {code}\n        text: \"Chỉ tiêu {code}\"\n        type: percent\n        {rule}\n        threshold_origin: default\n"
            f"{pts}{extra}        evidence: {{required: false}}\n        origin: proposed\n        rationale: \"Thử.\"\n")


def _group(code: str, indicators: str, extra: str = "") -> str:
    return f"  - code: {code}\n    title: {{vi: \"Nhóm {code}\", en: \"Group {code}\"}}\n{extra}    origin: proposed\n    rationale: \"Thử.\"\n    indicators:\n{indicators}"


def _set(scoring: str, groups: str):
    cset, errors = parse_text(HEAD + "scoring:\n" + scoring + "groups:\n" + groups, "t.yaml")
    assert errors == [], [str(e) for e in errors]
    return cset


def _answers(**values) -> dict[str, AnswerInput]:
    return {code.replace("_", "."): (v if isinstance(v, AnswerInput) else AnswerInput(v)) for code, v in values.items()}


# --------------------------------------------------------------------------- pass on total points

# a national-style scheme: 80 points of 101 (here: G1 has 60 points, G2 41), each group ≥ 50 %, one condition
NATIONAL = _set(
    "  method: total_points\n  pass_points: 80\n  group_pass_percent: 50\n  require_all_groups: true\n  origin: default\n",
    _group("G1", _ind("G1.1", 60, "proportional: {full_at: 100}", "        points_step: 0.5\n"))
    + _group("G2", _ind("G2.1", 41, "proportional: {full_at: 100}", "        points_step: 0.5\n")
             + _ind("G2.2", None, 'threshold: {op: ">=", value: 1, unit: "%"}', "        condition: true\n")),
)


@pytest.mark.parametrize(("g1", "passed", "earned"), [(Decimal("64.5"), False, 79.5), (Decimal("64.99"), False, 79.5), (Decimal("65"), True, 80.0), (Decimal("65.9"), True, 80.5)])
def test_total_points_boundary(g1, passed, earned):
    # G2 at 100 % = 41 points; G1 proportional 60 points in 0.5 steps (floored): 64,99 % → 38,5; 65 % → 39; 65,9 % → 39,5
    result = score_set(NATIONAL, _answers(G1_1=g1, G2_1=Decimal(100), G2_2=Decimal(5)))
    assert result.earned == earned and result.passed is passed
    assert result.max_points == 101  # the condition adds no point to the maximum
    if not passed:
        failure = result.failures[0]
        assert (failure.rule, failure.actual, failure.required, failure.shortfall) == ("total_points", 79.5, 80.0, 0.5)


def test_condition_fails_the_set_and_stays_out_of_the_totals():
    result = score_set(NATIONAL, _answers(G1_1=Decimal(100), G2_1=Decimal(100), G2_2=Decimal(0)))
    assert result.earned == 101 and result.max_points == 101
    assert not result.passed and result.reasons == ["condition_not_met:G2.2"]
    assert [c.code for c in result.conditions] == ["G2.2"] and result.conditions[0].max_points == 0
    met = score_set(NATIONAL, _answers(G1_1=Decimal(100), G2_1=Decimal(100), G2_2=Decimal(1)))
    assert met.passed and met.conditions[0].met


# --------------------------------------------------------------------------- minimum per group, with an override

MINIMUM = _set(
    "  method: total_points\n  pass_points: 1\n  group_pass_percent: 50\n  require_all_groups: true\n  origin: default\n",
    _group("G1", _ind("G1.1", 10, "proportional: {full_at: 100}", "        points_step: 0.5\n"))
    + _group("G2", _ind("G2.1", 10, "proportional: {full_at: 100}", "        points_step: 0.5\n"), "    min_percent: 70\n"),
)


@pytest.mark.parametrize(("value", "passed"), [(Decimal("45"), False), (Decimal("50"), True), (Decimal("55"), True)])
def test_group_minimum_boundary(value, passed):
    result = score_set(MINIMUM, _answers(G1_1=value, G2_1=Decimal(100)))
    assert result.groups[0].passed is passed and result.passed is passed
    if not passed:
        assert result.failures[0].rule == "group_minimum" and result.failures[0].shortfall == 5.0


@pytest.mark.parametrize(("value", "passed"), [(Decimal("65"), False), (Decimal("70"), True), (Decimal("75"), True)])
def test_group_minimum_override_boundary(value, passed):
    result = score_set(MINIMUM, _answers(G1_1=Decimal(100), G2_1=value))
    assert result.groups[1].minimum == 70 and result.groups[1].passed is passed and result.passed is passed


# --------------------------------------------------------------------------- weighted percent stays, and display agrees with the verdict

WEIGHTED = _set(
    "  method: weighted_percent\n  overall_pass_percent: 80\n  origin: default\n",
    _group("G1", _ind("G1.1", 10000, "proportional: {full_at: 100}"), "    weight: 1\n    weight_origin: default\n"),
)


@pytest.mark.parametrize(("value", "passed", "shown"), [
    (Decimal("79.9992"), False, 79.99), (Decimal("80"), True, 80.0), (Decimal("80.01"), True, 80.01)])
def test_weighted_percent_boundary_and_display(value, passed, shown):
    result = score_set(WEIGHTED, _answers(G1_1=value))
    assert result.passed is passed and result.percent == shown
    if not passed:
        assert result.failures[0].rule == "overall_percent" and result.failures[0].shortfall == 0.01


def test_display_value_never_contradicts_the_verdict():
    assert display_value(Decimal("79.9992"), False, 80) == 79.99
    assert display_value(Decimal("79.996"), None) == 80.0  # no verdict: plain rounding
    assert display_value(Decimal("80"), True, 80) == 80.0


# --------------------------------------------------------------------------- graded points: bands and steps

BANDS = _set(
    "  method: total_points\n  pass_points: 1\n  origin: default\n",
    _group("G1", _ind("G1.1", 2, 'bands:\n          - {op: ">=", value: 100, points: 2}\n          - {op: between, value: [90, 100], points: 1}')
           + _ind("G1.2", 2, 'bands:\n          - {op: "<=", value: 5, points: 2}\n          - {op: "<", value: 10, points: 1}\n          - {op: ">", value: 50, points: 0}')),
)


@pytest.mark.parametrize(("value", "points"), [
    (Decimal("89.99"), 0), (Decimal("90"), 1), (Decimal("90.01"), 1), (Decimal("99.99"), 1), (Decimal("100"), 2)])
def test_bands_ge_and_between_boundaries(value, points):
    assert evaluate_indicator(BANDS.indicator("G1.1"), AnswerInput(value)).points == points


@pytest.mark.parametrize(("value", "points"), [
    (Decimal("4.9"), 2), (Decimal("5"), 2), (Decimal("5.1"), 1), (Decimal("9.9"), 1), (Decimal("10"), 0), (Decimal("51"), 0)])
def test_bands_le_lt_gt_boundaries(value, points):
    assert evaluate_indicator(BANDS.indicator("G1.2"), AnswerInput(value)).points == points


def test_partial_points_are_not_met_and_explained():
    result = evaluate_indicator(BANDS.indicator("G1.1"), AnswerInput(Decimal(95)))
    assert result.points == 1 and not result.met and result.reasons == ["partial_points"]


@pytest.mark.parametrize(("value", "points"), [(Decimal("54.9"), 5.0), (Decimal("55"), 5.5), (Decimal("55.1"), 5.5), (Decimal("150"), 10.0)])
def test_proportional_half_point_steps_and_cap(value, points):
    ind = MINIMUM.indicator("G1.1")  # 10 points, full at 100, steps of 0.5
    assert evaluate_indicator(ind, AnswerInput(value)).points == points


def test_reviewer_points_follow_the_bands():
    ind = BANDS.indicator("G1.1")
    assert appraised_points(ind, Decimal(95)) == 1.0
    assert check_appraised_points(ind, Decimal(1), Decimal(95)) is None
    assert check_appraised_points(ind, Decimal(2), Decimal(95)) == "points_not_band"
    assert check_appraised_points(ind, Decimal(3)) == "points_range"
    assert check_appraised_points(MINIMUM.indicator("G1.1"), Decimal("5.25")) == "points_step"
    final = score_with_overrides(BANDS, _answers(G1_1=Decimal(100), G1_2=Decimal(1)), {"G1.1": Override(value=Decimal(95))})
    assert final.indicator("G1.1").points == 1 and final.earned == 3


# --------------------------------------------------------------------------- roadmaps by year

ROADMAP = _set(
    "  method: weighted_percent\n  overall_pass_percent: 50\n"
    "  pass_by_year: {2030: {value: 80, origin: default}}\n  origin: default\n",
    _group("G1", _ind("G1.1", 10, 'threshold: {op: ">=", value: 30, unit: "%", by_year: {2027: {value: 50, origin: default}, 2030: {value: 100, origin: default}}}')
           + _ind("G1.2", 10, 'threshold: {op: ">=", value: 0, unit: "%"}'), "    weight: 1\n    weight_origin: default\n"),
)


@pytest.mark.parametrize(("year", "value", "met"), [
    (2026, Decimal(29), False), (2026, Decimal(30), True), (2027, Decimal(49), False), (2027, Decimal(50), True),
    (2029, Decimal(50), True), (2030, Decimal(99), False), (2030, Decimal(100), True)])
def test_threshold_roadmap_resolved_from_the_campaign_year(year, value, met):
    assert evaluate_indicator(ROADMAP.indicator("G1.1"), AnswerInput(value), year).met is met


@pytest.mark.parametrize(("year", "passed"), [(2029, True), (2030, False)])
def test_pass_mark_roadmap(year, passed):
    # G1.1 unmet, G1.2 met: 50 % — passes the base mark 50, fails the 2030 mark 80
    result = score_set(ROADMAP, _answers(G1_1=Decimal(0), G1_2=Decimal(1)), year)
    assert result.percent == 50 and result.passed is passed and result.pass_mark == (80 if year == 2030 else 50)


# --------------------------------------------------------------------------- không áp dụng

NA = _set(
    "  method: weighted_percent\n  overall_pass_percent: 80\n  origin: default\n",
    _group("G1", _ind("G1.1", 10, extra="        allow_na: true\n") + _ind("G1.2", 10), "    weight: 1\n    weight_origin: default\n"),
)


def test_not_applicable_leaves_the_maximum_and_needs_an_explanation():
    answers = {"G1.1": AnswerInput(None, 0, "", not_applicable=True), "G1.2": AnswerInput(Decimal(60))}
    result = score_set(NA, answers)
    na = result.indicator("G1.1")
    assert na.not_applicable and na.max_points == 0 and result.max_points == 10 and result.percent == 100 and result.passed
    assert needs_explanation(NA.indicator("G1.1"), na)


def test_not_applicable_is_refused_where_the_file_does_not_allow_it():
    result = score_set(NA, {"G1.1": AnswerInput(Decimal(60)), "G1.2": AnswerInput(None, 0, "", not_applicable=True)})
    assert result.indicator("G1.2").reasons == ["na_not_allowed"] and result.max_points == 20 and not result.passed


# --------------------------------------------------------------------------- properties

SETS_FOR_PROPERTIES = (NATIONAL, MINIMUM, WEIGHTED, BANDS, ROADMAP, NA)
MONOTONE = (NATIONAL, MINIMUM, WEIGHTED, ROADMAP, NA)  # every rule there rewards a higher value


def _value():
    return st.one_of(st.none(), st.decimals(min_value=0, max_value=100, places=2, allow_nan=False, allow_infinity=False))


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(SETS_FOR_PROPERTIES), st.data(), st.sampled_from([None, 2026, 2027, 2030]))
def test_score_stays_within_zero_and_max(cset, data, year):
    answers = {i.code: AnswerInput(data.draw(_value()), 0, "", data.draw(st.booleans())) for i in cset.indicators}
    result = score_set(cset, answers, year)
    assert 0 <= result.earned <= result.max_points
    assert 0 <= result.percent <= 100
    for g in result.groups:
        assert 0 <= g.earned <= g.max_points
        for i in g.indicators:
            assert 0 <= i.points <= i.max_points


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(MONOTONE), st.data(), st.sampled_from([None, 2026, 2030]))
def test_improving_one_answer_never_lowers_the_score(cset, data, year):
    answers = {i.code: AnswerInput(data.draw(_value())) for i in cset.indicators}
    code = data.draw(st.sampled_from([i.code for i in cset.indicators]))
    before = score_set(cset, answers, year)
    old = answers[code].value if answers[code].value is not None else Decimal(0)
    better = dict(answers)
    better[code] = AnswerInput(old + data.draw(st.decimals(min_value=0, max_value=100, places=2)))
    after = score_set(cset, better, year)
    assert after.earned >= before.earned and after.percent >= before.percent
    assert after.passed or not before.passed
