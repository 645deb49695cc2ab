"""Walk every rule in app.url_map with hostile values and fail on any 5xx (or an exception escaping a view).

As an admin and as a unit official: each variable of each rule in turn gets every hostile value (the
others a real id or code), by GET and, where the rule takes POST, by POST with a valid CSRF token and every
form field set to the hostile value; then each rule with real variables gets hostile query strings
(?campaign_id=, ?year=, ?page=, …). A 4xx, a redirect or a page with a message are all fine; a 500 is not.

NUL and other control characters are refused at the request edge (app.web.refuse_control_characters); a
5xx caused by one (PostgreSQL refuses NUL in text) fails the walk like any other.
"""

from __future__ import annotations

import re
import urllib.parse

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.submissions.models import Evidence
from app.surveys.services import ensure_link
from tests.functional.test_review_loop import submit_all

#: Values put into each URL variable, query parameter and form field.
HOSTILE = [str(2**63), str(2**64), str(2**31), "-1", "NaN", "sNaN", "Infinity", "1e999", "a" * 10000, "\u00b2", "0", "1.5", "1,5",
           "[]", "{}", "None", "true", "../../etc/passwd", "<script>x</script>", "' OR 1=1 --", "\u202e", "%"]
#: NUL cases, refused at the request edge.
NUL_VALUES = ["\x00", "a\x00b"]
#: Query parameters read by some view; every rule gets them all at once.
QUERY_NAMES = ["campaign_id", "year", "page", "table", "set_code", "unit_type", "status", "deadline", "sort", "q", "next", "action",
               "actor", "date_from", "date_to", "lang"]
#: Form fields posted where the page itself does not list its fields (POST-only rules).
FORM_NAMES = ["version", "lang", "next", "note", "reason", "fmt", "set_code", "year", "unit_type", "sections", "submission_ids",
              "remove_evidence", "assign", "signoff", "action", "go", "until", "deadline", "number", "decided_on", "username",
              "password", "role", "unit_id", "full_name", "scope_codes", "name", "criteria_version_id", "opens_on", "closes_on"]
_FIELD_NAME = re.compile(r'name="([^"]+)"')
_VARIABLE = re.compile(r"<(?:([a-zA-Z_]+)(?:\([^)]*\))?:)?([a-zA-Z_]+)>")


@pytest.fixture
def targets(client, world, make_user):
    """Real values for every URL variable: unit B's submitted questionnaire (with evidence) to review, unit A's
    draft (editable by canbo.a, so hostile values reach the save), a user to edit."""
    client.login("canbo.b")
    sub = submit_all(client, world["campaign"], world["unit_b"])
    client.logout()
    victim = make_user("nan.nhan", "official", world["unit_b"])
    evidence = db.session.scalar(sa.select(Evidence.id).limit(1))
    cset = world["campaign"].criteria_version.criteria
    link = ensure_link(db.session, world["campaign"], world["unit_a"], "HAILONG_DV")  # a survey's results and exclusion
    db.session.commit()
    return {
        "campaign_id": world["campaign"].id, "unit_id": world["unit_a"].id, "group_code": cset.groups[0].code,
        "submission_id": sub.id, "user_id": victim.id, "evidence_id": evidence or 1, "cert_id": 1, "decision_id": 1, "job_id": 1,
        "notification_id": 1, "name": "plan", "code": "ABC123", "filename": "css/app.css",
        "version_id": world["campaign"].criteria_version_id, "survey_code": "HAILONG_DV",
        "link_id": link.id, "set_code": "CQTT", "year": world["campaign"].year, "unit_code": world["unit_a"].code,
        "certificate_id": 1, "token_id": 1,
    }


def _path(rule, values: dict) -> str:
    def sub(match):
        return urllib.parse.quote(str(values[match.group(2)]), safe="")

    return _VARIABLE.sub(sub, rule.rule)


class Walk:
    """Sends requests as one user and records every 5xx or exception (NUL cases apart)."""

    def __init__(self, client, username: str):
        self.client, self.username = client, username
        self.failures: list[str] = []
        self.sent = 0
        self.login()

    def login(self):
        self.client.login(self.username)
        self.token = self.client.token("/notifications/")

    def _record(self, what: str, hostile: str, outcome: str):
        self.failures.append(f"{self.username}: {what} → {outcome}")

    def send(self, method: str, url: str, hostile: str, data: dict | None = None, query: dict | None = None):
        shown = url if len(url) < 120 else url[:117] + "…"
        self.sent += 1
        try:
            if method == "GET":
                response = self.client.get(url, query_string=query)
            else:
                response = self.client.post(url, data={**(data or {}), "csrf_token": self.token}, query_string=query)
        except Exception as exc:  # noqa: BLE001 - TESTING propagates view exceptions: each is a 500
            self._record(f"{method} {shown} [{hostile[:20]!r}]", hostile, f"{type(exc).__name__}: {str(exc)[:200]}")
            db.session.rollback()
            return None
        if response.status_code >= 500:
            self._record(f"{method} {shown} [{hostile[:20]!r}]", hostile, str(response.status_code))
        if method == "POST" and (url.startswith("/logout") or response.headers.get("Location", "").startswith("/login")):
            self.login()
        return response

    def fields_of(self, url: str) -> list[str]:
        try:
            html = self.client.get(url).get_data(as_text=True)
        except Exception:  # noqa: BLE001 - a failing GET is recorded by the walk itself
            db.session.rollback()
            return []
        return sorted(set(_FIELD_NAME.findall(html)) - {"csrf_token"})


def _walk(app, walk: Walk, valid: dict) -> None:
    values = HOSTILE + NUL_VALUES
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        methods = [m for m in ("GET", "POST") if m in rule.methods]
        good = _path(rule, valid)
        fields = (walk.fields_of(good) if "GET" in methods else []) or FORM_NAMES
        for variable in rule.arguments:
            for hostile in values:
                url = _path(rule, {**valid, variable: hostile})
                for method in methods:
                    walk.send(method, url, hostile, data=dict.fromkeys(FORM_NAMES, hostile) if method == "POST" else None)
        for hostile in values:
            query = dict.fromkeys(QUERY_NAMES, hostile)
            if "GET" in methods:
                walk.send("GET", good, hostile, query=query)
            if "POST" in methods:
                walk.send("POST", good, hostile, data=dict.fromkeys(fields, hostile))


@pytest.mark.parametrize("username", ["quantri", "canbo.a"])
def test_no_route_gives_a_5xx_for_hostile_values(app, client, targets, username):
    walk = Walk(client, username)
    _walk(app, walk, targets)
    assert walk.sent > 2000  # the walk really ran (about 2 600 requests per user)
    assert not walk.failures, "\n".join(walk.failures[:50])


def test_the_walk_covers_every_rule(app):
    """Every variable of every rule has a real value in the walk (a new route must be added to `targets`)."""
    names = {name for rule in app.url_map.iter_rules() for name in rule.arguments}
    known = {"campaign_id", "unit_id", "group_code", "submission_id", "user_id", "evidence_id", "cert_id", "decision_id", "job_id",
             "notification_id", "name", "code", "filename", "version_id", "link_id", "survey_code", "set_code", "year",
             "unit_code", "certificate_id", "token_id"}
    assert names <= known, names - known
