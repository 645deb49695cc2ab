"""Excel round trip of criteria sets (app/assessment/workbook.py): identity, layout, and errors as sheet!cell."""

from __future__ import annotations

import copy
import io
import types
import typing
from pathlib import Path

import pytest
from openpyxl import load_workbook
from pydantic import BaseModel

from app.assessment.criteria import content_checksum, criteria_from_dict, load_file
from app.assessment.indicators import INDICATOR_TYPES
from app.assessment.schema import CriteriaFile, validate_data
from app.assessment.workbook import (
    GROUP_SHEET,
    IND_SHEET,
    OPTION_SHEET,
    PASS_MARK,
    ROADMAP_SHEET,
    SET_SHEET,
    covered_fields,
    export_workbook,
    import_workbook,
)
from app.config import PROJECT_ROOT

CRITERIA_FILES = sorted((PROJECT_ROOT / "criteria").glob("*.yaml"))

SRC = {"file": "004_9df586bd548f38af.txt", "line": 2834, "quote": "trích dẫn nguyên văn"}

#: A set that uses every feature the shipped files do not: total points, pass-mark roadmap, bands with
#: between, proportional in 0.5 steps, choice options with a whole-number value, conditions, không áp
#: dụng, decimals, a target range, an official scoring rule, a text that starts like a formula.
RICH: dict = {
    "code": "THU",
    "name": {"vi": "Bộ tiêu chí thử", "en": "Test set"},
    "version": 2,
    "effective_from": "2027-01-01",
    "legal_basis": {"document": "Đề án", "file": SRC["file"], "line": 10, "quote": "căn cứ"},
    "applies_to": ["xa", "phuong"],
    "description": {"vi": "Mô tả", "en": "Description"},
    "notes": ["Ghi chú một", "=1+1 không phải công thức"],
    "scoring": {
        "method": "total_points", "pass_points": 12.5, "group_pass_percent": 50, "require_all_groups": True,
        "require_core_indicators": False, "origin": "official", "source": SRC, "note": "Đạt từ 12,5 điểm",
        "pass_by_year": {"2028": {"value": 14, "origin": "seed", "source": SRC}, "2030": {"value": 15.5, "origin": "default", "note": "mốc"}},
    },
    "targets": [{"code": "T1", "text": {"vi": "Tỷ lệ xã", "en": "Share"}, "metric": "recognised_share", "value": 30, "value_max": 50,
                 "year": 2027, "scope": ["xa", "phuong"], "source": SRC, "interpretation": "cận dưới"}],
    "groups": [
        {"code": "G1", "title": {"vi": "Nhóm một", "en": "Group one"}, "min_percent": 62.5, "origin": "proposed", "rationale": "lý do",
         "indicators": [
             {"code": "G1.1", "text": "Tỷ lệ hồ sơ đúng hạn", "text_en": "On time", "type": "percent",
              "bands": [{"op": ">=", "value": 100, "points": 2}, {"op": "between", "value": [90, 100], "points": 1}, {"op": "<", "value": 90, "points": 0}],
              "points": 2, "points_origin": "default", "threshold_origin": "default",
              "evidence": {"required": True, "kinds": ["xlsx", "pdf"], "description": "Danh sách"}, "origin": "proposed", "rationale": "đo được"},
             {"code": "G1.2", "text": "Số vụ việc", "type": "number", "proportional": {"full_at": 0.5, "zero_at": 10}, "points": 4, "points_step": 0.5,
              "points_origin": "default", "threshold_origin": "default", "evidence": {"required": False}, "origin": "proposed", "rationale": "đo được"},
             {"code": "G1.3", "text": "Mức xếp loại", "type": "choice",
              "options": [{"value": 1, "label": "Một"}, {"value": "2", "label": "Hai"}, {"value": "ba", "label": "Ba"}],
              "threshold": {"op": "in", "value": [1, "ba"], "by_year": {"2030": {"value": ["ba"], "origin": "default"}}},
              "points": 3, "points_origin": "default", "threshold_origin": "default", "evidence": {}, "origin": "proposed", "rationale": "đo được",
              "help": "dòng 1\ndòng 2"},
         ]},
        {"code": "G2", "title": {"vi": "Nhóm hai", "en": "Group two"}, "origin": "seed", "source": SRC,
         "indicators": [
             {"code": "G2.1", "text": "Điều kiện", "type": "boolean", "condition": True, "allow_na": True, "explanation_required": "always",
              "threshold": {"op": "==", "value": True}, "evidence": {"kinds": ["pdf"]}, "origin": "seed", "source": SRC},
             {"code": "G2.2", "text": "Số người", "type": "count", "core": True, "points": 5.5, "points_origin": "seed",
              "threshold": {"op": ">=", "value": 10000, "unit": "người", "period": "năm",
                            "by_year": {"2028": {"value": 12000, "op": ">", "origin": "seed", "source": SRC, "note": "mốc 2028"}}},
              "evidence": {"required": True}, "origin": "seed", "source": SRC},
             {"code": "G2.3", "text": "Ý kiến", "type": "text", "points": 1, "points_origin": "default", "evidence": {"kinds": ["docx"]},
              "origin": "proposed", "rationale": "ghi nhận"},
         ]},
    ],
}


def _edit(content: bytes, edit) -> bytes:
    wb = load_workbook(io.BytesIO(content))
    edit(wb)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _errors(content: bytes) -> list[str]:
    data, errors = import_workbook(content)
    assert data is None and errors
    return [str(e) for e in errors]


def test_rich_set_is_valid():
    model, problems = validate_data(RICH)
    assert model is not None, problems


@pytest.mark.parametrize("path", CRITERIA_FILES, ids=lambda p: p.stem)
def test_every_shipped_set_comes_back_identical(path: Path):
    cset, errors = load_file(path)
    assert not errors
    data, problems = import_workbook(export_workbook(cset.data))
    assert problems == []
    assert data == cset.data
    assert content_checksum(data) == cset.checksum
    assert criteria_from_dict(data) == cset


def test_there_are_23_shipped_sets():
    assert len(CRITERIA_FILES) == 23


def test_every_feature_comes_back_identical():
    data, problems = import_workbook(export_workbook(RICH))
    assert problems == []
    assert data == RICH
    assert isinstance(data["groups"][0]["indicators"][2]["options"][0]["value"], int)
    assert data["groups"][0]["indicators"][2]["options"][1]["value"] == "2"


def _schema_leaves(model: type[BaseModel], prefix: str = "") -> set[str]:
    out: set[str] = set()
    for name, info in model.model_fields.items():
        path = f"{prefix}{name}"
        nested, suffix = None, ""
        stack = [info.annotation]
        while stack:
            ann = stack.pop()
            origin, args = typing.get_origin(ann), typing.get_args(ann)
            if origin is typing.Annotated:
                stack.append(args[0])
            elif origin in (typing.Union, types.UnionType):
                stack += list(args)
            elif origin is list:
                suffix = "[]"
                stack.append(args[0])
            elif origin is dict:
                suffix = ".<year>"
                stack.append(args[1])
            elif isinstance(ann, type) and issubclass(ann, BaseModel):
                nested = ann
        if nested is None:
            out.add(path)
        else:
            out |= _schema_leaves(nested, f"{path}{suffix}.")
    return out


def test_the_workbook_carries_every_field_of_the_schema():
    missing = _schema_leaves(CriteriaFile) - covered_fields()
    assert not missing, f"schema fields without a workbook column: {sorted(missing)}"


def test_layout_headers_drop_downs_frozen_header():
    wb = load_workbook(io.BytesIO(export_workbook(RICH)))
    assert wb.sheetnames[:3] == [SET_SHEET, GROUP_SHEET, IND_SHEET]
    ws = wb[IND_SHEET]
    headers = {ws.cell(row=1, column=c).value: c for c in range(1, ws.max_column + 1)}
    keys = {ws.cell(row=2, column=c).value: c for c in range(1, ws.max_column + 1)}
    assert "Loại *" in headers and "Mã chỉ tiêu *" in headers and "Ngưỡng" in headers
    assert ws.row_dimensions[2].hidden and ws.freeze_panes == "C3"
    type_col = ws.cell(row=1, column=keys["type"]).column_letter
    lists = {str(dv.sqref).split(":")[0]: dv.formula1 for dv in ws.data_validations.dataValidation if dv.type == "list"}
    assert lists[f"{type_col}3"] == '"' + ",".join(INDICATOR_TYPES) + '"'
    assert lists[f"{ws.cell(row=1, column=keys['condition']).column_letter}3"] == '"Có,Không"'
    assert lists[f"{ws.cell(row=1, column=keys['origin']).column_letter}3"] == '"seed,proposed"'
    assert ws.cell(row=1, column=keys["type"]).comment is not None  # the schema's description
    assert ws.column_dimensions[ws.cell(row=1, column=keys["text"]).column_letter].width >= 40
    assert ws.cell(row=3, column=keys["text"]).alignment.wrap_text
    set_ws = wb[SET_SHEET]
    assert [set_ws.cell(row=r, column=3).value for r in range(2, 5)] == ["code", "name.vi", "name.en"]
    assert wb[ROADMAP_SHEET].cell(row=3, column=1).value in ("G1.3", "G2.2", PASS_MARK)
    assert wb["Ghi chú"].cell(row=4, column=1).data_type == "s"  # "=1+1 …" is text, not a formula


def _cell(wb, sheet: str, key: str, code: str | None = None) -> str:
    """Coordinate of column `key` on the row of indicator/group `code` (first data row when None)."""
    ws = wb[sheet]
    col = next(c for c in range(1, ws.max_column + 1) if ws.cell(row=2, column=c).value == key)
    row = 3
    if code is not None:
        code_col = next(c for c in range(1, ws.max_column + 1) if ws.cell(row=2, column=c).value == "code")
        row = next(r for r in range(3, ws.max_row + 1) if ws.cell(row=r, column=code_col).value == code)
    return ws.cell(row=row, column=col).coordinate


def test_unknown_type_in_a_drop_down_column_is_reported_at_its_cell():
    content = export_workbook(RICH)
    wb = load_workbook(io.BytesIO(content))
    where = _cell(wb, IND_SHEET, "type", "G1.2")
    assert where == "E4"

    def edit(wb):
        wb[IND_SHEET][where] = "yesno"

    errors = _errors(_edit(content, edit))
    assert errors == [f"{IND_SHEET}!E4: “yesno” không có trong danh sách chọn ({', '.join(INDICATOR_TYPES)})"]


def test_duplicate_indicator_code_is_reported_at_the_second_code_cell():
    def edit(wb):
        wb[IND_SHEET]["B4"] = "G1.1"  # row 4 is G1.2

    errors = _errors(_edit(export_workbook(RICH), edit))
    assert f"{IND_SHEET}!B4: mã chỉ tiêu “G1.1” bị trùng" in errors
    # the bands, options and roadmap of the old G1.2 now name no indicator … but G1.2 had only a proportional rule
    assert all(e.startswith(f"{IND_SHEET}!B4") for e in errors), errors


def test_bad_number_is_reported_at_its_cell():
    content = export_workbook(RICH)
    where = _cell(load_workbook(io.BytesIO(content)), IND_SHEET, "points", "G1.3")
    assert where == "M5"

    def edit(wb):
        wb[IND_SHEET][where] = "ba điểm"

    assert _errors(_edit(content, edit)) == [f"{IND_SHEET}!M5: “ba điểm” không phải là số (viết kiểu Việt Nam: 62,5 hoặc 10.000)"]


def test_english_decimal_point_in_text_is_refused_not_misread():
    def edit(wb):
        wb[GROUP_SHEET]["F3"] = "62.5"  # min_percent of G1; in Vietnamese "62.5" would be 625

    assert _errors(_edit(export_workbook(RICH), edit)) == [f"{GROUP_SHEET}!F3: “62.5” không phải là số (viết kiểu Việt Nam: 62,5 hoặc 10.000)"]


def test_vietnamese_numbers_typed_as_text_are_accepted():
    content = export_workbook(RICH)
    wb = load_workbook(io.BytesIO(content))
    threshold = _cell(wb, IND_SHEET, "threshold.value", "G2.2")
    points = _cell(wb, IND_SHEET, "points", "G2.2")

    def edit(wb):
        wb[GROUP_SHEET]["F3"] = "62,5"
        wb[IND_SHEET][threshold] = "10.000"
        wb[IND_SHEET][points] = "5,5"
        wb[SET_SHEET]["B6"] = "01/01/2027"  # effective_from typed as text dd/mm/yyyy

    data, errors = import_workbook(_edit(content, edit))
    assert errors == []
    assert data == RICH


def test_missing_required_column_is_reported_in_the_header_row():
    def edit(wb):
        wb[IND_SHEET].delete_cols(5)  # "Loại" (type)

    errors = _errors(_edit(export_workbook(RICH), edit))
    # 28 columns, one deleted: the first free header cell is AB1
    assert errors == [f"{IND_SHEET}!AB1: thiếu cột “Loại” (khóa type) — thêm cột này hoặc xuất lại sổ mẫu"]


def test_columns_are_found_by_header_when_the_key_row_is_deleted():
    def edit(wb):
        wb[IND_SHEET].delete_rows(2)

    data, errors = import_workbook(_edit(export_workbook(RICH), edit))
    assert errors == [] and data == RICH


def test_rows_may_be_reordered_and_columns_moved():
    def edit(wb):
        ws = wb[IND_SHEET]
        ws.move_range("A3:AB8", rows=10)  # data rows elsewhere, blank rows in between are ignored
        ws.move_range("C1:C20", cols=30)  # the text column moved to the far right

    data, errors = import_workbook(_edit(export_workbook(RICH), edit))
    assert errors == [] and data == RICH


def test_schema_problems_are_mapped_to_cells():
    content = export_workbook(RICH)
    wb = load_workbook(io.BytesIO(content))
    points = _cell(wb, IND_SHEET, "points", "G2.2")
    quote = _cell(wb, IND_SHEET, "source.file", "G2.2")

    def edit(wb):
        ws = wb[IND_SHEET]
        ws[points] = None  # a non-condition needs points
        for key in ("source.file", "source.line", "source.quote"):
            ws[_cell(wb, IND_SHEET, key, "G2.2")] = None  # a seed item needs a source
        wb[OPTION_SHEET]["B4"] = 1  # option value 1 used twice

    errors = _errors(_edit(content, edit))
    assert f"{IND_SHEET}!{points}: thiếu giá trị (points) — điền ô này (nguồn gốc: ghi “default” trừ khi văn bản nêu con số)".replace(
        "(points)", "(Điểm)") in errors
    assert f"{IND_SHEET}!B7: mục có nguồn gốc seed cần nguồn (tệp, dòng, trích dẫn)" in errors
    assert f"{OPTION_SHEET}!B4: giá trị phương án “1” bị trùng: mỗi phương án cần một giá trị riêng" in errors
    assert quote == "X7"


def test_references_to_unknown_codes():
    def edit(wb):
        wb[IND_SHEET]["A3"] = "G9"
        wb[ROADMAP_SHEET]["A3"] = "G7.7"

    errors = _errors(_edit(export_workbook(RICH), edit))
    assert f"{IND_SHEET}!A3: không có nhóm mã “G9” trong trang {GROUP_SHEET}" in errors
    assert f"{ROADMAP_SHEET}!A3: không có chỉ tiêu mã “G7.7” trong trang {IND_SHEET} (hay “{PASS_MARK}”)" in errors


def test_pass_mark_roadmap_and_a_new_band_by_hand():
    data = copy.deepcopy(RICH)
    data["scoring"]["pass_by_year"]["2029"] = {"value": 15, "origin": "default"}

    def edit(wb):
        ws = wb[ROADMAP_SHEET]
        row = ws.max_row + 1
        for key, value in (("for", PASS_MARK), ("year", "2029"), ("value", "15"), ("origin", "default")):
            col = next(c for c in range(1, ws.max_column + 1) if ws.cell(row=2, column=c).value == key)
            ws.cell(row=row, column=col, value=value)

    imported, errors = import_workbook(_edit(export_workbook(RICH), edit))
    assert errors == [] and imported == data


def test_not_a_workbook():
    data, errors = import_workbook(b"not a zip")
    assert data is None
    assert [str(e) for e in errors] == ["Sổ Excel: không đọc được tệp: đây không phải sổ Excel .xlsx hợp lệ (BadZipFile)"]


def test_missing_sheet():
    def edit(wb):
        del wb[GROUP_SHEET]

    assert _errors(_edit(export_workbook(RICH), edit)) == [f"{GROUP_SHEET}: thiếu trang này trong sổ (xuất lại sổ mẫu bằng criteria export)"]


def test_pass_mark_above_the_maximum_is_reported_with_vietnamese_numbers():
    def edit(wb):
        wb[SET_SHEET]["B16"] = 20  # scoring.pass_points; the set's maximum is 15,5 points

    errors = _errors(_edit(export_workbook(RICH), edit))
    assert wb_key(SET_SHEET, 16) == "scoring.pass_points"
    assert errors == [f"{SET_SHEET}!B16: điểm đạt 20 cao hơn tổng điểm tối đa 15,5 của bộ: không đơn vị nào đạt được"]


def wb_key(sheet: str, row: int) -> str:
    return load_workbook(io.BytesIO(export_workbook(RICH)))[sheet].cell(row=row, column=3).value
