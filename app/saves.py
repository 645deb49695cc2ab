"""Save endpoints that never lose what the user typed (questionnaire group and appraisal saves).

`save_guard(rerender)` wraps such a view. For a POST it, before anything else:

1. raises the body limit for this request only to MAX_SAVE_BODY_BYTES (the hard cap) and parses
   the form with `CappedFormParser`, which streams each file into a temporary file, keeps at
   most MAX_EVIDENCE_BYTES of each and MAX_SAVE_BYTES in all, and counts (but discards) the rest:
   every text field is read even when the files are far too big, and a refused file is known by
   name with the limit it passed;
2. checks the CSRF token itself (the view is exempt from CSRFProtect's bare 400): a missing or
   stale token (e.g. the user logged out and in again in another tab) calls `rerender`, which
   shows the same page with the typed values, a fresh token and a message that nothing was saved;
3. shows a logged-out user a page with the typed values and a "save again" button instead of
   redirecting them to the login page with their input gone.

A request that asks for JSON (`wants_json()`: the autosave script sends `Accept: application/json`)
gets every one of these answers as `json_problem(...)` instead of a page: the script keeps the typed
values on the page (and in the browser) itself.

The state of the request is kept in `g.save_state` (a SaveState); the database-down error page
(app.web) uses it to show a form with the typed values that posts them again. `SaveReport` is what
the page says after any failure: what happened, what was saved, what was not, which files must be
chosen again. Nothing here touches the database.
"""

from __future__ import annotations

import functools
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import current_app, g, jsonify, render_template, request, session
from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.csrf import validate_csrf
from werkzeug.exceptions import ClientDisconnected, RequestEntityTooLarge
from werkzeug.formparser import FormDataParser
from wtforms.validators import ValidationError

from app.extensions import csrf

#: Spooled temporary files move to disk above this size.
SPOOL_BYTES = 1024 * 1024


def mb(n_bytes: int) -> str:
    """Bytes as megabytes for a message, formatted for the UI language (e.g. "9,5" in Vietnamese)."""
    return format_decimal(round(n_bytes / 1024 / 1024, 1))


def size_text(n_bytes: int) -> str:
    """Bytes as "9,5 MB", or "195,3 KB" below one megabyte, formatted for the UI language."""
    if n_bytes < 1024 * 1024:
        return f"{format_decimal(round(n_bytes / 1024, 1))} KB"
    return f"{mb(n_bytes)} MB"


@dataclass
class UploadBudget:
    """Byte limits of one save: `per_file` and `per_save` (kept evidence); `kept` is the running total."""

    per_file: int
    per_save: int
    kept: int = 0
    files: list[CappedFile] = field(default_factory=list)


class CappedFile:
    """A file part of a save, written to a spooled temporary file while it streams in.

    Keeps the bytes while the file stays within the per-file limit and the save within the
    per-save limit; past either it drops what it kept, discards the rest and records why in
    `refusal` ("too_large" or "save_total"). `size` counts every byte received.
    """

    def __init__(self, budget: UploadBudget, filename: str | None):
        self._file = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115 - closed with the request's FileStorage
        self._budget = budget
        self.filename = filename or ""
        self.size = 0
        self.kept = 0
        self.refusal: str | None = None

    def write(self, data: bytes) -> int:
        """Take the next chunk of the part; returns len(data) (always accepted, maybe discarded)."""
        self.size += len(data)
        if self.refusal is None:
            if self.size > self._budget.per_file:
                self._refuse("too_large")
            elif self._budget.kept + len(data) > self._budget.per_save:
                self._refuse("save_total")
            else:
                self._file.write(data)
                self.kept += len(data)
                self._budget.kept += len(data)
        return len(data)

    def _refuse(self, reason: str) -> None:
        self.refusal = reason
        self._budget.kept -= self.kept
        self.kept = 0
        self._file.seek(0)
        self._file.truncate()

    def limit(self) -> int:
        """The limit (bytes) this file passed: per file or per save."""
        return self._budget.per_file if self.refusal == "too_large" else self._budget.per_save

    def __getattr__(self, name: str) -> Any:  # read, seek, tell, close… of the temporary file
        return getattr(self._file, name)


class CappedFormParser(FormDataParser):
    """Werkzeug's form parser with every file part streamed into a CappedFile of `budget`."""

    def __init__(self, budget: UploadBudget, **kwargs: Any):
        kwargs.pop("stream_factory", None)
        super().__init__(stream_factory=self._open, **kwargs)
        self.budget = budget

    def _open(self, total_content_length=None, content_type=None, filename=None, content_length=None) -> CappedFile:
        item = CappedFile(self.budget, filename)
        self.budget.files.append(item)
        return item


@dataclass
class SaveState:
    """What the guard learnt about a save request before the view ran."""

    #: None, or why the body could not be read: "too_large" (over the hard cap or a text field over its limit).
    body_refused: str | None = None
    #: Size the client announced (bytes), when known.
    content_length: int | None = None
    #: None, or the CSRF problem: "missing" (no token), "session" (the session ended), "stale" (another session or expired).
    csrf_problem: str | None = None
    budget: UploadBudget | None = None

    @property
    def problem(self) -> str | None:
        """The reason the save must not run ("body" or "csrf"), or None."""
        if self.body_refused:
            return "body"
        if self.csrf_problem:
            return "csrf"
        return None

    def refused_files(self) -> list[CappedFile]:
        """Files refused while streaming (over the per-file or per-save limit), in the order sent."""
        return [f for f in (self.budget.files if self.budget else []) if f.refusal and f.filename]


def _read_body(state: SaveState) -> None:
    config = current_app.config
    state.content_length = request.content_length
    state.budget = UploadBudget(config["MAX_EVIDENCE_BYTES"], config["MAX_SAVE_BYTES"])
    request.max_content_length = config["MAX_SAVE_BODY_BYTES"]
    request.max_form_memory_size = config["MAX_SAVE_TEXT_BYTES"]
    request.form_data_parser_class = functools.partial(CappedFormParser, state.budget)  # type: ignore[assignment]
    try:
        request.form  # noqa: B018 - parse now, under the limits above
        request.files  # noqa: B018
    except (RequestEntityTooLarge, ClientDisconnected):
        state.body_refused = "too_large"


def prepare_save_body() -> SaveState:
    """Read this request's body once under the save limits (streamed, capped files) and return its SaveState.

    Idempotent per request (kept in `g.save_state`), so a before_request check that needs the form of a guarded
    save (the control-character check) reads it under the same limits as the view instead of the default 413 cap.
    """
    state = g.get("save_state")
    if state is None:
        state = SaveState()
        g.save_state = state
        _read_body(state)
    return state


def _check_csrf(state: SaveState) -> None:
    config = current_app.config
    if not config.get("WTF_CSRF_ENABLED", True):
        return
    token = request.form.get(config.get("WTF_CSRF_FIELD_NAME", "csrf_token")) or request.headers.get("X-CSRFToken")
    field_name = config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
    had_session_token = field_name in session
    try:
        validate_csrf(token)
    except ValidationError:
        if not token:
            state.csrf_problem = "missing"
        elif not had_session_token:
            state.csrf_problem = "session"
        else:
            state.csrf_problem = "stale"


def save_guard(rerender: Callable[..., Any]) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Decorate a save view (under @bp.route, above @login_required); see the module docstring.

    `rerender(state, *args, **kwargs)` must return the view's page with the typed values (or the
    stored ones when the body could not be read) and a SaveReport; it must not write anything.
    The wrapped view is exempt from CSRFProtect because the guard checks the token itself, and
    never calls the view when the check fails.
    """

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if request.method != "POST":
                return view(*args, **kwargs)
            state = prepare_save_body()
            if not state.body_refused:
                _check_csrf(state)
            if not current_user.is_authenticated:
                if wants_json():
                    return json_problem("logged_out", _("Bạn đã đăng xuất (hoặc phiên đăng nhập đã hết hạn) nên nội dung vừa nhập "
                                                        "CHƯA được lưu. Hãy đăng nhập lại ở một thẻ khác, rồi quay lại đây bấm "
                                                        "“Lưu nháp”."), 401)
                if state.body_refused:
                    return current_app.login_manager.unauthorized()
                return keep_typed_page(_("Bạn đã đăng xuất (hoặc phiên đăng nhập đã hết hạn) nên nội dung vừa nhập CHƯA được lưu. "
                                         "Nội dung vẫn còn bên dưới: hãy đăng nhập lại ở một thẻ khác, rồi quay lại đây bấm "
                                         "“Lưu lại”."), 401)
            if state.problem:
                return rerender(state, *args, **kwargs)
            return view(*args, **kwargs)

        csrf.exempt(wrapper)
        wrapper.save_guarded = True  # type: ignore[attr-defined]  # read by app.web.refuse_control_characters
        return wrapper

    return decorate


@dataclass
class SaveReport:
    """What a page says after a failed or partial save.

    `headline`: what happened; `saved`: lines naming what was stored (empty: nothing was);
    `not_saved`: (message, anchor id or None) for what was not; `rechoose`: names of files the user
    must choose again (a browser cannot keep a chosen file across pages).
    """

    headline: str
    saved: list[str] = field(default_factory=list)
    not_saved: list[tuple[str, str | None]] = field(default_factory=list)
    rechoose: list[str] = field(default_factory=list)


def sent_file_names() -> list[str]:
    """Names of every file sent with this request (kept or refused), for "choose these again"."""
    try:
        return [f.filename for _key, f in request.files.items(multi=True) if f and f.filename]
    except (RequestEntityTooLarge, ClientDisconnected):
        return []


def csrf_headline(problem: str | None) -> str:
    """The sentence for a refused CSRF token (missing / the session ended / stale), saying nothing was saved."""
    if problem == "missing":
        return _("Trang gửi lên thiếu mã CSRF (mã bảo mật) nên KHÔNG có gì được lưu. Nội dung bạn vừa nhập vẫn còn bên dưới; "
                 "bấm “Lưu lại” để lưu.")
    return _("Phiên làm việc đã thay đổi sau khi bạn mở trang này (ví dụ bạn đã đăng xuất rồi đăng nhập lại ở thẻ khác), "
             "nên KHÔNG có gì được lưu. Nội dung bạn vừa nhập vẫn còn bên dưới; bấm “Lưu lại” để lưu.")


def body_headline(state: SaveState) -> str:
    """The sentence for a body that could not be read at all: nothing saved, nothing typed recoverable."""
    limit = current_app.config["MAX_SAVE_BODY_BYTES"]
    size = state.content_length
    if size is not None and size > limit:
        return _("Lần lưu này nặng %(size)s MB, vượt giới hạn tuyệt đối %(limit)s MB của một lần lưu, nên máy chủ không đọc nội dung "
                 "và KHÔNG có gì được lưu; nội dung vừa nhập cũng không giữ lại được. Trang dưới đây là bản đã lưu trước đó. "
                 "Mỗi tệp tối đa %(file)s MB, mỗi lần lưu tối đa %(save)s MB tệp.",
                 size=mb(size), limit=mb(limit), file=mb(current_app.config["MAX_EVIDENCE_BYTES"]),
                 save=mb(current_app.config["MAX_SAVE_BYTES"]))
    return _("Một ô nội dung dài hơn %(limit)s MB nên máy chủ không đọc được lần lưu này và KHÔNG có gì được lưu; nội dung vừa "
             "nhập cũng không giữ lại được. Trang dưới đây là bản đã lưu trước đó.",
             limit=mb(current_app.config["MAX_SAVE_TEXT_BYTES"]))


def refusal_message(item: CappedFile) -> str:
    """The sentence for a file refused while streaming, naming it, its size and the limit."""
    if item.refusal == "too_large":
        return _("Tệp “%(name)s” vượt quá giới hạn %(limit)s mỗi tệp (tệp nặng %(size)s) nên CHƯA được lưu. "
                 "Hãy giảm dung lượng (nén, quét lại ở độ phân giải thấp hơn) rồi chọn lại.",
                 name=item.filename, size=size_text(item.size), limit=size_text(item.limit()))
    return _("Tệp “%(name)s” (%(size)s) CHƯA được lưu: tổng dung lượng tệp của một lần lưu tối đa %(limit)s. "
             "Hãy chọn lại tệp này và lưu ở lần sau.", name=item.filename, size=size_text(item.size), limit=size_text(item.limit()))


def size_limits() -> dict[str, int]:
    """Per-file and per-save byte limits for the page (data- attributes read by the progressive size check)."""
    return {"file": current_app.config["MAX_EVIDENCE_BYTES"], "save": current_app.config["MAX_SAVE_BYTES"]}


#: Field name suffix → what the user called it on the page.
_SUFFIX_LABELS = (("_explanation", _l("Giải trình")), ("_comment", _l("Nhận xét")), ("_points", _l("Điểm thẩm định")),
                  ("_met", _l("Kết luận")), ("_return", _l("Lý do trả lại")))
_HIDDEN_FIELDS = ("version", "go", "action", "remove_evidence", "signoff", "deadline")


def _label(name: str) -> str:
    base, what = name, _("Trả lời")
    for suffix, label in _SUFFIX_LABELS:
        if name.endswith(suffix):
            base, what = name[: -len(suffix)], str(label)
            break
    code = base[4:].replace("_", ".") if base.startswith("ind_") else base
    return f"{code} — {what}"


def typed_fields() -> tuple[list[tuple[str, str, str]], list[tuple[str, str]]]:
    """The typed values of this POST: (name, label, value) to show and edit, and (name, value) to carry hidden."""
    try:
        items = list(request.form.items(multi=True))
    except (RequestEntityTooLarge, ClientDisconnected):
        return [], []
    shown, hidden = [], []
    for name, value in items:
        if name == current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token") or "password" in name:
            continue
        if name in _HIDDEN_FIELDS or not value.strip():
            hidden.append((name, value))
        else:
            shown.append((name, _label(name), value))
    return shown, hidden


def keep_typed_page(message: str, status: int):
    """A page that needs no database: the message, every typed value in an editable form that posts
    them again to the same address (with a fresh CSRF token), and the files to choose again.

    A request that wants JSON gets `json_problem("logged_out" for 401 else "unavailable", message, status)`."""
    if wants_json():
        return json_problem("logged_out" if status == 401 else "unavailable", message, status)
    shown, hidden = typed_fields()
    return render_template("errors/keep_typed.html", message=message, code=status, shown=shown, hidden=hidden,
                           files=sent_file_names(), action=request.path), status


def wants_json() -> bool:
    """True when this request prefers JSON to HTML (the autosave script sends `Accept: application/json`).

    A browser loading or posting a page sends `text/html` first, so the no-JavaScript path never gets JSON.
    """
    try:
        return request.accept_mimetypes.best_match(["text/html", "application/json"]) == "application/json"
    except RuntimeError:  # outside a request
        return False


def json_problem(status: str, message: str, code: int, **extra: Any):
    """A JSON answer to a save that did not (fully) happen: `{"status": status, "saved": False, "message": message, **extra}`
    with HTTP status `code`. `status` names the case for the script ("csrf", "conflict", "logged_out", "too_large",
    "unavailable", "error"); `message` is translated for the user."""
    return jsonify({"status": status, "saved": False, "message": message, **extra}), code
