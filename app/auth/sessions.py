"""Session rules checked on every request: idle expiry, and the last-seen stamp set at login.

Together with the per-user session token (User.get_id / User.end_sessions) this makes a session end for good:
a copied cookie is refused after logout, a password change, disabling or "log out everywhere" (new token),
and after IDLE_TIMEOUT_MINUTES without a request (the signed last-seen time in the cookie is too old).
"""

from __future__ import annotations

import time

from flask import Flask, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import logout_user, user_logged_in

from app.web import safe_next, typed_values

#: Session key: when the session last made a request, in whole seconds since the epoch (UTC).
LAST_SEEN = "last_seen"
#: The stamp is rewritten at most this often (seconds), so most responses do not resend the cookie.
REFRESH_SECONDS = 60
#: Requests that never expire a session: static files, and logout (which must still end every session).
EXEMPT_ENDPOINTS = frozenset({"static", "auth.logout"})


def idle_message(minutes: int) -> str:
    """The message shown after an idle expiry, naming the limit in hours when it is whole hours, else minutes."""
    if minutes % 60 == 0:
        return _("Phiên làm việc đã hết hạn do không hoạt động quá %(n)d giờ; vui lòng đăng nhập lại.", n=minutes // 60)
    return _("Phiên làm việc đã hết hạn do không hoạt động quá %(n)d phút; vui lòng đăng nhập lại.", n=minutes)


def _stamp(_sender: object, **_extra: object) -> None:
    session[LAST_SEEN] = int(time.time())


def _end_session() -> None:
    """Log out this browser only (other sessions of the user are untouched); the UI language is kept."""
    lang = session.get("lang")
    logout_user()
    session.clear()
    if lang:
        session["lang"] = lang


def _here() -> str:
    """The page to offer again after login: this path (and query for a GET), only if it is a local path."""
    target = request.full_path.rstrip("?") if request.method in ("GET", "HEAD") else request.path
    return safe_next(target, url_for("main.index"))


def check_idle():
    """before_request: end a logged-in session idle longer than IDLE_TIMEOUT_MINUTES; refresh the stamp otherwise.

    Returns None to go on, or the response: a redirect to the login page (GET) with the message and a safe
    `next`, or for a POST a 401 page that says nothing was saved and shows what was typed.
    """
    if request.endpoint in EXEMPT_ENDPOINTS or request.path.startswith("/api/v1") or "_user_id" not in session:
        return None
    now = int(time.time())
    last = session.get(LAST_SEEN)
    limit = int(current_app.config["IDLE_TIMEOUT_MINUTES"]) * 60
    if isinstance(last, int) and not isinstance(last, bool) and now - last <= limit:
        if now - last >= REFRESH_SECONDS:
            session[LAST_SEEN] = now
        return None
    _end_session()
    if not isinstance(last, int) or request.endpoint == "auth.login":
        return None  # a session without a stamp (made before this rule) simply ends; the login page shows itself
    message = idle_message(int(current_app.config["IDLE_TIMEOUT_MINUTES"]))
    if request.method in ("GET", "HEAD"):
        flash(message, "info")
        return redirect(url_for("auth.login", next=_here()))
    from app.saves import json_problem, wants_json

    if wants_json():  # the autosave script keeps the typed values itself
        return json_problem("logged_out", message + " " + _("Nội dung bạn vừa nhập CHƯA được lưu nhưng vẫn còn trên trang."), 401)
    text = message + " " + _("Nội dung bạn vừa gửi CHƯA được lưu; nó ở bên dưới để bạn sao chép lại sau khi đăng nhập.")
    return render_template("errors/error.html", message=text, code=401, typed=typed_values(),
                           login_url=url_for("auth.login", next=_here())), 401


def register_session_rules(app: Flask) -> None:
    """Install the idle check (before every request) and the last-seen stamp (on every login_user)."""
    app.before_request(check_idle)
    user_logged_in.connect(_stamp, app)
