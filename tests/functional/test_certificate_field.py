"""Certificates in the field: the public address they print (refused in production without one), verification
codes a person can type (Crockford base32, one line in groups of four), codes issued before still verifying."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from app.certificates import codes
from app.certificates import services as certs
from app.certificates.models import Certificate, CertificateCounter
from app.errors import ValidationFailed
from app.extensions import db
from tests.functional.test_certificates import issue_via_http
from tests.reports_fixture import build

PUBLIC = "https://datchuan.haiphong.gov.vn"
KNOWN = "7KQ2M9XD4H1RZP30"


@pytest.fixture
def data(app, make_unit, make_user, make_campaign):
    return build(app, make_unit, make_user, make_campaign)


@pytest.fixture
def decision(data):
    from app.review.models import RecognitionDecision

    return db.session.scalar(sa.select(RecognitionDecision).where(RecognitionDecision.number == "01/QĐ"))


def production(app, address: str) -> None:
    """Make the test app behave as production does: not testing, not debug, this public address ("" = none)."""
    app.config.update(TESTING=False, DEBUG=False, BASE_URL=address)


def pdf_lines(pdf: bytes) -> list[str]:
    """The text of the PDF's first page, line by line as laid out, with no-break and thin spaces as spaces."""
    import pypdfium2

    page = pypdfium2.PdfDocument(pdf)[0]
    text = page.get_textpage().get_text_range()
    return [" ".join(line.replace("\u00a0", " ").split()) for line in text.splitlines()]


# ------------------------------------------------------------------ the public address

def test_production_without_a_public_address_refuses_and_changes_nothing(client, data, decision, app):
    production(app, "")
    client.login("thamdinh")
    url = f"/certificates/decisions/{decision.id}"
    page = client.get(url).get_data(as_text=True)
    assert "PUBLIC_BASE_URL" in page  # warned before anyone clicks
    response = client.post_form(f"{url}/issue", {}, token_from=url)
    assert response.status_code == 302 and response.location.endswith(url)
    shown = client.get(url).get_data(as_text=True)
    assert "Chưa cấu hình địa chỉ công khai của hệ thống (PUBLIC_BASE_URL) nên chưa cấp được giấy chứng nhận" in shown
    assert "Không giấy nào được cấp, không số nào bị dùng" in shown
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Certificate)) == 0
    assert db.session.scalar(sa.select(sa.func.max(CertificateCounter.last_seq))) in (None, 0)  # no number taken
    # Once the address is set the first number is still 001.
    app.config["BASE_URL"] = PUBLIC
    client.post_form(f"{url}/issue", {}, token_from=url)
    assert [c.number for c in db.session.scalars(sa.select(Certificate))] == ["001/2026/GCN-CQTT"]


def test_reissue_without_a_public_address_is_refused_before_any_change(app, data, decision):
    issued = certs.issue_for_decision(db.session, data["reviewer"], decision.id)
    db.session.commit()
    production(app, "")
    from app.auth.models import User

    admin = db.session.scalar(sa.select(User).where(User.role == "admin"))
    with pytest.raises(ValidationFailed, match="PUBLIC_BASE_URL"):
        certs.reissue(db.session, admin, issued[0].id, "Cấp lại")
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Certificate)) == 1
    assert db.session.get(Certificate, issued[0].id).status == "valid"


def test_production_with_a_public_address_prints_it(client, data, decision, app):
    import pypdfium2
    import zxingcpp

    production(app, PUBLIC)
    cert = issue_via_http(client, decision)[0]
    pdf = certs.read_pdf(cert)
    image = pypdfium2.PdfDocument(pdf)[0].render(scale=4).to_pil()
    assert [r.text for r in zxingcpp.read_barcodes(image)] == [f"{PUBLIC}/verify/{cert.verify_code}"]
    assert f"Xác minh tại {PUBLIC}/verify" in pdf_lines(pdf)
    assert "127.0.0.1" not in " ".join(pdf_lines(pdf))


def test_startup_warns_without_a_public_address(monkeypatch, caplog):
    from app import create_app

    monkeypatch.delenv("PUBLIC_BASE_URL", raising=False)
    monkeypatch.delenv("BASE_URL", raising=False)
    monkeypatch.delenv("FLASK_DEBUG", raising=False)
    with caplog.at_level("WARNING"):
        create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})
    assert any("PUBLIC_BASE_URL is not set" in r.getMessage() for r in caplog.records)
    caplog.clear()
    monkeypatch.setenv("PUBLIC_BASE_URL", "http://127.0.0.1:5123")
    with caplog.at_level("WARNING"):
        app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})
    assert app.config["BASE_URL"] == "http://127.0.0.1:5123"
    assert not any("PUBLIC_BASE_URL" in r.getMessage() for r in caplog.records)


# ------------------------------------------------------------------ codes a person can type

def test_new_code_printed_on_one_line_in_groups_of_four(client, data, decision, app):
    cert = issue_via_http(client, decision)[0]
    assert re.fullmatch(f"[{codes.ALPHABET}]{{16}}", cert.verify_code)
    lines = pdf_lines(certs.read_pdf(cert))
    grouped = codes.grouped(cert.verify_code, " ")
    assert f"Mã xác minh: {grouped}" in lines, lines  # the whole code, on one line
    assert f"Xác minh tại {app.config['BASE_URL']}/verify" in lines
    from flask import render_template

    with app.test_request_context():
        html = render_template("certificates/certificate.html", c={"verify_code": codes.grouped(cert.verify_code), "verify_page": "x",
                                                                  "verify_url": "x", "issued_on": None}, qr="", issued_words="",
                               decision_date="")
    assert re.search(r"\.verify \.code \{[^}]*white-space: nowrap", html)
    assert f'<span class="code">{codes.grouped(cert.verify_code)}</span>' in html


def _known_code(decision) -> Certificate:
    cert = db.session.scalars(sa.select(Certificate)).one()
    cert.verify_code = KNOWN
    db.session.commit()
    return cert


@pytest.mark.parametrize("typed", ["7KQ2M9XD4H1RZP30", "7kq2 m9xd 4h1r zp30", "7KQ2-M9XD-4H1R-ZP30", "7KQ2M9XD4HIRZP3O",
                                   "  7kq2-m9xd 4hlr zp3o  ", "7KQ2\u00a0M9XD\u00a04H1R\u00a0ZP30"])
def test_verify_form_accepts_the_code_as_typed(client, data, decision, typed):
    issue_via_http(client, decision)
    cert = _known_code(decision)
    client.logout()
    page = client.get("/verify", query_string={"code": typed})
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "CÒN HIỆU LỰC" in html and cert.number in html
    assert '<span class="verify-code">7KQ2 M9XD 4H1R ZP30</span>' in html


def test_verify_url_accepts_grouped_and_lower_case_codes(client, data, decision):
    issue_via_http(client, decision)
    _known_code(decision)
    client.logout()
    for path in ("/verify/7KQ2M9XD4H1RZP30", "/verify/7kq2-m9xd-4h1r-zp3o", "/verify/7KQ2%20M9XD%204H1R%20ZP30"):
        assert client.get(path).status_code == 200, path


def test_verify_form_empty_and_not_found(client, data, decision):
    empty = client.get("/verify")
    html = empty.get_data(as_text=True)
    assert empty.status_code == 200 and 'name="code"' in html and "Không tìm thấy" not in html
    assert 'method="get"' in html and 'for="code"' in html
    missing = client.get("/verify", query_string={"code": "7KQ2 M9XD 4H1R ZP3U"})
    html = missing.get_data(as_text=True)
    assert missing.status_code == 404 and "Không tìm thấy giấy chứng nhận." in html and "kiểm tra lại mã" in html
    assert 'value="7KQ2 M9XD 4H1R ZP3U"' in html  # what was typed is kept


def test_codes_issued_before_still_verify_exactly(client, data, decision):
    issue_via_http(client, decision)
    cert = db.session.scalars(sa.select(Certificate)).one()
    old = "Xk9_2b-Qw7LmN0pQrS3tUvAb"  # secrets.token_urlsafe(18), as codes were made before
    cert.verify_code = old
    db.session.commit()
    client.logout()
    assert client.get(f"/verify/{old}").status_code == 200
    assert client.get("/verify", query_string={"code": old}).status_code == 200
    assert client.get("/verify", query_string={"code": f" {old} "}).status_code == 200
    assert client.get(f"/verify/{old.upper()}").status_code == 404  # case-sensitive, as before
    assert client.get(f"/verify/{old.replace('-', '')}").status_code == 404


def test_form_and_link_share_one_rate_limit(client, app):
    app.config["VERIFY_RATE_LIMIT"] = "4 per minute"
    try:
        codes_seen = [client.get("/verify/x1").status_code, client.get("/verify", query_string={"code": "x2"}).status_code,
                      client.get("/verify/x3").status_code, client.get("/verify", query_string={"code": "x4"}).status_code,
                      client.get("/verify", query_string={"code": "x5"}).status_code, client.get("/verify/x6").status_code]
    finally:
        app.config["VERIFY_RATE_LIMIT"] = "30 per minute"
    assert codes_seen == [404, 404, 404, 404, 429, 429]


def test_verify_form_survives_hostile_input(client, app, data, decision):
    from tests.functional.test_hostile_routes import HOSTILE, NUL_VALUES

    issue_via_http(client, decision)
    client.logout()
    app.config["VERIFY_RATE_LIMIT"] = "10000 per minute"
    try:
        for value in [*HOSTILE, *NUL_VALUES, "7KQ2 M9XD 4H1R ZP3" + "\u0301", "٧KQ2M9XD4H1RZP30", "７ＫＱ２M9XD4H1RZP30"]:
            response = client.get("/verify", query_string={"code": value})
            assert response.status_code in (400, 404), (value[:30], response.status_code)
    finally:
        app.config["VERIFY_RATE_LIMIT"] = "30 per minute"
