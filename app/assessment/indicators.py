"""Registry of indicator types: how an answer is parsed and compared with its threshold.

Each type is a class with a unique `name`; `@register` adds it to `INDICATOR_TYPES` and refuses
duplicates. Criteria files and stored rows name a type by that string only. Errors are raised as
`AnswerError(code, **params)` so the web layer can translate them.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, ClassVar

from .numbers import NumberError, canonical, format_number, parse_number, to_decimal

COMPARISONS: dict[str, Callable[[Any, Any], bool]] = {
    ">=": operator.ge,
    ">": operator.gt,
    "==": operator.eq,
    "<=": operator.le,
    "<": operator.lt,
}
#: Human-readable symbols for thresholds.
OP_SYMBOLS = {">=": "≥", ">": ">", "==": "=", "<=": "≤", "<": "<", "in": "∈"}


class AnswerError(ValueError):
    """An answer that cannot be accepted. `code` names the problem; `params` fill the message."""

    def __init__(self, code: str, **params: Any):
        super().__init__(code)
        self.code = code
        self.params = params


@dataclass(frozen=True)
class Threshold:
    """What 'met' means for one indicator."""

    op: str
    value: Any
    unit: str | None = None
    period: str | None = None


class IndicatorType:
    """Base class of indicator types."""

    name: ClassVar[str]
    #: Operators a threshold of this type may use.
    operators: ClassVar[tuple[str, ...]] = ()
    #: Whether this type needs a threshold at all.
    needs_threshold: ClassVar[bool] = True

    def parse(self, raw: str | None, options: list[dict] | None = None, locale: str | None = "vi") -> Any:
        """Turn the submitted text into a value; None (blank) means unanswered.

        `locale` ('vi' or 'en') is the UI language numbers are read in. Raises AnswerError.
        """
        raise NotImplementedError

    def check_threshold_value(self, value: Any, options: list[dict] | None = None) -> str | None:
        """Return an error text if the threshold value does not fit this type, else None."""
        return None

    def is_met(self, value: Any, threshold: Threshold | None) -> bool:
        if value is None:
            return False
        if threshold is None:
            return True
        return COMPARISONS[threshold.op](value, threshold.value)

    def to_raw(self, value: Any, locale: str | None = "vi") -> str:
        """Render a stored value back into the text a form shows ('' for None)."""
        if value is None:
            return ""
        return str(value)


class NumericType(IndicatorType):
    """Base of the number-valued types: values are exact Decimals, read and shown in the UI language."""

    operators = (">=", ">", "==", "<=", "<")

    def is_met(self, value: Any, threshold: Threshold | None) -> bool:
        """Compare exactly as decimals (a threshold of 0.1 in the file is the decimal 0.1, not the float)."""
        if value is None:
            return False
        if threshold is None:
            return True
        return COMPARISONS[threshold.op](to_decimal(value), to_decimal(threshold.value))

    def to_raw(self, value: Any, locale: str | None = "vi") -> str:
        """The number written for the locale exactly as stored: vi 12.345,678, en 12,345.678 ('' for None)."""
        return format_number(value, locale)


INDICATOR_TYPES: dict[str, IndicatorType] = {}


def register(cls: type[IndicatorType]) -> type[IndicatorType]:
    """Class decorator: add an indicator type to the registry; duplicate names are an error."""
    if cls.name in INDICATOR_TYPES:
        raise ValueError(f"indicator type {cls.name!r} registered twice")
    INDICATOR_TYPES[cls.name] = cls()
    return cls


def get_type(name: str) -> IndicatorType:
    try:
        return INDICATOR_TYPES[name]
    except KeyError:
        raise KeyError(f"unknown indicator type {name!r}") from None


def _blank(raw: str | None) -> bool:
    return raw is None or str(raw).strip() == ""


def _parse_decimal(raw: str, locale: str | None, *, percent: bool = False) -> Decimal:
    """Parse by the rule in app.assessment.numbers; its NumberError becomes an AnswerError with the same code."""
    try:
        return parse_number(raw, locale, allow_percent_sign=percent)
    except NumberError as exc:
        raise AnswerError(exc.code, **exc.params) from None


def dump_value(value: Any) -> dict | None:
    """The JSON stored for a parsed value: {"n": "12345.678"} for a number (exact decimal text),
    {"v": value} for anything else (bool, choice, text), None for unanswered."""
    if value is None:
        return None
    if isinstance(value, Decimal):
        return {"n": canonical(value)}
    return {"v": value}


def same_value(a: Any, b: Any) -> bool:
    """Whether two parsed values are the same answer (same type and equal: Decimal(1) is not True)."""
    return type(a) is type(b) and a == b


def load_value(stored: Any) -> Any:
    """A stored value back: a Decimal for numbers (also old rows holding JSON numbers, {"v": 12.5}),
    the plain value otherwise, None when unanswered or unreadable."""
    if not isinstance(stored, dict):
        return None
    if "n" in stored:
        try:
            return to_decimal(str(stored["n"]))
        except (TypeError, ValueError):
            return None
    value = stored.get("v")
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        try:
            return to_decimal(value)
        except ValueError:
            return None
    return value


@register
class BooleanType(IndicatorType):
    name = "boolean"
    operators = ("==",)
    TRUE = {"yes", "true", "1", "co", "có", "on"}
    FALSE = {"no", "false", "0", "khong", "không", "off"}

    def parse(self, raw, options=None, locale="vi"):
        if _blank(raw):
            return None
        text = str(raw).strip().lower()
        if text in self.TRUE:
            return True
        if text in self.FALSE:
            return False
        raise AnswerError("not_a_choice", raw=raw)

    def check_threshold_value(self, value, options=None):
        return None if isinstance(value, bool) else "threshold value must be true or false"

    def to_raw(self, value, locale="vi"):
        if value is None:
            return ""
        return "yes" if value else "no"


@register
class PercentType(NumericType):
    """A percentage in [0, 100], any number of decimals (a trailing "%" is allowed)."""

    name = "percent"

    def parse(self, raw, options=None, locale="vi"):
        if _blank(raw):
            return None
        value = _parse_decimal(str(raw), locale, percent=True)
        if value < 0 or value > 100:
            raise AnswerError("percent_range", raw=raw)
        return value

    def check_threshold_value(self, value, options=None):
        if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)) or not 0 <= value <= 100:
            return "percent threshold must be a number from 0 to 100"
        return None


@register
class CountType(NumericType):
    """A whole number ≥ 0 (at most numbers.MAX_DIGITS digits)."""

    name = "count"

    def parse(self, raw, options=None, locale="vi"):
        if _blank(raw):
            return None
        value = _parse_decimal(str(raw), locale)
        if value != value.to_integral_value():
            raise AnswerError("not_whole", raw=raw)
        if value < 0:
            raise AnswerError("negative", raw=raw)
        return value

    def check_threshold_value(self, value, options=None):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            return "count threshold must be a whole number ≥ 0"
        return None


@register
class NumberType(NumericType):
    """Any finite number, negative allowed (at most numbers.MAX_DIGITS digits)."""

    name = "number"

    def parse(self, raw, options=None, locale="vi"):
        if _blank(raw):
            return None
        return _parse_decimal(str(raw), locale)

    def check_threshold_value(self, value, options=None):
        if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
            return "number threshold must be a number"
        return None


@register
class ChoiceType(IndicatorType):
    name = "choice"
    operators = ("in",)

    def parse(self, raw, options=None, locale="vi"):
        if _blank(raw):
            return None
        allowed = {str(o["value"]) for o in options or []}
        text = str(raw).strip()
        if text not in allowed:
            raise AnswerError("not_a_choice", raw=raw)
        return text

    def check_threshold_value(self, value, options=None):
        allowed = {str(o["value"]) for o in options or []}
        if not isinstance(value, list) or not value:
            return "choice threshold must be a non-empty list of option values"
        unknown = [v for v in value if str(v) not in allowed]
        return f"threshold names unknown options {unknown}" if unknown else None

    def is_met(self, value, threshold):
        if value is None:
            return False
        return threshold is None or value in {str(v) for v in threshold.value}


@register
class TextType(IndicatorType):
    name = "text"
    needs_threshold = False

    def parse(self, raw, options=None, locale="vi"):
        if _blank(raw):
            return None
        return str(raw).strip()

    def is_met(self, value, threshold):
        return bool(value)


def describe_threshold(threshold: Threshold | None, options: list[dict] | None = None, locale: str | None = "vi") -> str:
    """A short text such as '≥ 70%', '≥ 1.000 người' or '≥ 1 lần/quý' for display beside an input.

    Numbers are written for `locale` ('vi' or 'en') exactly as in the criteria file.
    """
    if threshold is None:
        return ""
    if threshold.op == "in":
        labels = {str(o["value"]): o.get("label", o["value"]) for o in options or []}
        return " / ".join(str(labels.get(str(v), v)) for v in threshold.value)
    value = threshold.value
    if isinstance(value, bool):
        return "có" if value else "không"
    if isinstance(value, (int, float, Decimal)):
        value = format_number(value, locale)
    text = f"{OP_SYMBOLS[threshold.op]} {value}"
    if threshold.unit:
        text += f" {threshold.unit}" if threshold.unit != "%" else "%"
    if threshold.period:
        text += f"/{threshold.period}"
    return text


@dataclass
class ParsedAnswer:
    """An answer parsed by its type: `value` or `error` (an AnswerError), never both."""

    value: Any = None
    error: AnswerError | None = None
    extra: dict = field(default_factory=dict)
