"""Campaign creation form."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, SelectField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange
from wtforms.widgets import CheckboxInput, ListWidget, TextInput

from app.units.models import UNIT_TYPES


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class CampaignForm(FlaskForm):
    name = StringField(_l("Tên đợt đánh giá"), validators=[DataRequired(message=_l("Vui lòng nhập tên đợt đánh giá.")), Length(max=255)])
    criteria_version_id = SelectField(_l("Bộ tiêu chí (phiên bản)"), coerce=int)
    year = IntegerField(_l("Năm đánh giá"), validators=[InputRequired(message=_l("Vui lòng nhập năm.")), NumberRange(2000, 2100, message=_l("Năm không hợp lệ."))])
    opens_on = DateField(_l("Ngày mở (dd/mm/yyyy)"), widget=TextInput(), render_kw={"placeholder": "dd/mm/yyyy"}, format=["%d/%m/%Y", "%Y-%m-%d"],
                         validators=[InputRequired(message=_l("Vui lòng nhập ngày theo dạng dd/mm/yyyy."))])
    closes_on = DateField(_l("Ngày đóng (dd/mm/yyyy)"), widget=TextInput(), render_kw={"placeholder": "dd/mm/yyyy"}, format=["%d/%m/%Y", "%Y-%m-%d"],
                          validators=[InputRequired(message=_l("Vui lòng nhập ngày theo dạng dd/mm/yyyy."))])
    scope_unit_types = MultiCheckboxField(_l("Phạm vi: loại đơn vị"), choices=[(k, v) for k, v in UNIT_TYPES.items()])
    unit_ids = SelectMultipleField(_l("Hoặc chọn từng đơn vị"), coerce=int, choices=[])
