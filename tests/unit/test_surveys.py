"""Survey statistics and the survey part of the criteria schema (pure: no app, no database)."""

from __future__ import annotations

import copy
import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from app.assessment.criteria import load_file, parse_text
from app.assessment.surveys import Response, find_bursts, indicator_fill, share, summarise, wilson

ROOT = Path(__file__).resolve().parents[2]
UTC = dt.UTC


def _cqtt():
    cset, errors = load_file(ROOT / "criteria" / "cqtt-v1.yaml")
    assert not errors
    return cset


def _responses(overall: list[int], at=dt.datetime(2026, 5, 2, 3, 0, tzinfo=UTC), step=dt.timedelta(hours=1), network=None):
    return [Response(at + i * step, {"Q1": 5, "Q2": True, "Q5": v}, network, id=i + 1) for i, v in enumerate(overall)]


def test_wilson_interval_matches_the_published_formula():
    # 120 of 137: Wilson 95 % = 81,03 % – 92,11 % (z = 1,96)
    low, high = wilson(120, 137)
    assert round(low, 2) == 81.03 and round(high, 2) == 92.11
    # the edges stay inside [0, 100] and are not degenerate like the normal interval
    low, high = wilson(30, 30)
    assert high == 100.0 and 88 < low < 89
    assert wilson(0, 5)[0] == 0.0


def test_wilson_refuses_impossible_counts():
    with pytest.raises(ValueError):
        wilson(3, 0)
    with pytest.raises(ValueError):
        wilson(6, 5)


@given(st.integers(1, 5000), st.data())
def test_the_share_lies_inside_its_interval(n, data):
    k = data.draw(st.integers(0, n))
    s = share(k, n)
    assert s.low <= s.percent <= s.high
    assert 0 <= s.margin <= 50


def test_survey_value_needs_the_minimum_sample():
    survey = _cqtt().survey("HAILONG_DV")
    assert survey.min_sample == 30 and survey.min_sample_origin == "default" and survey.satisfied == (4, 5)
    below = indicator_fill(summarise(survey, _responses([5] * 29)))
    assert not below.ready and below.needed == 1 and below.value is None
    # 137 responses, 120 satisfied (4 or 5) on the overall question Q5
    answers = [5] * 70 + [4] * 50 + [3] * 10 + [2] * 5 + [1] * 2
    fill = indicator_fill(summarise(survey, _responses(answers)))
    assert fill.ready and fill.needed == 0 and fill.n == 137
    assert fill.value == Decimal("87.6")  # 120 / 137 = 87,59 %
    assert round(fill.margin) == 6  # shown “± 6 %”


def test_summary_counts_each_question_and_month():
    survey = _cqtt().survey("HAILONG_DV")
    responses = _responses([5, 4, 1], at=dt.datetime(2026, 4, 30, 17, 30, tzinfo=UTC), step=dt.timedelta(days=1))
    summary = summarise(survey, responses, tz=dt.timezone(dt.timedelta(hours=7)))
    assert summary.responses == 3 and summary.overall.satisfied == 2
    # 30/04 17:30 UTC is 01/05 00:30 in Hà Nội time: every response falls in May
    assert list(summary.by_month) == ["2026-05"]
    q5 = next(q for q in summary.questions if q.question.code == "Q5")
    assert q5.distribution == {1: 1, 2: 0, 3: 0, 4: 1, 5: 1}
    q2 = next(q for q in summary.questions if q.question.code == "Q2")
    assert q2.share.percent == 100.0 and q2.distribution == {True: 3, False: 0}
    assert all(q.question.type != "comment" for q in summary.questions)


def test_a_burst_from_one_network_is_flagged_and_spread_responses_are_not():
    t0 = dt.datetime(2026, 6, 1, 2, 0, tzinfo=UTC)
    burst = _responses([5] * 9, at=t0, step=dt.timedelta(seconds=40), network="net-a")
    spread = _responses([5] * 9, at=t0, step=dt.timedelta(hours=2), network="net-b")
    unknown = _responses([5] * 20, at=t0, step=dt.timedelta(seconds=5), network=None)
    found = find_bursts(burst + spread + unknown)
    assert [(b.network, b.count) for b in found] == [("net-a", 9)]


def _edited(edit) -> list[str]:
    data = yaml.safe_load((ROOT / "criteria" / "cqtt-v1.yaml").read_text(encoding="utf-8"))
    data = copy.deepcopy(data)
    edit(data["surveys"][0])
    _, errors = parse_text(yaml.safe_dump(data, allow_unicode=True), "x.yaml")
    return [e.message for e in errors]


def test_schema_refuses_a_survey_that_cannot_feed_its_indicator():
    assert any("a survey feeds a percent indicator" in m for m in _edited(lambda s: s.update(feeds="G1.1")))
    assert any("no indicator 'G9.9'" in m for m in _edited(lambda s: s.update(feeds="G9.9")))
    assert any("overall question cannot be a comment" in m for m in _edited(lambda s: s.update(overall="C1")))
    assert any("distinct values from 1 to 5" in m for m in _edited(lambda s: s.update(satisfied=[4, 6])))
    assert any("exactly five" in m for m in _edited(lambda s: s.update(scale_labels=["a", "b"])))
