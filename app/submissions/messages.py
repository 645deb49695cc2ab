"""Translated messages for answer, upload and scoring reason codes from the pure core."""

from __future__ import annotations

from typing import Any

from babel.numbers import format_decimal as babel_format_decimal
from flask_babel import format_decimal
from flask_babel import gettext as _

from app.assessment.indicators import OP_SYMBOLS, AnswerError
from app.assessment.scoring import AnswerInput, Failure, IndicatorResult
from app.submissions.uploads import UploadError, accepted_labels


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
    formats = ", ".join(accepted_labels(p.get("kinds", ())))
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
        "bad_type": _("Tệp “%(name)s” không phải loại tệp được nhận (kiểm tra theo nội dung tệp). Chỉ tiêu này nhận: %(formats)s.",
                      name=filename, formats=formats),
        "kind_not_allowed": _("Tệp “%(name)s” là %(found)s; chỉ tiêu này chỉ nhận: %(formats)s.", name=filename,
                              found=p.get("found", "?"), formats=formats),
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


#: The comparison that holds when a threshold `op` is NOT met (2 < 3 against "≥ 3").
_FAILED_OP = {">=": "<", ">": "≤", "<=": ">", "<": "≥", "==": "≠"}


def _value_text(indicator: Any, value: Any, locale: str) -> str:
    """An answer written for the locale: a number exactly as typed (with % for a percent), Có/Không, a choice's label."""
    from app.assessment.numbers import format_number

    if isinstance(value, bool):
        return _("Có") if value else _("Không")
    if indicator.type in ("percent", "count", "number"):
        return format_number(value, locale) + ("%" if indicator.type == "percent" else "")
    if indicator.type == "choice":
        labels = {str(o["value"]): o.get("label", o["value"]) for o in indicator.options}
        return f"“{labels.get(str(value), value)}”"
    return f"“{_shown(value)}”"


def value_against_rule(indicator: Any, value: Any, met: bool, points: float | None, max_points: float | None,
                       year: int | None, locale: str = "vi") -> str:
    """The answer set against the indicator's rule, e.g. '2 < 3: chưa đạt ngưỡng ≥ 3 kênh', '4 ≥ 3: đạt ngưỡng ≥ 3 kênh',
    'trả lời “Không”, cần “Có”', or for graded points '45% → 1/2 điểm (thang: …)'. Numbers are written for `locale`."""
    from app.assessment.numbers import format_number
    from app.assessment.scoring import threshold_text

    rule = threshold_text(indicator, year, locale)
    shown = _value_text(indicator, value, locale)
    if indicator.graded:
        return _("%(answer)s → %(points)s/%(max)s điểm (thang điểm: %(rule)s)", answer=shown,
                 points=format_number(points or 0, locale), max=format_number(max_points or 0, locale), rule=rule)
    threshold = indicator.threshold_for(year)
    if threshold is None or indicator.type == "text":
        return _("đã trả lời") if met else _("chưa trả lời")
    if indicator.type == "boolean":
        wanted = _("Có") if threshold.value else _("Không")
        if met:
            return _("trả lời “%(answer)s”: đạt yêu cầu", answer=shown)
        return _("trả lời “%(answer)s”, cần “%(wanted)s”", answer=shown, wanted=wanted)
    if indicator.type == "choice" or threshold.op == "in":
        if met:
            return _("đã chọn %(answer)s: đạt yêu cầu", answer=shown)
        return _("đã chọn %(answer)s; cần: %(rule)s", answer=shown, rule=rule)
    required = format_number(threshold.value, locale) + ("%" if indicator.type == "percent" else "")
    if met:
        return _("%(answer)s %(op)s %(required)s: đạt ngưỡng %(rule)s", answer=shown, op=OP_SYMBOLS.get(threshold.op, threshold.op),
                 required=required, rule=rule)
    return _("%(answer)s %(op)s %(required)s: chưa đạt ngưỡng %(rule)s", answer=shown, op=_FAILED_OP.get(threshold.op, "≠"),
             required=required, rule=rule)


def why_not_met(indicator: Any, result: IndicatorResult | None, answer: AnswerInput | None, year: int | None,
                locale: str | None = None) -> list[str]:
    """Why an indicator is not met (or what it still lacks), one short phrase each, in the UI language.

    Takes the criteria Indicator, its IndicatorResult (None → []), the official's AnswerInput (None: no
    answer) and the campaign year. Gives the value against the threshold ('2 < 3: chưa đạt ngưỡng ≥ 3 kênh'),
    missing required evidence (after the value that did meet the threshold, so '4 ≥ 3' is not read as a
    scoring error), a missing explanation where one is required, and for a condition that it fails the whole
    set. Empty for a met indicator that lacks nothing.
    """
    from app.assessment.scoring import needs_explanation
    from app.numbers import ui_locale

    if result is None:
        return []
    locale = locale or ui_locale()
    answer = answer or AnswerInput()
    explained = bool(answer.explanation.strip())
    if result.not_applicable:
        return [] if explained else [_("chưa ghi giải trình vì sao không áp dụng (bắt buộc)")]
    out: list[str] = []
    reasons = list(result.reasons)
    if "unanswered" in reasons:
        out.append(_("chưa trả lời"))
    if "na_not_allowed" in reasons:
        out.append(reason_text("na_not_allowed"))
    if result.answered:
        value_failed = "below_threshold" in reasons or "partial_points" in reasons
        if value_failed or "evidence_missing" in reasons:
            if indicator.graded and not value_failed:
                from app.assessment.scoring import graded_points

                points = float(graded_points(indicator, answer.value))
            else:
                points = result.points
            out.append(value_against_rule(indicator, answer.value, not value_failed, points, result.max_points, year, locale))
    if "evidence_missing" in reasons:
        if result.answered and not any(r in reasons for r in ("below_threshold", "partial_points")):
            out.append(_("nhưng thiếu minh chứng bắt buộc (chưa tải tệp nào) nên chưa được tính điểm"))
        else:
            out.append(_("thiếu minh chứng bắt buộc (chưa tải tệp nào)"))
    if needs_explanation(indicator, result) and not explained:
        out.append(_("chưa ghi giải trình (bắt buộc khi chưa đạt)") if not result.met else _("chưa ghi giải trình (bắt buộc)"))
    if result.condition and not result.met:
        out.append(_("đây là điều kiện bắt buộc: chưa đạt thì cả bộ tiêu chí chưa đạt"))
    return out


def answer_shown(indicator: Any, answer: AnswerInput | None, locale: str | None = None) -> str:
    """An official's answer as read on the result and confirmation pages: the number as typed (with % for a
    percent), Có/Không, a choice's label, the text; 'Không áp dụng'; '—' when unanswered."""
    from app.numbers import ui_locale

    if answer is None or (answer.value is None and not answer.not_applicable):
        return "—"
    if answer.not_applicable:
        return _("Không áp dụng")
    if indicator.type == "text":
        return str(answer.value)
    return _value_text(indicator, answer.value, locale or ui_locale()).strip("“”")
