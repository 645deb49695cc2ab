"""No raw code on any screen: every page of every role, with data in every state, shows words, not codes.

The pages are those of the authorization matrix (every GET route), rendered for each role with the reports
dataset (recognised, approved, returned, rejected, submitted and untouched submissions, a decision, a
certificate, an export job, notifications, audit entries) plus units of every type and a campaign scoped to
several types. The visible text (tags, attributes, <script>/<style> and <details class="raw"> — the raw data
kept for auditors — removed) must not contain any code of app.labels as a whole word. Then the English
mode: the menu has no Vietnamese, and an indicator's `text_en` is shown.
"""

from __future__ import annotations

import csv
import html
import io
import re

import pytest
import sqlalchemy as sa

from app import labels
from app.extensions import db
from tests.conftest import Client, FreshContextClient
from tests.functional.test_authorization_matrix import MATRIX, USERNAMES, ids  # noqa: F401 - `ids` is a fixture

#: Families whose codes are ordinary words or file extensions that user data may contain (evidence file names
#: "x.pdf", the indicator type "text"), or that only appear in English; their labels are still checked in
#: tests/unit/test_labels.py.
_NOT_SCANNED = {"evidence_kind", "indicator_type", "audit_detail", "job_kind", "object_type", "audit_via", "origin",
                "number_origin", "campaign_status", "notification_kind"}
#: Codes that are also Vietnamese words or appear in ordinary English text on the pages.
_WORDS = {"xa", "new", "old", "self", "done", "open", "final", "city", "PDF"}


def known_codes() -> list[str]:
    """Every code of app.labels that must never be shown as such (longest first)."""
    codes = {code for family, table in labels.FAMILIES.items() if family not in _NOT_SCANNED for code in table}
    return sorted(codes - _WORDS, key=len, reverse=True)


_HIDDEN = re.compile(r"<(script|style|title)\b.*?</\1>|<details class=\"raw\">.*?</details>", re.S | re.I)
_TAG = re.compile(r"<[^>]+>")


def visible_text(page: str) -> str:
    """The text a person reads: no tags, attributes, scripts, styles or raw-data details; entities decoded."""
    return html.unescape(_TAG.sub(" ", _HIDDEN.sub(" ", page)))


def leaked_codes(text: str, codes: list[str]) -> list[str]:
    """Codes found in `text` as whole words (a code is a word when no letter, digit, '_' or '.' touches it)."""
    found = []
    for code in codes:
        if re.search(rf"(?<![\w.]){re.escape(code)}(?![\w]|\.\w)", text):
            found.append(code)
    if re.search(r"(?<!\w)round \d+", text):
        found.append("round N")
    return found


def _context(text: str, code: str) -> str:
    """The code with some words around it, for a readable failure."""
    at = text.find(code) if code != "round N" else text.find("round ")
    return " ".join(text[max(at - 50, 0):at + 50].split())


def test_the_check_finds_codes():
    """The scanner itself: a code as a word is found; the same letters inside a label or a URL are not."""
    codes = known_codes()
    assert {"submission.approve", "dac_khu", "health_facility", "youth_branch", "official", "reviewer", "in_review"} <= set(codes)
    page = '<td>dac_khu, phuong</td><td title="official">Cán bộ</td><a href="/x?status=approved">Đã duyệt</a><td>round 1</td>'
    assert leaked_codes(visible_text(page), codes) == ["dac_khu", "phuong", "round N"]
    assert leaked_codes(visible_text('<td>submission.approve</td><details class="raw">reviewer</details>'), codes) == ["submission.approve"]


@pytest.fixture
def more_states(app, ids, make_unit, make_campaign):  # noqa: F811 - the imported fixture
    """Units of every type and a campaign scoped to several types (its list shows the scope)."""
    for n, code in enumerate(labels.UNIT_TYPE, start=1):
        make_unit(f"Đơn vị thử số {n}", code)
    make_campaign("THANHNIEN", types=("youth_branch",), name="Chi đoàn 2026")
    from app.review.models import ScoreEvent

    assert db.session.scalar(sa.select(sa.func.count()).select_from(ScoreEvent).where(ScoreEvent.reason.like("round %")))
    return ids


def _pages(ids: dict) -> list[str]:  # noqa: F811
    urls = [template.format(**ids) for (endpoint, method), (template, _e) in MATRIX.items()
            if method == "GET" and endpoint not in ("static", "main.health")]
    for name in ("plan", "funnel", "ranking", "weakest", "heatmap", "trend"):
        urls += [f"/reports/{name}?set_code=CQTT", f"/reports/{name}"]
    urls += ["/admin/audit/?action=submission.", "/review/?status=returned", f"/campaigns/{ids['campaign']}"]
    return urls


@pytest.mark.parametrize("role", ["admin", "rev_in", "viewer", "off_a", "owner"])
def test_no_known_code_reaches_a_page(app, more_states, role):
    app.test_client_class = FreshContextClient
    client = Client(app.test_client())
    assert client.login(USERNAMES[role]).status_code == 302
    codes = known_codes()
    leaks, seen = {}, 0
    for url in _pages(more_states):
        response = client.c.get(url)
        if response.status_code != 200 or not response.mimetype.startswith("text/html"):
            continue
        seen += 1
        text = visible_text(response.get_data(as_text=True))
        found = leaked_codes(text, codes)
        if found:
            leaks[url] = [_context(text, code) for code in found]
    assert seen >= 8, f"too few pages rendered for {role}"
    assert not leaks, "\n".join(f"{url}: {found}" for url, found in leaks.items())


def test_csv_exports_carry_labels(app, more_states):
    """CSV for people: unit types and statuses in words; the plan keeps the citation in words and the raw file:line."""
    app.test_client_class = FreshContextClient
    client = Client(app.test_client())
    client.login("quantri")
    codes = known_codes()
    for name in ("funnel", "ranking", "heatmap"):
        text = client.c.get(f"/reports/{name}.csv?set_code=CQTT").get_data(as_text=True)
        assert not leaked_codes(text, codes), (name, leaked_codes(text, codes))
    rows = list(csv.reader(io.StringIO(client.c.get("/reports/plan.csv?set_code=CQTT").get_data(as_text=True).lstrip("\ufeff"))))
    header, first = rows[0], rows[1]
    human, raw = first[header.index("Nguồn")], first[header.index("Nguồn (tệp:dòng)")]
    assert human.startswith("Đề án xây dựng Chủ nghĩa xã hội") and ", dòng " in human
    assert re.fullmatch(r"004_9df586bd548f38af\.txt:\d+", raw)


def test_audit_log_shows_names_labels_and_short_hashes(app, more_states):
    app.test_client_class = FreshContextClient
    client = Client(app.test_client())
    client.login("quantri")
    page = client.c.get("/admin/audit/").get_data(as_text=True)
    text = visible_text(page)
    assert "Tải lên minh chứng" in text and "Duyệt phiếu" in text and "Công nhận đạt chuẩn" in text
    assert "Phiếu: Phường An — CQTT 2026" in text  # the unit's and campaign's names, not "submission #4"
    assert "submission #" not in text
    from app.submissions.models import Evidence

    digest = db.session.scalar(sa.select(Evidence.sha256).limit(1))
    assert f"{digest[:10]}…" in text and digest not in text  # shortened on screen…
    assert f'title="{digest}"' in page  # …whole for auditors
    assert "Đã duyệt" in text or "Đã công nhận" in text  # old/new statuses in words


def test_score_history_reason_is_in_words(app, more_states):
    app.test_client_class = FreshContextClient
    client = Client(app.test_client())
    client.login("quantri")
    text = visible_text(client.c.get(f"/review/{more_states['submission_a']}").get_data(as_text=True))
    assert "round 1" not in text
    assert "Lần gửi 1" in text


def _english(client: Client) -> None:
    token = client.token("/notifications/")
    client.c.post("/lang", data={"csrf_token": token, "lang": "en", "next": "/"})


_VIETNAMESE = re.compile(r"[ăâđêôơưàảãáạằẳẵắặầẩẫấậèẻẽéẹềểễếệìỉĩíịòỏõóọồổỗốộờởỡớợùủũúụừửữứựỳỷỹýỵ]", re.I)


@pytest.mark.parametrize("username", ["quantri", "canbo.a"])
def test_english_menu_has_no_vietnamese(app, more_states, username):
    app.test_client_class = FreshContextClient
    client = Client(app.test_client())
    client.login(username)
    _english(client)
    page = client.c.get("/notifications/").get_data(as_text=True)
    header = page[page.index('<header class="top">'):page.index("</header>")]
    header = re.sub(r'<span class="who">.*?</span>', " ", header, flags=re.S)  # the user's and unit's own names
    header = header.replace("Tiếng Việt", "")  # the language switch names each language in itself
    header = header.replace(">Đạt chuẩn</a>", "></a>", 1)  # the product's name
    footer = page[page.index('<footer'):page.index("</footer>")]
    for part in (header, footer):
        words = visible_text(part)
        assert not _VIETNAMESE.search(words), words


def test_english_mode_shows_text_en(app, world, client):
    cset = world["campaign"].criteria_version.criteria
    ind = next(i for i in cset.groups[0].indicators if i.text_en)
    client.login("canbo.a")
    _english(client)
    page = html.unescape(client.get(f"/assessments/{world['campaign'].id}/{world['unit_a'].id}/groups/{cset.groups[0].code}").get_data(as_text=True))
    assert ind.text_en in page
    assert ind.text not in page
    assert cset.groups[0].title_en in page
    # the citation in English words, the raw reference kept for auditors
    assert ", line " in page and "Project on building socialism" in page


def test_citation_in_words_on_the_questionnaire(world, client):
    cset = world["campaign"].criteria_version.criteria
    ind = next(i for i in cset.indicators if i.source)
    client.login("canbo.a")
    group = cset.group_of(ind.code).code
    page = html.unescape(client.get(f"/assessments/{world['campaign'].id}/{world['unit_a'].id}/groups/{group}").get_data(as_text=True))
    raw = f"{ind.source.file}:{ind.source.line}"
    assert f"({raw})" not in visible_text(page)
    assert f"Đề án xây dựng Chủ nghĩa xã hội gắn với con người Xã hội chủ nghĩa tại thành phố Hải Phòng, dòng {ind.source.line}" in page
    assert f'title="{raw}"' in page
