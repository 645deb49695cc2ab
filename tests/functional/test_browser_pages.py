"""Every page of every role at phone size (360×740): no horizontal scrolling of the page, no serious or critical
axe-core violation, and 44×44 px tap targets on the questionnaire.

The list of pages is derived from app.url_map: each GET rule gets its URL variables from `VALUES` (real ids from a
rich world: a draft, a submitted, a returned, a rejected and a recognised questionnaire with a certificate, a finished
export job, audit rows and notifications). A rule with a variable the walk cannot fill fails the test, so a new page
cannot be forgotten. Responses that are not HTML (downloads, PDF, CSV, XLSX, static files) are skipped by
content type. With PAGE_SHOTS=<directory> the main pages are also saved as screenshots at 360 and 1366 px (for a person to
look at; not in the repository) and every page's width is printed.
"""

from __future__ import annotations

import copy
import datetime as dt
import itertools
import os
import re
import urllib.parse
from pathlib import Path

import pytest
import sqlalchemy as sa

from app.extensions import db
from tests.functional.test_browser import browser, login  # noqa: F401 - the browser fixture is used below
from tests.reports_fixture import build

pytestmark = pytest.mark.browser

WIDTH, HEIGHT = 360, 740
#: Role → user. Three officials: unit A's questionnaire is recognised, B's returned for revision, D's a draft.
ROLES = {"admin": "quantri", "reviewer": "thamdinh", "official": "canbo.a", "official-returned": "canbo.b", "official-draft": "canbo.d",
         "viewer": "xem", "owner": "phutrach"}
#: PAGE_SHOTS=<directory> saves screenshots at 360 and 1366 px of the main pages there (for a person to look at).
SHOTS = os.environ.get("PAGE_SHOTS", "")
SHOT_ENDPOINTS = {"main.index", "submissions.dashboard", "submissions.group", "submissions.result", "submissions.overview", "review.queue",
                  "review.submission", "reports.section", "reports.unit_card", "verify.verify", "auth.users", "audit.index",
                  "campaigns.detail", "certificates.decision", "auth.login", "surveys.results", "surveys.report", "public"}
_VARIABLE = re.compile(r"<(?:([a-zA-Z_]+)(?:\([^)]*\))?:)?([a-zA-Z_]+)>")
#: How many pages of one endpoint each role opens (the first values differ most).
PER_ENDPOINT = 3
#: Pages not checked by axe-core (still checked for width): the API's Swagger UI page is third-party markup for
#: integrators (nested buttons, contrast of its badges); the same description is plain JSON at /api/v1/openapi.json.
AXE_EXEMPT = frozenset({"api.docs"})
CAPS = {"submissions.group": 5, "reports.section": 12}
#: Extra query strings visited besides the bare URL (a filter that changes what the page shows).
EXTRA_QUERIES = {"reports.section": ["?set_code=CQTT"], "reports.index": ["?set_code=CQTT"]}

#: Finds the page's horizontal overflow: the document's scroll width and the widest element reaching past the viewport.
OVERFLOW_JS = """() => {
  const vw = document.documentElement.clientWidth;
  const width = document.documentElement.scrollWidth;
  let worst = null, right = vw;
  const inScrollBox = (el) => { for (let p = el.parentElement; p; p = p.parentElement) {
      const s = getComputedStyle(p); if (s.overflowX === 'auto' || s.overflowX === 'scroll' || s.overflowX === 'hidden') return true; }
    return false; };
  for (const el of document.body.querySelectorAll('*')) {
    const r = el.getBoundingClientRect();
    if (r.right > right + 0.5 && !inScrollBox(el)) { right = r.right; worst = el; }
  }
  const name = (el) => { if (!el) return ''; let s = el.tagName.toLowerCase();
    if (el.id) s += '#' + el.id; else if (el.classList.length) s += '.' + [...el.classList].join('.');
    const parent = el.parentElement;
    return parent && parent !== document.body ? name(parent).split(' > ').slice(-2).join(' > ') + ' > ' + s : s; };
  return {width, widest: name(worst), right: Math.round(right)};
}"""

#: Sizes of the questionnaire's tap targets: labels of radios and checkboxes, and the file picker's button.
TARGETS_JS = """() => {
  const out = [];
  const box = (el, what) => { const r = el.getBoundingClientRect(); out.push({what, w: Math.round(r.width), h: Math.round(r.height)}); };
  for (const input of document.querySelectorAll('main input[type=radio], main input[type=checkbox]')) {
    const label = input.closest('label') || (input.id && document.querySelector('label[for="' + input.id + '"]'));
    box(label || input, (input.name || '') + '=' + (input.value || ''));
  }
  for (const input of document.querySelectorAll('main input[type=file]')) {
    const label = input.closest('label') || (input.id && document.querySelector('label[for="' + input.id + '"]'));
    box(label || input, 'file ' + input.name);
    const st = getComputedStyle(input);
    out.push({what: 'file-visible ' + input.name, visible: input.getBoundingClientRect().width > 2 && st.opacity !== '0'});
  }
  return out;
}"""


@pytest.fixture
def rich(app, make_unit, make_user, make_campaign):
    """The reports dataset (recognised, returned, rejected, submitted questionnaires; a certificate; a finished export
    job) plus unit D's draft, a reviewer of other sets and a criteria owner. Returns the values of every URL variable:
    {variable: [values]} — the walk tries each value (or each combination) and keeps the pages a role may open."""
    from app.auth.models import User
    from app.campaigns.models import CriteriaVersion
    from app.certificates.services import issue_for_decision
    from app.criteria_sets.models import CriteriaOwnerScope
    from app.jobs.models import ExportJob
    from app.jobs.services import run_job
    from app.notifications.models import Notification
    from app.review.models import RecognitionDecision
    from app.submissions import services as subs
    from app.submissions.models import Evidence, Submission
    from tests.helpers import passing_raw

    data = build(app, make_unit, make_user, make_campaign)
    owner = make_user("phutrach", "viewer")
    owner.owned_sets.append(CriteriaOwnerScope(set_code="CQTT"))
    decision = db.session.scalar(sa.select(RecognitionDecision))
    cert = issue_for_decision(db.session, data["reviewer"], decision.id)[0]
    viewer = db.session.scalar(sa.select(User).where(User.username == "xem"))
    job = ExportJob(user_id=viewer.id, kind="report", fmt="xlsx", params={"filter": {"set_code": "CQTT", "year": None, "unit_type": ""},
                                                                          "sections": ["plan"]})
    db.session.add(job)
    campaign = data["new"]
    first = campaign.criteria_version.criteria.groups[0]
    subs.save_group(db.session, data["officials"]["D"], campaign.id, data["units"]["D"].id, first.code,
                    values={first.indicators[0].field_name: passing_raw(first.indicators[0])}, explanations={}, files={},
                    expected_version=None, max_bytes=app.config["MAX_EVIDENCE_BYTES"])
    from app.criteria_sets import services as criteria_sets
    from app.submissions import uploads
    from tests.conftest import pdf_bytes

    decision.scan_stored_name = uploads.store(uploads.check_upload(pdf_bytes(), ("pdf",), 10**6), db.session)
    decision.scan_original_name = "quyet-dinh.pdf"
    admin = db.session.scalar(sa.select(User).where(User.username == "quantri"))
    content = copy.deepcopy(campaign.criteria_version.content)
    content["groups"][0]["indicators"][1]["code"] = "G1.9"  # a renamed code: the compare and mapping pages have work to show
    draft = criteria_sets.create_draft_version(db.session, admin, content, source="web: thử")
    db.session.commit()
    run_job(job.id)
    units = data["units"]
    survey_links, survey_codes = _survey_responses(campaign, units)
    order = {"submitted": 0, "returned": 1, "recognised": 2, "rejected": 3, "draft": 4}  # the first PER_ENDPOINT differ most
    submissions = sorted(db.session.scalars(sa.select(Submission).where(Submission.campaign_id == campaign.id)), key=lambda s: order[s.status])
    from app.reports.sections import SECTIONS
    from app.surveys.models import SurveyResponse
    from app.surveys.services import ensure_link

    # unit D's citizen survey has its minimum sample: D's G2 page shows the survey-filled value, the dashboard its card
    survey_link = ensure_link(db.session, campaign, units["D"], "HAILONG_DV")
    for i in range(31):
        db.session.add(SurveyResponse(link_id=survey_link.id, submitted_at=dt.datetime(campaign.year, 3, 1, tzinfo=dt.UTC) + dt.timedelta(hours=i),
                                      answers={"Q5": 5 if i % 7 else 3}, comment=""))
    from app.api.services import issue_token

    api_token, _plain = issue_token(db.session, admin, data["officials"]["A"].id, "Cổng dữ liệu thành phố")  # the admin token screen
    db.session.commit()

    return {
        "certificate_id": [cert.id],
        "token_id": [api_token.id],
        "campaign_id": [campaign.id, data["old"].id],
        "unit_id": [u.id for u in units.values()],
        "group_code": [g.code for g in campaign.criteria_version.criteria.groups],
        "submission_id": [s.id for s in submissions],
        "user_id": [data["officials"]["B"].id],
        "evidence_id": [db.session.scalar(sa.select(Evidence.id).limit(1))],
        "cert_id": [cert.id],
        "decision_id": [decision.id],
        "job_id": [job.id],
        "notification_id": [db.session.scalar(sa.select(Notification.id).limit(1))],
        "name": list(SECTIONS),
        "code": [cert.verify_code, *survey_codes, survey_link.code],  # a certificate's verification code, public survey codes
        "survey_code": ["HAILONG_DV"],
        "set_code": ["CQTT"],  # the public results pages (/cong-khai/)
        "year": [campaign.year],
        "unit_code": [units["A"].code, units["B"].code],
        "filename": ["css/app.css"],
        "link_id": survey_links,
        "version_id": [campaign.criteria_version_id, draft.id,
                       db.session.scalar(sa.select(CriteriaVersion.id).where(CriteriaVersion.code == "THXHCN"))],
    }


def _survey_responses(campaign, units) -> tuple[list[int], list[str]]:
    """Citizen survey links of units A (36 responses over three months, a burst of 9 from one network, a comment
    with markup) and B (5 responses: below the minimum sample), so the results and report pages have data.
    Returns the link ids and the links' public codes."""
    import datetime as dt

    from app.surveys import services as surveys

    link_a = surveys.ensure_link(db.session, campaign, units["A"], "HAILONG_DV")
    link_b = surveys.ensure_link(db.session, campaign, units["B"], "HAILONG_DV")
    for i in range(36):
        at = dt.datetime(2026, 4 + i % 3, 2 + i // 3, 3, 0, tzinfo=dt.UTC)
        answers = {"Q1": 1 + i % 5, "Q2": "yes" if i % 3 else "no", "Q3": 2 + i % 4, "Q4": 5 - i % 3, "Q5": 5 if i % 5 else 2}
        comment = "Cán bộ tận tình, nhưng phải chờ lâu <b>ở quầy</b>" if i == 5 else ""
        surveys.record_response(db.session, link_a, answers, comment, f"10.{i}.0.1", at)
    start = dt.datetime(2026, 6, 1, 2, 2, tzinfo=dt.UTC)
    for k in range(9):
        surveys.record_response(db.session, link_a, {"Q5": 5}, "", "203.0.113.9", start + dt.timedelta(seconds=40 * k))
    for i in range(5):
        surveys.record_response(db.session, link_b, {"Q5": 4}, "", f"10.100.{i}.1", dt.datetime(2026, 5, 3 + i, 3, tzinfo=dt.UTC))
    db.session.commit()
    return [link_a.id, link_b.id], [link_a.code]


@pytest.fixture
def server(app, rich):
    """The app served on a free local port, over the rich world (not the `world` fixture's users)."""
    import threading

    from werkzeug.serving import make_server

    httpd = make_server("127.0.0.1", 0, app, threaded=False)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()


def page_urls(app, values: dict) -> tuple[list[tuple[str, str]], list[str]]:
    """Every GET URL of app.url_map filled from `values` → ([(endpoint, path)], [problems]). A rule whose variable has
    no value is a problem ("add it to the page walk")."""
    urls, problems = [], []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if "GET" not in rule.methods:
            continue
        missing = [name for name in rule.arguments if not values.get(name)]
        if missing:
            problems.append(f"{rule.endpoint} {rule.rule}: no value for {missing}; add it to the page walk (the `rich` fixture)")
            continue
        names = sorted(rule.arguments)
        for combo in itertools.product(*(values[n] for n in names)):
            chosen = dict(zip(names, combo, strict=True))
            path = _VARIABLE.sub(lambda m, c=chosen: urllib.parse.quote(str(c[m.group(2)]), safe="/"), rule.rule)
            for query in [""] + EXTRA_QUERIES.get(rule.endpoint, []):
                urls.append((rule.endpoint, path + query))
    return urls, problems


def _reachable(page, base: str, urls, non_html: set[str]):
    """Keep the URLs this (logged-in) page may open as HTML: 200 after redirects, text/html, at most PER_ENDPOINT (or CAPS[endpoint]) per endpoint
    (the values are ordered so the first ones differ most: a recognised, a returned, a rejected questionnaire …).
    Endpoints seen to answer with something else (a download) are added to `non_html` and not fetched again."""
    seen_final, keep, per_endpoint = set(), [], {}
    for endpoint, path in urls:
        if endpoint in non_html or per_endpoint.get(endpoint, 0) >= CAPS.get(endpoint, PER_ENDPOINT):
            continue
        response = page.request.get(base + path)
        kind = response.headers.get("content-type", "")
        if response.status != 200:
            continue
        if not kind.startswith("text/html"):
            non_html.add(endpoint)
            continue
        final = response.url.removeprefix(base)
        if final in seen_final:
            continue
        seen_final.add(final)
        per_endpoint[endpoint] = per_endpoint.get(endpoint, 0) + 1
        keep.append((endpoint, path))
    return keep


def _shot(page, label: str, path: str) -> None:
    """Save the page at 360 px and at 1366 px into SHOTS (at most 2 400 px of it), then go back to the phone size."""
    folder = Path(SHOTS)
    folder.mkdir(parents=True, exist_ok=True)
    name = re.sub(r"[^A-Za-z0-9]+", "-", f"{label}{path}").strip("-")
    for width, height in ((WIDTH, HEIGHT), (1366, 768)):
        page.set_viewport_size({"width": width, "height": height})
        tall = min(page.evaluate("document.documentElement.scrollHeight"), 2400)  # long pages: the top part only
        page.screenshot(path=str(folder / f"{name}-{width}.png"), full_page=True, clip={"x": 0, "y": 0, "width": width, "height": tall})
    page.set_viewport_size({"width": WIDTH, "height": HEIGHT})


def test_every_page_fits_a_phone(app, rich, server, browser):  # noqa: F811 - pytest fixtures
    """Each role opens every page it may reach (up to PER_ENDPOINT instances of each endpoint) at 360×740: the page
    must not scroll sideways; axe-core runs once per endpoint (per official for the questionnaire pages)."""
    from tests.functional.test_browser import serious

    urls, problems = page_urls(app, rich)
    assert not problems, "\n".join(problems)
    context = browser.new_context(viewport={"width": WIDTH, "height": HEIGHT})
    page = context.new_page()
    overflow, violations, visited, non_html, axed, shot = [], {}, {}, set(), set(), set()

    def check(label: str, endpoint: str, path: str) -> None:
        page.goto(server + path, wait_until="load")  # stylesheets applied (a busy machine serves them late)
        page.evaluate("document.fonts.ready.then(() => true)")
        found = page.evaluate(OVERFLOW_JS)
        if SHOTS:
            print(f"WIDTH {found['width']} {label} {path}")
            key = (path if endpoint == "reports.section" else endpoint, label)
            if endpoint in SHOT_ENDPOINTS and key not in shot and label in ("anonymous", "admin", "reviewer", "official", "official-draft"):
                shot.add(key)
                _shot(page, label, path)
        if found["width"] > WIDTH:
            overflow.append(f"{label} {path}: {found['width']} px wide (widest: {found['widest']}, right edge {found['right']} px)")
        key = (endpoint, label if endpoint.startswith("submissions.") else "")
        if key not in axed and endpoint not in AXE_EXEMPT:
            axed.add(key)
            bad = serious(page)
            if bad:
                violations[f"{label} {path}"] = bad

    check("anonymous", "auth.login", "/login")
    check("anonymous", "verify.verify", f"/verify/{rich['code'][0]}")
    check("anonymous", "verify.verify-missing", "/verify/KHONG-CO")
    for path in ("/cong-khai/", f"/cong-khai/bo/CQTT/{rich['year'][0]}", f"/cong-khai/don-vi/{rich['unit_code'][0]}", "/cong-khai/?lang=en"):
        check("anonymous", "public", path)  # the public results, no login, no script needed
    for role, username in ROLES.items():
        context.clear_cookies()
        login(page, server, username)
        for endpoint, path in _reachable(page, server, urls, non_html):
            visited.setdefault(endpoint, set()).add(role)
            check(role, endpoint, path)
    # The JSON API answers bearer tokens only (a browser session gets 401 problem+json): not pages, except its docs page.
    json_api = {r.endpoint for r in app.url_map.iter_rules() if r.endpoint.startswith("api.") and r.endpoint != "api.docs"}
    html_endpoints = ({r.endpoint for r in app.url_map.iter_rules() if "GET" in r.methods} - non_html - json_api
                      - {"verify.verify", "auth.login"})
    unvisited = html_endpoints - set(visited)
    context.close()
    assert not unvisited, f"no role reached these pages; add data for them to the page walk (the `rich` fixture): {sorted(unvisited)}"
    assert {"submissions.evidence", "certificates.pdf", "reports.section_csv", "static"} <= non_html  # downloads were recognised
    assert not overflow, "pages wider than the phone:\n" + "\n".join(overflow)
    assert not violations, violations


def test_questionnaire_tap_targets_and_file_picker(app, rich, server, browser):  # noqa: F811 - pytest fixtures
    """Radio and checkbox labels and the file picker are at least 44×44 px at phone size; the browser's own (English)
    file button is not visible; its Vietnamese label, drawn as the button, is."""
    from app.campaigns.models import Campaign

    context = browser.new_context(viewport={"width": WIDTH, "height": HEIGHT})
    page = context.new_page()
    login(page, server, "canbo.d")
    campaign = db.session.get(Campaign, rich["campaign_id"][0])
    unit_d = rich["unit_id"][3]
    small, hidden_ok, seen = [], [], 0
    for group in campaign.criteria_version.criteria.groups:
        page.goto(f"{server}/assessments/{campaign.id}/{unit_d}/groups/{group.code}")
        for target in page.evaluate(TARGETS_JS):
            seen += 1
            if "visible" in target:
                if target["visible"]:
                    hidden_ok.append(f"{group.code} {target['what']}: the browser's own file button is visible")
                continue
            if target["w"] < 44 or target["h"] < 44:
                small.append(f"{group.code} {target['what']}: {target['w']}×{target['h']} px")
    assert seen > 10
    assert not small, "tap targets under 44×44 px:\n" + "\n".join(small[:40])
    assert not hidden_ok, "\n".join(hidden_ok)
    label = page.locator("label:has(+ input[type=file])").first
    assert label.is_visible() and "Choose" not in label.inner_text() and label.inner_text().strip()
    context.close()
