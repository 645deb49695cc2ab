"""RFC 9457 problem details for every error under /api/v1/ (application/problem+json), in Vietnamese unless the
request's Accept-Language prefers English."""

from __future__ import annotations

import json

from flask import Response, request
from flask_babel import gettext as _

#: Path prefix of the API; errors of unmatched routes under it are problems too (see app.web).
API_PREFIX = "/api/v1"
PROBLEM_TYPE = "application/problem+json"


def is_api_request() -> bool:
    """True when the current request's path is under /api/v1 (matched route or not)."""
    return request.path == API_PREFIX or request.path.startswith(API_PREFIX + "/")


def api_locale() -> str:
    """'en' when Accept-Language prefers English over Vietnamese, else 'vi'."""
    return request.accept_languages.best_match(["vi", "en"], default="vi") or "vi"


def _titles() -> dict[int, str]:
    return {
        400: _("Yêu cầu không hợp lệ"), 401: _("Chưa xác thực"), 403: _("Không có quyền"), 404: _("Không tìm thấy"),
        405: _("Phương thức không được hỗ trợ"), 406: _("Không cung cấp được định dạng yêu cầu"), 409: _("Xung đột dữ liệu"),
        413: _("Yêu cầu quá lớn"), 422: _("Dữ liệu không hợp lệ"), 429: _("Quá nhiều yêu cầu"), 500: _("Lỗi máy chủ"),
        503: _("Dịch vụ tạm thời không sẵn sàng"),
    }


def default_detail(status: int) -> str:
    """The sentence for a status when nothing more specific is known."""
    return {
        400: _("Yêu cầu không hợp lệ."), 401: _("Cần mã truy cập API hợp lệ trong tiêu đề Authorization: Bearer <mã>."),
        403: _("Mã truy cập này không có quyền xem nội dung này."), 404: _("Không tìm thấy địa chỉ hoặc đối tượng này trong API."),
        405: _("API chỉ cho phép đọc (GET)."), 429: _("Quá nhiều yêu cầu với mã truy cập này. Vui lòng đợi rồi thử lại."),
        500: _("Máy chủ gặp lỗi ngoài dự kiến; yêu cầu không được thực hiện. Vui lòng thử lại sau."),
        503: _("Không kết nối được cơ sở dữ liệu. Vui lòng thử lại sau."),
    }.get(status, _("Yêu cầu không thực hiện được."))


def problem(status: int, detail: str | None = None, *, extra: dict | None = None, headers: dict | None = None) -> Response:
    """A problem+json response: type (a stable URN per status), title, status, detail, instance (this request's
    path and query), plus `extra` members (e.g. invalid-params)."""
    body = {
        "type": f"urn:datchuan:problem:{status}",
        "title": _titles().get(status, _("Lỗi")),
        "status": status,
        "detail": detail or default_detail(status),
        "instance": request.full_path.rstrip("?") if request.query_string else request.path,
    }
    body.update(extra or {})
    response = Response(json.dumps(body, ensure_ascii=False), status=status, mimetype=PROBLEM_TYPE)
    response.headers["Content-Language"] = api_locale()
    response.headers["Cache-Control"] = "no-store"
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="datchuan-api"'
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response
