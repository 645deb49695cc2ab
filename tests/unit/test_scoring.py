"""Scoring core: examples and properties (hypothesis)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from app.assessment.criteria import find_files, load_file
from app.assessment.scoring import AnswerInput, score_set
from app.config import PROJECT_ROOT

SETS = [load_file(p)[0] for p in find_files([PROJECT_ROOT / "criteria"])]
CQTT = next(s for s in SETS if s.code == "CQTT")


def _value_strategy(ind):
    if ind.type == "boolean":
        return st.one_of(st.none(), st.booleans())
    if ind.type == "percent":
        return st.one_of(st.none(), st.integers(0, 100), st.floats(0, 100, allow_nan=False))
    if ind.type == "count":
        return st.one_of(st.none(), st.integers(0, 500))
    if ind.type == "number":
        return st.one_of(st.none(), st.integers(-50, 500))
    if ind.type == "choice":
        return st.one_of(st.none(), st.sampled_from([str(o["value"]) for o in ind.options]))
    return st.one_of(st.none(), st.just("mô tả"))


@st.composite
def set_and_answers(draw):
    cset = draw(st.sampled_from(SETS))
    answers = {}
    for ind in cset.indicators:
        answers[ind.code] = AnswerInput(draw(_value_strategy(ind)), draw(st.integers(0, 2)), draw(st.sampled_from(["", "lý do"])))
    return cset, answers


def _full_marks(cset):
    values = {}
    for ind in cset.indicators:
        t = ind.threshold
        if ind.type == "boolean":
            v = t.value
        elif ind.type == "text":
            v = "có"
        elif ind.type == "choice":
            v = str(t.value[0])
        else:
            v = {">=": t.value, "==": t.value, "<=": t.value, ">": t.value + 1, "<": t.value - 1}[t.op]
        values[ind.code] = AnswerInput(v, 1, "")
    return values


def test_full_marks_pass_and_empty_fails():
    for cset in SETS:
        full = score_set(cset, _full_marks(cset))
        assert full.percent == 100 and full.passed, cset.code
        empty = score_set(cset, {})
        assert empty.percent == 0 and not empty.passed
        assert "overall_below" in empty.reasons


def test_result_explains_failures():
    answers = _full_marks(CQTT)
    answers["G2.2"] = AnswerInput(0, 1, "")  # same-day service: 0 days a week
    answers["G1.1"] = AnswerInput(True, 0, "")  # evidence missing on a core indicator
    result = score_set(CQTT, answers)
    g22 = result.indicator("G2.2")
    assert not g22.met and g22.reasons == ["below_threshold"] and g22.threshold_text == "≥ 1 lần/tuần"
    assert result.indicator("G1.1").reasons == ["evidence_missing"]
    assert "core_not_met:G1.1" in result.reasons and not result.passed


@settings(max_examples=150, deadline=None)
@given(set_and_answers())
def test_score_within_bounds_and_deterministic(data):
    cset, answers = data
    first = score_set(cset, answers)
    assert 0 <= first.percent <= 100
    assert 0 <= first.earned <= first.max_points
    for g in first.groups:
        assert 0 <= g.earned <= g.max_points
    assert score_set(cset, answers).to_dict() == first.to_dict()


@settings(max_examples=150, deadline=None)
@given(set_and_answers(), st.data())
def test_moving_an_answer_to_its_threshold_never_lowers_the_score(data, pick):
    cset, answers = data
    before = score_set(cset, answers)
    ind = pick.draw(st.sampled_from(cset.indicators))
    improved = dict(answers)
    old = answers[ind.code]
    improved[ind.code] = AnswerInput(_full_marks(cset)[ind.code].value, max(old.evidence_count, 1), old.explanation)
    after = score_set(cset, improved)
    assert after.percent >= before.percent
    assert after.earned >= before.earned
    if before.passed:
        assert after.passed
