"""Issue 13 for reviewers and admins: the heatmap (default set, 24 px cells, sticky unit column), the CSV/XLSX
downloads, the users list's search and filters, status counts per campaign, "Chọn tất cả" in the decision form and
a stale or missing CSRF token on the review and decision forms."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest

from app.extensions import db
from tests.reports_fixture import build

CSS = Path(__file__).resolve().parents[2] / "app" / "static" / "css" / "admin.css"


@pytest.fixture
def data(app, make_unit, make_user, make_campaign):
    return build(app, make_unit, make_user, make_campaign)


# ------------------------------------------------------------------ heatmap

def test_heatmap_without_a_set_shows_the_first_set_with_data(client, data):
    from app.auth.models import User
    from app.reports.common import visible_sets

    viewer = db.session.query(User).filter_by(username="xem").one()
    sets = visible_sets(db.session, viewer)
    assert sets[0] != "CQTT" and "CQTT" in sets  # sets before CQTT (e.g. ATCN) have no submissions: CQTT is the first with data
    client.login("xem")
    html = client.get("/reports/heatmap").get_data(as_text=True)
    assert re.search(r'<option selected value="CQTT">|<option value="CQTT" selected>', html)
    assert 'id="default-set"' in html and "Đang xem bộ tiêu chí CQTT" in html
    assert '<table class="heatgrid">' in html and "Chọn một bộ tiêu chí để xem bản đồ nhiệt." not in html
    # the unit name is abbreviated on the grid with the full name kept (tooltip, screen readers), never cut
    assert 'title="Phường Cường"' in html and '<span aria-hidden="true">P. Cường</span><span class="sr-only">Phường Cường</span>' in html
    # a set the viewer chose is kept, and no note is shown
    chosen = client.get("/reports/heatmap?set_code=CQTT&year=2026").get_data(as_text=True)
    assert 'id="default-set"' not in chosen and '<table class="heatgrid">' in chosen


def test_heatmap_cells_are_at_least_24px_and_the_unit_column_is_sticky():
    css = CSS.read_text(encoding="utf-8")
    cell = re.search(r"table\.heatgrid td \{([^}]*)\}", css).group(1)
    for prop in ("min-width", "width", "height"):
        value = re.search(rf"(?<![-\w]){prop}:(\d+)px", cell)
        assert value and int(value.group(1)) >= 24, prop
    unit = re.search(r"\.heatgrid-box th\[scope=row\], table\.heatgrid th\.unit \{([^}]*)\}", css).group(1)
    assert "position:sticky" in unit and "left:0" in unit and "white-space:normal" in unit
    assert re.search(r"\.heatgrid-box \{[^}]*overflow-x:auto", css)


# ------------------------------------------------------------------ CSV and XLSX

def test_csv_content_type_has_charset_once_and_is_labelled_machine_readable(client, data):
    client.login("xem")
    for name in ("plan", "funnel", "ranking", "weakest", "heatmap", "trend"):
        response = client.get(f"/reports/{name}.csv?set_code=CQTT&year=2026")
        assert response.status_code == 200
        assert response.headers["Content-Type"] == "text/csv; charset=utf-8", name
    rows = list(csv.reader(io.StringIO(client.get("/reports/ranking.csv?set_code=CQTT&year=2026").data.decode("utf-8-sig"))))
    assert any(r[1] == "Phường Cường" and r[4] == "93.75" for r in rows[1:])  # decimal point, as the label says
    page = client.get("/reports/ranking?set_code=CQTT&year=2026").get_data(as_text=True)
    assert "CSV (dữ liệu máy đọc, dấu chấm thập phân)" in page and "Tải Excel (XLSX)" in page
    assert "mở được bằng Excel" not in page


def test_xlsx_download_of_a_section_has_numbers_as_numbers(client, data):
    import openpyxl

    client.login("xem")
    response = client.get("/reports/ranking.xlsx?set_code=CQTT&year=2026")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert response.headers["Content-Disposition"].startswith("attachment") and ".xlsx" in response.headers["Content-Disposition"]
    book = openpyxl.load_workbook(io.BytesIO(response.data))
    sheet = book["Xếp hạng đơn vị"]
    values = {row[1].value: row[4].value for row in sheet.iter_rows(min_row=2)}
    assert values["Phường Cường"] == 93.75 and isinstance(values["Phường Cường"], float)
    info = {row[0].value: row[1].value for row in book["Thông tin"].iter_rows()}
    assert info["Bộ tiêu chí"] == "CQTT" and info["Năm"] == "2026"
    # the heatmap workbook takes the default set like the page
    heat = openpyxl.load_workbook(io.BytesIO(client.get("/reports/heatmap.xlsx").data))
    assert {row[0].value: row[1].value for row in heat["Thông tin"].iter_rows()}["Bộ tiêu chí"] == "CQTT"


def test_official_cannot_download_report_xlsx(client, data):
    client.login("canbo.a")
    assert client.get("/reports/ranking.xlsx?set_code=CQTT").status_code == 403


# ------------------------------------------------------------------ users list

def _rows(html: str) -> list[str]:
    """Usernames listed in the users table, in order."""
    return re.findall(r'<td><a href="/admin/users/\d+">([^<]+)</a></td>', html)


def test_users_list_searches_and_filters(client, world):
    from app.auth.models import User

    hoa = db.session.query(User).filter_by(username="canbo.b").one()
    hoa.full_name, hoa.email = "Nguyễn Thị Hoà", "hoa.nguyen@haiphong.gov.vn"
    db.session.query(User).filter_by(username="xem").one().is_enabled = False
    db.session.commit()
    client.login("quantri")
    assert set(_rows(client.get("/admin/users").get_data(as_text=True))) == {
        "canbo.a", "canbo.b", "thamdinh.cqtt", "thamdinh.th", "xem", "quantri"}
    # name without tones, NFD input, e-mail, username
    assert _rows(client.get("/admin/users?q=hoa").get_data(as_text=True)) == ["canbo.b"]
    assert _rows(client.get("/admin/users?q=Ho%C3%A0").get_data(as_text=True)) == ["canbo.b"]
    assert _rows(client.get("/admin/users?q=HAIPHONG.gov").get_data(as_text=True)) == ["canbo.b"]
    assert _rows(client.get("/admin/users?q=thamdinh").get_data(as_text=True)) == ["thamdinh.cqtt", "thamdinh.th"]
    assert _rows(client.get("/admin/users?role=reviewer").get_data(as_text=True)) == ["thamdinh.cqtt", "thamdinh.th"]
    assert _rows(client.get(f"/admin/users?unit_id={world['unit_a'].id}").get_data(as_text=True)) == ["canbo.a"]
    assert _rows(client.get("/admin/users?active=0").get_data(as_text=True)) == ["xem"]
    assert "xem" not in _rows(client.get("/admin/users?active=1").get_data(as_text=True))
    both = client.get(f"/admin/users?role=official&q=hong&unit_id={world['unit_a'].id}").get_data(as_text=True)
    assert _rows(both) == [] and "Không có người dùng nào khớp bộ lọc." in both  # "hong" is not in canbo.a's name
    none = client.get("/admin/users?q=khong-ai")
    assert none.status_code == 200 and "0 người dùng khớp bộ lọc" in none.get_data(as_text=True)


@pytest.mark.parametrize("query", ["role=superuser", "unit_id=-1", "unit_id=99999999999999999999", "active=maybe",
                                   "page=abc", "page=-3", "page=10000000000000"])
def test_users_list_bad_filter_values_give_a_message_not_a_500(client, world, query):
    client.login("quantri")
    response = client.get(f"/admin/users?{query}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert len(_rows(html)) == 6  # the bad filter is ignored
    if not query.startswith("page="):
        assert "có giá trị không hợp lệ nên đã được bỏ qua" in html


def test_users_list_pages(client, world, monkeypatch):
    from app.auth import services

    monkeypatch.setattr(services, "USERS_PER_PAGE", 4)
    monkeypatch.setattr(services.list_users, "__defaults__", (None, 1, 4))
    client.login("quantri")
    first = client.get("/admin/users").get_data(as_text=True)
    second = client.get("/admin/users?page=2").get_data(as_text=True)
    assert len(_rows(first)) == 4 and len(_rows(second)) == 2 and not set(_rows(first)) & set(_rows(second))
    assert 'href="/admin/users?page=2"' in first and "trang 1/2" in first
    assert _rows(client.get("/admin/users?page=9").get_data(as_text=True)) == _rows(second)  # past the end: the last page
    filtered = client.get("/admin/users?role=official&page=1").get_data(as_text=True)
    assert _rows(filtered) == ["canbo.a", "canbo.b"] and "page=2" not in filtered


def test_users_list_is_admin_only(client, world):
    client.login("thamdinh.cqtt")
    assert client.get("/admin/users?q=a").status_code == 403


# ------------------------------------------------------------------ campaign counts

def test_campaign_list_and_detail_count_submissions_by_status(client, data):
    from sqlalchemy import event

    client.login("quantri")
    statements: list[str] = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        html = client.get("/campaigns/").get_data(as_text=True)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert sum("FROM submissions" in s and "GROUP BY" in s for s in statements) == 1
    assert sum("FROM submissions" in s for s in statements) == 1  # one grouped query, no query per campaign
    new_row = html[html.index("CQTT 2026"):].split("</tr>")[0]
    # 2026: A recognised, B returned, C rejected, E submitted (D never started)
    for text in ("Đã gửi: 1", "Trả lại bổ sung: 1", "Không chấp thuận: 1", "Đã công nhận: 1"):
        assert text in new_row, text
    old_row = html[html.index("CQTT 2025"):].split("</tr>")[0]
    assert "Đã duyệt: 1" in old_row and "Đã gửi" not in old_row
    detail = client.get(f"/campaigns/{data['new'].id}").get_data(as_text=True)
    counts = detail[detail.index('id="status-counts"'):].split("</ul>")[0]
    assert "Trong phạm vi: 5" in counts and "Chưa bắt đầu: 1" in counts and "Đã công nhận: 1" in counts
    searched = client.get(f"/campaigns/{data['new'].id}?q=An").get_data(as_text=True)
    assert "Trong phạm vi: 5" in searched[searched.index('id="status-counts"'):].split("</ul>")[0]  # counts ignore the search


def test_officials_see_no_counts_of_other_units(client, data):
    client.login("canbo.a")
    html = client.get("/campaigns/").get_data(as_text=True)
    assert "Phiếu theo trạng thái" not in html and "Đã công nhận: " not in html


# ------------------------------------------------------------------ decision form: chọn tất cả

def _approved_world(app, world, make_unit, make_user):
    """Two approved submissions in the CQTT campaign: (campaign, [submission ids])."""
    from app.review.outcomes import approve
    from tests.reports_fixture import fill_and_submit

    campaign = world["campaign"]
    ids = []
    for official, unit in ((world["official_a"], world["unit_a"]), (world["official_b"], world["unit_b"])):
        sub = fill_and_submit(app, official, campaign, unit)
        approve(db.session, world["reviewer_in"], sub.id)
        ids.append(sub.id)
    db.session.commit()
    return campaign, ids


def test_decision_form_select_all_without_js_keeps_what_was_typed(app, client, world, make_unit, make_user):
    from app.review.models import RecognitionDecision as Decision

    campaign, ids = _approved_world(app, world, make_unit, make_user)
    client.login("quantri")
    url = f"/review/campaigns/{campaign.id}/decisions/new"
    page = client.get(url).get_data(as_text=True)
    assert 'data-select-all="submission_ids"' in page and 'name="select_all" value="all"' in page and "Chọn tất cả" in page
    response = client.post_form(url, {"number": "12/QĐ-UBND", "signer_name": "Trần Văn Ký", "select_all": "all"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and db.session.query(Decision).count() == 0  # nothing saved
    for sid in ids:
        assert re.search(rf'value="{sid}"\s+checked', html)
    assert 'value="12/QĐ-UBND"' in html and 'value="Trần Văn Ký"' in html
    cleared = client.post_form(url, {"number": "12/QĐ-UBND", "submission_ids": [str(i) for i in ids], "select_all": "none"})
    assert not re.search(r'name="submission_ids" value="\d+"\s+checked', cleared.get_data(as_text=True))
    # then the real submit records the decision for every ticked unit
    done = client.post_form(url, {"number": "12/QĐ-UBND", "decided_on": "01/06/2026", "signer_name": "Trần Văn Ký",
                                  "signer_title": "Chủ tịch", "issuing_body": "UBND thành phố",
                                  "submission_ids": [str(i) for i in ids]})
    assert done.status_code == 302
    assert len(db.session.query(Decision).one().submissions) == 2


# ------------------------------------------------------------------ stale or missing CSRF token

def test_stale_csrf_on_decision_form_re_shows_it_with_what_was_typed(app, client, world, make_unit, make_user):
    from app.review.models import RecognitionDecision as Decision

    campaign, ids = _approved_world(app, world, make_unit, make_user)
    client.login("quantri")
    url = f"/review/campaigns/{campaign.id}/decisions/new"
    old = client.token(url)
    client.logout()
    client.login("quantri")
    response = client.post(url, data={"csrf_token": old, "number": "07/QĐ", "signer_name": "Lê Thị Ký", "submission_ids": [str(ids[1])],
                                      "scan": (io.BytesIO(b"%PDF-1.4 x"), "quyet-dinh.pdf")}, content_type="multipart/form-data")
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and db.session.query(Decision).count() == 0
    assert "Phiên làm việc đã hết hạn hoặc đã thay đổi" in html and "CHƯA được thực hiện" in html
    assert 'value="07/QĐ"' in html and 'value="Lê Thị Ký"' in html
    assert re.search(rf'value="{ids[1]}"\s+checked', html) and not re.search(rf'value="{ids[0]}"\s+checked', html)
    assert "quyet-dinh.pdf" in html  # the file to choose again
    fresh = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)
    assert fresh != old
    missing = client.post(url, data={"number": "08/QĐ"})
    assert missing.status_code == 400 and "thiếu mã CSRF (mã bảo mật)" in missing.get_data(as_text=True)
    assert 'value="08/QĐ"' in missing.get_data(as_text=True)


@pytest.mark.parametrize(("action", "field", "form_id"), [("approve", "note", "note"), ("reject", "reason", "reason")])
def test_stale_csrf_on_approve_or_reject_keeps_the_note(app, client, world, action, field, form_id):
    from app.submissions.models import Submission
    from tests.reports_fixture import fill_and_submit

    sub = fill_and_submit(app, world["official_a"], world["campaign"], world["unit_a"])
    db.session.commit()
    client.login("thamdinh.cqtt")
    old = client.token(f"/review/{sub.id}")
    client.logout()
    client.login("thamdinh.cqtt")
    text = "Hồ sơ đầy đủ, đồng ý <b>duyệt</b>"
    response = client.post(f"/review/{sub.id}/{action}", data={"csrf_token": old, "version": str(sub.version), field: text})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Phiên làm việc đã hết hạn hoặc đã thay đổi" in html
    assert re.search(rf'<textarea id="{form_id}" name="{field}"[^>]*>\s*Hồ sơ đầy đủ, đồng ý &lt;b&gt;duyệt&lt;/b&gt;</textarea>', html)
    db.session.expire_all()
    assert db.session.get(Submission, sub.id).status == "submitted"  # nothing done


def test_stale_csrf_on_an_admin_form_and_any_other_form(client, world):
    from app.auth.models import User

    client.login("quantri")
    old = client.token("/admin/users/new")
    client.logout()
    client.login("quantri")
    response = client.post("/admin/users/new", data={"csrf_token": old, "username": "canbo.moi", "full_name": "Phạm Thị Mới",
                                                      "password": "mat-khau-moi-1", "role": "official"})
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and "Phiên làm việc đã hết hạn" in html
    assert 'value="canbo.moi"' in html and 'value="Phạm Thị Mới"' in html and "mat-khau-moi-1" not in html
    assert db.session.query(User).filter_by(username="canbo.moi").count() == 0
    # a form without its own page (end every session): the keep-typed page that posts it again with a fresh token
    other = client.post(f"/admin/users/{world['official_b'].id}/end-sessions", data={"csrf_token": old})
    page = other.get_data(as_text=True)
    assert other.status_code == 400 and "Phiên làm việc đã hết hạn" in page
    assert f'action="/admin/users/{world["official_b"].id}/end-sessions"' in page


def test_stale_csrf_on_login_keeps_the_username(client, world):
    response = client.post("/login", data={"csrf_token": "garbled", "username": "canbo.a", "password": "x"})
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and "CHƯA được thực hiện" in html and 'value="canbo.a"' in html
    assert client.login("canbo.a").status_code == 302
