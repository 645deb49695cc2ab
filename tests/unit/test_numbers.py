"""Numbers typed and shown in the UI language (app.assessment.numbers and the numeric indicator types).

Each example of issue 11 part 1 is here with its right value; the property test checks that every value
a numeric indicator can hold is written and read back unchanged, in Vietnamese and in English.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.assessment.indicators import AnswerError, Threshold, describe_threshold, dump_value, get_type, load_value, same_value
from app.assessment.numbers import MAX_DIGITS, NumberError, canonical, format_number, parse_number

D = Decimal


# ------------------------------------------------------------------ the issue's examples, by type


@pytest.mark.parametrize(
    ("type_name", "raw", "expected"),
    [
        ("count", "10.000", D(10000)),  # was stored as 10
        ("number", "1.500", D(1500)),  # was stored as 1,5
        ("count", "1.200", D(1200)),  # was refused as "not a whole number"
        ("number", "12345,678", D("12345.678")),  # was stored as 12345.7
        ("number", "1234567,5", D("1234567.5")),  # came back as 1,23457e+06
        ("number", "1.234.567,5", D("1234567.5")),
        ("count", "10 000", D(10000)),  # a space between groups of three is a thousands separator
        ("percent", "62,5", D("62.5")),
        ("percent", "62,5 %", D("62.5")),
        ("number", "-2,5", D("-2.5")),
        ("number", "0,500", D("0.5")),  # an English thousands group never starts with 0: not ambiguous
        ("count", "1,0", D(1)),
    ],
)
def test_vietnamese_numbers_are_read_as_vietnamese_write_them(type_name, raw, expected):
    value = get_type(type_name).parse(raw, locale="vi")
    assert isinstance(value, Decimal)
    assert value == expected


@pytest.mark.parametrize(
    ("type_name", "raw", "expected"),
    [
        ("count", "10,000", D(10000)), ("number", "1,500", D(1500)), ("count", "1,200", D(1200)),
        ("number", "12345.678", D("12345.678")), ("number", "1,234,567.5", D("1234567.5")), ("percent", "62.5", D("62.5")),
        ("number", "+1,500", D(1500)), ("number", "-1,500", D(-1500)),
    ],
)
def test_english_numbers_mirror_the_rule(type_name, raw, expected):
    assert get_type(type_name).parse(raw, locale="en") == expected


@pytest.mark.parametrize(
    ("value", "vi", "en"),
    [
        (D("12345.678"), "12.345,678", "12,345.678"),
        (D("1234567.5"), "1.234.567,5", "1,234,567.5"),
        (D(10000), "10.000", "10,000"),
        (D("0.000001"), "0,000001", "0.000001"),
        (D("999999999999999"), "999.999.999.999.999", "999,999,999,999,999"),
        (D("1.50"), "1,5", "1.5"),
        (D("1.234"), "1,2340", "1.2340"),  # "1,234" would be refused as ambiguous: one trailing zero keeps it exact and typeable
        (12345.7, "12.345,7", "12,345.7"),  # an old float row
    ],
)
def test_numbers_are_shown_exactly_never_in_scientific_notation(value, vi, en):
    assert format_number(value, "vi") == vi
    assert format_number(value, "en") == en
    assert "e" not in vi.lower() and "e" not in en.lower()


def test_round_trip_of_the_issue_examples():
    number = get_type("number")
    for raw, shown in (("12345,678", "12.345,678"), ("1234567,5", "1.234.567,5")):
        value = number.parse(raw, locale="vi")
        assert number.to_raw(value, "vi") == shown
        assert number.parse(shown, locale="vi") == value
        assert dump_value(value) == {"n": canonical(value)}
    assert dump_value(number.parse("12345,678", locale="vi")) == {"n": "12345.678"}
    assert dump_value(number.parse("1234567,5", locale="vi")) == {"n": "1234567.5"}


# ------------------------------------------------------------------ ambiguous and wrong-convention input is refused


@pytest.mark.parametrize(
    ("locale", "raw", "local", "other", "plain"),
    [
        ("vi", "1,500", "1,5", "1.500", "1500"),
        ("vi", "12,345", "12,3450", "12.345", "12345"),
        ("vi", "1,000", "1", "1.000", "1000"),
        ("vi", "-1,500", "-1,5", "-1.500", "-1500"),
        ("en", "1.500", "1.5", "1,500", "1500"),
    ],
)
def test_ambiguous_input_is_refused_naming_both_readings(locale, raw, local, other, plain):
    with pytest.raises(NumberError) as info:
        parse_number(raw, locale)
    assert info.value.code == "ambiguous"
    assert info.value.params == {"raw": raw, "local": local, "other": other, "other_plain": plain}


def test_ambiguous_count_is_refused_too():
    with pytest.raises(AnswerError) as info:
        get_type("count").parse("1,500", locale="vi")
    assert info.value.code == "ambiguous"


@pytest.mark.parametrize(
    ("locale", "raw", "suggestion"),
    [
        ("vi", "1.5", "1,5"), ("vi", "62.5", "62,5"), ("vi", "1,234,567.5", "1.234.567,5"), ("vi", "12345.678", "12.345,678"),
        ("en", "1,5", "1.5"), ("en", "62,5", "62.5"), ("en", "1.234.567,5", "1,234,567.5"),
    ],
)
def test_the_other_convention_is_refused_with_the_right_spelling(locale, raw, suggestion):
    with pytest.raises(NumberError) as info:
        parse_number(raw, locale)
    assert info.value.code == "other_convention"
    assert info.value.params["suggestion"] == suggestion


@pytest.mark.parametrize("raw", ["NaN", "sNaN", "Infinity", "-Infinity", "1e999", "1e5", "1_000", "１２", "١٢", "0x10", "1..5", "--1",
                                 "1-", "12 34", "a" * 10000, "\x00", "1\x002"])
def test_non_numbers_are_refused(raw):
    with pytest.raises(NumberError) as info:
        parse_number(raw, "vi")
    assert info.value.code in ("not_a_number", "other_convention")


@pytest.mark.parametrize("raw", ["9" * (MAX_DIGITS + 1), "1" + "0" * 400, "0," + "1" * (MAX_DIGITS + 1)])
def test_too_many_digits_are_refused_naming_the_limit(raw):
    with pytest.raises(NumberError) as info:
        parse_number(raw, "vi")
    assert info.value.code == "too_long"
    assert info.value.params["max_digits"] == 15


def test_fifteen_digits_are_accepted():
    assert get_type("count").parse("9" * 15, locale="vi") == D("9" * 15)


# ------------------------------------------------------------------ domains


@pytest.mark.parametrize(
    ("type_name", "raw", "code"),
    [
        ("count", "-1", "negative"), ("count", "2,5", "not_whole"), ("count", "1" + "0" * 399, "too_long"),
        ("percent", "100,5", "percent_range"), ("percent", "-0,1", "percent_range"), ("percent", "1.500", "percent_range"),
        ("count", "NaN", "not_a_number"), ("number", "Infinity", "not_a_number"),
    ],
)
def test_values_outside_their_domain_are_refused(type_name, raw, code):
    with pytest.raises(AnswerError) as info:
        get_type(type_name).parse(raw, locale="vi")
    assert info.value.code == code


# ------------------------------------------------------------------ storage


def test_numbers_are_stored_as_exact_decimal_text_and_read_back_as_decimals():
    assert dump_value(D("12345.678")) == {"n": "12345.678"}
    assert dump_value(D("1E+4")) == {"n": "10000"}
    assert load_value({"n": "12345.678"}) == D("12345.678")
    assert isinstance(load_value({"n": "10000"}), Decimal)
    assert dump_value(True) == {"v": True} and load_value({"v": True}) is True
    assert load_value({"v": "a"}) == "a"
    assert dump_value(None) is None and load_value(None) is None


def test_old_rows_holding_json_numbers_still_read():
    assert load_value({"v": 12345.7}) == D("12345.7")
    assert load_value({"v": 10}) == D(10)
    assert isinstance(load_value({"v": 10}), Decimal)
    assert load_value({"v": False}) is False  # a bool is not a number


def test_same_value_tells_a_number_from_a_bool():
    assert same_value(D(1), D("1.0"))
    assert not same_value(D(1), True)
    assert not same_value(None, D(0))


def test_thresholds_compare_as_decimals():
    number = get_type("number")
    assert number.is_met(D("0.1"), Threshold(">=", 0.1))  # the float 0.1 is a little above 1/10
    assert get_type("percent").is_met(D("70"), Threshold(">=", 70))
    assert not get_type("percent").is_met(D("69.99"), Threshold(">=", 70))


def test_thresholds_are_written_for_the_locale():
    assert describe_threshold(Threshold(">=", 1000, "người"), locale="vi") == "≥ 1.000 người"
    assert describe_threshold(Threshold(">=", 1000, "người"), locale="en") == "≥ 1,000 người"
    assert describe_threshold(Threshold(">=", 62.5, "%"), locale="vi") == "≥ 62,5%"
    assert describe_threshold(Threshold(">=", 62.5, "%"), locale="en") == "≥ 62.5%"


# ------------------------------------------------------------------ property: format then parse gives the same value

_COUNTS = st.integers(min_value=0, max_value=10**MAX_DIGITS - 1).map(Decimal)
_PERCENTS = st.integers(min_value=0, max_value=12).flatmap(
    lambda places: st.decimals(min_value=0, max_value=100, places=places, allow_nan=False, allow_infinity=False))
_NUMBERS = st.integers(min_value=0, max_value=8).flatmap(
    lambda places: st.decimals(min_value=-(10**6), max_value=10**6, places=places, allow_nan=False, allow_infinity=False))
DOMAINS = {"count": _COUNTS, "percent": _PERCENTS, "number": _NUMBERS}


@pytest.mark.parametrize("locale", ["vi", "en"])
@pytest.mark.parametrize("type_name", sorted(DOMAINS))
def test_format_then_parse_gives_the_same_value(type_name, locale):
    kind = get_type(type_name)

    @given(DOMAINS[type_name])
    def check(value):
        shown = kind.to_raw(value, locale)
        back = kind.parse(shown, locale=locale)
        assert back == value
        assert canonical(back) == canonical(value)
        assert kind.to_raw(back, locale) == shown  # showing it again changes nothing either

    check()
