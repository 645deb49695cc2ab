"""Indicator types: parsing, thresholds, registry."""

from __future__ import annotations

import pytest

from app.assessment.indicators import INDICATOR_TYPES, AnswerError, IndicatorType, Threshold, describe_threshold, get_type, register


@pytest.mark.parametrize(
    ("type_name", "raw", "expected"),
    [
        ("boolean", "yes", True), ("boolean", "no", False), ("boolean", "", None),
        ("percent", "85", 85), ("percent", "85,5", 85.5), ("percent", "0", 0), ("percent", "100%", 100),
        ("count", "3", 3), ("count", " 12 ", 12), ("number", "-2,5", -2.5),
        ("text", "  mô tả ", "mô tả"), ("text", "   ", None),
    ],
)
def test_parse_accepts(type_name, raw, expected):
    assert get_type(type_name).parse(raw) == expected


@pytest.mark.parametrize(
    ("type_name", "raw", "code"),
    [
        ("percent", "abc", "not_a_number"), ("percent", "120", "percent_range"), ("percent", "-1", "percent_range"),
        ("count", "-3", "negative"), ("count", "2,5", "not_whole"), ("count", "mười", "not_a_number"),
        ("boolean", "maybe", "not_a_choice"), ("number", "1e5", "not_a_number"),
    ],
)
def test_parse_rejects_with_code(type_name, raw, code):
    with pytest.raises(AnswerError) as info:
        get_type(type_name).parse(raw)
    assert info.value.code == code


def test_choice_needs_known_option():
    options = [{"value": "a", "label": "A"}, {"value": "b", "label": "B"}]
    assert get_type("choice").parse("a", options) == "a"
    with pytest.raises(AnswerError):
        get_type("choice").parse("c", options)
    assert get_type("choice").is_met("a", Threshold("in", ["a"]))
    assert not get_type("choice").is_met("b", Threshold("in", ["a"]))


def test_thresholds_compare_exactly_on_the_boundary():
    pct = get_type("percent")
    assert pct.is_met(70, Threshold(">=", 70))
    assert not pct.is_met(69.9, Threshold(">=", 70))
    assert not pct.is_met(85, Threshold(">", 85))
    assert get_type("count").is_met(0, Threshold("<=", 0))
    assert not get_type("count").is_met(None, Threshold(">=", 0))


def test_registry_refuses_duplicates():
    class Dup(IndicatorType):
        name = "percent"

    with pytest.raises(ValueError, match="registered twice"):
        register(Dup)
    assert set(INDICATOR_TYPES) == {"boolean", "percent", "count", "number", "choice", "text"}


def test_describe_threshold():
    assert describe_threshold(Threshold(">=", 1, "lần", "tuần")) == "≥ 1 lần/tuần"
    assert describe_threshold(Threshold(">=", 70, "%")) == "≥ 70%"
    assert describe_threshold(Threshold("==", True)) == "có"
    assert describe_threshold(None) == ""
