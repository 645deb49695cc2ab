"""Report filter form (GET) and export request form."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField

from app.params import MAX_YEAR, MIN_YEAR, coerce_int

from .ranking import SORTS


class ReportFilterForm(FlaskForm):
    class Meta:
        csrf = False  # GET filter, changes nothing

    set_code = SelectField(_l("Bộ tiêu chí"), validate_choice=False)
    year = SelectField(_l("Năm"), coerce=coerce_int(MIN_YEAR, MAX_YEAR), validate_choice=False)
    unit_type = SelectField(_l("Loại đơn vị"), validate_choice=False)
    sort = SelectField(_l("Sắp xếp"), choices=list(zip(SORTS, [_l("Điểm cao → thấp"), _l("Điểm thấp → cao"), _l("Tên đơn vị")], strict=True)),
                       validate_choice=False)


class ExportForm(FlaskForm):
    fmt = HiddenField()
    set_code = HiddenField()
    year = HiddenField()
    unit_type = HiddenField()
