"""Reports through HTTP: every page renders, CSV/XLSX/PDF exports are correct, scoping holds."""

from __future__ import annotations

import csv
import io
import os

import pytest

from app.extensions import db
from tests.reports_fixture import build

SECTIONS = ("plan", "funnel", "ranking", "weakest", "heatmap", "trend")


@pytest.fixture
def data(app, make_unit, make_user, make_campaign):
    return build(app, make_unit, make_user, make_campaign)


@pytest.mark.parametrize("name", SECTIONS)
def test_every_report_page_renders_with_chart_and_table(client, data, name):
    client.login("xem")
    response = client.get(f"/reports/{name}?set_code=CQTT&year=2026")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<table" in html and "<caption" in html
    if name in ("plan", "funnel", "weakest", "trend"):
        assert "<svg" in html and 'role="img"' in html and "<title>" in html
    if name == "heatmap":  # on screen an HTML grid (sticky unit column), the SVG stays for PDFs
        assert '<table class="heatgrid">' in html and 'class="heat-pass"' in html
    assert client.get(f"/reports/{name}").status_code == 200  # all sets / all years


def test_csv_round_trips_vietnamese(client, data):
    client.login("xem")
    response = client.get("/reports/ranking.csv?set_code=CQTT&year=2026")
    assert response.data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert rows[0][:2] == ["Hạng", "Đơn vị"]
    assert rows[1][:5] == ["1", "Phường An", "Phường", "Đã công nhận", "100.0"]
    assert any(r[1] == "Phường Cường" and r[4] == "93.75" for r in rows[1:])


def test_xlsx_export_job(client, data):
    import openpyxl

    client.login("xem")
    response = client.post_form("/reports/exports", {"fmt": "xlsx", "set_code": "CQTT", "year": "2026"}, token_from="/reports/plan")
    assert response.status_code == 302
    status = client.get(response.location).get_data(as_text=True)
    assert "Đã xong." in status and 'value="100"' in status
    download = client.get(response.location + "/download")
    book = openpyxl.load_workbook(io.BytesIO(download.data))
    assert book.sheetnames[0] == "Thông tin" and "Xếp hạng đơn vị" in book.sheetnames
    sheet = book["Xếp hạng đơn vị"]
    assert sheet.freeze_panes == "A2"
    assert [c.value for c in sheet[1]][:2] == ["Hạng", "Đơn vị"]
    assert sheet["B2"].value == "Phường An" and sheet["E2"].value == 100.0 and sheet["E2"].number_format == "#,##0.00"
    plan = book["Kế hoạch và thực hiện"]
    assert plan["E2"].value == 1 and plan["F2"].value == 20.0
    info = {row[0].value: row[1].value for row in book["Thông tin"].iter_rows()}
    assert info["Thành phố"] == "Thành phố Hải Phòng" and info["Bộ tiêu chí"] == "CQTT"


def test_pdf_export_has_fonts_and_text(client, data):
    from pypdf import PdfReader

    client.login("xem")
    response = client.post_form("/reports/exports", {"fmt": "pdf", "set_code": "CQTT", "year": "2026"}, token_from="/reports/plan")
    pdf = client.get(response.location + "/download").data
    reader = PdfReader(io.BytesIO(pdf))
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert "Báo cáo đánh giá tiêu chí — Thành phố Hải Phòng" in text and "Phường Cường" in text and "Kế hoạch và thực hiện" in text
    assert reader.pages[0].mediabox.width == pytest.approx(595.3, abs=1)  # A4
    fonts = set()
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            descriptor = font.get_object()["/DescendantFonts"][0].get_object()["/FontDescriptor"]
            assert "/FontFile2" in descriptor  # embedded
            fonts.add(str(font.get_object()["/BaseFont"]))
    assert all("Noto" in f for f in fonts)


def test_failed_export_is_shown(client, data, monkeypatch):
    from app.reports import exports

    def broken(*_args, **_kwargs):
        raise RuntimeError("ổ đĩa đầy")

    monkeypatch.setattr(exports, "to_xlsx", broken)
    client.login("xem")
    response = client.post_form("/reports/exports", {"fmt": "xlsx", "set_code": "CQTT"}, token_from="/reports/plan")
    html = client.get(response.location).get_data(as_text=True)
    assert "Không tạo được tệp." in html and "RuntimeError: ổ đĩa đầy" in html
    assert client.get(response.location + "/download").status_code == 302


def test_official_sees_only_own_card(client, data):
    a, b = data["units"]["A"], data["units"]["B"]
    client.login("canbo.a")
    assert client.get("/reports/").location.endswith(f"/reports/units/{a.id}")
    page = client.get(f"/reports/units/{a.id}").get_data(as_text=True)
    assert "Phường An" in page and "01/QĐ" in page
    assert client.get(f"/reports/units/{b.id}").status_code == 403
    assert client.get("/reports/plan").status_code == 403
    assert client.get("/reports/ranking.csv?set_code=CQTT").status_code == 403
    job = client.post_form("/reports/exports", {"fmt": "xlsx", "set_code": "CQTT"}, token_from=f"/reports/units/{a.id}")
    assert job.status_code == 403


def test_export_jobs_are_private(client, data):
    client.login("xem")
    response = client.post_form("/reports/exports", {"fmt": "xlsx", "set_code": "CQTT"}, token_from="/reports/plan")
    client.logout()
    client.login("thamdinh")
    assert client.get(response.location).status_code == 403


@pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL", "").startswith("postgres"), reason="procrastinate needs PostgreSQL")
def test_procrastinate_worker_runs_the_export(client, data, app):
    from app.jobs.models import ExportJob
    from app.jobs.queue import run_worker

    app.config["JOBS_BACKEND"] = "procrastinate"
    try:
        client.login("xem")
        response = client.post_form("/reports/exports", {"fmt": "xlsx", "set_code": "CQTT"}, token_from="/reports/plan")
        job_id = int(response.location.rsplit("/", 1)[1])
        assert db.session.get(ExportJob, job_id).status == "queued"
        run_worker(app, wait=False)
        db.session.expire_all()
        job = db.session.get(ExportJob, job_id)
        assert job.status == "done", job.error
        assert client.get(response.location + "/download").status_code == 200
    finally:
        app.config["JOBS_BACKEND"] = "sync"


def test_failed_export_can_be_retried(client, data, monkeypatch):
    from app.reports import exports

    real = exports.to_xlsx
    monkeypatch.setattr(exports, "to_xlsx", lambda *a, **k: (_ for _ in ()).throw(RuntimeError("hết bộ nhớ")))
    client.login("xem")
    response = client.post_form("/reports/exports", {"fmt": "xlsx", "set_code": "CQTT"}, token_from="/reports/plan")
    status_url = response.location
    assert "Chạy lại" in client.get(status_url).get_data(as_text=True)
    monkeypatch.setattr(exports, "to_xlsx", real)
    retry = client.post_form(status_url + "/retry", {}, token_from=status_url)
    assert retry.status_code == 302
    assert "Đã xong." in client.get(status_url).get_data(as_text=True)
    assert client.post_form(status_url + "/retry", {}, token_from=status_url).status_code == 409


def _page_statements(client, path: str) -> list[str]:
    """The SQL statements one GET of `path` sends (the page must answer 200)."""
    import sqlalchemy as sa

    seen: list[str] = []

    def record(_conn, _cursor, statement, *_args):
        seen.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", record)
    try:
        response = client.get(path)
        assert response.status_code == 200, path
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", record)
    return seen


def test_report_pages_send_as_many_statements_at_two_data_sizes(app, client, data, make_unit, make_user):
    """Guard against N+1 on the pages themselves (session, filter lists, badge, layout and the section): each report
    page and its XLSX download is measured with 5 units and again with 13 (8 more, submitted), and sends the same
    number of statements both times, within a fixed bound."""
    from tests.reports_fixture import fill_and_submit

    client.login("xem")
    paths = [f"/reports/{name}?set_code=CQTT&year=2026" for name in SECTIONS]
    paths += [f"/reports/{name}.xlsx?set_code=CQTT&year=2026" for name in SECTIONS] + ["/reports/plan"]
    for path in paths:  # warm: the per-process caches are not what is measured
        _page_statements(client, path)
    small = {path: len(_page_statements(client, path)) for path in paths}
    for n in range(8):
        unit = make_unit(f"Phường Thêm {n}", "phuong")
        fill_and_submit(app, make_user(f"canbo.them{n}", "official", unit), data["new"], unit)
    db.session.commit()
    large = {path: len(_page_statements(client, path)) for path in paths}
    assert large == small
    assert large["/reports/plan?set_code=CQTT&year=2026"] > 0
    if os.environ.get("SHOW_STATEMENTS"):
        for path in paths[:6]:
            print("\n==", path, "\n" + "\n".join(s[:200].replace("\n", " ") for s in _page_statements(client, path)))
