"""criteria load: idempotent and versioned; campaigns keep the revision they were made against."""

from __future__ import annotations

import shutil
from pathlib import Path

import sqlalchemy as sa

from app.campaigns.models import CriteriaVersion
from app.campaigns.services import latest_versions, validate_paths
from app.extensions import db


def test_first_load(app, runner):
    result = runner.invoke(args=["criteria", "load"])
    assert result.exit_code == 0, result.output
    assert "CQTT v1: loaded" in result.output


def test_load_is_idempotent_and_a_changed_file_is_a_new_revision(app, tmp_path, make_campaign, runner):
    result = runner.invoke(args=["criteria", "load"])  # the fixture loaded them already
    assert result.exit_code == 0 and "CQTT v1: unchanged" in result.output
    n_files = len(list(Path(app.config["CRITERIA_DIR"]).glob("*.yaml")))
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CriteriaVersion)) == n_files

    campaign = make_campaign("CQTT")
    old_id = campaign.criteria_version_id
    folder = tmp_path / "criteria"
    folder.mkdir()
    src = app.config["CRITERIA_DIR"] + "/cqtt-v1.yaml"
    text = Path(src).read_text(encoding="utf-8").replace("overall_pass_percent: 80", "overall_pass_percent: 75")
    (folder / "cqtt-v1.yaml").write_text(text, encoding="utf-8")
    result = runner.invoke(args=["criteria", "load", str(folder)])
    assert "CQTT v1: changed → revision 2" in result.output
    latest = {v.code: v for v in latest_versions(db.session)}["CQTT"]
    assert latest.revision == 2 and latest.criteria.scoring.overall_pass_percent == 75
    db.session.expire_all()
    assert campaign.criteria_version_id == old_id
    assert campaign.criteria_version.criteria.scoring.overall_pass_percent == 80


def test_cli_check_reports_file_and_line(runner, tmp_path, app):
    bad = tmp_path / "bad-v1.yaml"
    shutil.copy(app.config["CRITERIA_DIR"] + "/cqtt-v1.yaml", bad)
    bad.write_text(bad.read_text(encoding="utf-8").replace("type: boolean", "type: yesno", 1), encoding="utf-8")
    result = runner.invoke(args=["criteria", "check", str(bad)])
    assert result.exit_code == 1
    assert f"{bad}:" in result.output and "type: unknown value 'yesno'" in result.output
    ok = runner.invoke(args=["criteria", "check"])
    n_files = len(list(Path(app.config["CRITERIA_DIR"]).glob("*.yaml")))
    assert ok.exit_code == 0 and f"OK: {n_files} file(s)" in ok.output
    listing = runner.invoke(args=["criteria", "list"])
    assert "CQTT" in listing.output and "THXHCN" in listing.output and "CSTT" in listing.output


def test_validate_paths_flags_duplicate_versions(app, tmp_path):
    for name in ("cqtt-v1.yaml", "copy.yaml"):
        shutil.copy(app.config["CRITERIA_DIR"] + "/cqtt-v1.yaml", tmp_path / name)
    sets, errors = validate_paths([tmp_path])
    messages = [str(e) for e in errors]
    assert any("CQTT version 1 is also defined" in m for m in messages)
    assert any("file name should be cqtt-v1.yaml" in m for m in messages)
