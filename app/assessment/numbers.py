"""Numbers as people type and read them, in the UI language (pure: Babel only, the locale is passed in).

Parsing and formatting use Babel (`parse_decimal(..., strict=True)`, `format_decimal(...,
decimal_quantization=False)`). Values are `decimal.Decimal`, never floats, so what the user typed is
what is stored and shown back.

The rule (``locale`` is the UI language; ``vi``: "," is the decimal mark and "." groups thousands;
``en``: the reverse):

1. Spaces around the text are ignored. A space (also no-break or thin space) between digits counts as
   the locale's thousands separator, so it must separate groups of exactly three digits. A trailing
   "%" is allowed only where the caller says so (percent fields).
2. Only ASCII digits, ".", "," and one leading "+" or "-" are accepted. Letters, exponents (``1e5``),
   ``NaN``, ``Infinity``, underscores and other scripts' digits are refused (code ``not_a_number``).
   Otherwise, more than 40 characters is refused as too long (code ``too_long``).
3. **Ambiguous input is refused** (code ``ambiguous``): a number written with the locale's decimal
   mark followed by exactly three digits, an integer part of one to three digits not starting with
   0, and no thousands separator — vi ``1,500``, ``12,345``, ``1,000``; en ``1.500`` — reads as a
   decimal in the UI language but as thousands in the other one. The message names both readings
   and how to type each (vi: "gõ 1,5 … hoặc 1500 / 1.500 …"). Not ambiguous: ``12345,678`` (an
   English thousands group has at most three digits), ``0,500``, ``1.234,567``, ``1,5``.
4. The text is parsed strictly in the UI language (groups of exactly three digits). vi ``10.000`` is
   10000, ``1.500`` is 1500, ``1.200`` is 1200, ``12345,678`` is 12345.678, ``1.234.567,5`` is
   1234567.5; en mirrors it (``10,000``, ``1,500``, ``12345.678``).
5. Text that is not a number in the UI language but is one in the other convention is refused with
   that reading written the right way (code ``other_convention``): vi ``1.5`` → "gõ 1,5";
   vi ``1,234,567.5`` → "gõ 1.234.567,5"; en ``62,5`` → "type 62.5".
6. At most ``MAX_DIGITS`` (15) digits: integer digits without leading zeros plus decimal digits
   without trailing zeros (code ``too_long``).
7. Numbers are written back with ``format_decimal`` exactly (no rounding, never scientific):
   vi ``12.345,678``, ``1.234.567,5``. A value whose plain form would itself be ambiguous by rule 3 gets
   one trailing zero, so what is shown can always be saved again unchanged: 1.234 is shown ``1,2340``
   in vi and ``1.2340`` in en.
8. Values are stored canonically: a plain decimal string, no exponent, no trailing decimal zeros
   (``canonical(Decimal("1.50")) == "1.5"``), so saving the shown value again stores the same text.

Errors are raised as `NumberError(code, **params)`; the web layer words them.
"""

from __future__ import annotations

import functools
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from babel.numbers import NumberFormatError, format_decimal, get_decimal_symbol, get_group_symbol, parse_decimal

#: Most significant digits a typed number may have (integer digits + decimal digits).
MAX_DIGITS = 15
#: Longest text accepted as a number, in characters (after trimming).
MAX_CHARS = 40
#: Spaces that may separate thousands groups (space, no-break space, narrow no-break space, thin space).
_SPACES = "\u0020\u00a0\u202f\u2009"
_ALLOWED = re.compile(r"^[+-]?[0-9.,]+$")
_SPACE_GROUPS = re.compile(r"(?<=\d)[" + _SPACES + r"](?=\d)")


class NumberError(ValueError):
    """A text that is not accepted as a number. `code` names the problem; `params` fill the message.

    Codes: not_a_number, too_long (params ``max_digits``), ambiguous (params ``local``, ``other``,
    ``other_plain``: the two readings written in the UI language, and the second as plain digits),
    other_convention (params ``suggestion``: the reading written the UI language's way).
    Every error carries ``raw`` (the user's text).
    """

    def __init__(self, code: str, **params: Any):
        super().__init__(code)
        self.code = code
        self.params = params


def _lang(locale: str | None) -> str:
    """'vi' or 'en' from a locale name such as 'vi', 'en_US' or None (→ 'vi')."""
    text = str(locale or "vi").replace("-", "_").split("_")[0].lower()
    return "en" if text == "en" else "vi"


def other_locale(locale: str | None) -> str:
    """The other supported number convention: 'en' for 'vi' and the reverse."""
    return "en" if _lang(locale) == "vi" else "vi"


def symbols(locale: str | None) -> tuple[str, str]:
    """(decimal mark, thousands separator) of the locale, e.g. (',', '.') for 'vi'."""
    lang = _lang(locale)
    return get_decimal_symbol(lang), get_group_symbol(lang)


def to_decimal(value: Any) -> Decimal | None:
    """A stored or computed number as a Decimal (None stays None).

    Takes Decimal, int, float (via its shortest repr, so 12345.7 → Decimal('12345.7')) or a decimal
    string such as '12345.678'. Raises TypeError for a bool or any other type, ValueError for a
    string that is not a finite decimal.
    """
    if value is None:
        return None
    if isinstance(value, bool):
        raise TypeError("a bool is not a number")
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, float):
        result = Decimal(repr(value))
    elif isinstance(value, str):
        try:
            result = Decimal(value.strip())
        except InvalidOperation:
            raise ValueError(f"not a decimal: {value!r}") from None
    else:
        raise TypeError(f"not a number: {type(value).__name__}")
    if not result.is_finite():
        raise ValueError(f"not a finite number: {value!r}")
    return result


def canonical(value: Decimal) -> str:
    """The stored text of a number: plain notation, no exponent, no trailing decimal zeros ('-0' → '0')."""
    if value == 0:
        return "0"
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def normalise(value: Decimal) -> Decimal:
    """The value with the same digits as its canonical text (1.50 → 1.5, 1E+3 → 1000)."""
    return Decimal(canonical(value))


def digit_count(value: Decimal) -> int:
    """Integer digits without leading zeros plus decimal digits without trailing zeros."""
    integer, _sep, fraction = canonical(abs(value)).partition(".")
    return len(integer.lstrip("0")) + len(fraction)


def format_number(value: Any, locale: str | None) -> str:
    """A number written for the locale, exactly (no rounding, never scientific): vi 12.345,678, en 12,345.678.

    Takes anything `to_decimal` takes; None gives ''.
    """
    number = to_decimal(value)
    if number is None:
        return ""
    number = normalise(number)
    if number.is_finite():  # pages write the same few numbers (points, thresholds, percentages) over and over
        return _written(number, _lang(locale))
    return _write(number, _lang(locale))


def _write(number: Decimal, lang: str) -> str:
    text = format_decimal(number, locale=lang, decimal_quantization=False)
    if _ambiguous(text, symbols(lang)[0]):  # 1.234 is written 1,2340 (vi): "1,234" would be refused as ambiguous
        text += "0"
    return text


#: `_write` remembered for the numbers pages write most (Babel parses the locale and pattern on every call).
#: Keys are normalised finite Decimals (equal ones have the same digits, so the same text) and 'vi' or 'en'.
_written = functools.lru_cache(maxsize=4096)(_write)


def format_rounded(value: Any, locale: str | None, places: int = 2) -> str:
    """A computed number (score, percentage) rounded to `places` decimals and written for the locale."""
    number = to_decimal(value)
    if number is None:
        return ""
    return format_number(round(number, places), locale)


def _ambiguous(text: str, decimal_mark: str) -> bool:
    return re.fullmatch(r"[+-]?[1-9]\d{0,2}" + re.escape(decimal_mark) + r"\d{3}", text) is not None


def _strict(text: str, lang: str) -> Decimal | None:
    """Babel's strict reading of `text` in `lang` (the sign handled here, the same in both), or None."""
    negative = text.startswith("-")
    body = text[1:] if text[:1] in "+-" else text
    try:
        value = parse_decimal(body, locale=lang, strict=True)
    except (NumberFormatError, InvalidOperation, ValueError):
        return None
    return -value if negative else value


def parse_number(raw: str, locale: str | None, *, allow_percent_sign: bool = False) -> Decimal:
    """Parse a typed number by the module's rule; returns a normalised finite Decimal.

    Raises NumberError (codes: not_a_number, too_long, ambiguous, other_convention). Blank text is the
    caller's business (it is refused here as not_a_number).
    """
    lang = _lang(locale)
    decimal_mark, group_mark = symbols(lang)
    text = str(raw).strip(_SPACES + "\t\r\n")
    if allow_percent_sign and text.endswith("%"):
        text = text[:-1].rstrip(_SPACES)
    text = _SPACE_GROUPS.sub(group_mark, text)
    if not _ALLOWED.match(text):
        raise NumberError("not_a_number", raw=raw)
    if len(text) > MAX_CHARS:
        raise NumberError("too_long", raw=raw, max_digits=MAX_DIGITS)
    if _ambiguous(text, decimal_mark):
        local = normalise(Decimal(text.replace(decimal_mark, ".")))
        other = Decimal(text.replace(decimal_mark, ""))  # the other convention reads the mark as a thousands separator
        raise NumberError("ambiguous", raw=raw, local=format_number(local, lang), other=format_number(other, lang),
                          other_plain=canonical(other))
    value = _strict(text, lang)
    if value is None:
        other_value = _strict(text, other_locale(lang))
        if other_value is not None and other_value.is_finite():
            raise NumberError("other_convention", raw=raw, suggestion=format_number(other_value, lang))
        raise NumberError("not_a_number", raw=raw)
    if not value.is_finite():  # pragma: no cover - letters are refused above
        raise NumberError("not_a_number", raw=raw)
    value = normalise(value)
    if digit_count(value) > MAX_DIGITS:
        raise NumberError("too_long", raw=raw, max_digits=MAX_DIGITS)
    return value
