"""Survey pages: the public, anonymous form at /khao-sat/<code> (no login, no JavaScript); and, for logged-in
readers, a unit's results (/surveys/<link_id>, with burst exclusion) and the city-wide report (/surveys/report).

Abuse resistance without an outside CAPTCHA: a per-address limit on sending (Flask-Limiter in the
shared store, keyed by a hash of the address, never the address itself), one response per device
per day (cookie), a honeypot field, and a minimum time between showing the form and sending it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import io

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from app.clock import LOCAL_TZ
from app.errors import NotFound, PermissionDenied, ValidationFailed
from app.extensions import csrf, db, limiter
from app.params import int_arg
from app.web import commit_after, csrf_rerender, send_attachment

from . import services
from .forms import ExcludeForm, build_public_form, field_name

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


# --------------------------------------------------------------------------- results (logged in)

results_bp = Blueprint("surveys", __name__, url_prefix="/surveys")


@results_bp.context_processor
def _survey_texts() -> dict:
    from .results import burst_text, margin_text, month_label, pct, share_text

    return {"pct": pct, "share_text": share_text, "margin_text": margin_text, "month_label": month_label, "burst_text": burst_text}


def _public_url(link) -> str:
    from app.config import public_base_url

    base = public_base_url(current_app.config, request.url_root) or request.url_root.rstrip("/")
    return base + url_for("survey_public.respond", code=link.code)


def _results_page(link, *, failed: tuple[str, str, ExcludeForm] | None = None, status: int = 200):
    """The results page of `link` for the current user; `failed` = (network, start, bound form) re-shows a refused
    exclusion with what was typed and its message."""
    from . import charts
    from .results import exclusions_of, user_names

    result = services.result_of(db.session, link)
    survey = result.survey
    en = str(get_locale() or "vi").startswith("en")
    scale = survey.scale_labels_en if en else survey.scale_labels_vi
    charts_by_q = {}
    for qr in result.summary.questions:
        if qr.question.type == "scale5":
            items = [(f"{i} – {scale[i - 1]}", qr.distribution.get(i, 0)) for i in range(1, 6)]
        else:
            items = [(_("Có"), qr.distribution.get(True, 0)), (_("Không"), qr.distribution.get(False, 0))]
        text = (qr.question.text_en or qr.question.text_vi) if en else qr.question.text_vi
        charts_by_q[qr.question.code] = charts.distribution_svg(items, sum(c for _l, c in items),
                                                                _("Phân bố câu trả lời: %(q)s", q=text))
    comments = services.comments_of(db.session, current_user, link) if current_user.role != "viewer" else None
    moderate = services.can_moderate(current_user, link)
    bursts, forms, exclusions, names = [], {}, [], {}
    if moderate:
        bursts = services.bursts_of(db.session, link)
        for burst in bursts:
            key = (burst.network, burst.start.isoformat())
            if failed is not None and (failed[0], failed[1]) == key:
                forms[key] = failed[2]
            else:
                forms[key] = ExcludeForm(formdata=None, network=burst.network, start=burst.start.isoformat())
    exclusions = exclusions_of(db.session, link)
    names = user_names(db.session, {e.user_id for e in exclusions if e.user_id})
    orphan = failed[2].reason.data or "" if failed is not None and (failed[0], failed[1]) not in forms else None
    return render_template("surveys/results.html", link=link, result=result, survey=survey, fill=result.fill, en=en,
                           charts=charts_by_q, comments=comments, moderate=moderate, bursts=bursts, forms=forms,
                           exclusions=exclusions, names=names, public_url=_public_url(link),
                           trend=[(month, s.percent) for month, s in result.summary.by_month.items()],
                           orphan_reason=orphan), status


@results_bp.route("/<int:link_id>")
@login_required
def results(link_id: int):
    """A unit's survey results (officials of the unit, reviewers of the set, viewers, admins)."""
    link = services.readable_link(db.session, current_user, link_id)
    return _results_page(link)


@results_bp.route("/<int:link_id>/exclude", methods=["POST"])
@csrf_rerender()
@login_required
@commit_after
def exclude(link_id: int):
    """Exclude one flagged burst with a reason (reviewers of the set, admins); audited; back to the results page."""
    link = services.readable_link(db.session, current_user, link_id)
    if not services.can_moderate(current_user, link):
        raise PermissionDenied(_("Chỉ người thẩm định của bộ tiêu chí mới loại được phản hồi."))
    form = ExcludeForm()
    network, start_text = (form.network.data or "")[:64], (form.start.data or "")[:40]
    if not form.validate_on_submit():
        if form.csrf_token.errors:  # the CSRF handler has flashed why; the page comes back with the reason typed
            return _results_page(link, failed=(network, start_text, form), status=400)
        flash(_("Chưa loại phản hồi nào: hãy ghi lý do loại các phản hồi này.") if form.reason.errors
              else _("Không còn nhóm phản hồi bất thường này (có thể đã được loại)."), "error")
        return _results_page(link, failed=(network, start_text, form), status=422)
    try:
        start = dt.datetime.fromisoformat(start_text)
        if start.tzinfo is None:
            raise ValueError("naive start")
        exclusion = services.exclude_burst(db.session, current_user, link, start, network, form.reason.data or "")
    except ValueError:
        db.session.rollback()
        flash(_("Không còn nhóm phản hồi bất thường này (có thể đã được loại)."), "error")
        return _results_page(link, failed=(network, start_text, form), status=422)
    except ValidationFailed as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return _results_page(link, failed=(network, start_text, form), status=422)
    flash(_("Đã loại %(n)d phản hồi khỏi kết quả; lý do đã ghi vào nhật ký.", n=exclusion.count), "success")
    return redirect(url_for(".results", link_id=link.id))


def _report_data():
    """(campaigns, campaign, survey code, report or None) for the report page and its downloads."""
    from .results import report_campaigns, require_report_reader, survey_report

    require_report_reader(current_user)
    campaigns = report_campaigns(db.session, current_user)
    wanted = int_arg("campaign_id")
    if wanted is not None and all(c.id != wanted for c in campaigns):
        from app.campaigns.models import Campaign

        other = db.session.get(Campaign, wanted)
        if other is not None and other.criteria_version.criteria.surveys:
            raise PermissionDenied(_("Bạn không có quyền xem báo cáo khảo sát của đợt đánh giá này."))
        wanted = None
    campaign = next((c for c in campaigns if c.id == wanted), campaigns[0] if campaigns else None)
    if campaign is None:
        return campaigns, None, "", None
    codes = [s.code for s in campaign.criteria_version.criteria.surveys]
    code = request.args.get("survey", "")
    code = code if code in codes else codes[0]
    return campaigns, campaign, code, survey_report(db.session, current_user, campaign, code)


@results_bp.route("/report")
@login_required
def report():
    """Satisfaction across the city for one campaign and survey: ranking with intervals, units × months, trend."""
    from . import charts

    campaigns, campaign, code, data = _report_data()
    ranking = grid = None
    if data is not None:
        title = _("Xếp hạng tỷ lệ hài lòng, khoảng tin cậy 95 %")
        ranking = charts.ranking_svg([(u.unit_name, u.overall.percent, u.overall.low, u.overall.high, u.overall.n)
                                      for u in data.ranked], title) if data.ranked else None
        from .results import month_label

        months = [(m, month_label(m)) for m in data.months]
        rows = [(u.unit_name, [((u.by_month[m].percent, u.by_month[m].n) if m in u.by_month else (None, 0)) for m in data.months])
                for u in data.units]
        grid = charts.month_grid(months, rows, _("Tỷ lệ hài lòng theo đơn vị và tháng"), _("Đơn vị")) if months and rows else None
    return render_template("surveys/report.html", campaigns=campaigns, campaign=campaign, code=code, data=data,
                           ranking=ranking, grid=grid)


def _download_name(data, ext: str) -> str:
    from app.clock import today_local

    return f"khao-sat-{data.survey.code.lower()}-{data.campaign.year}-dot-{data.campaign.id}-{today_local():%Y%m%d}.{ext}"


@results_bp.route("/report.csv")
@login_required
def report_csv():
    """The report's aggregates as machine-readable CSV (decimal point): unit rows, then unit × month rows."""
    from app.reports import exports

    from .results import report_tables

    _c, _campaign, _code, data = _report_data()
    if data is None:
        raise NotFound(_("Chưa có khảo sát nào để báo cáo."))
    tables = report_tables(data)
    rows = [row for _t, _h, table_rows in tables for row in table_rows]
    return send_attachment(io.BytesIO(exports.to_csv(tables[0][1], rows)), exports.CSV_TYPE, _download_name(data, "csv"))


@results_bp.route("/report.xlsx")
@login_required
def report_xlsx():
    """The report's aggregates as an XLSX workbook (an info sheet, units, units × months)."""
    from app.clock import today_local
    from app.reports import exports

    from .results import report_tables

    _c, campaign, _code, data = _report_data()
    if data is None:
        raise NotFound(_("Chưa có khảo sát nào để báo cáo."))
    meta = [("Thành phố", "Thành phố Hải Phòng"), ("Ngày lập", today_local().strftime("%d/%m/%Y")),
            ("Đợt đánh giá", f"{campaign.name} ({campaign.year})"), ("Khảo sát", f"{data.survey.code} — {data.survey.title_vi}"),
            ("Khoảng tin cậy", "95 % (Wilson)"), ("Cỡ mẫu tối thiểu", str(data.survey.min_sample)),
            ("Người lập", current_user.full_name or current_user.username)]
    return send_attachment(io.BytesIO(exports.to_xlsx(report_tables(data), meta)), exports.XLSX_TYPE, _download_name(data, "xlsx"))
