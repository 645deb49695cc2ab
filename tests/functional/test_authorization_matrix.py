"""Authorization matrix: every route of app.url_map × every role, with objects of another unit (IDOR).

ok: 200/302 and not a redirect to the login page; deny: 403; login: redirect to the login page;
any: allowed past the access check (< 500, not 403; may be 302/400/404/409/422 by state).
A route missing from MATRIX fails the test, so every new route must be classified here.
"""

from __future__ import annotations

import io

import pytest
import sqlalchemy as sa

from app.extensions import db
from tests.conftest import Client, FreshContextClient
from tests.reports_fixture import build

ROLES = ("anon", "off_a", "off_b", "rev_in", "rev_out", "viewer", "owner", "admin")
USERNAMES = {"off_a": "canbo.a", "off_b": "canbo.b", "rev_in": "thamdinh", "rev_out": "thamdinh.th", "viewer": "xem", "admin": "quantri",
             "owner": "phutrach"}


def expect(anon="login", off_a="deny", off_b="deny", rev_in="deny", rev_out="deny", viewer="deny", admin="deny", owner=None) -> dict:
    """Expectations per role; `owner` (a viewer who owns the CQTT criteria set) defaults to the viewer's."""
    return {"anon": anon, "off_a": off_a, "off_b": off_b, "rev_in": rev_in, "rev_out": rev_out, "viewer": viewer, "admin": admin,
            "owner": viewer if owner is None else owner}


ALL_OK = expect("ok", "ok", "ok", "ok", "ok", "ok", "ok")
CRITERIA = expect(owner="ok", admin="ok")                         # criteria pages: admins and owners of the set
CRITERIA_ACT = expect(owner="any", admin="any")
LOGGED_OK = expect("login", "ok", "ok", "ok", "ok", "ok", "ok")
ADMIN_ONLY = expect(admin="ok")
READERS = expect(rev_in="ok", viewer="ok", admin="ok")            # city-wide readers of the set (not officials)
REVIEWERS = expect(rev_in="any", admin="any")                     # may act on the set
NO_COOKIE = expect("login", "login", "login", "login", "login", "login", "login", "login")  # API without a token: 401
UNIT_A = expect(off_a="ok", rev_in="ok", viewer="ok", admin="ok")  # unit A's own data

# (endpoint, method) → (path template, expectations)
MATRIX = {
    ("audit.index", "GET"): ("/admin/audit/", ADMIN_ONLY),
    ("auth.login", "GET"): ("/login", ALL_OK),
    ("auth.login", "POST"): ("/login", expect("any", "any", "any", "any", "any", "any", "any")),
    ("auth.logout", "POST"): ("/logout", expect("any", "any", "any", "any", "any", "any", "any")),
    ("auth.users", "GET"): ("/admin/users", ADMIN_ONLY),
    ("auth.user_new", "GET"): ("/admin/users/new", ADMIN_ONLY),
    ("auth.user_new", "POST"): ("/admin/users/new", expect(admin="any")),
    ("auth.user_edit", "GET"): ("/admin/users/{official_b_user}", ADMIN_ONLY),
    ("auth.user_edit", "POST"): ("/admin/users/{official_b_user}", expect(admin="any")),
    ("auth.user_end_sessions", "POST"): ("/admin/users/{official_b_user}/end-sessions", expect(admin="any")),
    ("auth.change_password", "GET"): ("/account/password", LOGGED_OK),
    ("auth.change_password", "POST"): ("/account/password", expect("login", "any", "any", "any", "any", "any", "any")),
    ("campaigns.index", "GET"): ("/campaigns/", LOGGED_OK),
    ("campaigns.new", "GET"): ("/campaigns/new", ADMIN_ONLY),
    ("campaigns.new", "POST"): ("/campaigns/new", expect(admin="any")),
    ("campaigns.detail", "GET"): ("/campaigns/{campaign}", expect(off_a="ok", off_b="ok", rev_in="ok", viewer="ok", admin="ok")),
    ("criteria_sets.index", "GET"): ("/criteria/", CRITERIA),
    ("criteria_sets.version", "GET"): ("/criteria/versions/{version}", CRITERIA),
    ("criteria_sets.preview", "GET"): ("/criteria/versions/{version}/preview", CRITERIA),
    ("criteria_sets.preview", "POST"): ("/criteria/versions/{version}/preview", CRITERIA_ACT),
    ("criteria_sets.compare", "GET"): ("/criteria/versions/{version}/compare", CRITERIA),
    ("criteria_sets.mapping", "GET"): ("/criteria/versions/{version}/mapping", CRITERIA),
    ("criteria_sets.mapping", "POST"): ("/criteria/versions/{version}/mapping", CRITERIA_ACT),
    ("criteria_sets.publish", "POST"): ("/criteria/versions/{version}/publish", CRITERIA_ACT),
    ("criteria_sets.retire", "POST"): ("/criteria/versions/{version}/retire", CRITERIA_ACT),
    ("criteria_sets.download", "GET"): ("/criteria/versions/{version}/workbook.xlsx", CRITERIA),
    ("criteria_sets.upload", "GET"): ("/criteria/import", CRITERIA),
    ("criteria_sets.upload", "POST"): ("/criteria/import", CRITERIA_ACT),
    ("certificates.decision", "GET"): ("/certificates/decisions/{decision}", READERS),
    ("certificates.issue", "POST"): ("/certificates/decisions/{decision}/issue", REVIEWERS),
    ("certificates.batch_zip", "POST"): ("/certificates/decisions/{decision}/zip", expect(rev_in="any", viewer="any", admin="any")),
    ("certificates.campaign_zip", "POST"): ("/certificates/campaigns/{campaign}/zip", expect(rev_in="any", viewer="any", admin="any")),
    ("certificates.pdf", "GET"): ("/certificates/{certificate}.pdf", UNIT_A),
    ("certificates.revoke", "POST"): ("/certificates/{certificate}/revoke", expect(admin="any")),
    ("certificates.reissue", "POST"): ("/certificates/{certificate}/reissue", expect(admin="any")),
    ("main.health", "GET"): ("/healthz", ALL_OK),
    ("main.ready", "GET"): ("/readyz", ALL_OK),
    ("main.index", "GET"): ("/", LOGGED_OK),
    ("main.set_language", "POST"): ("/lang", expect("any", "any", "any", "any", "any", "any", "any")),
    ("notifications.index", "GET"): ("/notifications/", LOGGED_OK),
    ("notifications.read_all", "POST"): ("/notifications/read", expect("login", "any", "any", "any", "any", "any", "any")),
    ("notifications.open_one", "POST"): ("/notifications/{notification}/open", expect("login", "any", "any", "any", "any", "any", "any")),
    ("reports.index", "GET"): ("/reports/", LOGGED_OK),
    # A reviewer of other sets asking for CQTT gets the page for their own sets only (the filter is dropped).
    ("reports.section", "GET"): ("/reports/plan?set_code=CQTT", expect(rev_in="ok", rev_out="ok", viewer="ok", admin="ok")),
    ("reports.section_csv", "GET"): ("/reports/ranking.csv?set_code=CQTT", expect(rev_in="ok", rev_out="ok", viewer="ok", admin="ok")),
    ("reports.section_xlsx", "GET"): ("/reports/ranking.xlsx?set_code=CQTT", expect(rev_in="ok", rev_out="ok", viewer="ok", admin="ok")),
    ("reports.export", "POST"): ("/reports/exports", expect(rev_in="any", viewer="any", admin="any")),
    ("reports.export_status", "GET"): ("/reports/exports/{job}", expect(viewer="ok", admin="ok", owner="deny")),
    ("reports.export_retry", "POST"): ("/reports/exports/{job}/retry", expect(viewer="any", admin="any", owner="deny")),
    ("reports.export_download", "GET"): ("/reports/exports/{job}/download", expect(viewer="ok", admin="ok", owner="deny")),
    ("reports.unit_card", "GET"): ("/reports/units/{unit_a}", expect(off_a="ok", rev_in="ok", rev_out="ok", viewer="ok", admin="ok")),
    ("review.queue", "GET"): ("/review/", expect(rev_in="ok", rev_out="ok", viewer="ok", admin="ok")),
    ("review.submission", "GET"): ("/review/{submission_a}", READERS),
    ("review.submission", "POST"): ("/review/{submission_a}", REVIEWERS),
    ("review.approve", "POST"): ("/review/{submission_a}/approve", REVIEWERS),
    ("review.approve", "GET"): ("/review/{submission_a}/approve", expect(rev_in="ok", admin="ok")),  # the confirmation step
    ("review.preview", "POST"): ("/review/{submission_a}/preview", REVIEWERS),
    ("review.reject", "POST"): ("/review/{submission_a}/reject", REVIEWERS),
    ("review.reopen", "POST"): ("/review/{submission_a}/reopen", expect(admin="any")),
    ("review.reopen_campaign", "GET"): ("/review/campaigns/{campaign}/reopen", ADMIN_ONLY),
    ("review.reopen_campaign", "POST"): ("/review/campaigns/{campaign}/reopen", expect(admin="any")),
    ("review.assignments", "GET"): ("/review/campaigns/{campaign}/assignments", ADMIN_ONLY),
    ("review.assignments", "POST"): ("/review/campaigns/{campaign}/assignments", expect(admin="any")),
    ("review.discrepancies", "GET"): ("/review/campaigns/{campaign}/discrepancies", READERS),
    ("review.decisions", "GET"): ("/review/decisions/", LOGGED_OK),
    ("review.decision", "GET"): ("/review/decisions/{decision}", READERS),
    ("review.decision_new", "GET"): ("/review/campaigns/{campaign}/decisions/new", expect(rev_in="ok", admin="ok")),
    ("review.decision_new", "POST"): ("/review/campaigns/{campaign}/decisions/new", REVIEWERS),
    ("review.decision_scan", "GET"): ("/review/decisions/{decision}/scan", expect(rev_in="any", viewer="any", admin="any")),
    ("static", "GET"): ("/static/css/app.css", ALL_OK),
    ("submissions.dashboard", "GET"): ("/assessments/", LOGGED_OK),
    ("submissions.overview", "GET"): ("/assessments/{campaign}/{unit_a}/", UNIT_A),
    ("submissions.result", "GET"): ("/assessments/{campaign}/{unit_a}/result", UNIT_A),
    ("submissions.confirm", "GET"): ("/assessments/{campaign}/{unit_a}/submit/confirm", UNIT_A),
    ("submissions.group", "GET"): ("/assessments/{campaign}/{unit_a}/groups/G1", UNIT_A),
    # The export job belongs to the viewer "xem": another viewer (the owner) may not read it.
    # Unit B's submission is returned for revision: only B's official may edit it.
    ("submissions.group", "POST"): ("/assessments/{campaign}/{unit_b}/groups/G1", expect(off_b="any")),
    ("submissions.submit", "POST"): ("/assessments/{campaign}/{unit_b}/submit", expect(off_b="any")),
    ("submissions.evidence", "GET"): ("/assessments/evidence/{evidence_a}", UNIT_A),
    ("verify.verify", "GET"): ("/verify/{verify_code}", ALL_OK),
    ("verify.verify_form", "GET"): ("/verify", ALL_OK),
    # Public results and open data (/cong-khai/): no login, the same for everyone.
    ("public.index", "GET"): ("/cong-khai/", ALL_OK),
    ("public.set_year", "GET"): ("/cong-khai/bo/CQTT/2026", ALL_OK),
    ("public.unit", "GET"): ("/cong-khai/don-vi/{unit_a_code}", ALL_OK),
    ("public.data_json", "GET"): ("/cong-khai/du-lieu.json", ALL_OK),
    ("public.data_csv", "GET"): ("/cong-khai/du-lieu.csv", ALL_OK),
    ("public.progress_csv", "GET"): ("/cong-khai/tien-do.csv", ALL_OK),
    # The public citizen survey: no login; a POST without a valid form is refused with the form again.
    ("survey_public.respond", "GET"): ("/khao-sat/{survey_code}", ALL_OK),
    ("survey_public.respond", "POST"): ("/khao-sat/{survey_code}", expect("any", "any", "any", "any", "any", "any", "any")),
    # A unit's survey results: its officials, reviewers of the set, viewers, admins; exclusion: reviewers of the set, admins.
    ("surveys.results", "GET"): ("/surveys/{survey_link}", UNIT_A),
    ("surveys.exclude", "POST"): ("/surveys/{survey_link}/exclude", REVIEWERS),
    # The city-wide survey report (aggregates only): readers of the campaign's set, never officials.
    ("surveys.report", "GET"): ("/surveys/report?campaign_id={campaign}", READERS),
    ("surveys.report_csv", "GET"): ("/surveys/report.csv?campaign_id={campaign}", READERS),
    ("surveys.report_xlsx", "GET"): ("/surveys/report.xlsx?campaign_id={campaign}", READERS),
    # The unit's survey poster (A4 PDF): its officials, reviewers of the set, admins; the first print makes the link.
    # The JSON API never accepts the session cookie: every role gets 401 problem+json without a bearer token
    # (token scope is tested in tests/functional/test_api.py). Its description and docs page are public.
    **{(f"api.{name}", "GET"): (path, NO_COOKIE) for name, path in [
        ("units", "/api/v1/units"), ("unit", "/api/v1/units/{unit_a}"), ("criteria_sets", "/api/v1/criteria-sets"),
        ("criteria_version", "/api/v1/criteria-versions/{version}"), ("campaigns", "/api/v1/campaigns"),
        ("campaign", "/api/v1/campaigns/{campaign}"), ("submissions", "/api/v1/submissions"),
        ("submission", "/api/v1/submissions/{submission_a}"), ("report_plan", "/api/v1/reports/plan"),
        ("report_ranking", "/api/v1/reports/ranking?set_code=CQTT"), ("report_heatmap", "/api/v1/reports/heatmap?set_code=CQTT"),
        ("certificates", "/api/v1/certificates"), ("certificate", "/api/v1/certificates/{certificate}")]},
    ("api.openapi_json", "GET"): ("/api/v1/openapi.json", ALL_OK),
    ("api.docs", "GET"): ("/api/v1/docs", ALL_OK),
    ("api.docs_asset", "GET"): ("/api/v1/docs/assets/swagger-ui.css", ALL_OK),
    ("api_tokens.index", "GET"): ("/admin/api-tokens/", ADMIN_ONLY),
    ("api_tokens.index", "POST"): ("/admin/api-tokens/", expect(admin="any")),
    ("api_tokens.revoke", "POST"): ("/admin/api-tokens/1/revoke", expect(admin="any")),
    ("survey_poster.poster", "GET"): ("/surveys/poster/{campaign}/{unit_a}/HAILONG_DV.pdf", expect(off_a="ok", rev_in="ok", admin="ok")),
}


def route_keys(app) -> set[tuple[str, str]]:
    return {(rule.endpoint, method) for rule in app.url_map.iter_rules() for method in rule.methods - {"HEAD", "OPTIONS"}}


def test_every_route_is_in_the_matrix(app):
    assert route_keys(app) == set(MATRIX), {"missing": route_keys(app) - set(MATRIX), "stale": set(MATRIX) - route_keys(app)}


@pytest.fixture
def ids(app, make_unit, make_user, make_campaign):
    from app.auth.models import User
    from app.certificates.services import issue_for_decision
    from app.jobs.models import ExportJob
    from app.notifications.models import Notification
    from app.review.models import RecognitionDecision
    from app.submissions.models import Evidence, Submission

    data = build(app, make_unit, make_user, make_campaign)
    make_user("thamdinh.th", "reviewer", scope=["THXHCN"])
    from app.campaigns.models import CriteriaVersion
    from app.criteria_sets.models import CriteriaOwnerScope

    owner = make_user("phutrach", "viewer")
    owner.owned_sets.append(CriteriaOwnerScope(set_code="CQTT"))
    decision = db.session.scalar(sa.select(RecognitionDecision))
    cert = issue_for_decision(db.session, data["reviewer"], decision.id)[0]
    viewer = db.session.scalar(sa.select(User).where(User.username == "xem"))
    job = ExportJob(user_id=viewer.id, kind="report", fmt="xlsx", params={"filter": {"set_code": "CQTT", "year": None, "unit_type": ""},
                                                                          "sections": ["plan"]})
    db.session.add(job)
    db.session.commit()
    from app.jobs.services import run_job

    run_job(job.id)
    a, b = data["units"]["A"], data["units"]["B"]
    from app.surveys.services import ensure_link

    survey_link = ensure_link(db.session, data["new"], a, "HAILONG_DV")
    db.session.commit()
    sub_a = db.session.scalar(sa.select(Submission).where(Submission.unit_id == a.id, Submission.campaign_id == data["new"].id))
    return {
        "campaign": data["new"].id, "unit_a": a.id, "unit_a_code": a.code, "unit_b": b.id, "submission_a": sub_a.id, "decision": decision.id,
        "certificate": cert.id, "verify_code": cert.verify_code, "job": job.id, "survey_code": survey_link.code,
        "survey_link": survey_link.id,
        "evidence_a": db.session.scalar(sa.select(Evidence.id).where(Evidence.submission_id == sub_a.id).limit(1)),
        "notification": db.session.scalar(sa.select(Notification.id).where(Notification.user_id == data["officials"]["A"].id).limit(1)),
        "official_b_user": data["officials"]["B"].id,
        "version": data["new"].criteria_version_id,
        "version_other": db.session.scalar(sa.select(CriteriaVersion.id).where(CriteriaVersion.code == "THXHCN")),
    }


def classify(response) -> str:
    if response.status_code == 403:
        return "deny"
    if response.status_code in (301, 302) and "/login" in (response.location or ""):
        return "login"
    if response.status_code == 401:  # a save by a logged-out user: refused, with the typed values and a "log in" message
        return "login"
    if response.status_code >= 500:
        return "error"
    return "ok" if response.status_code in (200, 302) else "other"


@pytest.mark.parametrize("role", ROLES)
def test_matrix(app, ids, role):
    app.test_client_class = FreshContextClient
    client = Client(app.test_client())
    if role != "anon":
        assert client.login(USERNAMES[role]).status_code == 302
    token = client.token("/login" if role == "anon" else "/notifications/")
    failures = []
    # Read-only routes first, then state-changing ones, so earlier POSTs do not change what later GETs see.
    for (endpoint, method), (template, expected) in sorted(MATRIX.items(), key=lambda kv: (kv[0][1] != "GET", kv[0])):
        if (endpoint, method) == ("auth.logout", "POST"):
            continue  # would end the session for the rest of the loop; covered by the access tests
        url = template.format(**ids)
        if method == "GET":
            response = client.c.get(url)
        else:
            data = {"csrf_token": token, "reason": "", "version": ""}
            if endpoint == "reports.export":
                data["set_code"] = "CQTT"
            if endpoint == "review.decision_new":
                data["scan"] = (io.BytesIO(b""), "")
            response = client.c.post(url, data=data)
        got = classify(response)
        want = expected[role]
        ok = (got == want) if want in ("ok", "deny", "login") else (got not in ("deny", "error", "login"))
        if not ok:
            failures.append(f"{method} {url} ({endpoint}) as {role}: expected {want}, got {response.status_code} {got}")
    assert not failures, "\n".join(failures)
