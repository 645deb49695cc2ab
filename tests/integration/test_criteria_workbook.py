"""`flask criteria export CODE --xlsx FILE` and `flask criteria import FILE.xlsx`: a new draft version, never an edit."""

from __future__ import annotations

import io

import sqlalchemy as sa
from openpyxl import load_workbook

from app.assessment.workbook import IND_SHEET, import_workbook
from app.audit.models import AuditEntry
from app.campaigns.models import CriteriaVersion
from app.criteria_sets.services import create_draft_version
from app.extensions import db


def _rows(code: str) -> list[CriteriaVersion]:
    return list(db.session.scalars(sa.select(CriteriaVersion).where(CriteriaVersion.code == code).order_by(CriteriaVersion.version, CriteriaVersion.revision)))


def test_export_from_the_criteria_folder_when_not_loaded(app, runner, tmp_path):
    out = tmp_path / "cqtt.xlsx"
    result = runner.invoke(args=["criteria", "export", "cqtt", "--xlsx", str(out)])
    assert result.exit_code == 0, result.output
    assert "CQTT v1 from the criteria folder:" in result.output and "not loaded in the database" in result.output
    data, errors = import_workbook(out.read_bytes())
    assert errors == [] and data["code"] == "CQTT"


def test_export_from_the_database_then_import_is_a_new_draft(app, runner, tmp_path, criteria, make_campaign):
    campaign = make_campaign("CQTT")
    used = campaign.criteria_version
    used_id, used_checksum = used.id, used.checksum
    out = tmp_path / "cqtt.xlsx"
    result = runner.invoke(args=["criteria", "export", "CQTT", "--xlsx", str(out)])
    assert result.exit_code == 0, result.output
    assert "CQTT v1 from the database: CQTT v1 (latest version" in result.output

    wb = load_workbook(out)
    ws = wb[IND_SHEET]
    text_col = next(c for c in range(1, ws.max_column + 1) if ws.cell(row=2, column=c).value == "text")
    ws.cell(row=3, column=text_col, value="Nội dung đã sửa trong Excel")
    wb.save(out)

    result = runner.invoke(args=["criteria", "import", str(out)])
    assert result.exit_code == 0, result.output
    assert "CQTT v2: imported from" in result.output and "new draft version" in result.output
    db.session.expire_all()
    rows = _rows("CQTT")
    assert [(r.version, r.status) for r in rows] == [(1, "published"), (2, "draft")]
    assert rows[0].id == used_id and rows[0].checksum == used_checksum  # the version the campaign uses is untouched
    assert db.session.get(type(campaign), campaign.id).criteria_version_id == used_id
    assert rows[1].criteria.indicators[0].text == "Nội dung đã sửa trong Excel"
    assert rows[1].source_file == "cqtt.xlsx"
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "criteria.draft_create"))
    assert entry.object_id == rows[1].id and entry.detail["version"] == 2 and entry.detail["source"] == "cqtt.xlsx"


def test_importing_an_unchanged_workbook_still_adds_a_row(app, criteria):
    row = criteria["TTPL"]
    new = create_draft_version(db.session, None, row.criteria.data, source="ttpl.xlsx")
    assert new.id != row.id and new.version == row.version + 1 and new.status == "draft"
    assert {**new.content, "version": row.version} == row.content  # same content, next version number


def test_import_errors_are_printed_as_sheet_cell_and_exit_non_zero(app, runner, tmp_path, criteria):
    out = tmp_path / "bad.xlsx"
    assert runner.invoke(args=["criteria", "export", "CQTT", "--xlsx", str(out)]).exit_code == 0
    wb = load_workbook(out)
    ws = wb[IND_SHEET]
    type_col = next(c for c in range(1, ws.max_column + 1) if ws.cell(row=2, column=c).value == "type")
    ws.cell(row=3, column=type_col, value="yesno")
    buf = io.BytesIO()
    wb.save(buf)
    out.write_bytes(buf.getvalue())
    before = len(_rows("CQTT"))
    result = runner.invoke(args=["criteria", "import", str(out)])
    assert result.exit_code == 1
    assert f"{IND_SHEET}!E3: “yesno” không có trong danh sách chọn" in result.output
    assert "nothing imported" in result.output
    assert len(_rows("CQTT")) == before


def test_export_unknown_code(app, runner, tmp_path):
    result = runner.invoke(args=["criteria", "export", "NOPE", "--xlsx", str(tmp_path / "x.xlsx")])
    assert result.exit_code == 1 and "NOPE: no such criteria set" in result.output
