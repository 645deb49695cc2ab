"""Certificates: PDF content and fonts, QR decoding, numbering, verification states, revoke/re-issue,
batch ZIP, safety of user text, optional signature."""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile

import pytest
import sqlalchemy as sa

from app.certificates import services as certs
from app.certificates.models import Certificate
from app.extensions import db
from tests.reports_fixture import build


@pytest.fixture
def data(app, make_unit, make_user, make_campaign):
    return build(app, make_unit, make_user, make_campaign)


@pytest.fixture
def decision(data):
    from app.review.models import RecognitionDecision

    return db.session.scalar(sa.select(RecognitionDecision).where(RecognitionDecision.number == "01/QĐ"))


def issue_via_http(client, decision):
    client.login("thamdinh")
    url = f"/certificates/decisions/{decision.id}"
    response = client.post_form(f"{url}/issue", {}, token_from=url)
    assert response.status_code == 302
    return db.session.scalars(sa.select(Certificate).order_by(Certificate.id)).all()


def pdf_text(pdf: bytes) -> str:
    from pypdf import PdfReader

    return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)


def test_certificate_pdf_content_fonts_and_qr(client, data, decision, app):
    import pypdfium2
    import zxingcpp
    from pypdf import PdfReader

    issued = issue_via_http(client, decision)
    assert len(issued) == 1
    cert = issued[0]
    assert cert.number == "001/2026/GCN-CQTT" and cert.status == "valid"
    download = client.get(f"/certificates/{cert.id}.pdf")
    assert download.status_code == 200 and download.headers["Content-Disposition"].startswith("attachment")
    pdf = download.data
    text = pdf_text(pdf)
    for expected in ("Phường An", "001/2026/GCN-CQTT", "01/QĐ", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc",
                     "GIẤY CHỨNG NHẬN", "Chính quyền thân thiện", "2026", "CHỦ TỊCH"):
        assert expected in text, expected
    reader = PdfReader(io.BytesIO(pdf))
    page = reader.pages[0]
    assert page.mediabox.width > page.mediabox.height  # A4 landscape
    for font in page["/Resources"]["/Font"].values():
        font = font.get_object()
        assert "Noto-Serif" in str(font["/BaseFont"])
        assert "/FontFile2" in font["/DescendantFonts"][0].get_object()["/FontDescriptor"]
    meta = reader.metadata
    assert "Phường An" in meta.subject and meta.author == "UBND" and "001/2026/GCN-CQTT" in meta.title
    xmp = reader.trailer["/Root"]["/Metadata"].get_object().get_data()
    assert b"pdfaid" in xmp and b"3" in xmp  # PDF/A-3 identification in the XMP metadata
    # The QR code, decoded from a rendering of the page by a real decoder, is the verification URL.
    image = pypdfium2.PdfDocument(pdf)[0].render(scale=4).to_pil()
    decoded = [r.text for r in zxingcpp.read_barcodes(image)]
    assert decoded == [app.config["BASE_URL"] + f"/verify/{cert.verify_code}"]


def test_verification_page_states(client, data, decision):
    cert = issue_via_http(client, decision)[0]
    client.logout()
    page = client.get(f"/verify/{cert.verify_code}")  # public, no login
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "CÒN HIỆU LỰC" in html and "001/2026/GCN-CQTT" in html and "Phường An" in html
    assert "01/QĐ" in html and "Chính quyền thân thiện" in html
    assert "canbo" not in html and "Tự chấm" not in html  # nothing else about the unit
    unknown = client.get("/verify/khong-ton-tai")
    assert unknown.status_code == 404 and "Không tìm thấy giấy chứng nhận." in unknown.get_data(as_text=True)
    client.login("quantri")
    url = f"/certificates/decisions/{decision.id}"
    empty = client.post_form(f"/certificates/{cert.id}/revoke", {"reason": ""}, token_from=url)
    assert empty.status_code == 302 and db.session.get(Certificate, cert.id).status == "valid"
    client.post_form(f"/certificates/{cert.id}/revoke", {"reason": "Phát hiện sai lệch hồ sơ"}, token_from=url)
    client.logout()
    html = client.get(f"/verify/{cert.verify_code}").get_data(as_text=True)
    assert "ĐÃ BỊ THU HỒI" in html and "Phát hiện sai lệch hồ sơ" in html
    client.login("quantri")
    client.post_form(f"/certificates/{cert.id}/reissue", {"reason": "Cấp lại sau khi xác minh"}, token_from=url)
    db.session.expire_all()
    old = db.session.get(Certificate, cert.id)
    new = old.superseded_by
    assert old.status == "superseded" and new.number == "002/2026/GCN-CQTT" and new.replaces_id == old.id
    client.logout()
    html = client.get(f"/verify/{cert.verify_code}").get_data(as_text=True)
    assert "ĐÃ ĐƯỢC THAY THẾ" in html and "002/2026/GCN-CQTT" in html
    assert "thay thế giấy chứng nhận số 001/2026/GCN-CQTT" in pdf_text(certs.read_pdf(new))
    from app.audit.models import AuditEntry

    actions = set(db.session.scalars(sa.select(AuditEntry.action).where(AuditEntry.action.startswith("certificate."))))
    assert actions == {"certificate.issue", "certificate.revoke", "certificate.reissue"}


def test_only_admins_revoke_and_officials_see_only_their_own(client, data, decision):
    cert = issue_via_http(client, decision)[0]
    url = f"/certificates/decisions/{decision.id}"
    assert client.post_form(f"/certificates/{cert.id}/revoke", {"reason": "x"}, token_from=url).status_code == 403
    client.logout()
    client.login("canbo.a")
    assert client.get(f"/certificates/{cert.id}.pdf").status_code == 200
    client.logout()
    client.login("canbo.b")
    assert client.get(f"/certificates/{cert.id}.pdf").status_code == 403


def test_numbers_are_gap_free_per_set_and_year(app, data, decision):
    numbers = [certs.next_number(db.session, "CQTT", 2026)[1] for _ in range(3)] + [certs.next_number(db.session, "CQTT", 2027)[1]]
    assert numbers == ["001/2026/GCN-CQTT", "002/2026/GCN-CQTT", "003/2026/GCN-CQTT", "001/2027/GCN-CQTT"]


def test_batch_zip_job(client, data, decision):
    issue_via_http(client, decision)
    url = f"/certificates/decisions/{decision.id}"
    response = client.post_form(f"{url}/zip", {}, token_from=url)
    assert response.status_code == 302
    assert "Đã xong." in client.get(response.location).get_data(as_text=True)
    archive = zipfile.ZipFile(io.BytesIO(client.get(response.location + "/download").data))
    assert archive.namelist() == ["001-2026-GCN-CQTT.pdf"]
    assert archive.read("001-2026-GCN-CQTT.pdf").startswith(b"%PDF")


def test_batch_zip_of_a_campaign(client, data, decision):
    issue_via_http(client, decision)
    url = f"/campaigns/{decision.campaign_id}"
    response = client.post_form(f"/certificates/campaigns/{decision.campaign_id}/zip", {}, token_from=url)
    assert response.status_code == 302 and "Đã xong." in client.get(response.location).get_data(as_text=True)
    archive = zipfile.ZipFile(io.BytesIO(client.get(response.location + "/download").data))
    assert archive.namelist() == ["001-2026-GCN-CQTT.pdf"]
    client.logout()
    client.login("canbo.a")
    assert client.post_form(f"/certificates/campaigns/{decision.campaign_id}/zip", {}, token_from="/assessments/").status_code == 403


def test_user_text_cannot_inject_html_or_fetch_files(app, data, decision):
    from app.certificates.pdf import render_certificate
    from app.pdf import AppStaticFetcher

    evil = 'Phường <b>Đậm</b><img src="file:///etc/passwd"><link rel="stylesheet" href="http://example.com/x.css">'
    context = {"number": "009/2026/GCN-CQTT", "unit_name": evil, "set_name": "CQTT", "set_code": "CQTT", "year": 2026,
               "decision_number": "x", "decision_date": dt.date(2026, 1, 1), "issuing_body": "UBND <script>alert(1)</script>",
               "signer_name": "A", "signer_title": "B", "issued_on": dt.date(2026, 1, 2), "verify_url": "http://127.0.0.1:5000/verify/x",
               "replaces": ""}
    fetcher = AppStaticFetcher()
    with app.test_request_context():
        pdf = render_certificate(context, fetcher=fetcher)
    text = pdf_text(pdf)
    assert 'Phường <b>Đậm</b><img src="file:///etc/passwd">' in text.replace("\n", "")  # shown as text, not markup
    assert "root:x:0:0" not in text
    assert not any(u.startswith(("file:", "http:")) for u in fetcher.refused)  # escaped text never became a request
    # A template that does reference outside URLs has them refused.
    from app.pdf import render_pdf

    bad = AppStaticFetcher()
    render_pdf('<img src="file:///etc/passwd"><img src="http://127.0.0.1:9/x.png"><img src="data:image/png;base64,AAAA">'
               '<link rel="stylesheet" href="appstatic:../../config.py">', bad)
    assert len(bad.refused) == 4


def test_signed_certificate_verifies(app, data, decision, tmp_path):
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "UBND thành phố Hải Phòng (thử nghiệm)")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key()).serial_number(1)
            .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=30))
            .add_extension(x509.KeyUsage(True, True, False, False, False, False, False, False, False), critical=True)
            .sign(key, hashes.SHA256()))
    (tmp_path / "key.pem").write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                         serialization.NoEncryption()))
    (tmp_path / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    app.config.update(CERT_SIGNING_KEY=str(tmp_path / "key.pem"), CERT_SIGNING_CERT=str(tmp_path / "cert.pem"))
    try:
        issued = certs.issue_for_decision(db.session, data["reviewer"], decision.id)
        db.session.commit()
    finally:
        app.config.update(CERT_SIGNING_KEY=None, CERT_SIGNING_CERT=None)
    assert issued[0].signed
    with certs.open_pdf(issued[0]) as stored, io.BytesIO(stored.read()) as handle:
        reader = PdfFileReader(handle)
        assert len(reader.embedded_signatures) == 1
        status = validate_pdf_signature(reader.embedded_signatures[0], ValidationContext(trust_roots=[
            __import__("asn1crypto.x509", fromlist=["Certificate"]).Certificate.load(cert.public_bytes(serialization.Encoding.DER))]))
        assert status.intact and status.valid and status.trusted


def test_verify_page_is_rate_limited(client, app):
    app.config["VERIFY_RATE_LIMIT"] = "5 per minute"
    try:
        codes = [client.get(f"/verify/x{n}").status_code for n in range(7)]
    finally:
        app.config["VERIFY_RATE_LIMIT"] = "30 per minute"
    assert codes[:5] == [404] * 5 and codes[5:] == [429, 429]


def test_unsigned_without_key(client, data, decision):
    cert = issue_via_http(client, decision)[0]
    assert not cert.signed
    assert re.search(rb"/ByteRange", certs.read_pdf(cert)) is None


@pytest.mark.skipif(not __import__("os").environ.get("TEST_DATABASE_URL", "").startswith("postgres"),
                    reason="row locks (SELECT … FOR UPDATE) are tested on PostgreSQL")
def test_concurrent_batches_get_unique_gap_free_numbers(app):
    import threading

    from sqlalchemy.orm import Session

    results: list[int] = []
    errors: list[Exception] = []
    barrier = threading.Barrier(8)
    engine = db.engine  # threads have no app context

    def worker():
        try:
            barrier.wait()
            for _ in range(5):
                with Session(engine) as session, session.begin():
                    seq, _number = certs.next_number(session, "CQTT", 2031)
                    results.append(seq)
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not errors
    assert sorted(results) == list(range(1, 41))


def test_export_in_a_background_thread(client, data, app):
    import time

    from app.jobs.models import ExportJob

    app.config["JOBS_BACKEND"] = "thread"
    try:
        client.login("xem")
        response = client.post_form("/reports/exports", {"fmt": "pdf", "set_code": "CQTT"}, token_from="/reports/plan")
        job_id = int(response.location.rsplit("/", 1)[1])
        for _ in range(1200):  # up to 2 minutes on a loaded machine; normally about a second
            db.session.expire_all()
            job = db.session.get(ExportJob, job_id)
            if job.status in ("done", "failed"):
                break
            time.sleep(0.1)
        assert job.status == "done", job.error
    finally:
        app.config["JOBS_BACKEND"] = "sync"
