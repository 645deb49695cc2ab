"""Every code the application stores, with the words a person reads instead — in one place.

A code family is a dict {code: lazy Vietnamese label}; the English text is the label's translation in
app/translations/en. Pages use the Jinja filter ``label`` (``{{ user.role|label('role') }}``), Python
uses :func:`label`. A code no family knows is shown as it is (never an error), so a new code shows up
plainly rather than breaking a page — tests/unit/test_labels.py fails when a model's code has no label.

Also here: :func:`score_reason` (the stored score-history reason "round 2" in words), :func:`short_hash`
and :func:`localised` (a criteria text in the UI language, Vietnamese when the file has no English).
"""

from __future__ import annotations

import re
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

UNIT_TYPE = {
    "city": _l("Thành phố"),
    "xa": _l("Xã"),
    "phuong": _l("Phường"),
    "dac_khu": _l("Đặc khu"),
    "department": _l("Sở, ban, ngành"),
    "school": _l("Trường học"),
    "youth_branch": _l("Chi đoàn"),
    "health_facility": _l("Cơ sở y tế"),
    "association": _l("Tổ chức chính trị - xã hội, hội"),
    "enterprise": _l("Doanh nghiệp"),
}
ROLE = {
    "official": _l("Cán bộ đơn vị"),
    "reviewer": _l("Cán bộ thẩm định thành phố"),
    "viewer": _l("Người xem (toàn thành phố, chỉ đọc)"),
    "admin": _l("Quản trị viên"),
}
SUBMISSION_STATUS = {
    "draft": _l("Đang soạn"), "submitted": _l("Đã gửi"), "in_review": _l("Đang thẩm định"), "returned": _l("Trả lại bổ sung"),
    "resubmitted": _l("Đã gửi lại"), "approved": _l("Đã duyệt"), "rejected": _l("Không chấp thuận"), "recognised": _l("Đã công nhận"),
}
#: Steps of the submission workflow (app.workflow.states), as a verb.
WORKFLOW_ACTION = {
    "submit": _l("gửi phiếu"), "start_review": _l("nhận thẩm định"), "return": _l("trả lại bổ sung"), "resubmit": _l("gửi lại"),
    "approve": _l("duyệt"), "reject": _l("không chấp thuận"), "recognise": _l("công nhận"), "reopen": _l("mở lại"),
}
#: Stored status of a criteria version, and its derived state ("in_use" once a campaign uses it).
VERSION_STATUS = {
    "draft": _l("nháp"),
    "published": _l("đã công bố (chưa dùng)"),
    "in_use": _l("đang dùng"),
    "retired": _l("ngừng dùng"),
}
#: Campaign state as derived from its dates (a campaign has no stored status).
CAMPAIGN_STATUS = {"upcoming": _l("Chưa mở"), "open": _l("Đang mở"), "reopened": _l("Đã mở lại"), "closed": _l("Đã đóng")}
JOB_STATUS = {"queued": _l("đang chờ"), "running": _l("đang tạo"), "done": _l("xong"), "failed": _l("lỗi")}
JOB_KIND = {"report": _l("Báo cáo")}
#: ScoreEvent.kind
SCORE_KIND = {"self": _l("tự chấm"), "appraised": _l("thẩm định"), "final": _l("cuối cùng")}
NOTIFICATION_KIND = {
    "submitted": _l("Phiếu được gửi"), "resubmitted": _l("Phiếu được gửi lại"), "returned": _l("Phiếu bị trả lại"),
    "approved": _l("Phiếu được duyệt"), "rejected": _l("Phiếu không được chấp thuận"), "recognised": _l("Được công nhận"),
    "deadline": _l("Sắp đến hạn"), "campaign_closing": _l("Đợt sắp đóng"), "reopened": _l("Phiếu được mở lại"),
}
CERTIFICATE_STATUS = {"valid": _l("Còn hiệu lực"), "revoked": _l("Đã thu hồi"), "superseded": _l("Đã được thay thế")}
EVIDENCE_KIND = {"pdf": _l("PDF"), "image": _l("ảnh"), "docx": _l("Word (DOCX)"), "xlsx": _l("Excel (XLSX)")}
INDICATOR_TYPE = {
    "boolean": _l("Có/Không"), "percent": _l("Tỷ lệ (%)"), "count": _l("Số lượng"), "number": _l("Số"),
    "choice": _l("Chọn một"), "text": _l("Văn bản"),
}
ORIGIN = {"seed": _l("theo văn bản Đề án"), "proposed": _l("đề xuất")}
NUMBER_ORIGIN = {"seed": _l("văn bản Đề án"), "default": _l("mặc định"), "official": _l("văn bản chính thức")}
SCORING_METHOD = {"weighted_percent": _l("điểm có trọng số"), "total_points": _l("tổng điểm")}
TARGET_METRIC = {"recognised_share": _l("tỷ lệ đơn vị được công nhận"), "recognised_count": _l("số đơn vị được công nhận")}
AUDIT_ACTION = {
    "submission.submit": _l("Gửi phiếu tự đánh giá"),
    "submission.resubmit": _l("Gửi lại phiếu sau bổ sung"),
    "submission.start_review": _l("Nhận thẩm định phiếu"),
    "submission.return": _l("Trả lại phiếu để bổ sung"),
    "submission.approve": _l("Duyệt phiếu"),
    "submission.reject": _l("Không chấp thuận phiếu"),
    "submission.recognise": _l("Công nhận đạt chuẩn"),
    "submission.reopen": _l("Mở lại phiếu đã khóa"),
    "score.appraise": _l("Thẩm định chỉ tiêu"),
    "review.signoff": _l("Ký xác nhận nhóm đã thẩm định"),
    "campaign.reopen": _l("Mở lại đợt đánh giá"),
    "campaign.assign_groups": _l("Phân công nhóm thẩm định"),
    "decision.create": _l("Ghi quyết định công nhận"),
    "certificate.issue": _l("Cấp giấy chứng nhận"),
    "certificate.revoke": _l("Thu hồi giấy chứng nhận"),
    "certificate.reissue": _l("Cấp lại giấy chứng nhận"),
    "admin.create": _l("Tạo quản trị viên"),
    "admin.login": _l("Quản trị viên đăng nhập"),
    "user.password_change": _l("Đổi mật khẩu"),
    "user.end_sessions": _l("Đăng xuất mọi nơi"),
    "user.criteria_owner": _l("Đổi bộ tiêu chí phụ trách"),
    "evidence.upload": _l("Tải lên minh chứng"),
    "evidence.remove": _l("Xóa minh chứng"),
    "criteria.draft_create": _l("Tạo bản nháp bộ tiêu chí"),
    "criteria.draft_replace": _l("Thay nội dung bản nháp bộ tiêu chí"),
    "criteria.publish": _l("Công bố phiên bản bộ tiêu chí"),
    "criteria.retire": _l("Ngừng dùng phiên bản bộ tiêu chí"),
    "criteria.map_codes": _l("Ánh xạ mã chỉ tiêu giữa hai phiên bản"),
    "survey.exclude": _l("Loại nhóm phản hồi khảo sát bất thường"),
    "api_token.issue": _l("Cấp mã truy cập API"),
    "api_token.revoke": _l("Thu hồi mã truy cập API"),
    "api.request": _l("Gọi API (chỉ đọc)"),
}
#: Keys of AuditEntry.detail.
AUDIT_DETAIL = {
    "old": _l("trước"), "new": _l("sau"), "self_score": _l("điểm tự chấm"), "final": _l("điểm thẩm định"),
    "note": _l("ghi chú"), "reason": _l("lý do"), "indicators": _l("chỉ tiêu"), "indicator": _l("chỉ tiêu"),
    "deadline": _l("hạn"), "decision": _l("quyết định"), "met": _l("kết luận"), "points": _l("điểm"),
    "group": _l("nhóm"), "round": _l("lần gửi"), "until": _l("mở đến"), "number": _l("số"), "units": _l("đơn vị"),
    "pairs": _l("phân công"), "replaces": _l("thay thế"), "username": _l("tên đăng nhập"), "via": _l("qua"),
    "ip": _l("địa chỉ IP"), "file": _l("tệp"), "sha256": _l("mã băm SHA-256"), "size": _l("dung lượng"),
    "before": _l("trước"), "after": _l("sau"), "code": _l("bộ tiêu chí"), "version": _l("phiên bản"),
    "source": _l("nguồn"), "given_version": _l("phiên bản ghi trong tệp"), "old_checksum": _l("mã băm cũ"),
    "new_checksum": _l("mã băm mới"), "was": _l("trạng thái trước"), "from_version": _l("từ phiên bản"),
    "to_version": _l("sang phiên bản"), "renamed": _l("đổi mã"), "discontinued": _l("bỏ"),
    "survey": _l("khảo sát"), "count": _l("số phản hồi"),
}
# A reviewer's override of a value filled from the citizen survey (issue 14, review.services.save_appraisal).
# API tokens and calls (issue 16, app.api.services).
AUDIT_DETAIL.update({"endpoint": _l("điểm cuối API"), "method": _l("phương thức"), "status": _l("mã trạng thái HTTP"),
                     "prefix": _l("tiền tố mã"), "user": _l("người dùng"), "expires": _l("hết hạn")})
AUDIT_DETAIL.update({"survey_override": _l("ghi đè kết quả khảo sát trực tuyến"), "survey_n": _l("số phản hồi khảo sát")})
#: AuditEntry.object_type (the model's class name, lower case).
OBJECT_TYPE = {
    "submission": _l("Phiếu"), "certificate": _l("Giấy chứng nhận"), "user": _l("Người dùng"),
    "criteriaversion": _l("Phiên bản bộ tiêu chí"), "campaign": _l("Đợt đánh giá"),
    "recognitiondecision": _l("Quyết định công nhận"), "surveyexclusion": _l("Loại phản hồi khảo sát"),
}
#: Values of some detail keys that are codes themselves.
AUDIT_VIA = {"cli": _l("dòng lệnh")}

#: Every family by the name templates use.
FAMILIES: dict[str, dict[str, Any]] = {
    "unit_type": UNIT_TYPE, "role": ROLE, "submission_status": SUBMISSION_STATUS, "workflow_action": WORKFLOW_ACTION,
    "version_status": VERSION_STATUS, "campaign_status": CAMPAIGN_STATUS, "job_status": JOB_STATUS, "job_kind": JOB_KIND,
    "score_kind": SCORE_KIND, "notification_kind": NOTIFICATION_KIND, "certificate_status": CERTIFICATE_STATUS,
    "evidence_kind": EVIDENCE_KIND, "indicator_type": INDICATOR_TYPE, "origin": ORIGIN, "number_origin": NUMBER_ORIGIN,
    "scoring_method": SCORING_METHOD, "target_metric": TARGET_METRIC, "audit_action": AUDIT_ACTION,
    "audit_detail": AUDIT_DETAIL, "object_type": OBJECT_TYPE, "audit_via": AUDIT_VIA,
}


def label(code: Any, family: str) -> str:
    """The label of `code` in `family` (a key of FAMILIES) in the current language, as a str.

    None and "" give ""; an unknown code is returned unchanged (as str). Raises KeyError for an unknown family
    (a programming error, caught by the tests)."""
    table = FAMILIES[family]
    if code is None or code == "":
        return ""
    found = table.get(str(code))
    return str(found) if found is not None else str(code)


def choices(family: str, codes: list[str] | tuple[str, ...] | None = None) -> list[tuple[str, str]]:
    """(code, label) pairs for a select or checkbox list: every code of `family`, or only `codes` in their order."""
    table = FAMILIES[family]
    return [(c, label(c, family)) for c in (codes if codes is not None else table)]


_ROUND = re.compile(r"^round (\d+)$")


def score_reason(reason: str | None) -> str:
    """A ScoreEvent.reason for people: the stored "round 2" becomes "Lần gửi 2"; any other text is the
    reviewer's own words and stays as written; None gives ""."""
    if not reason:
        return ""
    m = _ROUND.match(reason.strip())
    if m:
        return _("Lần gửi %(n)s", n=m.group(1))
    return reason


def short_hash(value: str | None, length: int = 10) -> str:
    """The first `length` characters of a hex hash followed by "…" ("" for None); short values unchanged."""
    if not value:
        return ""
    text = str(value)
    return text if len(text) <= length + 1 else text[:length] + "…"


def localised(obj: Any, field: str, lang: str) -> str:
    """A criteria text in the language `lang` ('vi' or 'en'): `<field>_en` when lang is 'en' and it is set,
    else the Vietnamese (`<field>_vi` or `<field>`). E.g. localised(indicator, "text", "en") is text_en or text."""
    vi = getattr(obj, f"{field}_vi", None)
    if vi is None:
        vi = getattr(obj, field, "")
    if lang == "en":
        en = getattr(obj, f"{field}_en", "")
        if en:
            return en
    return vi or ""


def _lang() -> str:
    from app.numbers import ui_locale

    return ui_locale()


def tr(obj: Any, field: str) -> str:
    """Jinja filter ``tr``: :func:`localised` in the current UI language (``{{ ind|tr('text') }}``)."""
    return localised(obj, field, _lang())


def citation_plain(source: Any) -> str:
    """A criteria source (anything with `file` and `line`, or a "file:line" string) in words for the current
    language, e.g. "Đề án …, dòng 2751"; "" for None. For exports and e-mail."""
    from app.assessment.documents import citation_text

    if not source:
        return ""
    if isinstance(source, str):
        file, _sep, line = source.partition(":")
        return citation_text(file, line or None, _lang())
    return citation_text(source.file, getattr(source, "line", None), _lang())


def citation(source: Any) -> Markup:
    """Jinja filter ``citation``: ``<cite title="004_….txt:2751">Đề án …, dòng 2751</cite>`` — the words for
    people, the raw file reference in the title for auditors; empty markup for None."""
    from app.assessment.documents import raw_ref

    if not source:
        return Markup("")
    raw = source if isinstance(source, str) else raw_ref(source.file, getattr(source, "line", None))
    return Markup('<cite class="citation" title="{}">{}</cite>').format(raw, citation_plain(source))


def register(app) -> None:
    """Jinja filters: ``label(family)``, ``score_reason``, ``short_hash``, ``tr(field)``, ``citation``,
    ``citation_plain``; global ``label_of``."""
    app.jinja_env.filters.update(label=label, score_reason=score_reason, short_hash=short_hash, tr=tr, citation=citation,
                                 citation_plain=citation_plain)
    from app.campaigns.services import set_label

    app.jinja_env.globals.update(label_of=label, label_families=FAMILIES, set_label=set_label)
