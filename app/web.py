"""Cross-cutting web helpers: the commit-per-request decorator, safe redirects, error pages."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, flash, render_template, request, send_file
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm.exc import StaleDataError

from app.errors import DomainError, ValidationFailed
from app.extensions import db
from app.text import clean_filename, has_control, without_controls


def commit_after(view: Callable[..., Any]) -> Callable[..., Any]:
    """Run the view, then commit once; roll back on any exception and re-raise."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            response = view(*args, **kwargs)
            db.session.commit()
            return response
        except Exception:
            db.session.rollback()
            raise

    return wrapper


def safe_next(target: str | None, default: str) -> str:
    """Only allow local absolute paths ('/x'), never another host or scheme."""
    if not target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    return target


def render_service_errors(template: str, form: Any, exc: ValidationFailed, **context: Any):
    """Re-show a form after a service refused it: messages beside the fields, the user's input kept."""
    db.session.rollback()
    for name, messages in exc.errors.items():
        field = getattr(form, name, None)
        if field is not None:
            field.errors = list(field.errors or []) + messages
    flash(exc.message, "error")
    return render_template(template, form=form, **context), 422


def invalid_form():
    """The page for a POST whose form did not validate (missing or stale CSRF token)."""
    return render_template("errors/error.html", message=_("Biểu mẫu không hợp lệ (thiếu mã CSRF)."), code=400), 400


def csrf_rerender(rerender: Callable[..., Any] | None = None, anonymous: bool = False):
    """Decorate a POST view (directly under @bp.route) so that a missing or stale CSRF token re-shows its page with
    what was typed and a message (see `csrf_message`), status 400, instead of a bare error page. Nothing is written.

    `rerender(**view_args)` makes that page; it must write nothing and should bind its forms to request.form.
    Without it the view itself is called: only for a view whose forms validate the token themselves (FlaskForm's
    validate_on_submit fails on it, so the view re-renders the form and writes nothing). The hook runs for a
    logged-in user, or for anyone when `anonymous` (the login page); otherwise the typed values are shown on the
    page of `app.saves.keep_typed_page`. Returns the decorator."""

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        view.csrf_rerender = rerender or view  # type: ignore[attr-defined]  # copied outward by functools.wraps
        view.csrf_rerender_anonymous = anonymous  # type: ignore[attr-defined]
        return view

    return decorate


def csrf_problem(description: str) -> str:
    """Flask-WTF's CSRFError description as "missing" (no token sent), "session" (the session holds no token: it
    ended or expired) or "stale" (a token of another session, expired or garbled)."""
    if "session token is missing" in description:
        return "session"
    if "token is missing" in description:
        return "missing"
    return "stale"


def csrf_message(problem: str) -> str:
    """The Vietnamese sentence for a refused CSRF token (`problem` from csrf_problem): nothing was done, the typed
    values are still on the page, send again."""
    if problem == "missing":
        return _("Trang gửi lên thiếu mã CSRF (mã bảo mật) nên thao tác CHƯA được thực hiện. Nội dung bạn vừa nhập vẫn còn "
                 "bên dưới; hãy kiểm tra rồi gửi lại.")
    return _("Phiên làm việc đã hết hạn hoặc đã thay đổi sau khi bạn mở trang này (ví dụ bạn đã đăng xuất rồi đăng nhập lại "
             "ở thẻ khác), nên thao tác CHƯA được thực hiện. Nội dung bạn vừa nhập vẫn còn bên dưới; hãy kiểm tra rồi gửi lại.")


def handle_csrf_error(exc: Exception):
    """The CSRFError handler: a POST re-shows its page with the typed values (the view's `csrf_rerender` hook, else
    the keep-typed page that posts them again with a fresh token); anything else gets the error page. Status 400."""
    from flask import current_app, make_response
    from flask_login import current_user

    from app.saves import keep_typed_page

    message = csrf_message(csrf_problem(getattr(exc, "description", "") or ""))
    if request.method != "POST":
        return render_template("errors/error.html", message=message, code=400), 400
    refused = refuse_control_characters()  # the before_request check did not run: CSRFProtect stopped first
    if refused is not None:
        return refused
    view = current_app.view_functions.get(request.endpoint or "")
    hook = getattr(view, "csrf_rerender", None)
    if hook is not None and (current_user.is_authenticated or getattr(view, "csrf_rerender_anonymous", False)):
        flash(message, "error")
        response = make_response(hook(**(request.view_args or {})))
        if response.status_code // 100 not in (3, 5):  # the page itself (200, or 422 for a form with errors): 400
            response.status_code = 400
        return response
    if not current_user.is_authenticated:
        message = _("Bạn đã đăng xuất (hoặc phiên đăng nhập đã hết hạn) nên thao tác CHƯA được thực hiện. Nội dung vừa nhập vẫn "
                    "còn bên dưới: hãy đăng nhập lại ở một thẻ khác, rồi quay lại đây bấm “Lưu lại”.")
    return keep_typed_page(message, 400)


def send_attachment(path, mimetype: str, download_name: str):
    """Serve a stored file (a path or a binary file object) as a download, never rendered inline, with content
    sniffing off. The Content-Disposition name is always cleaned (no control or bidi characters, no path).
    The Content-Type is exactly `mimetype` ("text/csv; charset=utf-8" stays that, never with a second charset)."""
    response = send_file(path, mimetype=mimetype, as_attachment=True, download_name=clean_filename(download_name))
    response.headers["Content-Type"] = mimetype  # Werkzeug appends "; charset=utf-8" to every text/* type
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


#: Form fields never shown back to the user (secrets and machinery).
HIDDEN_FIELDS = frozenset({"csrf_token", "version", "go", "password", "current_password", "new_password", "confirm_password"})
#: Names people know for the common fields; others are shown by their form name.
FIELD_LABELS = {
    "username": _l("Tên đăng nhập"), "password": _l("Mật khẩu"), "full_name": _l("Họ và tên"),
    "email": _l("Thư điện tử"), "current_password": _l("Mật khẩu hiện tại"), "new_password": _l("Mật khẩu mới"),
    "confirm_password": _l("Nhập lại mật khẩu mới"), "q": _l("Tìm kiếm"), "name": _l("Tên"),
}


def field_label(name: str) -> str:
    """The label to show for a form field or query argument named `name` (an explanation names its indicator)."""
    if name in FIELD_LABELS:
        return str(FIELD_LABELS[name])
    if name.startswith("ind_"):  # questionnaire fields: ind_G1_2, ind_G1_2_explanation, ind_G1_2_files (see Indicator.field_name)
        for suffix, text in (("_explanation", _l("Giải thích của chỉ tiêu %(code)s")), ("_files", _l("Tệp minh chứng của chỉ tiêu %(code)s")),
                             ("", _l("Trả lời chỉ tiêu %(code)s"))):
            if name.endswith(suffix):
                return str(text) % {"code": name[4: len(name) - len(suffix)].replace("_", ".")}
    return name


def typed_values() -> list[tuple[str, str]]:
    """What the user typed in this POST, as (label, text) pairs, without secrets, empty fields or control
    characters, so an error page can show it back. [] for other methods."""
    if request.method != "POST":
        return []
    return [(field_label(key), without_controls(value, multiline=True)) for key, value in request.form.items(multi=True)
            if key not in HIDDEN_FIELDS and value.strip()]


def refuse_control_characters():
    """before_request: refuse a request whose query arguments, form fields or uploaded file names hold a control
    character (NUL, other C0/C1; tab and line breaks are allowed in form text). Path parameters with one give 404.

    Returns None to go on, or a 400 page naming the fields and showing what was typed without those characters.
    """
    from werkzeug.exceptions import RequestEntityTooLarge

    if request.path.startswith("/api/v1"):  # the API refuses such parameters itself, as problem+json (app.api)
        return None
    if any(isinstance(v, str) and has_control(v) for v in (request.view_args or {}).values()):
        return render_template("errors/error.html", message=_("Không tìm thấy trang."), code=404), 404
    bad: list[str] = []
    for key, value in request.args.items(multi=True):
        if has_control(key) or has_control(value):
            bad.append(f"“{field_label(without_controls(key))}”")
    if request.method in ("POST", "PUT", "PATCH"):
        from flask import current_app

        if getattr(current_app.view_functions.get(request.endpoint or ""), "save_guarded", False):
            from app.saves import prepare_save_body

            if prepare_save_body().body_refused:
                return None  # the save view says what was too large and keeps what it can
        try:
            form, files = request.form, request.files
        except RequestEntityTooLarge:
            return None  # the view or the 413 handler says what was too large
        for key, value in form.items(multi=True):
            if has_control(key) or has_control(value, multiline=True):
                bad.append(f"“{field_label(without_controls(key))}”")
        for key, upload in files.items(multi=True):
            if has_control(key) or has_control(upload.filename or ""):
                bad.append(_("tệp “%(name)s”", name=clean_filename(upload.filename)))
    if not bad:
        return None
    fields = ", ".join(dict.fromkeys(bad))
    message = _("Không thực hiện được vì %(fields)s có ký tự điều khiển không hợp lệ (ví dụ ký tự NUL), thường do sao chép "
                "từ tệp khác; chúng không hiện trên màn hình. Không có gì được lưu. Nội dung bạn đã nhập, đã bỏ các ký tự "
                "đó, ở bên dưới: hãy quay lại, nhập hoặc dán lại rồi gửi lại.", fields=fields)
    back = safe_next(request.path, "/") if request.method != "GET" else None
    typed = typed_values() or [(field_label(without_controls(key)), without_controls(value)) for key, value in request.args.items(multi=True)
                               if value.strip() and key not in HIDDEN_FIELDS]
    return render_template("errors/error.html", message=message, code=400, typed=typed, back_url=back), 400


def register_input_checks(app: Flask) -> None:
    """Install the control-character check before every request (after CSRF and rate limits)."""
    app.before_request(refuse_control_characters)


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def domain_error(exc: DomainError):
        db.session.rollback()
        from app.saves import json_problem, wants_json

        if wants_json():  # the autosave script: it keeps the typed values and shows the message
            return json_problem("error", exc.message, exc.status_code)
        return render_template("errors/error.html", message=exc.message, code=exc.status_code), exc.status_code

    @app.errorhandler(StaleDataError)
    @app.errorhandler(IntegrityError)
    def conflict(exc: Exception):
        db.session.rollback()
        msg = _("Dữ liệu vừa được người khác thay đổi. Vui lòng tải lại trang và thử lại.")
        return render_template("errors/error.html", message=msg, code=409), 409

    @app.errorhandler(403)
    def forbidden(exc: Exception):
        return render_template("errors/error.html", message=_("Bạn không có quyền truy cập trang này."), code=403), 403

    @app.errorhandler(404)
    def not_found(exc: Exception):
        from app.api.problems import is_api_request, problem

        if is_api_request():  # an unknown route under /api/v1: problem+json, as every API error
            return problem(404)
        return render_template("errors/error.html", message=_("Không tìm thấy trang."), code=404), 404

    @app.errorhandler(405)
    def method_not_allowed(exc: Exception):
        from app.api.problems import is_api_request, problem

        if is_api_request():
            return problem(405, headers={"Allow": "GET, HEAD, OPTIONS"})
        return exc

    @app.errorhandler(413)
    def too_large(exc: Exception):
        from flask import current_app

        limit = current_app.config.get("MAX_CONTENT_LENGTH") or 0
        msg = _("Nội dung gửi lên (kể cả tệp) vượt giới hạn %(limit)s MB của trang này nên không được xử lý và KHÔNG có gì được lưu. "
                "Hãy quay lại, bỏ bớt hoặc giảm dung lượng tệp rồi gửi lại.", limit=round(limit / 1024 / 1024, 1))
        return render_template("errors/error.html", message=msg, code=413), 413

    @app.errorhandler(OperationalError)
    def database_unavailable(exc: Exception):
        """The database went away: nothing was saved (the transaction is rolled back); show what was typed.

        The page is rendered without the database: the user is taken as anonymous for this response
        (Flask-Login's g._login_user), so neither the header nor the notification badge queries the
        dead database. After a questionnaire or appraisal save (see app.saves) the typed values come
        back in a form that posts them again.
        """
        from flask import current_app, g, request
        from werkzeug.exceptions import ClientDisconnected, RequestEntityTooLarge

        from app.saves import keep_typed_page

        current_app.logger.error("database unavailable: %s", exc)
        g.database_down = True
        g._login_user = current_app.login_manager.anonymous_user()
        try:
            db.session.rollback()
        except Exception:  # noqa: BLE001 - the connection may be gone; the pool will replace it
            db.session.remove()
        if request.method == "POST" and g.get("save_state") is not None and not g.save_state.body_refused:
            return keep_typed_page(_("Không kết nối được cơ sở dữ liệu nên dữ liệu CHƯA được lưu. Nội dung bạn vừa nhập vẫn còn "
                                     "bên dưới: chờ một lát rồi bấm “Lưu lại”."), 503)
        try:
            typed = [(key, value) for key, value in request.form.items(multi=True)
                     if key not in ("csrf_token", "version", "go") and "password" not in key and value.strip()] if request.method == "POST" else []
        except (RequestEntityTooLarge, ClientDisconnected):
            typed = []
        msg = _("Không kết nối được cơ sở dữ liệu nên dữ liệu CHƯA được lưu. Nội dung bạn vừa nhập ở bên dưới; "
                "hãy sao chép lại, chờ một lát rồi thử lại.")
        return render_template("errors/error.html", message=msg, code=503, typed=typed), 503

    @app.errorhandler(429)
    def too_many(exc: Exception):
        return render_template("errors/error.html", message=_("Quá nhiều yêu cầu. Vui lòng đợi một phút rồi thử lại."), code=429), 429

    from flask_wtf.csrf import CSRFError

    app.register_error_handler(CSRFError, handle_csrf_error)

    @app.errorhandler(400)
    def bad_request(exc: Exception):
        desc = getattr(exc, "description", "") or ""
        if "CSRF" in desc:
            msg = _("Phiên làm việc đã hết hạn hoặc biểu mẫu không hợp lệ (thiếu mã CSRF). Vui lòng tải lại trang và thử lại.")
        else:
            msg = _("Yêu cầu không hợp lệ.")
        return render_template("errors/error.html", message=msg, code=400), 400


def register_security_headers(app: Flask) -> None:
    """Headers on every response: strict CSP (no inline script), no framing, no sniffing."""

    @app.after_request
    def headers(response):
        if request.endpoint == "api.docs":  # Swagger UI sets style attributes; scripts stay this site's only
            response.headers.setdefault(
                "Content-Security-Policy",
                "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
                "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'",
            )
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'",
        )
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        return response
