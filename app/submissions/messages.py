"""Translated messages for answer, upload and scoring reason codes from the pure core."""

from __future__ import annotations

from babel.numbers import format_decimal as babel_format_decimal
from flask_babel import format_decimal
from flask_babel import gettext as _

from app.assessment.indicators import AnswerError
from app.assessment.scoring import Failure
from app.submissions.uploads import UploadError


def _shown(raw: object, limit: int = 40) -> str:
    """The user's text for a message, cut to `limit` characters (a 10 000-digit paste is not echoed whole)."""
    text = "" if raw is None else str(raw)
    return text if len(text) <= limit else text[:limit] + "…"


def answer_error(exc: AnswerError) -> str:
    """The message for an AnswerError (or a NumberError) in the UI language, naming what was typed."""
    raw = _shown(exc.params.get("raw", ""))
    p = exc.params
    messages = {
        "not_a_number": _("“%(raw)s” không phải là một số. Hãy nhập số, ví dụ 85 hoặc 85,5.", raw=raw),
        "too_long": _("Số “%(raw)s” quá dài: tối đa %(n)s chữ số.", raw=raw, n=p.get("max_digits", "")),
        "ambiguous": _("“%(raw)s” có hai cách hiểu: %(local)s (cách viết tiếng Việt) hoặc %(other)s (cách viết tiếng Anh). "
                       "Hãy gõ %(local)s nếu ý bạn là %(local)s, hoặc %(plain)s / %(other)s nếu ý bạn là %(other)s.",
                       raw=raw, local=p.get("local", ""), other=p.get("other", ""), plain=p.get("other_plain", "")),
        "other_convention": _("“%(raw)s” không đúng cách viết số tiếng Việt (dấu phẩy cho phần thập phân, dấu chấm ngăn hàng nghìn "
                              "theo nhóm ba chữ số). Nếu ý bạn là %(s)s, hãy gõ %(s)s.", raw=raw, s=p.get("suggestion", "")),
        "percent_range": _("Tỷ lệ phải nằm trong khoảng từ 0 đến 100%% (bạn nhập “%(raw)s”).", raw=raw),
        "not_whole": _("Số lần phải là số nguyên (bạn nhập “%(raw)s”).", raw=raw),
        "negative": _("Số lần không được là số âm (bạn nhập “%(raw)s”).", raw=raw),
        "not_a_choice": _("Lựa chọn “%(raw)s” không hợp lệ.", raw=raw),
    }
    return messages.get(exc.code, _("Giá trị không hợp lệ."))


def upload_error(exc: UploadError, filename: str) -> str:
    """The sentence for a refused file, naming it and (for size and count refusals) the limit."""
    p = exc.params
    messages = {
        "empty": _("Tệp “%(name)s” rỗng.", name=filename),
        "too_large": _("Tệp “%(name)s” vượt quá giới hạn %(limit)s MB mỗi tệp nên CHƯA được lưu.", name=filename,
                       limit=format_decimal(p.get("limit_mb", 0))),
        "write_failed": _("Tệp “%(name)s” CHƯA được lưu vì máy chủ không ghi được tệp (ổ đĩa đầy hoặc lỗi ghi). "
                          "Câu trả lời và giải trình vẫn được lưu; hãy chọn lại tệp và thử lại sau, hoặc báo quản trị viên.",
                          name=filename),
        "too_many_files": _("Tệp “%(name)s” CHƯA được lưu: mỗi chỉ tiêu nhận tối đa %(limit)s tệp minh chứng. "
                            "Hãy xóa bớt tệp cũ hoặc gộp các trang vào một tệp PDF.", name=filename, limit=p.get("limit", "")),
        "submission_total": _("Tệp “%(name)s” CHƯA được lưu: tổng minh chứng của phiếu đã dùng %(used)s MB, giới hạn mỗi phiếu "
                              "là %(limit)s MB. Hãy xóa bớt tệp không cần thiết hoặc nén/giảm độ phân giải bản quét.",
                              name=filename, used=format_decimal(p.get("used_mb", 0)), limit=format_decimal(p.get("limit_mb", 0))),
        "bad_type": _("Tệp “%(name)s” không phải PDF, ảnh (PNG, JPEG), DOCX hoặc XLSX (kiểm tra theo nội dung tệp).", name=filename),
        "kind_not_allowed": _("Chỉ tiêu này chỉ nhận minh chứng loại: %(kinds)s (tệp “%(name)s”).", name=filename, kinds=exc.params.get("kinds", "")),
        "bad_archive": _("Tệp “%(name)s” bị hỏng hoặc có cấu trúc không an toàn.", name=filename),
    }
    return messages.get(exc.code, _("Tệp “%(name)s” không hợp lệ.", name=filename))


def _vn(value: float | None) -> str:
    if value is None:
        return "—"
    return babel_format_decimal(value, format="#,##0.##", locale="vi_VN")


def vn_number(value: float | None) -> str:
    """A number as Vietnamese write it, at most two decimals ('62,5', '10.000'); '—' for None."""
    return _vn(value)


def failure_text(failure: Failure) -> str:
    """Explain a failed rule with its figures: which rule, the value, the mark and the shortfall."""
    params = {"code": failure.code, "actual": _vn(failure.actual), "required": _vn(failure.required), "short": _vn(failure.shortfall)}
    texts = {
        "overall_percent": _("tổng điểm %(actual)s%% dưới mức đạt %(required)s%% (thiếu %(short)s điểm phần trăm)", **params),
        "total_points": _("tổng điểm %(actual)s dưới mức đạt %(required)s điểm (thiếu %(short)s điểm)", **params),
        "group_minimum": _("nhóm %(code)s đạt %(actual)s%%, dưới mức tối thiểu %(required)s%% (thiếu %(short)s điểm phần trăm)", **params),
        "core": _("chỉ tiêu cốt lõi %(code)s chưa đạt", **params),
        "condition": _("điều kiện bắt buộc %(code)s chưa đạt", **params),
    }
    return texts.get(failure.rule, failure.reason)


def reason_text(reason: str | Failure | dict) -> str:
    """Explain an indicator or set reason code (or a Failure, or its stored dict) in words."""
    if isinstance(reason, dict) and "rule" in reason:
        reason = Failure(**reason)
    if isinstance(reason, Failure):
        return failure_text(reason)
    kind, _sep, code = reason.partition(":")
    texts = {
        "unanswered": _("chưa trả lời"),
        "below_threshold": _("chưa đạt ngưỡng"),
        "partial_points": _("đạt một phần điểm"),
        "evidence_missing": _("thiếu minh chứng bắt buộc"),
        "na_not_allowed": _("chỉ tiêu này không được chọn “Không áp dụng”"),
        "overall_below": _("tổng điểm dưới mức đạt"),
        "points_below": _("tổng điểm dưới mức đạt"),
        "group_failed": _("nhóm %(code)s chưa đạt", code=code),
        "core_not_met": _("chỉ tiêu cốt lõi %(code)s chưa đạt", code=code),
        "condition_not_met": _("điều kiện bắt buộc %(code)s chưa đạt", code=code),
    }
    return texts.get(kind, reason)
