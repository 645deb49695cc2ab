"""Two app nodes for real: two gunicorn instances sharing one PostgreSQL, one Redis and one file store.

Started by `make cluster-test` (scripts/cluster-test.sh), which sets CLUSTER_NODES="http://A,http://B" (the two
nodes), DATABASE_URL (the shared database, read here only to choose a questionnaire group and valid answers),
REDIS_URL (the shared rate-limit store) and CLUSTER_LOGIN_LIMIT (LOGIN_RATE_LIMIT's count, per hour). Everything
here goes over HTTP with one cookie jar, like a browser whose load balancer sends it to either node; CSRF tokens
are read from the pages. Skipped when CLUSTER_NODES is not set (so `make test` does not run it).
"""

from __future__ import annotations

import html
import os
import re
import secrets
import time
from urllib.parse import urlsplit

import pytest

NODES = [n.rstrip("/") for n in os.environ.get("CLUSTER_NODES", "").split(",") if n.strip()]
pytestmark = pytest.mark.skipif(len(NODES) != 2, reason="two-node test: run by `make cluster-test` (scripts/cluster-test.sh), "
                                                        "which starts the nodes and sets CLUSTER_NODES")
requests = pytest.importorskip("requests")

A, B = (NODES + ["", ""])[:2]
PASSWORD = "DatChuan@2026"  # demo data (app.demo.DEMO_PASSWORD)
OFFICIAL, VIEWER = "canbo.hongbang", "xem"
CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
VERSION_RE = re.compile(r'name="version"[^>]*value="([^"]*)"')
LOGIN_PAGE = 'name="password"'
#: Bound on waiting for an export job (a broken worker fails the test instead of hanging it).
JOB_WAIT_SECONDS = 300


def browser() -> requests.Session:
    """One browser: one cookie jar used against both nodes (cookies are not port-specific)."""
    s = requests.Session()
    s.headers["Accept-Language"] = "vi"
    return s


def token(page: str) -> str:
    found = CSRF_RE.search(page)
    assert found, f"no CSRF token on the page:\n{page[:2000]}"
    return html.unescape(found.group(1))


def login(s: requests.Session, node: str, username: str, password: str = PASSWORD) -> requests.Response:
    """GET the login page on `node` for its CSRF token, POST the form there; returns the POST's response."""
    page = s.get(f"{node}/login", timeout=30)
    assert page.status_code == 200
    return s.post(f"{node}/login", data={"csrf_token": token(page.text), "username": username, "password": password},
                  allow_redirects=False, timeout=60)


def logged_in(s: requests.Session, node: str, username: str) -> None:
    response = login(s, node, username)
    assert response.status_code == 302, response.text[:2000]


@pytest.fixture(autouse=True)
def fresh_counts():
    """Every test starts with no login attempts counted (the store is the cluster's throwaway Redis)."""
    import redis

    client = redis.Redis.from_url(os.environ["REDIS_URL"])
    client.flushdb()
    yield
    client.flushdb()
    client.close()


@pytest.fixture(scope="module")
def questionnaire():
    """(group page path, field names and valid raw answers, the field that takes evidence) for the demo official.

    Read from the shared database with the app's own services: the first questionnaire the official can edit.
    """
    import sqlalchemy as sa

    from app import create_app
    from app.auth.models import User
    from app.campaigns.models import Campaign
    from app.extensions import db
    from app.submissions.services import open_context
    from tests.helpers import passing_raw

    app = create_app()
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.username == OFFICIAL))
        for campaign in db.session.scalars(sa.select(Campaign).order_by(Campaign.id)):
            try:
                ctx = open_context(db.session, user, campaign.id, user.unit_id)
            except Exception:  # noqa: BLE001, S112 - not this official's campaign
                continue
            if not ctx.can_edit:
                continue
            for grp in ctx.criteria.groups:
                with_files = [i for i in grp.indicators if i.evidence.kinds]
                if with_files:
                    answers = {i.field_name: passing_raw(i) for i in grp.indicators}
                    path = f"/assessments/{campaign.id}/{user.unit_id}/groups/{grp.code}"
                    return path, answers, with_files[0]
    pytest.fail(f"no editable questionnaire group with evidence for {OFFICIAL} in the demo data")


def save(s: requests.Session, node: str, path: str, answers: dict, extra: dict | None = None, files=None) -> requests.Response:
    """Open the group page on `node` (token and version from it) and POST the group there, as the browser form does."""
    page = s.get(node + path, timeout=30)
    assert page.status_code == 200 and 'name="version"' in page.text, page.text[:2000]
    data = {"csrf_token": token(page.text), "version": VERSION_RE.search(page.text).group(1), **answers, **(extra or {})}
    return s.post(node + path, data=data, files=files, allow_redirects=False, timeout=60)


def test_both_nodes_are_ready_with_the_shared_services():
    for node in (A, B):
        response = requests.get(f"{node}/readyz", timeout=30)
        assert response.status_code == 200, response.text
        assert response.json()["checks"] == {"database": "ok", "redis": "ok", "storage": "ok"}


def test_login_on_one_node_continues_on_the_other():
    s = browser()
    assert LOGIN_PAGE in browser().get(f"{B}/assessments/", timeout=30).text  # without a session B shows the login page
    logged_in(s, A, OFFICIAL)
    cookie = s.cookies.get("session")
    assert cookie
    page = s.get(f"{B}/assessments/", timeout=30)
    assert page.status_code == 200 and LOGIN_PAGE not in page.text
    assert "Nguyễn Thị Lan" in page.text  # the official's own dashboard, served by B from A's cookie


def test_a_group_saved_on_one_node_is_read_back_on_the_other(questionnaire):
    path, answers, ind = questionnaire
    s = browser()
    logged_in(s, A, OFFICIAL)
    marker = f"Ghi chú lưu trên nút A {secrets.token_hex(6)}"
    response = save(s, A, path, answers, {ind.field_name + "_explanation": marker})
    assert response.status_code == 302, response.text[:3000]
    page = s.get(B + path, timeout=30).text
    assert html.escape(marker, quote=False) in page or marker in page


def test_a_file_uploaded_on_one_node_downloads_from_the_other(questionnaire):
    path, answers, ind = questionnaire
    s = browser()
    logged_in(s, A, OFFICIAL)
    name = f"cluster-{secrets.token_hex(6)}"
    if "pdf" in ind.evidence.kinds:
        name += ".pdf"
        content = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n% " + secrets.token_hex(32).encode() + b"\n"
    else:
        from tests.helpers import evidence_file

        content, original = evidence_file(ind)
        name += "." + original.rsplit(".", 1)[1]
    response = save(s, A, path, answers, files={ind.field_name + "_files": (name, content)})
    assert response.status_code == 302, response.text[:3000]
    page = s.get(B + path, timeout=30).text
    link = re.search(r'href="(/assessments/evidence/\d+)">' + re.escape(name) + "<", page)
    assert link, f"{name} is not listed on node B's page"
    download = s.get(B + link.group(1), timeout=30)
    assert download.status_code == 200
    assert download.content == content


def _start_export(s: requests.Session, node: str) -> str:
    page = s.get(f"{node}/reports/plan", timeout=60)
    assert page.status_code == 200
    response = s.post(f"{node}/reports/exports", data={"csrf_token": token(page.text), "fmt": "xlsx", "set_code": "CQTT", "year": "2026"},
                      allow_redirects=False, timeout=60)
    assert response.status_code == 302, response.text[:2000]
    return urlsplit(response.headers["Location"]).path


def test_export_jobs_started_on_either_node_complete_once_and_download_from_both():
    s = browser()
    logged_in(s, A, VIEWER)
    jobs = [_start_export(s, A), _start_export(s, B)]
    assert jobs[0] != jobs[1]
    deadline = time.monotonic() + JOB_WAIT_SECONDS
    pending = set(jobs)
    while pending:
        assert time.monotonic() < deadline, f"export jobs {sorted(pending)} did not finish within {JOB_WAIT_SECONDS} s (is `flask worker` running?)"
        for n, job in enumerate(sorted(pending)):
            page = s.get((A, B)[n % 2] + job, timeout=30).text
            assert "Chạy lại" not in page, page[:3000]  # failed or stalled
            if "Đã xong." in page:
                pending.discard(job)
        time.sleep(0.5)
    for job in jobs:
        on_a = s.get(f"{A}{job}/download", timeout=60)
        on_b = s.get(f"{B}{job}/download", timeout=60)
        assert on_a.status_code == on_b.status_code == 200
        assert on_a.content[:2] == b"PK" and on_a.content == on_b.content
        assert "attachment" in on_a.headers["Content-Disposition"]


def test_logout_on_one_node_ends_the_session_on_the_other():
    s = browser()
    logged_in(s, A, OFFICIAL)
    old = requests.Session()
    old.cookies.update(s.cookies)  # the same cookie, kept as a thief or a second tab would keep it
    assert LOGIN_PAGE not in old.get(f"{B}/assessments/", timeout=30).text
    page = s.get(f"{A}/assessments/", timeout=30)
    response = s.post(f"{A}/logout", data={"csrf_token": token(page.text)}, allow_redirects=False, timeout=30)
    assert response.status_code == 302
    after = old.get(f"{B}/assessments/", timeout=30)
    assert LOGIN_PAGE in after.text and "Nguyễn Thị Lan" not in after.text


def test_the_login_rate_limit_counts_across_both_nodes():
    limit = int(os.environ.get("CLUSTER_LOGIN_LIMIT", "10"))
    s = browser()
    for attempt in range(limit):  # failed logins alternating A, B, A, B ...
        response = login(s, (A, B)[attempt % 2], VIEWER, "sai-mat-khau")
        assert response.status_code == 401, f"attempt {attempt + 1} on {(A, B)[attempt % 2]}: {response.status_code}"
    # Each node has seen only half of them; the shared count refuses the next one on either node,
    # even with the right password.
    assert login(s, (A, B)[limit % 2], VIEWER, "sai-mat-khau").status_code == 429
    assert login(s, (A, B)[(limit + 1) % 2], VIEWER).status_code == 429
