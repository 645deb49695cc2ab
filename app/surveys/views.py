"""Survey pages: the public, anonymous form at /khao-sat/<code> (no login, no JavaScript).

Abuse resistance without an outside CAPTCHA: a per-address limit on sending (Flask-Limiter in the
shared store, keyed by a hash of the address, never the address itself), one response per device
per day (cookie), a honeypot field, and a minimum time between showing the form and sending it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac

from flask import Blueprint, current_app, render_template, request
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from app.clock import LOCAL_TZ
from app.errors import ValidationFailed
from app.extensions import csrf, db, limiter

from . import services
from .forms import build_public_form, field_name

public = Blueprint("survey_public", __name__, url_prefix="/khao-sat")

#: A start stamp older than this no longer proves anything; the form is shown again.
STAMP_MAX_AGE = 6 * 3600


def address_key() -> str:
    """The rate-limit key of the sender: an HMAC of the address under SECRET_KEY, so the store never holds an address."""
    address = request.remote_addr or "-"
    secret = current_app.config["SECRET_KEY"].encode()
    return "survey:" + hmac.new(secret, address.encode(), hashlib.sha256).hexdigest()[:32]


def _stamps() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="survey-started")


def _cookie_name(link_id: int) -> str:
    return f"khaosat_{link_id}"


def _today() -> dt.date:
    return dt.datetime.now(LOCAL_TZ).date()


def _page(link, survey, form, *, status: int = 200, message: str | None = None, closed: bool = False, done_today: bool = False):
    form.started.data = _stamps().dumps(link.code)
    names = {q.code: field_name(q.code) for q in survey.questions}
    return render_template("surveys/public.html", link=link, survey=survey, form=form, names=names, message=message,
                           closed=closed, done_today=done_today), status


@public.route("/<code>", methods=["GET", "POST"])
@csrf.exempt  # the form's own CSRF field is checked below, so an expired token keeps the answers
@limiter.limit(lambda: current_app.config["SURVEY_RATE_LIMIT"], key_func=address_key, methods=["POST"])
def respond(code: str):
    """Show the survey (GET) or accept one response (POST); every refusal keeps what was chosen and says why."""
    link = services.link_by_code(db.session, code)
    survey = services.survey_of(link)
    form = build_public_form(survey)()
    today = _today()
    closed = not services.is_open(link, today)
    done_today = request.cookies.get(_cookie_name(link.id)) == today.isoformat()
    if request.method == "GET" or closed or done_today:
        return _page(link, survey, form, closed=closed, done_today=done_today, status=200 if request.method == "GET" else 409)
    if form.website.data:  # honeypot filled: a robot; answer as if accepted, store nothing
        current_app.logger.info("survey %s: honeypot response dropped", link.id)
        return render_template("surveys/thanks.html", link=link, survey=survey), 200
    if not form.validate():
        if form.csrf_token.errors:
            return _page(link, survey, form, status=400,
                         message=_("Trang đã mở quá lâu nên phải gửi lại. Các lựa chọn của bạn vẫn còn bên dưới: hãy bấm “Gửi đánh giá” lần nữa."))
        return _page(link, survey, form, status=422, message=_("Còn câu cần trả lời, xem thông báo đỏ bên dưới."))
    try:
        stamped_code, started = _stamps().loads(form.started.data or "", max_age=STAMP_MAX_AGE, return_timestamp=True)
        if stamped_code != link.code:
            raise BadSignature("stamp of another survey")
    except (BadSignature, SignatureExpired):
        return _page(link, survey, form, status=400,
                     message=_("Trang đã mở quá lâu nên phải gửi lại. Các lựa chọn của bạn vẫn còn bên dưới: hãy bấm “Gửi đánh giá” lần nữa."))
    elapsed = (dt.datetime.now(dt.UTC) - started).total_seconds()
    if elapsed < current_app.config["SURVEY_MIN_SECONDS"]:
        return _page(link, survey, form, status=422, message=_("Bạn gửi nhanh quá. Hãy đọc lại các câu hỏi rồi bấm “Gửi đánh giá”."))
    answers = {q.code: form[field_name(q.code)].data for q in survey.questions if q.type != "comment"}
    comment_q = next((q for q in survey.questions if q.type == "comment"), None)
    comment = form[field_name(comment_q.code)].data if comment_q else ""
    # The thank-you page and the cookie are made before the commit (and used only after it succeeds): the commit
    # expires the link, and reading it again would cost two more queries on the busiest page (bench/surveys.py).
    thanks = render_template("surveys/thanks.html", link=link, survey=survey)
    cookie, cookie_path = _cookie_name(link.id), f"/khao-sat/{link.code}"
    try:
        services.record_response(db.session, link, answers, comment, request.remote_addr, dt.datetime.now(dt.UTC))
        db.session.commit()
    except ValidationFailed as exc:
        db.session.rollback()
        return _page(link, survey, form, status=422, message=exc.message)
    except Exception:
        db.session.rollback()
        raise
    response = current_app.make_response((thanks, 200))
    midnight = dt.datetime.combine(today + dt.timedelta(days=1), dt.time(), LOCAL_TZ)
    response.set_cookie(cookie, today.isoformat(), expires=midnight, httponly=True, samesite="Lax",
                        secure=request.is_secure, path=cookie_path)
    return response
