"""Certificate services: issue (gap-free numbers), revoke, re-issue, verify, batch ZIP. They flush only."""

from __future__ import annotations

import datetime as dt
import io
import secrets
import shutil
import zipfile
from typing import IO

import sqlalchemy as sa
from flask import current_app, has_request_context, request
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from app import storage
from app.audit.services import record
from app.auth.models import User
from app.clock import to_local
from app.config import public_base_url
from app.decisions.services import get_decision
from app.errors import NotFound, PermissionDenied, ValidationFailed
from app.review.models import RecognitionDecision
from app.review.services import can_read, can_review
from app.submissions.models import Submission
from app.text import nfc

from . import codes
from .models import Certificate, CertificateCounter
from .pdf import render_certificate, sign_pdf


def next_number(session: Session, set_code: str, year: int) -> tuple[int, str]:
    """Take the next number for a set and year. The counter row is locked (SELECT … FOR UPDATE on
    PostgreSQL; SQLite serialises writers), so concurrent batches never share or skip a number."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    session.execute(insert(CertificateCounter).values(set_code=set_code, year=year, last_seq=0).on_conflict_do_nothing())
    counter = session.scalar(sa.select(CertificateCounter).where(CertificateCounter.set_code == set_code, CertificateCounter.year == year)
                             .with_for_update())
    counter.last_seq += 1
    session.flush()
    return counter.last_seq, f"{counter.last_seq:03d}/{year}/GCN-{set_code}"


def _store(session: Session, pdf: bytes) -> str:
    """Store a certificate PDF under `certificates/<random>.pdf` as part of `session`'s transaction (deleted if it
    does not commit; see app.storage.save_pending) and return the random name. Raises app.storage.WriteFailed."""
    name = f"{secrets.token_hex(16)}.pdf"
    storage.save_pending(session, storage.CERTIFICATES + name, io.BytesIO(pdf))
    return name


def pdf_key(cert: Certificate) -> str:
    """The storage key of the certificate's PDF. Raises NotFound when it has none (or a malformed name)."""
    try:
        return storage.check_key(storage.CERTIFICATES + (cert.pdf_stored_name or ""))
    except storage.BadKey:
        raise NotFound(_("Không tìm thấy tệp giấy chứng nhận.")) from None


def open_pdf(cert: Certificate) -> IO[bytes]:
    """A binary reader of the certificate's PDF from the storage backend (close it). Raises NotFound."""
    try:
        return storage.get_storage().open(pdf_key(cert))
    except storage.KeyNotFound:
        raise NotFound(_("Không tìm thấy tệp giấy chứng nhận.")) from None


def read_pdf(cert: Certificate) -> bytes:
    """The certificate's PDF bytes (one certificate is small). Raises NotFound."""
    with open_pdf(cert) as handle:
        return handle.read()


def send_pdf(cert: Certificate):
    """The streaming download response of the certificate's PDF, named GCN-<number>.pdf. Raises NotFound."""
    try:
        return storage.get_storage().send(pdf_key(cert), f"GCN-{cert.number.replace('/', '-')}.pdf", "application/pdf")
    except storage.KeyNotFound:
        raise NotFound(_("Không tìm thấy tệp giấy chứng nhận.")) from None


def public_address() -> str | None:
    """The public address certificates point to (no trailing "/"), or None when production has none configured.

    See app.config.public_base_url: PUBLIC_BASE_URL; in debug or tests without it, this request's root URL.
    """
    return public_base_url(current_app.config, request.url_root if has_request_context() else None)


def require_public_address() -> str:
    """The public address, or ValidationFailed (nothing has been changed yet) when production has none configured."""
    address = public_address()
    if address is None:
        raise ValidationFailed(_("Chưa cấu hình địa chỉ công khai của hệ thống (PUBLIC_BASE_URL) nên chưa cấp được giấy "
                                 "chứng nhận: mã QR trên giấy sẽ dẫn tới một địa chỉ sai. Không giấy nào được cấp, không số "
                                 "nào bị dùng. Hãy báo quản trị hệ thống đặt PUBLIC_BASE_URL (ví dụ "
                                 "https://datchuan.haiphong.gov.vn) rồi cấp lại."))
    return address


def context_of(cert: Certificate, decision: RecognitionDecision, submission: Submission) -> dict:
    """Plain values only (escaped by the template), as the certificate shows them.

    verify_url is the QR code's target; verify_page and verify_code (in groups of four, no-break spaces) are
    printed beneath it for a reader who types the code. Raises ValidationFailed without a public address.
    """
    version = submission.campaign.criteria_version
    address = require_public_address()
    return {
        "number": cert.number,
        "unit_name": cert.unit.name,
        "set_name": version.name_vi,
        "set_code": cert.set_code,
        "year": cert.year,
        "decision_number": decision.number,
        "decision_date": decision.decided_on,
        "issuing_body": decision.issuing_body,
        "signer_name": decision.signer_name,
        "signer_title": decision.signer_title,
        "issued_on": to_local(cert.issued_at).date(),
        "verify_url": f"{address}/verify/{cert.verify_code}",
        "verify_page": f"{address}/verify",
        "verify_code": codes.grouped(cert.verify_code),
        "replaces": cert.replaces.number if cert.replaces else "",
    }


def _issue_one(session: Session, actor: User, submission: Submission, decision: RecognitionDecision,
               replaces: Certificate | None = None) -> Certificate:
    require_public_address()  # before a number is taken
    set_code = submission.campaign.criteria_version.code
    year = submission.campaign.year
    seq, number = next_number(session, set_code, year)
    cert = Certificate(number=number, set_code=set_code, year=year, seq=seq, unit_id=submission.unit_id, submission_id=submission.id,
                       decision_id=decision.id, verify_code=codes.new_code(), issued_by_id=actor.id,
                       issued_at=dt.datetime.now(dt.UTC), replaces=replaces)
    session.add(cert)
    session.flush()
    pdf, signed = sign_pdf(render_certificate(context_of(cert, decision, submission)))
    cert.pdf_stored_name = _store(session, pdf)
    cert.signed = signed
    record(session, actor, "certificate.issue", cert, unit_id=cert.unit_id, number=number, decision=decision.number,
           replaces=replaces.number if replaces else None)
    session.flush()
    return cert


def _decision_for(session: Session, actor: User, decision_id: int) -> RecognitionDecision:
    decision = get_decision(session, actor, decision_id)
    if not can_review(actor, decision.campaign):
        raise PermissionDenied(_("Bạn không có quyền cấp giấy chứng nhận cho bộ tiêu chí này."))
    return decision


def issue_for_decision(session: Session, actor: User, decision_id: int) -> list[Certificate]:
    """Issue a certificate to every unit of the decision that has no current one (idempotent).

    Returns the new certificates. Raises PermissionDenied, NotFound, or ValidationFailed before any change when
    production has no public address configured (see require_public_address).
    """
    decision = _decision_for(session, actor, decision_id)
    require_public_address()
    issued = []
    for submission in decision.submissions:
        if submission.status != "recognised":
            continue
        current = session.scalar(sa.select(Certificate.id).where(
            Certificate.submission_id == submission.id, Certificate.revoked_at.is_(None), Certificate.superseded_by_id.is_(None)))
        if current is None:
            issued.append(_issue_one(session, actor, submission, decision))
    return issued


def get_certificate(session: Session, actor: User, cert_id: int) -> Certificate:
    cert = session.get(Certificate, cert_id)
    if cert is None:
        raise NotFound(_("Không tìm thấy giấy chứng nhận."))
    if actor.role == "official":
        if actor.unit_id != cert.unit_id:
            raise PermissionDenied(_("Bạn chỉ được xem giấy chứng nhận của đơn vị mình."))
    elif not can_read(actor, cert.decision.campaign):
        raise PermissionDenied(_("Bạn không có quyền xem giấy chứng nhận này."))
    return cert


def certificates_of_decision(session: Session, actor: User, decision_id: int) -> list[Certificate]:
    get_decision(session, actor, decision_id)
    return list(session.scalars(sa.select(Certificate).where(Certificate.decision_id == decision_id).order_by(Certificate.seq)))


def _require_admin_reason(actor: User, reason: str) -> str:
    if actor.role != "admin":
        raise PermissionDenied(_("Chỉ quản trị viên được thu hồi hoặc cấp lại giấy chứng nhận."))
    reason = nfc(reason) or ""
    if not reason:
        raise ValidationFailed(_("Ghi lý do."), {"reason": [_("Ghi lý do.")]})
    return reason


def revoke(session: Session, actor: User, cert_id: int, reason: str) -> Certificate:
    reason = _require_admin_reason(actor, reason)
    cert = get_certificate(session, actor, cert_id)
    if cert.status != "valid":
        raise ValidationFailed(_("Giấy chứng nhận này không còn hiệu lực nên không thu hồi được."))
    cert.revoked_at = dt.datetime.now(dt.UTC)
    cert.revoked_reason = reason
    cert.revoked_by_id = actor.id
    record(session, actor, "certificate.revoke", cert, unit_id=cert.unit_id, number=cert.number, reason=reason)
    session.flush()
    return cert


def reissue(session: Session, actor: User, cert_id: int, reason: str) -> Certificate:
    """A new number that references the old one; the old one shows as superseded."""
    reason = _require_admin_reason(actor, reason)
    old = get_certificate(session, actor, cert_id)
    require_public_address()
    if old.superseded_by_id:
        raise ValidationFailed(_("Giấy chứng nhận này đã được cấp lại với số %(n)s.", n=old.superseded_by.number))
    submission = session.get(Submission, old.submission_id)
    new = _issue_one(session, actor, submission, old.decision, replaces=old)
    old.superseded_by_id = new.id
    record(session, actor, "certificate.reissue", old, unit_id=old.unit_id, old=old.number, new=new.number, reason=reason)
    session.flush()
    return new


def verify(session: Session, code: str) -> Certificate | None:
    """Public look-up by verification code as printed or typed; None for anything unknown (no hints).

    The text is tried as is first (codes issued before keep working exactly), then normalised the Crockford way
    (spaces and dashes dropped, any case, O for 0, I/L for 1; see codes.normalise). Over 80 characters is unknown.
    """
    code = (code or "").strip()
    if not code or len(code) > 80:
        return None
    cert = session.scalar(sa.select(Certificate).where(Certificate.verify_code == code)) if len(code) <= 40 else None
    normalised = codes.normalise(code)
    if cert is None and normalised is not None and normalised != code:
        cert = session.scalar(sa.select(Certificate).where(Certificate.verify_code == normalised))
    return cert


def certificates_of_campaign(session: Session, actor: User, campaign_id: int) -> list[Certificate]:
    """Every certificate issued under the campaign's decisions (readers of the set)."""
    from app.campaigns.models import Campaign

    campaign = session.get(Campaign, campaign_id)
    if campaign is None:
        raise NotFound(_("Không tìm thấy đợt đánh giá."))
    if not can_read(actor, campaign):
        raise PermissionDenied(_("Bạn không có quyền xem đợt đánh giá này."))
    return list(session.scalars(sa.select(Certificate).join(RecognitionDecision, RecognitionDecision.id == Certificate.decision_id)
                                .where(RecognitionDecision.campaign_id == campaign_id).order_by(Certificate.seq)))


def _zip(certs: list[Certificate], progress=None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for n, cert in enumerate(certs, start=1):
            safe = cert.number.replace("/", "-")
            with open_pdf(cert) as source, archive.open(f"{safe}.pdf", "w") as target:
                shutil.copyfileobj(source, target, storage.CHUNK)
            if progress:
                progress(int(100 * n / len(certs)))
    return buffer.getvalue()


def zip_for_decision(session: Session, actor: User, decision_id: int, progress=None) -> tuple[bytes, str]:
    certs = certificates_of_decision(session, actor, decision_id)
    if not certs:
        raise ValidationFailed(_("Quyết định này chưa có giấy chứng nhận nào."))
    return _zip(certs, progress), f"giay-chung-nhan-{certs[0].decision.number.replace('/', '-')}.zip"


def zip_for_campaign(session: Session, actor: User, campaign_id: int, progress=None) -> tuple[bytes, str]:
    certs = certificates_of_campaign(session, actor, campaign_id)
    if not certs:
        raise ValidationFailed(_("Đợt đánh giá này chưa có giấy chứng nhận nào."))
    return _zip(certs, progress), f"giay-chung-nhan-dot-{campaign_id}.zip"
