"""The public survey form, built from a survey definition, and the reviewer's exclusion form."""

from __future__ import annotations

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from app.assessment.criteria import Survey

from .services import COMMENT_MAX


def _english() -> bool:
    return str(get_locale() or "vi").startswith("en")


def build_public_form(survey: Survey) -> type[FlaskForm]:
    """A form class with a field per question (`scale5`/`yes_no` radios, an optional comment), a honeypot and a start stamp.

    Only the overall question is required: a citizen may skip the others. Labels follow the UI
    language (the survey's `en` texts in English).
    """
    en = _english()

    class PublicSurveyForm(FlaskForm):
        #: Signed time the form was shown (itsdangerous); too quick a reply is refused.
        started = HiddenField()
        #: Honeypot: hidden from people (CSS and aria-hidden); a filled value marks a robot.
        website = StringField(_l("Để trống ô này"), validators=[Optional(), Length(max=200)])

    labels = survey.scale_labels_en if en else survey.scale_labels_vi
    for q in survey.questions:
        text = (q.text_en or q.text_vi) if en else q.text_vi
        required = [InputRequired(message=_l("Hãy chọn một mức trả lời cho câu này."))] if q.code == survey.overall else [Optional()]
        if q.type == "scale5":
            choices = [(str(i), f"{i} – {label}") for i, label in enumerate(labels, start=1)]
            field = RadioField(text, choices=choices, validators=required)
        elif q.type == "yes_no":
            field = RadioField(text, choices=[("yes", _l("Có")), ("no", _l("Không"))], validators=required)
        else:
            field = TextAreaField(text, validators=[Optional(), Length(max=COMMENT_MAX, message=_l("Góp ý dài quá %(max)d ký tự; hãy rút gọn."))],
                                  render_kw={"rows": 3, "maxlength": COMMENT_MAX})
        setattr(PublicSurveyForm, "q_" + q.code.replace(".", "_"), field)
    return PublicSurveyForm


def field_name(code: str) -> str:
    """The form field name of a question code (`Q1` → `q_Q1`)."""
    return "q_" + code.replace(".", "_")


class ExcludeForm(FlaskForm):
    """Exclude one flagged burst: which (network key and start, from the flag) and why."""

    network = HiddenField(validators=[DataRequired(), Length(max=64)])
    start = HiddenField(validators=[DataRequired(), Length(max=40)])
    reason = TextAreaField(_l("Lý do loại (ghi vào nhật ký)"), validators=[DataRequired(message=_l("Hãy ghi lý do loại các phản hồi này.")),
                                                                            Length(max=500)])
