"""Templates' gettext without Flask-Babel's per-call lookups (a page calls it a hundred times or more).

Flask-Babel's Jinja callables find the domain, the request's locale and the translations catalogue again on every
call (several `g` lookups and a locale-to-string conversion each). `install(app)` replaces them with callables that
find the catalogue once per request and locale, and reuse it: the same catalogue Flask-Babel would return
(`flask_babel.get_translations()`), the same locale (`flask_babel.get_locale()`, so `force_locale` and a locale
change mid-request are honoured: a different Locale object means a fresh look-up). Without an application context
they fall back to Flask-Babel's own look-up. pgettext/npgettext stay Flask-Babel's. Newstyle gettext (autoescaping, `%(name)s` variables) is
Jinja's, as before.
"""

from __future__ import annotations

from typing import Any

import flask_babel
from flask import Flask, g


def _translations() -> Any:
    """The request's catalogue for the current locale (cached on `g` with the Locale object it belongs to)."""
    locale = flask_babel.get_locale()
    cached = g.get("_jinja_translations")
    if cached is not None and cached[0] is locale:
        return cached[1]
    translations = flask_babel.get_translations()
    g._jinja_translations = (locale, translations)
    return translations


def gettext(string: str) -> str:
    """`string` translated for the current locale (Jinja's newstyle wrapper applies escaping and `%` variables)."""
    if not g:  # no application context: Flask-Babel's own fallback (NullTranslations)
        return flask_babel.get_translations().ugettext(string)
    return _translations().ugettext(string)


def ngettext(singular: str, plural: str, num: int) -> str:
    """The singular or plural form for `num`, translated (Jinja's wrapper applies `%` variables and `num`)."""
    if not g:
        return flask_babel.get_translations().ungettext(singular, plural, num)
    return _translations().ungettext(singular, plural, num)


def install(app: Flask) -> None:
    """Make `app`'s templates use these callables (call after Babel's init_app)."""
    app.jinja_env.install_gettext_callables(gettext, ngettext, newstyle=True)
