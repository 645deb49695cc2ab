"""Certificate PDF: a dict-only context → HTML template → WeasyPrint (safe fetcher) → optional PAdES signature."""

from __future__ import annotations

import datetime as dt
import io

import segno
from flask import current_app, render_template
from markupsafe import Markup

from app.pdf import AppStaticFetcher, render_pdf


def qr_svg(url: str) -> Markup:
    """The verification URL as an inline vector QR code (segno; error correction M)."""
    svg = segno.make(url, error="m", micro=False).svg_inline(scale=3, border=2, dark="#000000", light="#FFFFFF")
    return Markup(svg)  # nosec B704  # noqa: S704 - segno's SVG of our own URL, no user text


def vn_date_words(day: dt.date) -> str:
    return f"ngày {day.day:02d} tháng {day.month:02d} năm {day.year}"


def render_certificate(context: dict, *, pdf_a: bool = True, fetcher: AppStaticFetcher | None = None) -> bytes:
    """Render one certificate. `context` holds only strings and dates (no ORM objects)."""
    html = render_template("certificates/certificate.html", c=context, qr=qr_svg(context["verify_url"]),
                           issued_words=vn_date_words(context["issued_on"]),
                           decision_date=context["decision_date"].strftime("%d/%m/%Y"))
    options = {"pdf_variant": "pdf/a-3b"} if pdf_a else {}
    return render_pdf(html, fetcher, **options)


def sign_pdf(pdf: bytes) -> tuple[bytes, bool]:
    """Sign with the configured key (PAdES, pyHanko). Without a key the PDF is returned unsigned."""
    key_path = current_app.config.get("CERT_SIGNING_KEY")
    cert_path = current_app.config.get("CERT_SIGNING_CERT")
    if not key_path or not cert_path:
        return pdf, False
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import signers

    passphrase = current_app.config.get("CERT_SIGNING_KEY_PASSWORD")
    signer = signers.SimpleSigner.load(key_path, cert_path, key_passphrase=passphrase.encode() if passphrase else None)
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    meta = signers.PdfSignatureMetadata(field_name="ChuKySo", reason="Giấy chứng nhận đạt chuẩn", location="Hải Phòng")
    out = signers.sign_pdf(writer, meta, signer=signer)
    return out.getvalue(), True
