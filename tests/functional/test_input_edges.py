"""Input edge cases and hostile input: NFD/NFC and tone placement, emoji, very long text, decimal comma,
stored-XSS probes in every free-text field (HTML, PDF, XLSX), formula injection, hostile uploads."""

from __future__ import annotations

import io
import unicodedata
import zipfile

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.submissions.models import Submission
from tests.functional.test_journey import group_url, version_of

XSS = ['<script>alert("x")</script>', '<img src=x onerror="alert(1)">', '<a href="javascript:alert(1)">bấm</a>']


def test_search_ignores_tone_placement_and_normal_form(client, world, make_unit):
    make_unit("Phường Thuỷ Nguyên", "phuong", "11560")
    client.login("quantri")
    for query in ("Thủy Nguyên", "Thuỷ Nguyên", unicodedata.normalize("NFD", "Thủy Nguyên"), "thuy nguyen"):
        page = client.get(f"/campaigns/{world['campaign'].id}", query_string={"q": query}).get_data(as_text=True)
        assert "Phường Thuỷ Nguyên" in page and "Phường Hồng Bàng" not in page, query


def test_nfd_input_is_stored_nfc_with_emoji_long_text_and_decimal_comma(client, world):
    campaign, unit = world["campaign"], world["unit_a"]
    group = campaign.criteria_version.criteria.groups[0]
    pct = next(i for i in group.indicators if i.type == "percent")
    boolean = next(i for i in group.indicators if i.type == "boolean")
    client.login("canbo.a")
    url = group_url(campaign, unit, group.code)
    long_text = ("Giải trình dài 🌸 " * 700)[:10000]
    response = client.post_form(url, {"version": version_of(client, url), pct.field_name: "62,5", boolean.field_name: "no",
                                      boolean.field_name + "_explanation": unicodedata.normalize("NFD", "Chưa ban hành quy chế 🏛️"),
                                      pct.field_name + "_explanation": long_text}, content_type="multipart/form-data")
    assert response.status_code == 302
    sub = db.session.scalar(sa.select(Submission))
    db.session.refresh(sub)
    assert sub.answer_for(pct.code).parsed == 62.5
    stored = sub.answer_for(boolean.code).explanation
    assert stored == "Chưa ban hành quy chế 🏛️" and unicodedata.is_normalized("NFC", stored)
    assert len(sub.answer_for(pct.code).explanation) == len(long_text.strip())
    page = client.get(url).get_data(as_text=True)
    assert "🏛️" in page and "62,5" in page


@pytest.mark.parametrize("probe", XSS)
def test_stored_xss_is_escaped_everywhere(client, world, probe):
    campaign, unit = world["campaign"], world["unit_a"]
    group = campaign.criteria_version.criteria.groups[0]
    boolean = next(i for i in group.indicators if i.type == "boolean")
    client.login("canbo.a")
    url = group_url(campaign, unit, group.code)
    client.post_form(url, {"version": version_of(client, url), boolean.field_name: "no", boolean.field_name + "_explanation": probe,
                           boolean.field_name + "_files": [(io.BytesIO(b"%PDF-1.4\n%%EOF\n" + b"%" * 100), probe + ".pdf")]},
                     content_type="multipart/form-data")
    page = client.get(url).get_data(as_text=True)
    assert probe not in page  # never rendered as markup
    assert "&lt;" in page
    client.logout()
    # Admin creates a user and a campaign whose names are probes; they come back escaped.
    client.login("quantri")
    client.post_form("/admin/users/new", {"username": "canbo.xss", "full_name": probe, "password": "mat-khau-dai-1", "role": "viewer"})
    assert probe not in client.get("/admin/users").get_data(as_text=True)
    client.post_form("/campaigns/new", {"name": probe, "criteria_version_id": str(campaign.criteria_version_id), "year": "2026",
                                        "opens_on": "01/01/2026", "closes_on": "31/12/2026", "scope_unit_types": ["phuong"]})
    listing = client.get("/campaigns/").get_data(as_text=True)
    assert probe not in listing and "&lt;" in listing


def test_formula_injection_is_neutralised_in_csv_and_xlsx():
    import openpyxl

    from app.reports.exports import neutralise, to_csv, to_xlsx

    for value in ("=HYPERLINK(\"http://x\")", "+1+1", "-2+3", "@SUM(A1)"):
        assert neutralise(value).startswith("'")
    assert neutralise("Phường An") == "Phường An" and neutralise(-5) == -5
    csv_bytes = to_csv(["Đơn vị"], [["=1+1"], ["Phường An"]])
    assert b"'=1+1" in csv_bytes
    # XLSX holds the text exactly (a string cell is never evaluated): no apostrophe, never a formula.
    names = ["=1+1", "@cmd", "-Phường An", "+84 Tổ dân phố", "Phường An"]
    book = openpyxl.load_workbook(io.BytesIO(to_xlsx([("Thử", ["Đơn vị", "Điểm"], [[n, 5.0] for n in names])], [("Thành phố", "=x")])))
    sheet = book["Thử"]
    assert [sheet.cell(row=r, column=1).value for r in range(2, 2 + len(names))] == names
    assert all(sheet.cell(row=r, column=1).data_type == "s" for r in range(2, 2 + len(names)))
    assert book["Thông tin"]["B1"].value == "=x" and book["Thông tin"]["B1"].data_type == "s"


def _zip(entries: dict[str, bytes], compress=zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compress) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


@pytest.mark.parametrize("payload", [
    _zip({"word/document.xml": b"0" * (120 * 1024 * 1024)}),          # expands > 100 MiB (zip bomb)
    _zip({"word/document.xml": b"<w/>", "../../evil.sh": b"rm -rf /"}),  # path traversal inside the archive
])
def test_hostile_office_files_are_refused(client, world, payload):
    campaign, unit = world["campaign"], world["unit_a"]
    group = campaign.criteria_version.criteria.groups[0]
    ind = next(i for i in group.indicators)
    client.c.application.config["MAX_EVIDENCE_BYTES"] = 5 * 1024 * 1024
    client.login("canbo.a")
    url = group_url(campaign, unit, group.code)
    response = client.post_form(url, {"version": version_of(client, url), ind.field_name + "_files": [(io.BytesIO(payload), "bao-cao.docx")]},
                                content_type="multipart/form-data")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "bị hỏng hoặc có cấu trúc không an toàn" in html or "chỉ tiêu này chỉ nhận: " in html  # refused, whichever check comes first


def test_xss_probe_in_a_campaign_name_is_plain_text_in_the_pdf_report(client, world):
    from pypdf import PdfReader

    client.login("quantri")
    probe = XSS[0]
    client.post_form("/campaigns/new", {"name": probe, "criteria_version_id": str(world["campaign"].criteria_version_id), "year": "2027",
                                        "opens_on": "01/01/2027", "closes_on": "31/12/2027", "scope_unit_types": ["phuong"]})
    response = client.post_form("/reports/exports", {"fmt": "pdf", "set_code": "CQTT"}, token_from="/reports/plan")
    pdf = client.get(response.location + "/download").data
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages).replace("\n", "")
    assert probe in text  # shown literally as text, never interpreted
