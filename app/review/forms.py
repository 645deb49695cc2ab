"""Review forms: queue filter, appraisal (built from criteria data), return, approve, reject, decision."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import DateField, Field, HiddenField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import Optional
from wtforms.widgets import TextInput

from app.assessment.criteria import CriteriaSet
from app.params import coerce_int
from app.submissions.forms import FIELD_BUILDERS

DATE_FORMATS = ["%d/%m/%Y", "%Y-%m-%d"]


class QueueFilterForm(FlaskForm):
    class Meta:
        csrf = False  # a GET filter, changes nothing

    campaign_id = SelectField(_l("Đợt đánh giá"), coerce=coerce_int(), validate_choice=False)
    set_code = SelectField(_l("Bộ tiêu chí"), validate_choice=False)
    unit_type = SelectField(_l("Loại đơn vị"), validate_choice=False)
    status = SelectField(_l("Trạng thái"), validate_choice=False)
    deadline = SelectField(_l("Hạn"), choices=[("", _l("Tất cả")), ("overdue", _l("Quá hạn")), ("week", _l("Đến hạn trong 7 ngày"))],
                           validate_choice=False)


def build_appraisal_form(cset: CriteriaSet) -> type[FlaskForm]:
    """Per indicator: appraised value (same input as the official's), met/not met, points, comment, return reason."""

    class AppraisalForm(FlaskForm):
        version = HiddenField()

    for ind in cset.indicators:
        name = ind.field_name
        value_field: Field = FIELD_BUILDERS[ind.type](ind)
        value_field.args = (_l("Giá trị thẩm định"), *value_field.args[1:])
        setattr(AppraisalForm, name, value_field)
        setattr(AppraisalForm, name + "_agree", RadioField(_l("Kết quả tự chấm"), choices=[("agree", _l("Đồng ý")), ("disagree", _l("Không đồng ý"))],
                                                           default="agree", validate_choice=False))
        setattr(AppraisalForm, name + "_met", RadioField(_l("Kết luận"), choices=[("", _l("theo giá trị")), ("met", _l("Đạt")), ("not_met", _l("Chưa đạt"))],
                                                         default="", validate_choice=False))
        setattr(AppraisalForm, name + "_points", StringField(_l("Điểm thẩm định"), render_kw={"inputmode": "decimal"}))
        setattr(AppraisalForm, name + "_comment", TextAreaField(_l("Nhận xét"), render_kw={"rows": 2}))
        setattr(AppraisalForm, name + "_return", TextAreaField(_l("Lý do trả lại (để trống nếu không trả lại chỉ tiêu này)"), render_kw={"rows": 2}))
    return AppraisalForm


class ReturnForm(FlaskForm):
    version = HiddenField()
    deadline = DateField(_l("Hạn gửi lại (dd/mm/yyyy)"), widget=TextInput(), render_kw={"placeholder": "dd/mm/yyyy"}, format=DATE_FORMATS, validators=[Optional()])


class ApproveForm(FlaskForm):
    version = HiddenField()
    note = TextAreaField(_l("Ghi chú duyệt"), render_kw={"rows": 2})


class RejectForm(FlaskForm):
    version = HiddenField()
    reason = TextAreaField(_l("Lý do không chấp thuận"), render_kw={"rows": 3})


class ReopenForm(FlaskForm):
    reason = TextAreaField(_l("Lý do mở lại"), render_kw={"rows": 2})


class CampaignReopenForm(FlaskForm):
    until = DateField(_l("Cho phép thay đổi đến ngày (dd/mm/yyyy)"), widget=TextInput(), render_kw={"placeholder": "dd/mm/yyyy"}, format=DATE_FORMATS, validators=[Optional()])
    reason = TextAreaField(_l("Lý do mở lại"), render_kw={"rows": 2})


class DecisionForm(FlaskForm):
    number = StringField(_l("Số quyết định"))
    decided_on = DateField(_l("Ngày quyết định (dd/mm/yyyy)"), widget=TextInput(), render_kw={"placeholder": "dd/mm/yyyy"}, format=DATE_FORMATS, validators=[Optional()])
    signer_name = StringField(_l("Người ký"))
    signer_title = StringField(_l("Chức vụ người ký"))
    issuing_body = StringField(_l("Cơ quan ban hành"))
    scan = FileField(_l("Bản quét quyết định (PDF, không bắt buộc)"))


class AuditFilterForm(FlaskForm):
    class Meta:
        csrf = False

    action = SelectField(_l("Hành động"), choices=[], validate_choice=False)  # choices: app.audit.services.action_choices
    actor = StringField(_l("Người thực hiện (tên đăng nhập)"))
    date_from = DateField(_l("Từ ngày"), widget=TextInput(), render_kw={"placeholder": "dd/mm/yyyy"}, format=DATE_FORMATS, validators=[Optional()])
    date_to = DateField(_l("Đến ngày"), widget=TextInput(), render_kw={"placeholder": "dd/mm/yyyy"}, format=DATE_FORMATS, validators=[Optional()])
