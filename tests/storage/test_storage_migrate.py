"""`flask storage migrate` (local ↔ S3, verified by SHA-256, safe to re-run) and `flask storage check`."""

from __future__ import annotations

import io

import pytest
import sqlalchemy as sa

from app import storage
from app.extensions import db
from app.storage.s3 import S3Storage
from app.submissions.models import Evidence
from tests.conftest import pdf_bytes
from tests.functional.test_journey import group_url, version_of


@pytest.fixture
def files(client, world, app):
    """Two evidence files uploaded on the local folder, plus a certificate PDF and an export result named by rows
    (written straight into the folder, as an install from before app.storage has them)."""
    from app.jobs.models import ExportJob

    campaign, unit = world["campaign"], world["unit_a"]
    group = campaign.criteria_version.criteria.groups[0]
    ind = next(i for i in group.indicators if "pdf" in i.evidence.kinds)
    client.login("canbo.a")
    url = group_url(campaign, unit, group.code)
    response = client.post_form(url, {"version": version_of(client, url), ind.field_name + "_files": [
        (io.BytesIO(pdf_bytes(1000)), "a.pdf"), (io.BytesIO(pdf_bytes(90 * 1024)), "b.pdf")]}, content_type="multipart/form-data")
    assert response.status_code == 302
    local = storage.get_storage()
    local.save("exports/0123abcd.xlsx", io.BytesIO(b"PK export"))
    db.session.add(ExportJob(user_id=world["viewer"].id, kind="report", fmt="xlsx", status="done", progress=100, params={}, stored_name="0123abcd.xlsx",
                             download_name="bao-cao.xlsx"))
    db.session.commit()
    return sorted(local.keys(""))


def _run(app, *args):
    return app.test_cli_runner().invoke(args=["storage", *args], catch_exceptions=False)


def test_migrate_local_to_s3_verifies_skips_on_rerun_and_back(app, files, s3_config, tmp_path, client):
    app.config.update({k: v for k, v in s3_config.items() if k != "STORAGE_BACKEND"})  # both configured; still local
    first = _run(app, "migrate", "--from", "local", "--to", "s3")
    assert first.exit_code == 0, first.output
    assert "copied: 3" in first.output and "all files verified; you can now set STORAGE_BACKEND=s3" in first.output
    s3 = storage.build(app.config, "s3")
    local = storage.build(app.config, "local")
    assert sorted(s3.keys("")) == files and all(s3.sha256(k) == local.sha256(k) for k in files)
    again = _run(app, "migrate", "--from", "local", "--to", "s3")
    assert again.exit_code == 0 and "already there (verified): 3" in again.output and "copied" not in again.output
    # The app switched to S3 serves the same bytes.
    app.config["STORAGE_BACKEND"] = "s3"
    item = db.session.scalars(sa.select(Evidence).order_by(Evidence.size)).first()
    assert client.get(f"/assessments/evidence/{item.id}").data == pdf_bytes(1000)
    # And back, into an empty folder.
    back = _run(app, "migrate", "--from", "s3", "--to", "local", "--upload-dir", str(tmp_path / "back"))
    assert back.exit_code == 0 and "copied: 3" in back.output
    assert sorted(storage.build({"UPLOAD_DIR": str(tmp_path / "back")}, "local").keys("")) == files


def test_a_corrupted_copy_fails_the_migration_with_a_clear_message(app, files, s3_config, monkeypatch):
    app.config.update({k: v for k, v in s3_config.items() if k != "STORAGE_BACKEND"})
    real_save = S3Storage.save

    def damaging_save(self, key, fileobj):
        result = real_save(self, key, fileobj)
        if key == files[0]:
            real_save(self, key, io.BytesIO(b"damaged in transit"))  # what arrived is not what was sent
        return result

    monkeypatch.setattr(S3Storage, "save", damaging_save)
    result = _run(app, "migrate", "--from", "local", "--to", "s3")
    assert result.exit_code == 1
    assert f"MISMATCH {files[0]}" in result.output and "copied: 2" in result.output and "mismatch: 1" in result.output
    assert "Do not switch STORAGE_BACKEND yet" in result.output
    monkeypatch.setattr(S3Storage, "save", real_save)
    fixed = _run(app, "migrate", "--from", "local", "--to", "s3")  # a re-run copies the bad one again
    assert fixed.exit_code == 0 and "copied: 1" in fixed.output and "already there (verified): 2" in fixed.output


def test_a_file_missing_in_the_source_fails_the_migration(app, files, s3_config):
    app.config.update({k: v for k, v in s3_config.items() if k != "STORAGE_BACKEND"})
    storage.get_storage().delete("exports/0123abcd.xlsx")
    result = _run(app, "migrate", "--from", "local", "--to", "s3")
    assert result.exit_code == 1 and "MISSING exports/0123abcd.xlsx (export job" in result.output and "copied: 2" in result.output


def test_migrate_refuses_the_same_backend_and_an_unconfigured_bucket(app):
    assert _run(app, "migrate", "--from", "local", "--to", "local").exit_code == 2
    result = _run(app, "migrate", "--from", "local", "--to", "s3")
    assert result.exit_code == 1 and "S3_BUCKET must be set" in result.output


def test_check_finds_missing_and_damaged_files(app, files):
    ok = _run(app, "check")
    assert ok.exit_code == 0 and "ok: 3" in ok.output
    local = storage.get_storage()
    item = db.session.scalars(sa.select(Evidence).order_by(Evidence.size)).first()
    (local.root / item.stored_name).write_bytes(b"changed")
    local.delete("exports/0123abcd.xlsx")
    local.save("stray.pdf", io.BytesIO(b"no row names me"))
    bad = _run(app, "check", "--orphans")
    assert bad.exit_code == 1
    assert f"MISMATCH {item.stored_name}" in bad.output and "MISSING exports/0123abcd.xlsx" in bad.output
    assert "not named by the database: 1" in bad.output and "ok: 1" in bad.output
