"""Revoke / re-issue forms (a written reason is required)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import TextAreaField


class ReasonForm(FlaskForm):
    reason = TextAreaField(_l("Lý do"), render_kw={"rows": 2})
