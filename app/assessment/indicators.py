"""Registry of indicator types: how an answer is parsed and compared with its threshold.

Each type is a class with a unique `name`; `@register` adds it to `INDICATOR_TYPES` and refuses
duplicates. Criteria files and stored rows name a type by that string only. Errors are raised as
`AnswerError(code, **params)` so the web layer can translate them.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, ClassVar

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

    def parse(self, raw: str | None, options: list[dict] | None = None) -> Any:
        """Turn the submitted text into a value; None (blank) means unanswered."""
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

    def to_raw(self, value: Any) -> str:
        """Render a stored value back into the text a form shows (Vietnamese decimal comma)."""
        if value is None:
            return ""
        if isinstance(value, float):
            return f"{value:g}".replace(".", ",")
        return str(value)


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


_NUMBER_RE = re.compile(r"^[+-]?\d+([.,]\d+)?$")


def _parse_decimal(raw: str) -> Decimal:
    text = raw.strip().replace("\u00a0", "").replace(" ", "")
    if text.endswith("%"):
        text = text[:-1]
    if not _NUMBER_RE.match(text):
        raise AnswerError("not_a_number", raw=raw)
    try:
        return Decimal(text.replace(",", "."))
    except InvalidOperation:  # pragma: no cover - the regex already rules this out
        raise AnswerError("not_a_number", raw=raw) from None


def _blank(raw: str | None) -> bool:
    return raw is None or str(raw).strip() == ""


def _num_out(value: Decimal) -> float | int:
    return int(value) if value == value.to_integral_value() else float(value)


@register
class BooleanType(IndicatorType):
    name = "boolean"
    operators = ("==",)
    TRUE = {"yes", "true", "1", "co", "có", "on"}
    FALSE = {"no", "false", "0", "khong", "không", "off"}

    def parse(self, raw, options=None):
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

    def to_raw(self, value):
        if value is None:
            return ""
        return "yes" if value else "no"


@register
class PercentType(IndicatorType):
    name = "percent"
    operators = (">=", ">", "==", "<=", "<")

    def parse(self, raw, options=None):
        if _blank(raw):
            return None
        value = _parse_decimal(str(raw))
        if value < 0 or value > 100:
            raise AnswerError("percent_range", raw=raw)
        return _num_out(value)

    def check_threshold_value(self, value, options=None):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 100:
            return "percent threshold must be a number from 0 to 100"
        return None


@register
class CountType(IndicatorType):
    name = "count"
    operators = (">=", ">", "==", "<=", "<")

    def parse(self, raw, options=None):
        if _blank(raw):
            return None
        value = _parse_decimal(str(raw))
        if value != value.to_integral_value():
            raise AnswerError("not_whole", raw=raw)
        if value < 0:
            raise AnswerError("negative", raw=raw)
        return int(value)

    def check_threshold_value(self, value, options=None):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            return "count threshold must be a whole number ≥ 0"
        return None


@register
class NumberType(IndicatorType):
    name = "number"
    operators = (">=", ">", "==", "<=", "<")

    def parse(self, raw, options=None):
        if _blank(raw):
            return None
        return _num_out(_parse_decimal(str(raw)))

    def check_threshold_value(self, value, options=None):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return "number threshold must be a number"
        return None


@register
class ChoiceType(IndicatorType):
    name = "choice"
    operators = ("in",)

    def parse(self, raw, options=None):
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

    def parse(self, raw, options=None):
        if _blank(raw):
            return None
        return str(raw).strip()

    def is_met(self, value, threshold):
        return bool(value)


def describe_threshold(threshold: Threshold | None, options: list[dict] | None = None) -> str:
    """A short text such as '≥ 70 %' or '≥ 1 lần/quý' for display beside an input."""
    if threshold is None:
        return ""
    if threshold.op == "in":
        labels = {str(o["value"]): o.get("label", o["value"]) for o in options or []}
        return " / ".join(str(labels.get(str(v), v)) for v in threshold.value)
    value = threshold.value
    if isinstance(value, bool):
        return "có" if value else "không"
    if isinstance(value, float):
        value = f"{value:g}".replace(".", ",")
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
