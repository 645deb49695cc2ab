"""The /api/v1/ blueprint: bearer-token authentication (never session cookies), per-token rate limits, one audit
row per request, problem+json errors, and the read-only endpoints. Each route is declared with `api_route`, which
also records it for the OpenAPI description (app.api.openapi)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, current_app, g, jsonify, request, send_from_directory, url_for
from flask_babel import gettext as _
from pydantic import BaseModel, ValidationError
from werkzeug.exceptions import HTTPException

from app.errors import DomainError
from app.extensions import csrf, db, limiter

from . import schemas, services
from .openapi import OPERATIONS, Operation, build_spec
from .problems import api_locale, problem

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)

#: Endpoints that need no token: the description and its interactive page.
PUBLIC_ENDPOINTS = frozenset({"api.openapi_json", "api.docs", "api.docs_asset"})


def rate_key() -> str:
    """Flask-Limiter key: the token's prefix when the header holds a well-formed token, else the client address."""
    plain = services.bearer(request.headers.get("Authorization"))
    prefix = services.split_token(plain) if plain else None
    return f"api-token:{prefix}" if prefix else f"api-ip:{request.remote_addr}"


limiter.limit(lambda: current_app.config["API_RATE_LIMIT"], key_func=rate_key)(bp)


@bp.before_request
def authenticate():
    """Every request but the description needs `Authorization: Bearer <token>` of an active token of an enabled
    user; a session cookie is never looked at. Sets g.api_token and g.api_user, or answers 401."""
    g.api_token = g.api_user = None
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    outcome = services.authenticate(db.session, services.bearer(request.headers.get("Authorization")))
    if outcome.token is not None:
        g.api_token = outcome.token  # audited, even when refused below
    if outcome.refused:
        detail = {
            "revoked": _("Mã truy cập API này đã bị thu hồi."),
            "expired": _("Mã truy cập API này đã hết hạn."),
            "disabled": _("Tài khoản gắn với mã truy cập này đã bị khoá."),
        }.get(outcome.refused, _("Cần mã truy cập API hợp lệ trong tiêu đề Authorization: Bearer <mã>."))
        return problem(401, detail)
    g.api_user = outcome.token.user
    return None


@bp.after_request
def audit(response):
    """One audit row per request made with a known token (endpoint, method, status), and the token's last use."""
    response.headers["Vary"] = "Authorization, Accept-Language"
    response.headers.setdefault("Cache-Control", "no-store" if request.endpoint not in PUBLIC_ENDPOINTS else "no-cache")
    token = g.get("api_token")
    if token is not None:
        try:
            db.session.rollback()  # nothing of the view is written: the API only reads
            token = db.session.merge(token)
            services.record_use(db.session, token, request.path, request.method, response.status_code,
                                accepted=g.get("api_user") is not None)
            db.session.commit()
        except Exception:  # noqa: BLE001 - an audit failure must not hide the answer; it is logged
            db.session.rollback()
            current_app.logger.exception("api: could not record the use of token %s", getattr(token, "prefix", "?"))
    return response


# ------------------------------------------------------------------ errors: problem+json only


def _http_problem(exc: HTTPException):
    headers = {}
    if exc.code == 405:
        headers["Allow"] = "GET, HEAD, OPTIONS"
    if exc.code == 429:
        return problem(429, headers={"Retry-After": "60"})
    return problem(exc.code or 500, headers=headers)


for _code in (400, 401, 403, 404, 405, 406, 413, 415, 429, 500):
    bp.register_error_handler(_code, _http_problem)


@bp.errorhandler(DomainError)
def _domain_problem(exc: DomainError):
    db.session.rollback()
    return problem(exc.status_code, exc.message)


@bp.errorhandler(Exception)
def _unexpected(exc: Exception):
    from sqlalchemy.exc import OperationalError

    db.session.rollback()
    if isinstance(exc, HTTPException):
        return _http_problem(exc)
    if isinstance(exc, OperationalError):
        current_app.logger.error("api: database unavailable: %s", exc)
        return problem(503)
    current_app.logger.exception("api: unexpected error")
    return problem(500)


# ------------------------------------------------------------------ declaring routes


def parse_query(model: type[BaseModel]) -> Any:
    """The request's query string as `model`; raises _BadQuery (400 with invalid-params) when it does not fit."""
    raw: dict[str, Any] = {}
    for key in request.args:
        values = request.args.getlist(key)
        raw[key] = values[0] if len(values) == 1 else values
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        invalid = [{"name": ".".join(str(p) for p in err["loc"]) or "?", "reason": err["msg"]} for err in exc.errors(include_url=False)]
        names = ", ".join(dict.fromkeys(i["name"] for i in invalid))
        raise _BadQuery(_("Tham số truy vấn không hợp lệ: %(names)s.", names=names), invalid) from None


class _BadQuery(Exception):
    def __init__(self, detail: str, invalid: list[dict]):
        super().__init__(detail)
        self.detail, self.invalid = detail, invalid


@bp.errorhandler(_BadQuery)
def _bad_query(exc: _BadQuery):
    return problem(400, exc.detail, extra={"invalid-params": exc.invalid})


def api_route(rule: str, query: type[BaseModel], response: type[BaseModel] | None, summary: str, description: str = "",
              tag: str = "", secured: bool = True) -> Callable:
    """Register a GET view under /api/v1 and document it. The view gets `q` (the parsed query model) and the path
    variables, and returns a dict that is checked against `response` before it is sent as JSON."""
    import re

    def decorate(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapper(**kwargs: Any):
            q = parse_query(query)
            body = view(q, **kwargs)
            if response is None:
                return body
            return jsonify(response.model_validate(body).model_dump(mode="json", by_alias=True))

        bp.add_url_rule(rule, view.__name__, wrapper, methods=["GET"])
        path_params = re.findall(r"<(?:\w+:)?(\w+)>", rule)
        OPERATIONS.append(Operation(rule=rule, path=re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule), endpoint=view.__name__,
                                    summary=summary, description=description, query=query, response=response,
                                    path_params=path_params, tag=tag, secured=secured))
        return wrapper

    return decorate


def page_body(q: schemas.PageQuery, items: list, total: int, **extra: Any) -> dict:
    """The paging envelope: items, page, per_page, total, pages and links (same filters, other pages)."""
    pages = max(1, -(-total // q.per_page))
    args = {k: v for k, v in request.args.items() if k != "page"}

    def link(page: int) -> str:
        return request.path + "?" + urlencode({**args, "page": page})

    links = {"self": link(q.page), "first": link(1), "last": link(pages),
             "prev": link(min(q.page - 1, pages)) if q.page > 1 else None, "next": link(q.page + 1) if q.page < pages else None}
    return {"items": items, "page": q.page, "per_page": q.per_page, "total": total, "pages": pages, "links": links, **extra}


def _user():
    return g.api_user


def _num(value) -> float | None:
    return None if value is None else float(value)


# ------------------------------------------------------------------ shapes


def unit_ref(unit) -> dict:
    return {"id": unit.id, "code": unit.code, "name": unit.name}


def unit_body(unit) -> dict:
    return {**unit_ref(unit), "unit_type": unit.unit_type, "parent_id": unit.parent_id, "is_sample": unit.is_sample}


def version_summary(v) -> dict:
    return {"id": v.id, "code": v.code, "version": v.version, "revision": v.revision, "label": v.label, "status": v.status,
            "name_vi": v.name_vi, "name_en": v.name_en, "effective_from": v.effective_from}


def campaign_body(c) -> dict:
    return {"id": c.id, "name": c.name, "set_code": c.criteria_version.code, "criteria_version_id": c.criteria_version_id,
            "year": c.year, "opens_on": c.opens_on, "closes_on": c.closes_on, "effective_close": c.effective_close,
            "scope_unit_types": list(c.scope_unit_types or []), "unit_ids": [u.id for u in c.units]}


def submission_body(s) -> dict:
    return {"id": s.id, "campaign_id": s.campaign_id, "set_code": s.campaign.criteria_version.code, "year": s.campaign.year,
            "unit": unit_ref(s.unit), "status": s.status, "round": s.round, "submitted_at": s.submitted_at, "updated_at": s.updated_at,
            "self_score": _num(s.self_score), "self_passed": s.self_passed, "final_score": _num(s.final_score),
            "final_passed": s.final_passed, "decided_at": s.decided_at}


def certificate_body(c) -> dict:
    from app.certificates.services import public_address

    base = public_address()
    return {"id": c.id, "number": c.number, "set_code": c.set_code, "year": c.year, "unit": unit_ref(c.unit), "status": c.status,
            "issued_at": c.issued_at, "decision": {"number": c.decision.number, "decided_on": c.decision.decided_on,
                                                    "issuing_body": c.decision.issuing_body},
            "verify_url": f"{base.rstrip('/')}/verify/{c.verify_code}" if base else None}


# ------------------------------------------------------------------ endpoints


@api_route("/units", schemas.UnitQuery, schemas.UnitPage, "Đơn vị / Units", "Cán bộ đơn vị chỉ thấy đơn vị mình.", "units")
def units(q: schemas.UnitQuery):
    items, total = services.units(db.session, _user(), q.unit_type, q.q, q.page, q.per_page)
    return page_body(q, [unit_body(u) for u in items], total)


@api_route("/units/<int:unit_id>", schemas.EmptyQuery, schemas.Unit, "Một đơn vị / One unit", tag="units")
def unit(q, unit_id: int):
    return unit_body(services.unit(db.session, _user(), unit_id))


@api_route("/criteria-sets", schemas.CriteriaSetQuery, schemas.CriteriaSetPage, "Bộ tiêu chí và phiên bản / Criteria sets and versions",
           "Bản nháp chỉ hiện với người quản lý bộ tiêu chí.", "criteria")
def criteria_sets(q: schemas.CriteriaSetQuery):
    sets = services.criteria_sets(db.session, _user())
    items, total = services.page_of(sets, q.page, q.per_page)
    return page_body(q, [{"code": code, "name_vi": versions[-1].name_vi, "name_en": versions[-1].name_en,
                          "versions": [version_summary(v) for v in versions]} for code, versions in items], total)


@api_route("/criteria-versions/<int:version_id>", schemas.EmptyQuery, schemas.CriteriaVersion,
           "Một phiên bản bộ tiêu chí, đủ danh sách chỉ tiêu / One criteria version with every indicator", tag="criteria")
def criteria_version(q, version_id: int):
    import dataclasses

    version = services.criteria_version(db.session, _user(), version_id)
    cset = version.criteria

    def plain(value):
        return dataclasses.asdict(value) if dataclasses.is_dataclass(value) else value

    indicators = []
    for group in cset.groups:
        for ind in group.indicators:
            indicators.append({"code": ind.code, "group_code": group.code, "text": ind.text, "text_en": ind.text_en, "type": ind.type,
                               "points": ind.points, "core": ind.core, "condition": ind.condition, "allow_na": ind.allow_na,
                               "evidence": plain(ind.evidence), "threshold": plain(ind.threshold),
                               "bands": [plain(b) for b in ind.bands], "options": [dict(o) for o in ind.options]})
    return {**version_summary(version), "scoring": plain(cset.scoring),
            "groups": [{"code": g_.code, "title_vi": g_.title_vi, "title_en": g_.title_en, "weight": g_.weight,
                        "indicator_codes": [i.code for i in g_.indicators]} for g_ in cset.groups],
            "indicators": indicators,
            "targets": [{"code": t.code, "text_vi": t.text_vi, "text_en": t.text_en, "metric": t.metric, "value": t.value, "year": t.year,
                         "scope": list(t.scope), "source": f"{t.source.file}:{t.source.line}"} for t in cset.targets]}


@api_route("/campaigns", schemas.CampaignQuery, schemas.CampaignPage, "Đợt đánh giá / Campaigns", tag="campaigns")
def campaigns(q: schemas.CampaignQuery):
    items, total = services.page_of(services.campaigns(db.session, _user(), q.set_code, q.year), q.page, q.per_page)
    return page_body(q, [campaign_body(c) for c in items], total)


@api_route("/campaigns/<int:campaign_id>", schemas.EmptyQuery, schemas.Campaign, "Một đợt đánh giá / One campaign", tag="campaigns")
def campaign(q, campaign_id: int):
    return campaign_body(services.campaign(db.session, _user(), campaign_id))


@api_route("/submissions", schemas.SubmissionQuery, schemas.SubmissionPage, "Phiếu đánh giá: trạng thái và điểm / Submissions",
           "Cán bộ đơn vị chỉ thấy phiếu của đơn vị mình; cán bộ thẩm định chỉ các bộ được giao.", "submissions")
def submissions(q: schemas.SubmissionQuery):
    items, total = services.submissions(db.session, _user(), set_code=q.set_code, year=q.year, campaign_id=q.campaign_id,
                                        unit_id=q.unit_id, status=q.status, page=q.page, per_page=q.per_page)
    return page_body(q, [submission_body(s) for s in items], total)


@api_route("/submissions/<int:submission_id>", schemas.EmptyQuery, schemas.SubmissionDetail,
           "Một phiếu, điểm theo nhóm và chỉ tiêu / One submission with group and indicator scores", tag="submissions")
def submission(q, submission_id: int):
    found, groups, indicators = services.submission(db.session, _user(), submission_id)
    return {**submission_body(found),
            "groups": [{"group_code": s.group_code, "earned": float(s.earned), "max_points": float(s.max_points), "percent": float(s.percent),
                        "passed": s.passed} for s in groups],
            "indicators": [{"indicator_code": s.indicator_code, "group_code": s.group_code, "self_met": s.self_met, "final_met": s.final_met,
                            "appraised": s.appraised, "max_points": float(s.max_points), "self_points": float(s.self_points),
                            "final_points": float(s.final_points), "self_na": s.self_na, "final_na": s.final_na, "condition": s.condition}
                           for s in indicators]}


@api_route("/reports/plan", schemas.PlanQuery, schemas.PlanPage, "Kế hoạch và thực hiện / Plan against actual",
           "Như trang báo cáo kế hoạch (app.reports.plan). Không dành cho cán bộ đơn vị (403).", "reports")
def report_plan(q: schemas.PlanQuery):
    from app.reports.common import ReportFilter
    from app.reports.plan import plan_vs_actual
    from app.submissions.services import today_local

    rows = plan_vs_actual(db.session, _user(), ReportFilter(set_code=q.set_code or "", year=q.year), today_local())
    items, total = services.page_of(rows, q.page, q.per_page)
    en = api_locale() == "en"
    return page_body(q, [{"set_code": r.set_code, "set_name": r.set_name, "target_code": r.target.code,
                          "target_text": (r.target.text_en or r.target.text_vi) if en else r.target.text_vi, "metric": r.target.metric,
                          "target_value": r.target.value, "target_year": r.target.year, "in_scope": r.in_scope, "recognised": r.recognised,
                          "actual": r.actual, "expected": r.expected, "status": r.status,
                          "source": f"{r.target.source.file}:{r.target.source.line}"} for r in items], total)


@api_route("/reports/ranking", schemas.RankingQuery, schemas.RankingPage, "Xếp hạng đơn vị / Ranking of units",
           "Như trang xếp hạng (app.reports.ranking).", "reports")
def report_ranking(q: schemas.RankingQuery):
    from app.reports.common import ReportFilter
    from app.reports.ranking import ranking

    flt = ReportFilter(set_code=q.set_code, year=q.year, unit_type=q.unit_type or "")
    result = ranking(db.session, _user(), flt, q.sort, q.page, q.per_page)
    rows = list(result) if q.page <= result.pages else []
    return page_body(q, [{"rank": r.rank, "unit_id": r.unit_id, "unit_name": r.unit_name, "unit_type": r.unit_type, "status": r.status,
                          "score": _num(r.score), "appraised": bool(r.appraised), "self_score": _num(r.self_score),
                          "passed": r.passed} for r in rows], result.total)


@api_route("/reports/heatmap", schemas.HeatmapQuery, schemas.HeatmapPage, "Bản đồ nhiệt theo nhóm / Heatmap by group",
           "Như trang bản đồ nhiệt (app.reports.heatmap).", "reports")
def report_heatmap(q: schemas.HeatmapQuery):
    from app.reports.common import ReportFilter
    from app.reports.heatmap import heatmap

    flt = ReportFilter(set_code=q.set_code, year=q.year, unit_type=q.unit_type or "")
    result = heatmap(db.session, _user(), flt, q.page, q.per_page)
    if result is None:
        return page_body(q, [], 0, groups=[])
    groups = [{"code": code, "title": title} for code, title in result.groups]
    rows = result.rows if q.page <= result.pages else []
    return page_body(q, [{"unit_name": name, "unit_type": unit_type,
                          "cells": [{"group_code": groups[i]["code"], "state": cls, "percent": pct} for i, (cls, pct) in enumerate(cells)]}
                         for name, unit_type, cells in rows], result.total, groups=groups)


@api_route("/certificates", schemas.CertificateQuery, schemas.CertificatePage, "Giấy chứng nhận / Certificates", tag="certificates")
def certificates(q: schemas.CertificateQuery):
    items, total = services.certificates(db.session, _user(), set_code=q.set_code, year=q.year, unit_id=q.unit_id, status=q.status,
                                         page=q.page, per_page=q.per_page)
    return page_body(q, [certificate_body(c) for c in items], total)


@api_route("/certificates/<int:certificate_id>", schemas.EmptyQuery, schemas.Certificate, "Một giấy chứng nhận / One certificate",
           tag="certificates")
def certificate(q, certificate_id: int):
    return certificate_body(services.certificate(db.session, _user(), certificate_id))


# ------------------------------------------------------------------ the description and its page


@bp.route("/openapi.json")
def openapi_json():
    """The OpenAPI 3.1 description, built once per process from the registered routes and the pydantic models."""
    spec = current_app.extensions.get("api_openapi")
    if spec is None:
        spec = current_app.extensions["api_openapi"] = build_spec(url_for("api.units").rsplit("/units", 1)[0])
    return jsonify(spec)


def swagger_dir() -> Path:
    """Swagger UI's files as shipped in the swagger-ui-py wheel (Apache-2.0, its LICENSE beside them)."""
    import swagger_ui

    return Path(swagger_ui.__file__).resolve().parent / "static"


#: The only Swagger UI files served (no editor, no source maps).
DOCS_ASSETS = frozenset({"swagger-ui.css", "swagger-ui-bundle.js", "swagger-ui-standalone-preset.js", "favicon-32x32.png", "LICENSE"})


@bp.route("/docs")
def docs():
    """The interactive page: Swagger UI from files shipped with the app, started by a static script (no inline code)."""
    from flask import render_template

    return render_template("api/docs.html")


@bp.route("/docs/assets/<name>")
def docs_asset(name: str):
    """One of the Swagger UI files, or 404."""
    from werkzeug.exceptions import NotFound

    if name not in DOCS_ASSETS:
        raise NotFound()
    mimetype = "text/plain" if name == "LICENSE" else None
    return send_from_directory(swagger_dir(), name, mimetype=mimetype, max_age=86400)
