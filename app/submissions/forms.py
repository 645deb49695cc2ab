"""Questionnaire forms built from criteria data (never hand-written per set).

`FIELD_BUILDERS` maps each indicator type name to a function creating its WTForms field; it has
the same keys as the indicator registry (a unit test checks this). Fields are named from the
indicator code (`ind_G1_2`), so drafts and diffs line up with the criteria file. Values are
parsed by the service, so fields here do not reject input on their own: the user's text comes
back with the service's message beside it.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
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


#: Form classes of the groups seen lately: id(group) → (group, class). The group is kept with its class, so the id
#: cannot be reused by another group while the entry lives; bounded (least recently used out first).
_GROUP_FORMS: OrderedDict[int, tuple[Group, type[FlaskForm]]] = OrderedDict()
_GROUP_FORMS_MAX = 256
_GROUP_FORMS_LOCK = threading.Lock()


def group_form_class(group: Group) -> type[FlaskForm]:
    """The form class of `group`, built once per group object (`build_group_form`) and reused by every request.

    Criteria sets are immutable and cached per checksum (CriteriaVersion.criteria), so the same Group object comes
    back on every request for the same set, and its class with it: no class is built (and collected) per request.
    The class is only ever instantiated, never changed. Keeps at most 256 classes (a preview of an uploaded
    workbook builds new Group objects each time). Returns the class; raises what `build_group_form` raises.
    """
    key = id(group)
    with _GROUP_FORMS_LOCK:
        cached = _GROUP_FORMS.get(key)
        if cached is not None and cached[0] is group:
            _GROUP_FORMS.move_to_end(key)
            return cached[1]
    form_cls = build_group_form(group)
    with _GROUP_FORMS_LOCK:
        _GROUP_FORMS[key] = (group, form_cls)
        _GROUP_FORMS.move_to_end(key)
        while len(_GROUP_FORMS) > _GROUP_FORMS_MAX:
            _GROUP_FORMS.popitem(last=False)
    return form_cls


class SubmitForm(FlaskForm):
    version = HiddenField()
