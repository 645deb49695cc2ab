"""Login and admin user forms."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, SelectField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from app.labels import ROLE
from app.params import coerce_int


class LoginForm(FlaskForm):
    username = StringField(_l("Tên đăng nhập"), validators=[DataRequired(message=_l("Vui lòng nhập tên đăng nhập."))])
    password = PasswordField(_l("Mật khẩu"), validators=[DataRequired(message=_l("Vui lòng nhập mật khẩu."))])


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


ROLE_CHOICES = list(ROLE.items())  # labels in app.labels


class UserForm(FlaskForm):
    username = StringField(_l("Tên đăng nhập"), validators=[DataRequired(message=_l("Vui lòng nhập tên đăng nhập.")), Length(max=80)])
    full_name = StringField(_l("Họ và tên"), validators=[Length(max=200)])
    email = StringField(_l("Thư điện tử (nhận bản sao thông báo, không bắt buộc)"), validators=[Length(max=255)])
    password = PasswordField(_l("Mật khẩu"), validators=[Optional()])
    role = SelectField(_l("Vai trò"), choices=ROLE_CHOICES)
    unit_id = SelectField(_l("Đơn vị (cho cán bộ đơn vị)"), coerce=lambda v: int(v) if v not in (None, "", "None") else None)
    scope_codes = MultiCheckboxField(_l("Bộ tiêu chí được thẩm định (cho cán bộ thẩm định)"), choices=[])
    owner_codes = MultiCheckboxField(_l("Bộ tiêu chí phụ trách (soạn, công bố phiên bản; cho cán bộ thẩm định hoặc người xem)"), choices=[])
    is_enabled = BooleanField(_l("Đang hoạt động"), default=True)


def _one_of(allowed: dict[str, object]):
    """A WTForms `coerce` for a GET filter: a key of `allowed` → its value ('' → None); anything else → ValueError
    (the field then has a process error, which app.params.warn_ignored_filters reports)."""

    def coerce(value: object) -> object:
        if value is None or value in ("", "None"):
            return None
        if isinstance(value, str) and value in allowed:
            return allowed[value]
        if value in allowed.values():
            return value
        raise ValueError("unknown choice")

    return coerce


class UserFilterForm(FlaskForm):
    """The users list's filter (GET, changes nothing): text search, role, unit, active or locked."""

    class Meta:
        csrf = False

    q = StringField(_l("Tìm theo tên, tên đăng nhập hoặc thư điện tử"), validators=[Length(max=100)])
    role = SelectField(_l("Vai trò"), coerce=_one_of({code: code for code, _label in ROLE_CHOICES}), validate_choice=False)
    unit_id = SelectField(_l("Đơn vị"), coerce=coerce_int(), validate_choice=False)
    active = SelectField(_l("Trạng thái"), coerce=_one_of({"1": True, "0": False}), validate_choice=False,
                         choices=[("", _l("Tất cả")), ("1", _l("Đang hoạt động")), ("0", _l("Đã khóa"))])


class PasswordChangeForm(FlaskForm):
    """"Đổi mật khẩu" for the logged-in user: the current password, then the new one twice."""

    current_password = PasswordField(_l("Mật khẩu hiện tại"), validators=[DataRequired(message=_l("Vui lòng nhập mật khẩu hiện tại."))])
    new_password = PasswordField(_l("Mật khẩu mới"), validators=[DataRequired(message=_l("Vui lòng nhập mật khẩu mới."))])
    confirm_password = PasswordField(_l("Nhập lại mật khẩu mới"), validators=[
        DataRequired(message=_l("Vui lòng nhập lại mật khẩu mới.")),
        EqualTo("new_password", message=_l("Hai lần nhập mật khẩu mới không giống nhau.")),
    ])


class EndSessionsForm(FlaskForm):
    """The admin's "Đăng xuất mọi nơi" button (CSRF token only)."""
