"""The app's files through the storage interface, on both backends (`backend`: the local folder, then S3 on
moto's server): evidence uploaded then downloaded byte for byte, a decision scan, a certificate PDF, export
results; the same upload checks; and no object left behind by a save that does not commit."""

from __future__ import annotations

import hashlib
import io
import zipfile

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.storage import get_storage
from app.submissions.models import Evidence
from tests.conftest import pdf_bytes
from tests.functional.test_journey import group_url, version_of


def _stored(include_partial: bool = True) -> list[str]:
    """Every object in the app's storage, partial ones included (local: every file; S3: every key)."""
    store = get_storage()
    if store.name == "s3":
        return sorted(o["Key"] for page in store.client.get_paginator("list_objects_v2").paginate(Bucket=store.bucket)
                      for o in page.get("Contents", []))
    return sorted(p.relative_to(store.root).as_posix() for p in store.root.rglob("*") if p.is_file()) if store.root.exists() else []


def _pdf_indicator(world):
    campaign, unit = world["campaign"], world["unit_a"]
    group = campaign.criteria_version.criteria.groups[0]
    return campaign, unit, group, next(i for i in group.indicators if "pdf" in i.evidence.kinds)


def _upload(client, world, content: bytes, name: str = "Biên bản họp.pdf"):
    campaign, unit, group, ind = _pdf_indicator(world)
    url = group_url(campaign, unit, group.code)
    return client.post_form(url, {"version": version_of(client, url), ind.field_name + "_files": [(io.BytesIO(content), name)]},
                            content_type="multipart/form-data")


def test_evidence_uploaded_then_downloaded_byte_for_byte(client, world, app, backend):
    content = pdf_bytes(150 * 1024)  # several chunks, under the tests' 200 KiB limit
    client.login("canbo.a")
    assert _upload(client, world, content).status_code == 302
    item = db.session.scalar(sa.select(Evidence))
    assert (item.size, item.sha256) == (len(content), hashlib.sha256(content).hexdigest())
    assert _stored() == [item.stored_name]  # the key is the stored name, as in UPLOAD_DIR before; nothing partial left
    response = client.get(f"/assessments/evidence/{item.id}")
    assert response.status_code == 200 and response.data == content
    assert response.headers["Content-Length"] == str(len(content)) and response.headers["Content-Type"] == "application/pdf"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Disposition"] == "attachment; filename=\"Bien ban hop.pdf\"; filename*=UTF-8''Bi%C3%AAn%20b%E1%BA%A3n%20h%E1%BB%8Dp.pdf"
    get_storage().delete(item.stored_name)  # a file lost behind the app's back: a plain 404 page
    assert client.get(f"/assessments/evidence/{item.id}").status_code == 404


def test_upload_checks_are_as_strong_on_every_backend(client, world, app, backend):
    client.login("canbo.a")
    too_big = _upload(client, world, pdf_bytes(app.config["MAX_EVIDENCE_BYTES"] + 1), "lon.pdf")
    disguised = _upload(client, world, b"MZ\x90\x00 not a pdf" * 100, "virus.pdf")
    assert too_big.status_code == 422 and disguised.status_code == 422
    assert "lon.pdf" in too_big.get_data(as_text=True) and "virus.pdf" in disguised.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Evidence)) == 0 and _stored() == []


def test_a_commit_that_fails_after_the_upload_leaves_no_object(client, world, app, backend):
    client.login("canbo.a")
    campaign, unit, group, ind = _pdf_indicator(world)
    url = group_url(campaign, unit, group.code)
    version = version_of(client, url)

    def refuse_commit(conn):
        raise sa.exc.OperationalError("COMMIT", {}, Exception("connection lost at commit"))

    sa.event.listen(db.engine, "commit", refuse_commit)
    try:
        response = client.post_form(url, {"version": version, ind.field_name + "_files": [(io.BytesIO(pdf_bytes()), "a.pdf")]},
                                    content_type="multipart/form-data")
    finally:
        sa.event.remove(db.engine, "commit", refuse_commit)
    assert response.status_code == 503
    assert _stored() == []  # the object was moved into place just before the commit, then deleted with the rollback
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Evidence)) == 0


def test_a_save_killed_before_its_commit_leaves_only_a_partial_object_which_is_swept(client, world, app, backend, monkeypatch):
    from app.submissions import services

    client.login("canbo.a")
    seen = {}
    real_record = services.record

    def crash(session, actor, action, *args, **kwargs):
        if action == "evidence.upload":
            seen["during"] = _stored()
            get_storage().sweep_partial(3600)  # a sweep meanwhile leaves a fresh partial object alone
            seen["after_sweep"] = _stored()
            session.info.pop("pending_uploads")  # the process dies here: nobody will clean up after it
            raise RuntimeError("worker killed")
        return real_record(session, actor, action, *args, **kwargs)

    monkeypatch.setattr(services, "record", crash)
    with pytest.raises(RuntimeError):
        _upload(client, world, pdf_bytes())
    assert len(seen["during"]) == 1 and seen["after_sweep"] == seen["during"]
    assert seen["during"][0].endswith(".part") or seen["during"][0].startswith("_partial/")
    assert list(get_storage().keys("")) == []  # not a stored file
    assert get_storage().sweep_partial(-1) == 1 and _stored() == []


def test_on_s3_certificate_pdf_and_decision_scan_stored_then_downloaded(client, app, s3_config, make_unit, make_user, make_campaign):
    """On S3 only: tests/functional/test_certificates.py and test_review_loop.py cover the local folder."""
    import datetime as dt

    from app.certificates import services as certs
    from app.decisions.services import create_decision
    from app.review.models import RecognitionDecision
    from app.review.outcomes import approve
    from app.submissions.models import Submission
    from app.submissions.services import Upload
    from app.units.models import Unit
    from tests.functional.test_certificates import issue_via_http
    from tests.reports_fixture import build

    data = build(app, make_unit, make_user, make_campaign)  # evidence on the local folder (both are tested above)
    app.config.update(s3_config)
    decision = db.session.scalar(sa.select(RecognitionDecision).where(RecognitionDecision.number == "01/QĐ"))
    cert = issue_via_http(client, decision)[0]
    key = f"certificates/{cert.pdf_stored_name}"
    assert get_storage().name == "s3" and key in _stored() and not any(k.endswith(".part") or k.startswith("_partial/") for k in _stored())
    download = client.get(f"/certificates/{cert.id}.pdf")
    assert download.status_code == 200 and download.data.startswith(b"%PDF") and download.data == certs.read_pdf(cert)
    assert download.headers["Content-Length"] == str(len(download.data))
    assert download.headers["Content-Disposition"] == "attachment; filename=GCN-001-2026-GCN-CQTT.pdf"
    url = f"/certificates/decisions/{decision.id}"
    job = client.post_form(f"{url}/zip", {}, token_from=url)
    archive = zipfile.ZipFile(io.BytesIO(client.get(job.location + "/download").data))
    assert archive.read("001-2026-GCN-CQTT.pdf") == download.data
    # A decision's scan streams in from the request's file and out to the reader.
    admin = db.session.scalar(sa.select(data["reviewer"].__class__).where(data["reviewer"].__class__.username == "quantri"))
    sub_e = db.session.scalar(sa.select(Submission).join(Unit).where(Unit.name == "Xã Em", Submission.campaign_id == data["new"].id))
    approve(db.session, data["reviewer"], sub_e.id)
    scan = pdf_bytes(120 * 1024)
    before = _stored()
    with pytest.raises(Exception, match="Chưa ghi được quyết định"):  # refused (number taken): nothing stored
        create_decision(db.session, admin, data["new"].id, number="01/QĐ", decided_on=dt.date.today(), signer_name="B",
                               signer_title="Chủ tịch", issuing_body="UBND", submission_ids=[sub_e.id],
                               scan=Upload("qd.pdf", stream=io.BytesIO(scan)), max_bytes=10**6)
    assert _stored() == before
    second = create_decision(db.session, admin, data["new"].id, number="02/QĐ", decided_on=dt.date.today(), signer_name="B",
                                    signer_title="Chủ tịch", issuing_body="UBND", submission_ids=[sub_e.id],
                                    scan=Upload("Quyết định 02.pdf", stream=io.BytesIO(scan)), max_bytes=10**6)
    db.session.commit()
    assert second.scan_stored_name in _stored()
    client.logout()
    client.login("quantri")
    got = client.get(f"/review/decisions/{second.id}/scan")
    assert got.status_code == 200 and got.data == scan and got.headers["Content-Length"] == str(len(scan))


def test_on_s3_export_job_result_stored_and_downloaded(client, app, s3_config, make_unit, make_user, make_campaign):
    """On S3 only: tests/functional/test_reports_http.py and test_job_stalls.py cover the local folder."""
    import openpyxl

    from app.jobs.models import ExportJob
    from tests.reports_fixture import build

    build(app, make_unit, make_user, make_campaign)
    app.config.update(s3_config)
    client.login("xem")
    response = client.post_form("/reports/exports", {"fmt": "xlsx", "set_code": "CQTT", "year": "2026"}, token_from="/reports/plan")
    job = db.session.scalar(sa.select(ExportJob))
    assert job.status == "done" and get_storage().name == "s3" and _stored() == [f"exports/{job.stored_name}"]
    download = client.get(response.location + "/download")
    assert download.status_code == 200 and download.headers["Content-Length"] == str(len(download.data))
    assert openpyxl.load_workbook(io.BytesIO(download.data)).sheetnames[0] == "Thông tin"
    get_storage().delete(f"exports/{job.stored_name}")
    gone = client.get(response.location + "/download")
    assert gone.status_code == 404 and "Tệp kết quả không còn." in gone.get_data(as_text=True)
