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
