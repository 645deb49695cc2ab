"""Whole numbers from URLs, query strings and form fields, checked against a range before they reach a query.

An id of 2**63, a page of -1 or a year of 10**400 must give a 404 or a message, never a 500 (a database
integer overflows at 2**31 or 2**63; Python refuses int() of more than 4300 digits). One rule for all:
only ASCII digits (``"²".isdigit()`` is true but ``int("²")`` fails), at most ten of them, and a range.

- ``BoundedIntConverter`` replaces Flask's ``int`` URL converter: ``<int:id>`` matches 0 … MAX_ID only,
  so anything else is a 404 before the view runs.
- ``parse_int`` / ``int_arg`` read a text / a query parameter; ``coerce_int`` is a WTForms coerce.
"""

from __future__ import annotations

import builtins
import re

from flask import Flask, request
from werkzeug.routing import IntegerConverter, Map, ValidationError

#: Largest id accepted anywhere (PostgreSQL INTEGER; ids of this app are 32-bit serials).
MAX_ID = 2**31 - 1
#: Years a filter or a campaign may name.
MIN_YEAR, MAX_YEAR = 1900, 2999
_DIGITS = re.compile(r"[0-9]{1,10}")


def parse_int(value: object, minimum: int = 0, maximum: int = MAX_ID) -> int | None:
    """`value` as an int when it is 1–10 ASCII digits within [minimum, maximum], else None.

    Takes a str (surrounding spaces allowed) or an int; anything else (None, floats, '-1', '1e3',
    'NaN', '²', 10 000 characters) gives None. Never raises.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and _DIGITS.fullmatch(value.strip()):
        number = int(value.strip())
    else:
        return None
    return number if minimum <= number <= maximum else None


def int_arg(name: str, default: int | None = None, minimum: int = 0, maximum: int = MAX_ID) -> int | None:
    """The query parameter `name` of the current request as a checked int, or `default` when absent or invalid."""
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    number = parse_int(raw, minimum, maximum)
    return default if number is None else number


def int_list(values: list[str], minimum: int = 0, maximum: int = MAX_ID) -> list[int]:
    """The valid ints among form values (e.g. checked ids); invalid ones are dropped."""
    numbers = (parse_int(v, minimum, maximum) for v in values)
    return [n for n in numbers if n is not None]


def coerce_int(minimum: int = 0, maximum: int = MAX_ID):
    """A WTForms `coerce` for optional whole-number choices: '' / 'None' → None, an int in range → int,
    anything else → ValueError (the field then has an error and no data)."""

    def coerce(value: object) -> int | None:
        if value is None or value in ("", "None"):
            return None
        number = parse_int(value, minimum, maximum)
        if number is None:
            raise ValueError("out of range")
        return number

    return coerce


def warn_ignored_filters(form) -> list[str]:
    """Flash a message for each filter field of a GET form whose value could not be read (e.g. a year of
    10**20 or a campaign id of -1); such a filter is ignored. Returns the fields' labels."""
    from flask import flash
    from flask_babel import gettext as _

    labels = [str(field.label.text) for field in form if getattr(field, "process_errors", None)]
    for label in labels:
        flash(_("Bộ lọc “%(label)s” có giá trị không hợp lệ nên đã được bỏ qua.", label=label), "error")
    return labels


class BoundedIntConverter(IntegerConverter):
    """Flask's ``int`` converter with a ceiling: ``<int:x>`` matches only 0 … MAX_ID (``max=`` may lower it)."""

    def __init__(self, map: Map, fixed_digits: int = 0, min: int | None = None, max: int | None = None,
                 signed: bool = False) -> None:
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=MAX_ID if max is None else builtins.min(max, MAX_ID), signed=signed)

    def to_python(self, value: str):
        """The int, or ValidationError (→ 404) for non-ASCII digits or more than ten digits."""
        if not _DIGITS.fullmatch(value.lstrip("-")):
            raise ValidationError()
        return super().to_python(value)


def register(app: Flask) -> None:
    """Install BoundedIntConverter as ``int``; call before any blueprint adds its routes."""
    app.url_map.converters["int"] = BoundedIntConverter
