"""Forms of the admin token screen."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional
from wtforms.widgets import TextInput

from app.params import coerce_int
from app.review.forms import DATE_FORMATS


class IssueTokenForm(FlaskForm):
    """Issue a token: to whom, what for, until when (optional, a local date; the token ends at the start of that day)."""

    user_id = SelectField(_l("Cấp cho người dùng"), coerce=coerce_int(), validators=[DataRequired()])
    name = StringField(_l("Mục đích (ví dụ: Cổng dữ liệu thành phố)"), validators=[DataRequired(), Length(max=120)])
    expires_on = DateField(_l("Hết hạn từ ngày (dd/mm/yyyy, không bắt buộc)"), widget=TextInput(),
                           render_kw={"placeholder": "dd/mm/yyyy"}, format=DATE_FORMATS, validators=[Optional()])


class RevokeTokenForm(FlaskForm):
    """The "Thu hồi" button (CSRF token only)."""
