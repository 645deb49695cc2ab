"""The read-only JSON API (/api/v1/): token scope, expiry, revocation, disabled users, audit, hashing at rest,
pagination, problem+json errors, the per-token rate limit, the admin token screen and the CLI."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from app.extensions import db
from tests.conftest import PASSWORD, Client, FreshContextClient
from tests.reports_fixture import build

PROBLEM = "application/problem+json"


@pytest.fixture
def data(app, make_unit, make_user, make_campaign):
    """The reports fixture (units A–E, CQTT 2025/2026, A recognised with a certificate) plus tokens per role."""
    from app.certificates.services import issue_for_decision
    from app.review.models import RecognitionDecision

    built = build(app, make_unit, make_user, make_campaign)
    decision = db.session.scalar(sa.select(RecognitionDecision))
    issue_for_decision(db.session, built["reviewer"], decision.id)
    db.session.commit()
    return built


def issue(user, **kwargs) -> str:
    from app.api.services import issue_token

    _token, plain = issue_token(db.session, None, user.id, kwargs.pop("name", "thử"), system=True, **kwargs)
    db.session.commit()
    return plain


def user(name: str):
    from app.auth.models import User

    return db.session.scalar(sa.select(User).where(User.username == name))


@pytest.fixture
def api(app):
    app.test_client_class = FreshContextClient
    client = app.test_client()

    def get(url: str, token: str | None = None, **headers):
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return client.get(url, headers=headers)

    return get


def test_official_token_sees_only_its_unit(data, api):
    a, b = data["units"]["A"], data["units"]["B"]
    token = issue(data["officials"]["A"])
    body = api("/api/v1/submissions", token).get_json()
    assert body["total"] == 2 and {s["unit"]["id"] for s in body["items"]} == {a.id}
    assert api(f"/api/v1/submissions?unit_id={b.id}", token).get_json()["total"] == 0
    from app.submissions.models import Submission

    sub_b = db.session.scalar(sa.select(Submission.id).where(Submission.unit_id == b.id))
    refused = api(f"/api/v1/submissions/{sub_b}", token)
    assert refused.status_code == 404 and refused.content_type == PROBLEM
    assert api(f"/api/v1/units/{b.id}", token).status_code == 404
    assert [u["id"] for u in api("/api/v1/units", token).get_json()["items"]] == [a.id]
    certs = api("/api/v1/certificates", token).get_json()
    assert [c["unit"]["id"] for c in certs["items"]] == [a.id]
    assert api("/api/v1/certificates", issue(data["officials"]["B"])).get_json()["total"] == 0
    assert api("/api/v1/reports/plan", token).status_code == 403  # city-wide reports: not for officials, as on the web


def test_reviewer_out_of_scope_sees_no_cqtt_submission(data, api, make_user):
    other = make_user("thamdinh.th", "reviewer", scope=["THXHCN"])
    assert api("/api/v1/submissions", issue(other)).get_json()["total"] == 0
    assert api("/api/v1/submissions", issue(data["reviewer"])).get_json()["total"] == 5


def test_submission_detail_has_status_and_scores(data, api):
    from app.submissions.models import Submission

    a = data["units"]["A"]
    sub = db.session.scalar(sa.select(Submission).where(Submission.unit_id == a.id, Submission.campaign_id == data["new"].id))
    body = api(f"/api/v1/submissions/{sub.id}", issue(data["officials"]["A"])).get_json()
    assert body["status"] == "recognised" and body["final_score"] == 100.0 and body["final_passed"] is True
    assert body["groups"] and body["indicators"] and body["unit"]["code"] == a.code


def test_recognised_units_of_a_set_and_year(data, api):
    body = api("/api/v1/submissions?set_code=CQTT&year=2026&status=recognised", issue(user("xem"))).get_json()
    assert [s["unit"]["name"] for s in body["items"]] == ["Phường An"]


def test_plan_ranking_heatmap_reuse_the_reports(data, api):
    token = issue(user("xem"))
    plan = api("/api/v1/reports/plan?set_code=CQTT", token).get_json()
    assert plan["total"] >= 1 and plan["items"][0]["set_code"] == "CQTT" and plan["items"][0]["source"]
    ranking = api("/api/v1/reports/ranking?set_code=CQTT&year=2026", token).get_json()
    assert ranking["items"][0]["rank"] == 1 and ranking["total"] == 4
    heat = api("/api/v1/reports/heatmap?set_code=CQTT&year=2026&per_page=2", token).get_json()
    assert heat["total"] == 5 and len(heat["items"]) == 2 and heat["groups"] and heat["links"]["next"]
    assert api("/api/v1/reports/ranking", token).status_code == 400  # set_code is required


def test_criteria_version_lists_every_indicator(data, api):
    token = issue(user("xem"))
    sets = api("/api/v1/criteria-sets?per_page=100", token).get_json()
    cqtt = next(s for s in sets["items"] if s["code"] == "CQTT")
    version_id = cqtt["versions"][-1]["id"]
    body = api(f"/api/v1/criteria-versions/{version_id}", token).get_json()
    assert len(body["indicators"]) == len(data["new"].criteria_version.criteria.indicators)
    assert sum(len(g["indicator_codes"]) for g in body["groups"]) == len(body["indicators"])


def test_expired_token_is_refused(data, api, app):
    import time_machine

    token = issue(data["officials"]["A"], expires_at=dt.datetime.now(dt.UTC) + dt.timedelta(days=1))
    assert api("/api/v1/units", token).status_code == 200
    with time_machine.travel(dt.datetime.now(dt.UTC) + dt.timedelta(days=2)):
        refused = api("/api/v1/units", token)
    assert refused.status_code == 401 and refused.content_type == PROBLEM and "hết hạn" in refused.get_json()["detail"]


def test_revoked_token_is_refused(data, api):
    from app.api.models import ApiToken
    from app.api.services import revoke_token

    token = issue(data["officials"]["A"])
    assert api("/api/v1/units", token).status_code == 200
    revoke_token(db.session, None, db.session.scalar(sa.select(ApiToken.id)), system=True)
    db.session.commit()
    refused = api("/api/v1/units", token)
    assert refused.status_code == 401 and "thu hồi" in refused.get_json()["detail"]


def test_disabled_users_token_stops_working(data, api):
    official = data["officials"]["A"]
    token = issue(official)
    official.is_enabled = False
    db.session.commit()
    assert api("/api/v1/units", token).status_code == 401


def test_wrong_secret_with_a_known_prefix_is_refused(data, api):
    token = issue(data["officials"]["A"])
    forged = token[:-4] + ("aaaa" if not token.endswith("aaaa") else "bbbb")
    assert api("/api/v1/units", forged).status_code == 401
    assert api("/api/v1/units", "garbage").status_code == 401


def test_session_cookie_is_never_accepted(data, app):
    app.test_client_class = FreshContextClient
    client = Client(app.test_client())
    assert client.login("quantri").status_code == 302
    refused = client.c.get("/api/v1/units")
    assert refused.status_code == 401 and refused.content_type == PROBLEM


def test_each_use_is_audited_and_the_token_hashed_at_rest(data, api):
    from app.api.models import ApiToken
    from app.audit.models import AuditEntry

    token = issue(data["officials"]["A"])
    api("/api/v1/units", token)
    api("/api/v1/submissions/999999", token)
    rows = list(db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "api.request").order_by(AuditEntry.id)))
    row = db.session.scalar(sa.select(ApiToken))
    assert [(r.object_id, r.detail["endpoint"], r.detail["status"]) for r in rows] == [
        (row.id, "/api/v1/units", 200), (row.id, "/api/v1/submissions/999999", 404)]
    assert rows[0].actor_id == data["officials"]["A"].id
    db.session.refresh(row)
    assert row.last_used_at is not None
    import hashlib

    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
    secret = token.rsplit("_", 1)[1]
    with db.engine.connect() as conn:
        for table in ("api_tokens", "audit_log"):
            dump = " ".join(str(v) for r in conn.execute(sa.text(f"SELECT * FROM {table}")) for v in r)  # noqa: S608
            assert token not in dump and secret not in dump


def test_pagination_bounds(data, api):
    token = issue(user("xem"))
    first = api("/api/v1/units?per_page=2", token).get_json()
    assert first["total"] == 5 and first["pages"] == 3 and len(first["items"]) == 2 and first["links"]["prev"] is None
    assert first["links"]["next"] == "/api/v1/units?per_page=2&page=2"
    last = api("/api/v1/units?per_page=2&page=3", token).get_json()
    assert len(last["items"]) == 1 and last["links"]["next"] is None
    assert api("/api/v1/units?per_page=2&page=4", token).get_json()["items"] == []
    for bad in ("per_page=101", "per_page=0", "page=0", "page=-1", "page=abc", "page=99999999999", "colour=red", "q=a%00b"):
        refused = api(f"/api/v1/units?{bad}", token)
        assert refused.status_code == 400 and refused.content_type == PROBLEM, bad
        assert refused.get_json()["invalid-params"], bad
    assert api("/api/v1/units?per_page=100", token).status_code == 200


@pytest.mark.parametrize(("method", "url", "status"), [("GET", "/api/v1/nothing-here", 404), ("POST", "/api/v1/units", 405),
                                                       ("DELETE", "/api/v1/units/1", 405), ("GET", "/api/v1/units/99999999999", 404),
                                                       ("GET", "/api/v1/units/424242", 404), ("GET", "/api/v1/units", 401)])
def test_errors_are_problem_json(data, app, method, url, status):
    app.test_client_class = FreshContextClient
    client = app.test_client()
    headers = {} if status == 401 else {"Authorization": f"Bearer {issue(user('xem'))}"}
    response = client.open(url, method=method, headers=headers)
    assert response.status_code == status and response.content_type == PROBLEM
    body = response.get_json()
    assert set(body) >= {"type", "title", "status", "detail", "instance"} and body["status"] == status
    assert body["instance"] == url


def test_problem_detail_in_english_on_request(data, api):
    token = issue(user("xem"))
    vi = api("/api/v1/units?per_page=500", token).get_json()
    en = api("/api/v1/units?per_page=500", token, **{"Accept-Language": "en-GB,en;q=0.9"}).get_json()
    assert vi["detail"].startswith("Tham số") and en["detail"].startswith("Invalid query parameter")
    assert api("/api/v1/units", None, **{"Accept-Language": "en"}).get_json()["title"] == "Unauthorized"


def test_rate_limit_is_per_token_and_problem_json(data, api, app):
    app.config["API_RATE_LIMIT"] = "3 per minute"
    first, second = issue(user("xem")), issue(user("quantri"))
    assert [api("/api/v1/units", first).status_code for _ in range(3)] == [200, 200, 200]
    limited = api("/api/v1/units", first)
    assert limited.status_code == 429 and limited.content_type == PROBLEM and limited.get_json()["status"] == 429
    assert api("/api/v1/units", second).status_code == 200  # another token has its own budget


def test_admin_token_screen_shows_the_token_once(data, app):
    from app.api.models import ApiToken

    app.test_client_class = FreshContextClient
    client = Client(app.test_client())
    client.login("quantri")
    official = data["officials"]["A"]
    page = client.post_form("/admin/api-tokens/", {"user_id": str(official.id), "name": "Cổng dữ liệu", "expires_on": ""})
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    row = db.session.scalar(sa.select(ApiToken))
    import re

    plain = re.search(r'id="plain-token">([^<]+)<', html).group(1)
    assert plain.startswith(f"dc_{row.prefix}_") and row.user_id == official.id
    again = client.get("/admin/api-tokens/").get_data(as_text=True)
    assert plain not in again and row.prefix in again
    refused = client.post_form("/admin/api-tokens/", {"user_id": str(official.id), "name": "x", "expires_on": "01/01/2000"})
    assert refused.status_code == 422 and db.session.scalar(sa.select(sa.func.count(ApiToken.id))) == 1
    client.post_form(f"/admin/api-tokens/{row.id}/revoke", token_from="/admin/api-tokens/")
    db.session.refresh(row)
    assert row.revoked_at is not None
    client.logout()
    client.login("canbo.a", PASSWORD)
    assert client.get("/admin/api-tokens/").status_code == 403


def test_cli_issue_list_revoke(data, app, runner, api):
    out = runner.invoke(args=["api-tokens", "issue", "canbo.a", "--name", "Máy chủ báo cáo", "--expires", "2999-01-01"])
    assert out.exit_code == 0, out.output
    plain = out.output.strip().splitlines()[-1]
    assert api("/api/v1/units", plain).status_code == 200
    listed = runner.invoke(args=["api-tokens", "list"])
    assert "canbo.a" in listed.output and "active" in listed.output and plain not in listed.output
    prefix = plain.split("_")[1]
    assert runner.invoke(args=["api-tokens", "revoke", prefix]).exit_code == 0
    assert api("/api/v1/units", plain).status_code == 401
    assert runner.invoke(args=["api-tokens", "issue", "nobody", "--name", "x"]).exit_code != 0
