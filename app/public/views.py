"""Public results pages and open data (no login), under /cong-khai/.

Every response here is the same for every visitor of a language: no user, no form, no CSRF token. The language is
`?lang=en|vi` when given (links on these pages carry it), else the visitor's chosen language as on every other page.
Responses carry an ETag derived from the state of the public data (services.data_state), today's date (the expected
progress moves daily), the language and the templates; a matching If-None-Match gets 304 without building the page.
Cache-Control is public with PUBLIC_CACHE_SECONDS, or private when this response also sets a session cookie.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import threading
import urllib.parse
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from flask import Blueprint, abort, current_app, make_response, render_template, request, session, url_for
from flask_babel import force_locale
from flask_babel import gettext as _

from app.assessment.documents import citation_text
from app.clock import today_local
from app.extensions import db
from app.labels import UNIT_TYPE, label
from app.numbers import ui_locale, vndate
from app.reports.exports import CSV_TYPE, to_csv
from app.reports.sections import TRACK_LABELS, raw_source

from . import services

bp = Blueprint("public", __name__, url_prefix="/cong-khai")


def _lang() -> str | None:
    lang = request.args.get("lang", "")
    return lang if lang in current_app.config["LANGUAGES"] else None


#: Built responses by ETag, per app (at most PUBLIC_RESPONSE_CACHE of them per process, least recently used dropped
#: first), in app.extensions. The ETag names the data state, date, language, path and templates: changed data gives a new key.
_RESPONSES_KEY = "public_responses"
_RESPONSES_LOCK = threading.Lock()


def _responses() -> OrderedDict[str, tuple[bytes, list[tuple[str, str]]]]:
    return current_app.extensions.setdefault(_RESPONSES_KEY, OrderedDict())
#: Headers of a built response kept with its body.
_KEPT_HEADERS = ("Content-Type", "Content-Disposition", "Access-Control-Allow-Origin")


def _remember(etag: str, response) -> None:
    size = int(current_app.config.get("PUBLIC_RESPONSE_CACHE", 0))
    if size <= 0:
        return
    kept = [(name, response.headers[name]) for name in _KEPT_HEADERS if name in response.headers]
    with _RESPONSES_LOCK:
        store = _responses()
        store[etag] = (response.get_data(), kept)
        store.move_to_end(etag)
        while len(store) > size:
            store.popitem(last=False)


def _recall(etag: str):
    if int(current_app.config.get("PUBLIC_RESPONSE_CACHE", 0)) <= 0:
        return None
    with _RESPONSES_LOCK:
        store = _responses()
        found = store.get(etag)
        if found is not None:
            store.move_to_end(etag)
    if found is None:
        return None
    response = make_response(found[0])
    for name, value in found[1]:
        response.headers[name] = value
    return response


def cached(view: Callable[..., Any]) -> Callable[..., Any]:
    """Decorate a public view taking (state, **view_args): language from ?lang=, ETag/304, Cache-Control, Last-Modified.

    The view gets the services.DataState and returns a response or a body; only a 200 is made cacheable (and kept
    in this process's small response cache, see _remember)."""

    @functools.wraps(view)
    def wrapper(**kwargs: Any):
        lang = _lang()
        with force_locale(lang) if lang else contextlib.nullcontext():
            state = services.data_state(db.session)
            basis = "|".join([state.basis, today_local().isoformat(), ui_locale(), lang or "", services.templates_hash(),
                              services.licence(current_app.config)["name"], _address(), request.path])
            etag = hashlib.sha256(basis.encode()).hexdigest()[:32]
            if request.if_none_match.contains(etag):
                response = make_response("", 304)
            else:
                response = _recall(etag)
                if response is None:
                    response = make_response(view(state, **kwargs))
                    if response.status_code != 200:
                        return response
                    _remember(etag, response)
            response.set_etag(etag)
            if state.last_updated is not None:
                response.last_modified = state.last_updated
            scope = "private" if session.modified else "public"  # a refreshed login cookie must not sit in a shared cache
            response.headers["Cache-Control"] = f"{scope}, max-age={int(current_app.config['PUBLIC_CACHE_SECONDS'])}"
            return response

    return wrapper


def _page_context(state: services.DataState) -> dict:
    lang = _lang()
    return {"q": {"lang": lang} if lang else {}, "licence": services.licence(current_app.config), "last_updated": state.last_updated}


def row_helpers(items: list[services.Recognition]) -> dict:
    """What the recognitions table needs per row, worked out once: link prefixes of the unit and verify pages, the
    ?lang= suffix, and each distinct decision date as dd/mm/yyyy ({date: text}). A table of hundreds of rows then
    costs no url_for, gettext or Babel call per row."""
    lang = _lang()
    unit_link = url_for("public.unit", unit_code="X")
    verify_link = url_for("verify.verify", code="X")
    return {"unit_prefix": unit_link[:-1], "verify_prefix": verify_link[:-1], "query": f"?lang={lang}" if lang else "",
            "dates": {d: vndate(d) for d in {r.decision_date for r in items}}}


@bp.route("/")
@cached
def index(state: services.DataState):
    """Public, no login: progress against each target, the sets and years with their recognised units, open data."""
    return render_template("public/index.html", rows=services.progress(db.session, today_local()),
                           set_years=services.set_years(db.session), **_page_context(state))


@bp.route("/bo/<set_code>/<int:year>")
@cached
def set_year(state: services.DataState, set_code: str, year: int):
    """Public, no login: the units recognised for one criteria set and year, with decision and certificate."""
    found = next((s for s in services.set_years(db.session) if s.set_code == set_code and s.year == year), None)
    if found is None:
        abort(404)
    items = services.recognitions(db.session, set_code=set_code, year=year)
    return render_template("public/set_year.html", sy=found, items=items, rows=row_helpers(items), **_page_context(state))


@bp.route("/don-vi/<unit_code>")
@cached
def unit(state: services.DataState, unit_code: str):
    """Public, no login: one unit's recognitions over the years."""
    found = services.unit_by_code(db.session, unit_code)
    if found is None:
        abort(404)
    items = services.recognitions(db.session, unit_id=found.id)
    return render_template("public/unit.html", unit=found, items=items, rows=row_helpers(items), **_page_context(state))


def _address() -> str:
    """The configured public address (PUBLIC_BASE_URL) for absolute links in the data, never the request's Host header
    (a cached response must not carry an address a client chose); "" (relative links) when none is configured."""
    from app.certificates.services import public_address

    return public_address() or ""


def _iso(value) -> str | None:
    return value.isoformat(timespec="seconds") if value is not None else None


def _citation(source, lang: str) -> str:
    return citation_text(source.file, getattr(source, "line", None), lang) if source else ""


def _number(value) -> float | int | None:
    if value is None:
        return None
    value = float(value)
    return int(value) if value.is_integer() else round(value, 2)


def open_data(state: services.DataState) -> dict:
    """The open data document (JSON-ready dict): licence, last_updated (ISO 8601, +07:00), recognitions, progress.

    Language-independent: names and texts in Vietnamese and English, dates ISO 8601, numbers as numbers
    (percentages 0-100)."""
    lic = services.licence(current_app.config)
    verify = _address() + url_for("verify.verify", code="X")[:-1]  # once, not per row
    recognitions = [{
        "set_code": r.set_code, "set_name_vi": r.set_name_vi, "set_name_en": r.set_name_en, "year": r.year,
        "unit_code": r.unit_code, "unit_name": r.unit_name, "unit_type": r.unit_type,
        "decision": {"number": r.decision_number, "date": r.decision_date.isoformat(), "issuing_body": r.issuing_body},
        "certificate": ({"number": r.certificate_number, "verify_url": verify + urllib.parse.quote(r.verify_code, safe="")}
                        if r.verify_code else None),
    } for r in services.recognitions(db.session)]
    progress = [{
        "set_code": p.set_code, "target_code": p.target.code, "target_vi": p.target.text_vi, "target_en": p.target.text_en or None,
        "metric": p.target.metric, "target_value": _number(p.target.value), "target_value_max": _number(p.target.value_max),
        "target_year": p.target.year, "units_in_scope": p.in_scope, "units_recognised": p.recognised, "actual": _number(p.actual),
        "expected_now": _number(p.expected), "status": p.status,
        "source": {"vi": _citation(p.target.source, "vi"), "en": _citation(p.target.source, "en"), "ref": raw_source(p.target.source)},
    } for p in services.progress(db.session, today_local())]
    return {
        "title": "Công khai kết quả đánh giá tiêu chí — thành phố Hải Phòng",
        "licence": {**lic, "note": None if lic["configured"] else
                    "Configurable default of the software (PUBLIC_DATA_LICENCE), not a decision of the city."},
        "last_updated": _iso(state.last_updated),
        "generated_for": today_local().isoformat(),
        "recognitions": recognitions,
        "progress": progress,
    }


@bp.route("/du-lieu.json")
@cached
def data_json(state: services.DataState):
    """Open data, no login: recognitions and progress as JSON (UTF-8), with licence and last_updated."""
    body = json.dumps(open_data(state), ensure_ascii=False, indent=1)
    response = make_response(body)
    response.headers["Content-Type"] = "application/json; charset=utf-8"
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


def _csv_response(data: bytes, name: str):
    response = make_response(data)
    response.headers["Content-Type"] = CSV_TYPE
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


def _meta(state: services.DataState) -> list[str]:
    lic = services.licence(current_app.config)
    name = lic["name"] if lic["configured"] else lic["name"] + " " + _("(mặc định có thể cấu hình, chưa phải quyết định của thành phố)")
    return [name, _iso(state.last_updated) or ""]


@bp.route("/du-lieu.csv")
@cached
def data_csv(state: services.DataState):
    """Open data, no login: one row per recognised unit (UTF-8 with BOM), licence and last_updated on every row."""
    headers = [_("Mã bộ tiêu chí"), _("Bộ tiêu chí"), _("Năm"), _("Mã đơn vị"), _("Đơn vị"), _("Loại đơn vị"), _("Số quyết định"),
               _("Ngày quyết định"), _("Cơ quan ban hành"), _("Số giấy chứng nhận"), _("Địa chỉ xác minh"), _("Giấy phép dữ liệu"),
               _("Cập nhật lần cuối")]
    verify = _address() + url_for("verify.verify", code="X")[:-1]  # words and prefixes once, not per row
    meta = _meta(state)
    en = ui_locale() == "en"
    types = {code: label(code, "unit_type") for code in UNIT_TYPE}
    rows = [[r.set_code, (r.set_name_en or r.set_name_vi) if en else r.set_name_vi, str(r.year), r.unit_code, r.unit_name,
             types.get(r.unit_type, r.unit_type), r.decision_number, r.decision_date.strftime("%d/%m/%Y"), r.issuing_body,
             r.certificate_number or "", verify + urllib.parse.quote(r.verify_code, safe="") if r.verify_code else "", *meta]
            for r in services.recognitions(db.session)]
    return _csv_response(to_csv(headers, rows), "cong-khai-don-vi-dat-chuan.csv")


@bp.route("/tien-do.csv")
@cached
def progress_csv(state: services.DataState):
    """Open data, no login: progress against each target (UTF-8 with BOM; numbers with a decimal point, as every CSV
    of the app), licence and last_updated on every row."""
    headers = [_("Mã bộ tiêu chí"), _("Mục tiêu"), _("Năm"), _("Đơn vị trong phạm vi"), _("Đã công nhận"), _("Thực hiện"),
               _("Mục tiêu (giá trị)"), _("Cần đạt theo tiến độ"), _("Đánh giá"), _("Nguồn"), _("Nguồn (tệp:dòng)"),
               _("Giấy phép dữ liệu"), _("Cập nhật lần cuối")]
    lang = ui_locale()
    meta = _meta(state)
    rows = [[p.set_code, (p.target.text_en or p.target.text_vi) if lang == "en" else p.target.text_vi, str(p.target.year), p.in_scope,
             p.recognised, _number(p.actual), _number(p.target.value), _number(p.expected), str(TRACK_LABELS[p.status]),
             _citation(p.target.source, lang), raw_source(p.target.source), *meta]
            for p in services.progress(db.session, today_local())]
    return _csv_response(to_csv(headers, rows), "cong-khai-tien-do.csv")
