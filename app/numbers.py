"""Numbers and dates on pages, in the UI language, with Babel (the parsing rule is in app.assessment.numbers).

Jinja filters kept under their old names: ``num`` (a computed score or percentage, rounded to two
decimals), ``answer`` (an answer exactly as stored), ``vndate`` (dd/mm/yyyy, datetimes as
dd/mm/yyyy HH:mm in BABEL_DEFAULT_TIMEZONE, Asia/Ho_Chi_Minh). Globals: ``number_hint()`` (the
one-line hint under number inputs) and ``threshold_text(indicator)``.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from flask import Flask
from flask_babel import format_date, format_datetime, get_locale
from flask_babel import gettext as _

from app.assessment.indicators import load_value
from app.assessment.numbers import format_number, format_rounded


def ui_locale() -> str:
    """'vi' or 'en': the language numbers are read and written in for the current user ('vi' outside an app)."""
    try:
        locale = get_locale()
    except RuntimeError:  # no app context
        return "vi"
    return "en" if locale is not None and locale.language == "en" else "vi"


def num(value: Any) -> str:
    """A computed number (points, a percentage) rounded to two decimals for the UI language; '—' for None."""
    if value is None or value == "":
        return "—"
    return format_rounded(value, ui_locale())


def answer(value: Any) -> str:
    """An answer as people read it: Có/Không, a number exactly as stored for the UI language, '—' when empty.

    Also takes a stored form ({"n": …} / {"v": …}) as kept in round snapshots.
    """
    if isinstance(value, dict):
        value = load_value(value)
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("Có") if value else _("Không")
    if isinstance(value, (int, float, Decimal)):
        return format_number(value, ui_locale())
    return str(value)


def vndate(value: dt.date | dt.datetime | None) -> str:
    """dd/mm/yyyy; a datetime as dd/mm/yyyy HH:mm in the app's time zone (naive datetimes are UTC)."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return format_datetime(value, "dd/MM/yyyy HH:mm")
    return format_date(value, "dd/MM/yyyy")


def number_hint() -> str:
    """The one-line hint under a number input: how to type decimals and thousands in the UI language."""
    return _("Dấu phẩy cho phần thập phân, ví dụ 62,5; dấu chấm ngăn hàng nghìn, ví dụ 10.000.")


def threshold_text(indicator: Any, year: int | None = None) -> str:
    """The indicator's rule for display ('≥ 70%', '≥ 1.000 người', or its bands) for the campaign `year`
    (roadmaps), numbers in the UI language."""
    from app.assessment.scoring import threshold_text as rule_text

    return rule_text(indicator, year, ui_locale())


def register(app: Flask) -> None:
    """Install the filters (num, answer, vndate) and globals (number_hint, threshold_text, ui_locale)."""
    app.jinja_env.filters.update(num=num, answer=answer, vndate=vndate)
    app.jinja_env.globals.update(number_hint=number_hint, threshold_text=threshold_text, ui_locale=ui_locale)
