"""Hostile text is refused or cleaned at the edge: control characters (NUL, C0, C1) are refused with a page that names
the field and shows what was typed without them; bidi controls never reach a stored, shown or sent file name."""

from __future__ import annotations

import io

import pytest
import sqlalchemy as sa

from app.auth.models import User
from app.extensions import db
from app.submissions.models import Answer, Evidence
from app.text import clean_filename, has_control, without_controls
from tests.conftest import PASSWORD, pdf_bytes
from tests.functional.test_journey import group_url, version_of

REFUSED = "có ký tự điều khiển không hợp lệ"


@pytest.fixture
def g1(client, world):
    client.login("canbo.a")
    campaign, unit = world["campaign"], world["unit_a"]
    group = campaign.criteria_version.criteria.groups[0]
    return client, group_url(campaign, unit, group.code), group


def _save(client, url, data):
    return client.post_form(url, {"version": version_of(client, url), "go": "stay", **data}, content_type="multipart/form-data")


def test_nul_in_an_explanation_is_refused_with_the_text_kept(g1):
    client, url, group = g1
    ind = group.indicators[0]
    response = _save(client, url, {ind.field_name + "_explanation": "Đã họp\x00 dân phố\nngày 3/5"})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert REFUSED in html and f"“Giải thích của chỉ tiêu {ind.code}”" in html
    assert "Đã họp dân phố\nngày 3/5" in html and "\x00" not in html
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Answer)) == 0


def test_tabs_and_line_breaks_in_an_explanation_are_kept(g1):
    client, url, group = g1
    ind = group.indicators[0]
    assert _save(client, url, {ind.field_name + "_explanation": "Dòng 1\r\nDòng 2\tcột"}).status_code in (302, 422)
    answer = db.session.scalar(sa.select(Answer).where(Answer.indicator_code == ind.code))
    assert answer is not None and answer.explanation == "Dòng 1\r\nDòng 2\tcột"


def test_nul_in_a_file_name_is_refused_and_nothing_is_stored(g1):
    client, url, group = g1
    ind = next(i for i in group.indicators if "pdf" in i.evidence.kinds)
    response = _save(client, url, {ind.field_name + "_files": [(io.BytesIO(pdf_bytes()), "bien\x00ban.pdf")]})
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and REFUSED in html and "tệp “bienban.pdf”" in html
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Evidence)) == 0


def test_nul_in_a_full_name_on_the_admin_user_form(client, world):
    client.login("quantri")
    response = client.post_form("/admin/users/new", {"username": "canbo.moi", "full_name": "Nguyễn\x00 Văn An", "password": "mat-khau-1234",
                                                     "role": "viewer"})
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and REFUSED in html and "“Họ và tên”" in html
    assert "Nguyễn Văn An" in html and "canbo.moi" in html and "mat-khau-1234" not in html
    assert db.session.scalar(sa.select(User).where(User.username == "canbo.moi")) is None


def test_nul_in_the_login_username(client, world):
    response = client.post_form("/login", {"username": "canbo.a\x00", "password": PASSWORD})
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and REFUSED in html and "“Tên đăng nhập”" in html and PASSWORD not in html
    assert client.get("/assessments/").status_code == 302  # not logged in


@pytest.mark.parametrize("value", ["\x00", "\x1b[31m", "\x85", "a\tb", "\x7f"])
def test_control_characters_in_a_query_argument(client, world, value):
    client.login("quantri")
    response = client.get("/admin/audit/", query_string={"actor": value})
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and REFUSED in html and "“actor”" in html
    assert without_controls(value).strip() == "" or without_controls(value) in html


def test_control_characters_in_a_path_give_404(client, world):
    client.login("canbo.a")
    campaign, unit = world["campaign"], world["unit_a"]
    assert client.get(f"/assessments/{campaign.id}/{unit.id}/groups/G1%00").status_code == 404


def test_bidi_override_is_removed_from_file_names_before_storing_showing_and_sending(g1):
    client, url, group = g1
    ind = next(i for i in group.indicators if "pdf" in i.evidence.kinds)
    response = _save(client, url, {ind.field_name + "_files": [(io.BytesIO(pdf_bytes()), "hoso\u202efdp.exe")]})
    assert response.status_code in (302, 422)
    item = db.session.scalar(sa.select(Evidence))
    assert item.original_name == "hosofdp.exe"
    page = client.get(url).get_data(as_text=True)
    assert "hosofdp.exe" in page and "\u202e" not in page
    download = client.get(f"/assessments/evidence/{item.id}")
    disposition = download.headers["Content-Disposition"]
    assert "hosofdp.exe" in disposition and "%E2%80%AE" not in disposition.upper() and "\u202e" not in disposition


def test_download_header_is_built_from_a_cleaned_name_even_for_old_rows(g1):
    client, url, group = g1
    ind = next(i for i in group.indicators if "pdf" in i.evidence.kinds)
    _save(client, url, {ind.field_name + "_files": [(io.BytesIO(pdf_bytes()), "bien-ban.pdf")]})
    item = db.session.scalar(sa.select(Evidence))
    control = "\x00" if db.engine.dialect.name == "sqlite" else "\x1f"  # PostgreSQL never stored a NUL
    item.original_name = f"bien{control}ban\u2067\u202e.pdf"  # a row stored before names were cleaned
    db.session.commit()
    disposition = client.get(f"/assessments/evidence/{item.id}").headers["Content-Disposition"]
    assert disposition == "attachment; filename=bienban.pdf"


def test_reports_csv_header_comes_from_a_cleaned_name(client, world):
    client.login("quantri")
    response = client.get("/reports/ranking.csv?set_code=CQTT&year=2026")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment; filename=bao-cao-ranking-cqtt-2026-")


@pytest.mark.parametrize(("raw", "clean"), [
    ("hoso\u202efdp.exe", "hosofdp.exe"), ("\u2066bao\u2069cao\u200e.pdf\u200f", "baocao.pdf"), ("a\u061cb.png", "ab.png"),
    ("bien\x00ban\x85.pdf", "bienban.pdf"), ("../../etc/Biên bản.pdf", "Biên bản.pdf"), ("C:\\tmp\\x.pdf", "x.pdf"),
    ("\u202e", "tep"), ("Bie\u0302n ba\u0309n.pdf", "Biên bản.pdf"),
])
def test_clean_filename(raw, clean):
    assert clean_filename(raw) == clean


def test_control_character_helpers():
    assert has_control("a\x00b") and has_control("a\nb") and not has_control("a\nb\tc\r", multiline=True)
    assert has_control("a\x0bb", multiline=True) and has_control("\x9f", multiline=True) and not has_control("Đạt chuẩn ữ")
    assert without_controls("a\x00b\nc", multiline=True) == "ab\nc" and without_controls("a\x00b\nc") == "abc"

