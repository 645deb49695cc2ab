"""Questionnaire forms built from criteria data (never hand-written per set).

`FIELD_BUILDERS` maps each indicator type name to a function creating its WTForms field; it has
the same keys as the indicator registry (a unit test checks this). Fields are named from the
indicator code (`ind_G1_2`), so drafts and diffs line up with the criteria file. Values are
parsed by the service, so fields here do not reject input on their own: the user's text comes
back with the service's message beside it.
"""

from __future__ import annotations

from collections.abc import Callable

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, Field, HiddenField, MultipleFileField, RadioField, StringField, TextAreaField

from app.assessment.criteria import Group, Indicator


def _boolean(ind: Indicator) -> Field:
    return RadioField(ind.text, choices=[("yes", _l("Có")), ("no", _l("Không"))], validate_choice=False)


def _numeric(ind: Indicator) -> Field:
    return StringField(ind.text, render_kw={"inputmode": "decimal", "autocomplete": "off"})


def _count(ind: Indicator) -> Field:
    return StringField(ind.text, render_kw={"inputmode": "numeric", "autocomplete": "off"})


def _choice(ind: Indicator) -> Field:
    return RadioField(ind.text, choices=[(str(o["value"]), o["label"]) for o in ind.options], validate_choice=False)


def _text(ind: Indicator) -> Field:
    return TextAreaField(ind.text, render_kw={"rows": 3})


FIELD_BUILDERS: dict[str, Callable[[Indicator], Field]] = {
    "boolean": _boolean,
    "percent": _numeric,
    "number": _numeric,
    "count": _count,
    "choice": _choice,
    "text": _text,
}


def build_group_form(group: Group) -> type[FlaskForm]:
    """A fresh form class for one group: value, explanation and files per indicator."""

    class GroupForm(FlaskForm):
        version = HiddenField()

    for ind in group.indicators:
        setattr(GroupForm, ind.field_name, FIELD_BUILDERS[ind.type](ind))
        setattr(GroupForm, ind.field_name + "_explanation", TextAreaField(_l("Giải trình"), render_kw={"rows": 2}))
        setattr(GroupForm, ind.field_name + "_files", MultipleFileField(_l("Tải minh chứng")))
        if ind.allow_na:
            setattr(GroupForm, ind.field_name + "_na", BooleanField(_l("Không áp dụng")))
    return GroupForm


class SubmitForm(FlaskForm):
    version = HiddenField()
