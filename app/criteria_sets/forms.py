"""Forms of the "Bộ tiêu chí" pages: actions, retire, workbook upload, preview (built from the set), mapping."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import SelectField, StringField
from wtforms.fields.core import UnboundField
from wtforms.validators import Length

from app.assessment.criteria import CriteriaSet
from app.submissions.forms import build_group_form


class ActionForm(FlaskForm):
    """A button that changes state (publish): only the CSRF token."""


class RetireForm(FlaskForm):
    """Retire a version, with an optional reason (kept in the audit log)."""

    reason = StringField(_l("Lý do ngừng dùng (không bắt buộc)"), validators=[Length(max=500)])


class ImportForm(FlaskForm):
    """Upload a criteria workbook (.xlsx); it always becomes a new draft version."""

    workbook = FileField(_l("Tệp Excel bộ tiêu chí (.xlsx)"))
    replace_id = SelectField(_l("Tạo phiên bản mới hay thay một bản nháp"), coerce=lambda v: int(v) if v not in (None, "", "None") else None,
                             choices=[], validate_choice=False)


def build_preview_form(cset: CriteriaSet, years: list[int]) -> type[FlaskForm]:
    """One form with every group's questionnaire fields (the same fields officials get) and a year selector."""

    class PreviewForm(FlaskForm):
        year = SelectField(_l("Năm đánh giá (lộ trình)"), coerce=int, choices=[(y, str(y)) for y in years])

    for group in cset.groups:
        # Keep the group form class alive while reading its namespace: a class is a reference cycle, and if the
        # garbage collector frees it mid-loop CPython clears its __dict__, silently dropping that group's fields.
        group_form = build_group_form(group)
        for name, unbound in list(vars(group_form).items()):
            if isinstance(unbound, UnboundField) and name != "version":
                setattr(PreviewForm, name, unbound)
    return PreviewForm


def build_mapping_form(old_codes: list[str], choices: list[tuple[str, str]]) -> type[FlaskForm]:
    """A select per old indicator code (`map_<code>`): a new code, or "" for discontinued."""

    class MappingForm(FlaskForm):
        pass

    options = [("", _l("— không tiếp tục (bỏ chỉ tiêu) —"))] + choices
    for code in old_codes:
        setattr(MappingForm, "map_" + code, SelectField(code, choices=options, validate_choice=False))
    return MappingForm
