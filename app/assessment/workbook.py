"""Excel round trip of a criteria set: `export_workbook(data) -> bytes`, `import_workbook(bytes) -> (data, errors)`.

The workbook is a view of the criteria file format defined in `app.assessment.schema`: every
column names a schema field by its key (row 2 of each table sheet, hidden), and its kind (number,
yes/no, drop-down list, list of values, date, text), its drop-down choices, whether it is required
and its explanation (the header's comment) are read from the pydantic models. Only the Vietnamese
headers and the layout are written here. `covered_fields()` lists the schema fields the workbook
holds; a unit test fails when the schema gains a field the workbook does not carry.

Sheets (see criteria/README.md, "Sổ Excel"):

- "Bộ tiêu chí": one row per field of the set (metadata, legal basis, scoring rule);
- "Nhóm": one row per group; "Chỉ tiêu": one row per indicator, with its group's code;
- "Mức điểm" (bands), "Lộ trình" (roadmap steps of thresholds and of the pass mark), "Phương án"
  (options of a choice): rows keyed by indicator code;
- "Mục tiêu" (targets), "Ghi chú" (notes), "Khảo sát" (surveys) and "Câu hỏi khảo sát" (their questions, keyed by
  survey code), and "Hướng dẫn" (read me, ignored on import).

An empty cell means "not given" (the schema's default applies), so a set exported and imported
again is identical, key for key. Numbers may be typed as numbers or as Vietnamese text ("62,5",
"10.000", read with Babel's `parse_decimal(locale="vi")`). Import reports each problem as
`WorkbookError(sheet, cell, message)` with a Vietnamese message; schema problems (data paths) are
mapped back to the cell the value came from.

Pure: openpyxl and Babel only, no Flask, no database.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import types
import typing
import unicodedata
import zipfile
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal

from babel.numbers import NumberFormatError, format_decimal, parse_decimal
from openpyxl import Workbook, load_workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from pydantic import BaseModel

from .schema import (
    BandModel,
    CriteriaFile,
    GroupModel,
    IndicatorModel,
    OptionModel,
    Problem,
    RoadmapStep,
    SurveyModel,
    SurveyQuestionModel,
    TargetModel,
    validate_data,
)

__all__ = ["PASS_MARK", "SHEETS", "WorkbookError", "covered_fields", "export_workbook", "import_workbook"]

YES, NO = "Có", "Không"
_TRUE = {"có", "co", "x", "yes", "true", "1", "đúng"}
_FALSE = {"không", "khong", "no", "false", "0", "sai"}
#: "Áp dụng cho" of a roadmap row that holds the set's pass mark (not a valid indicator code).
PASS_MARK = "Điểm đạt của bộ"  # noqa: S105  # nosec B105 - a label, not a password
LIST_SEP = "; "
HEADER_ROW, KEY_ROW, FIRST_ROW = 1, 2, 3
#: Rows of each table sheet that carry drop-down lists (beyond the rows written).
SPARE_ROWS = 500

SET_SHEET, GROUP_SHEET, IND_SHEET = "Bộ tiêu chí", "Nhóm", "Chỉ tiêu"
BAND_SHEET, ROADMAP_SHEET, OPTION_SHEET = "Mức điểm", "Lộ trình", "Phương án"
TARGET_SHEET, NOTE_SHEET, HELP_SHEET = "Mục tiêu", "Ghi chú", "Hướng dẫn"
SURVEY_SHEET, QUESTION_SHEET = "Khảo sát", "Câu hỏi khảo sát"
SHEETS = (SET_SHEET, GROUP_SHEET, IND_SHEET, BAND_SHEET, ROADMAP_SHEET, OPTION_SHEET, TARGET_SHEET, NOTE_SHEET,
          SURVEY_SHEET, QUESTION_SHEET, HELP_SHEET)
REQUIRED_SHEETS = (SET_SHEET, GROUP_SHEET, IND_SHEET)


@dataclass(frozen=True)
class WorkbookError:
    """One import problem: `sheet` name, `cell` (e.g. "F12", or "" for the whole sheet/file), Vietnamese `message`."""

    sheet: str
    cell: str
    message: str

    def __str__(self) -> str:
        where = f"{self.sheet}!{self.cell}" if self.cell else (self.sheet or "Sổ Excel")
        return f"{where}: {self.message}"


# --------------------------------------------------------------------------- columns, derived from the schema


@dataclass(frozen=True)
class Column:
    """A column (or a row of the set sheet): schema `key` (dotted, relative to the sheet's model), Vietnamese header.

    `kind` ∈ text, enum, bool, int, number, date, enum_list, text_list, scalar (text or whole number, kept as
    typed), value (a threshold value: its shape follows the indicator's type), ref (an indicator or group code
    naming the row's owner). `choices` are the allowed values of enum/enum_list; `required` means the
    column must exist (the schema requires the field on every item); `description` is the schema's.
    """

    key: str
    header: str
    kind: str
    choices: tuple = ()
    required: bool = False
    description: str = ""
    width: int = 14
    wrap: bool = False


def _walk(model: type[BaseModel], dotted: str) -> tuple[Any, bool, str]:
    """(annotation, required along the whole path, description) of a dotted field path of `model`."""
    required, annotation, description = True, None, ""
    current: Any = model
    for part in dotted.split("."):
        info = current.model_fields[part]
        required = required and info.is_required()
        annotation, description = info.annotation, info.description or ""
        current = next((m for m in _members(annotation) if isinstance(m, type) and issubclass(m, BaseModel)), None)
    return annotation, required, description


def _members(annotation: Any) -> list[Any]:
    """Members of a union (Optional stripped), the item type of a list, or the annotation itself."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _members(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        return [m for a in typing.get_args(annotation) if a is not type(None) for m in _members(a)]
    if origin is list:
        return _members(typing.get_args(annotation)[0])
    return [annotation]


def _kind_of(annotation: Any) -> tuple[str, tuple]:
    """The cell kind and choices of a schema annotation (see `Column`)."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _kind_of(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        members = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(members) == 1:
            return _kind_of(members[0])
        if set(members) == {int, float}:
            return "number", ()
        if set(members) == {str, int}:
            return "scalar", ()
        return "value", ()
    if origin is Literal:
        return "enum", typing.get_args(annotation)
    if origin is list:
        kind, choices = _kind_of(typing.get_args(annotation)[0])
        return ("enum_list", choices) if kind == "enum" else ("int_list", ()) if kind == "int" else ("text_list", ())
    return {bool: "bool", int: "int", float: "number", str: "text", dt.date: "date"}.get(annotation, "text"), ()


def _col(model: type[BaseModel], key: str, header: str, width: int = 14, wrap: bool = False, *, kind: str | None = None) -> Column:
    annotation, required, description = _walk(model, key)
    derived, choices = _kind_of(annotation)
    return Column(key, header, kind or derived, choices, required, description, width, wrap or width >= 30)


def _ref(key: str, header: str, description: str, kind: str = "ref", width: int = 12) -> Column:
    return Column(key, header, kind, (), True, description, width)


_SOURCE = (("source.file", "Tệp nguồn", 22), ("source.line", "Dòng", 8), ("source.quote", "Trích dẫn nguồn", 50))


def _source_cols(model: type[BaseModel], prefix: str = "") -> list[Column]:
    return [_col(model, f"{prefix}{k}", h, w) for k, h, w in _SOURCE]


SET_ROWS: tuple[Column, ...] = tuple(_col(CriteriaFile, k, h, 60) for k, h in (
    ("code", "Mã bộ tiêu chí"), ("name.vi", "Tên bộ tiêu chí"), ("name.en", "Tên tiếng Anh"), ("version", "Phiên bản"),
    ("effective_from", "Áp dụng từ ngày"), ("applies_to", "Loại đơn vị áp dụng"), ("description.vi", "Mô tả"),
    ("description.en", "Mô tả tiếng Anh"), ("legal_basis.document", "Căn cứ: văn bản"), ("legal_basis.file", "Căn cứ: tệp nguồn"),
    ("legal_basis.line", "Căn cứ: dòng"), ("legal_basis.quote", "Căn cứ: trích dẫn"), ("scoring.method", "Cách xét đạt"),
    ("scoring.overall_pass_percent", "Tỷ lệ đạt chung (%)"), ("scoring.pass_points", "Tổng điểm đạt"),
    ("scoring.group_pass_percent", "Tỷ lệ tối thiểu của mỗi nhóm (%)"), ("scoring.require_all_groups", "Mọi nhóm phải đạt"),
    ("scoring.require_core_indicators", "Mọi chỉ tiêu cốt lõi phải đạt"), ("scoring.origin", "Nguồn gốc quy tắc chấm"),
    ("scoring.source.file", "Quy tắc chấm: tệp nguồn"), ("scoring.source.line", "Quy tắc chấm: dòng"),
    ("scoring.source.quote", "Quy tắc chấm: trích dẫn"), ("scoring.note", "Giải thích cách chấm"),
))

GROUP_COLS: tuple[Column, ...] = (
    _col(GroupModel, "code", "Mã nhóm", 10), _col(GroupModel, "title.vi", "Tên nhóm", 40), _col(GroupModel, "title.en", "Tên tiếng Anh", 30),
    _col(GroupModel, "weight", "Trọng số", 10), _col(GroupModel, "weight_origin", "Nguồn gốc trọng số", 14),
    _col(GroupModel, "min_percent", "Tỷ lệ tối thiểu riêng (%)", 12), _col(GroupModel, "origin", "Nguồn gốc", 12),
    *_source_cols(GroupModel), _col(GroupModel, "rationale", "Lý do đề xuất", 40),
)

IND_COLS: tuple[Column, ...] = (
    _ref("group", "Mã nhóm", "mã của nhóm (trang Nhóm) chứa chỉ tiêu này; thứ tự các dòng là thứ tự trong nhóm."),
    _col(IndicatorModel, "code", "Mã chỉ tiêu", 10), _col(IndicatorModel, "text", "Nội dung chỉ tiêu", 60),
    _col(IndicatorModel, "text_en", "Nội dung tiếng Anh", 40), _col(IndicatorModel, "type", "Loại", 12),
    _col(IndicatorModel, "threshold.op", "Phép so sánh", 10), _col(IndicatorModel, "threshold.value", "Ngưỡng", 14),
    _col(IndicatorModel, "threshold.unit", "Đơn vị", 10), _col(IndicatorModel, "threshold.period", "Kỳ", 10),
    _col(IndicatorModel, "threshold_origin", "Nguồn gốc ngưỡng", 12),
    _col(IndicatorModel, "proportional.full_at", "Tỷ lệ: đủ điểm tại", 12), _col(IndicatorModel, "proportional.zero_at", "Tỷ lệ: 0 điểm tại", 12),
    _col(IndicatorModel, "points", "Điểm", 8), _col(IndicatorModel, "points_step", "Bước điểm", 8),
    _col(IndicatorModel, "points_origin", "Nguồn gốc điểm", 12), _col(IndicatorModel, "condition", "Điều kiện bắt buộc", 11),
    _col(IndicatorModel, "core", "Cốt lõi", 9), _col(IndicatorModel, "allow_na", "Cho phép “không áp dụng”", 12),
    _col(IndicatorModel, "evidence.required", "Bắt buộc minh chứng", 11), _col(IndicatorModel, "evidence.kinds", "Loại tệp minh chứng", 16),
    _col(IndicatorModel, "evidence.description", "Mô tả minh chứng", 40),
    _col(IndicatorModel, "explanation_required", "Yêu cầu giải trình", 14), _col(IndicatorModel, "origin", "Nguồn gốc", 12),
    *_source_cols(IndicatorModel), _col(IndicatorModel, "rationale", "Lý do đề xuất", 40), _col(IndicatorModel, "help", "Hướng dẫn", 40),
)

BAND_COLS: tuple[Column, ...] = (
    _ref("indicator", "Mã chỉ tiêu", "mã của chỉ tiêu (trang Chỉ tiêu) có mức điểm này."),
    _col(BandModel, "op", "Phép so sánh", 12),
    _col(BandModel, "value", "Giá trị (hoặc “từ”)", 14, kind="number"),
    Column("high", "Đến dưới (chỉ với between)", "number", (), False, "cận trên (không tính) của mức `between`: từ Giá trị đến dưới ô này.", 14),
    _col(BandModel, "points", "Điểm", 8),
)

ROADMAP_COLS: tuple[Column, ...] = (
    _ref("for", "Áp dụng cho", f"mã chỉ tiêu (ngưỡng theo năm) hoặc “{PASS_MARK}” (điểm/tỷ lệ đạt của bộ theo năm).", width=16),
    _ref("year", "Từ năm", "năm bắt đầu áp dụng giá trị này (năm của đợt đánh giá chọn mức).", kind="int", width=8),
    _col(RoadmapStep, "value", "Giá trị", 14), _col(RoadmapStep, "op", "Phép so sánh (nếu đổi)", 12),
    _col(RoadmapStep, "origin", "Nguồn gốc", 12), *_source_cols(RoadmapStep), _col(RoadmapStep, "note", "Ghi chú", 40),
)

OPTION_COLS: tuple[Column, ...] = (
    _ref("indicator", "Mã chỉ tiêu", "mã của chỉ tiêu loại choice có phương án này."),
    _col(OptionModel, "value", "Giá trị lưu", 18), _col(OptionModel, "label", "Nhãn hiển thị", 60),
)

TARGET_COLS: tuple[Column, ...] = (
    _col(TargetModel, "code", "Mã mục tiêu", 10), _col(TargetModel, "text.vi", "Nội dung", 40), _col(TargetModel, "text.en", "Nội dung tiếng Anh", 30),
    _col(TargetModel, "metric", "Chỉ số", 18), _col(TargetModel, "value", "Giá trị", 10), _col(TargetModel, "value_max", "Giá trị tối đa", 10),
    _col(TargetModel, "year", "Năm", 8), _col(TargetModel, "scope", "Loại đơn vị tính", 18), *_source_cols(TargetModel),
    _col(TargetModel, "interpretation", "Cách hiểu", 40),
)

SURVEY_COLS: tuple[Column, ...] = (
    _col(SurveyModel, "code", "Mã khảo sát", 14), _col(SurveyModel, "title.vi", "Tên khảo sát", 40),
    _col(SurveyModel, "title.en", "Tên tiếng Anh", 30), _col(SurveyModel, "invitation.vi", "Lời mời (in trên áp phích)", 40),
    _col(SurveyModel, "invitation.en", "Lời mời tiếng Anh", 30), _col(SurveyModel, "feeds", "Chỉ tiêu nhận kết quả", 12),
    _col(SurveyModel, "overall", "Câu hỏi hài lòng chung", 12), _col(SurveyModel, "satisfied", "Mức tính là hài lòng", 12),
    _col(SurveyModel, "satisfied_origin", "Nguồn gốc mức hài lòng", 12), _col(SurveyModel, "min_sample", "Cỡ mẫu tối thiểu", 10),
    _col(SurveyModel, "min_sample_origin", "Nguồn gốc cỡ mẫu", 12), _col(SurveyModel, "scale_labels", "Nhãn thang 5 mức", 40),
    _col(SurveyModel, "scale_labels_en", "Nhãn thang tiếng Anh", 30), _col(SurveyModel, "period", "Kỳ tính", 14),
    _col(SurveyModel, "origin", "Nguồn gốc", 12), *_source_cols(SurveyModel), _col(SurveyModel, "rationale", "Lý do đề xuất", 40),
)

QUESTION_COLS: tuple[Column, ...] = (
    _ref("survey", "Mã khảo sát", "mã của khảo sát (trang Khảo sát) có câu hỏi này; thứ tự các dòng là thứ tự câu hỏi."),
    _col(SurveyQuestionModel, "code", "Mã câu hỏi", 10), _col(SurveyQuestionModel, "text.vi", "Câu hỏi", 60),
    _col(SurveyQuestionModel, "text.en", "Câu hỏi tiếng Anh", 40), _col(SurveyQuestionModel, "type", "Loại câu hỏi", 12),
)

NOTE_COLS: tuple[Column, ...] = (Column("note", "Ghi chú", "text", (), True, _walk(CriteriaFile, "notes")[2], 120, True),)

TABLES: dict[str, tuple[Column, ...]] = {
    GROUP_SHEET: GROUP_COLS, IND_SHEET: IND_COLS, BAND_SHEET: BAND_COLS, ROADMAP_SHEET: ROADMAP_COLS,
    OPTION_SHEET: OPTION_COLS, TARGET_SHEET: TARGET_COLS, NOTE_SHEET: NOTE_COLS,
    SURVEY_SHEET: SURVEY_COLS, QUESTION_SHEET: QUESTION_COLS,
}


def covered_fields() -> set[str]:
    """Schema field paths the workbook carries, e.g. 'groups[].indicators[].threshold.by_year.<year>.note'."""
    out = {f"{c.key}" for c in SET_ROWS} | {"notes", "targets", "groups", "scoring.pass_by_year"}
    out |= {f"scoring.pass_by_year.<year>.{c.key}" for c in ROADMAP_COLS[2:]}
    out |= {f"targets[].{c.key}" for c in TARGET_COLS} | {f"groups[].{c.key}" for c in GROUP_COLS} | {"groups[].indicators"}
    ind = "groups[].indicators[]"
    out |= {f"{ind}.{c.key}" for c in IND_COLS[1:]} | {f"{ind}.{k}" for k in ("threshold.by_year", "bands", "options")}
    out |= {f"{ind}.threshold.by_year.<year>.{c.key}" for c in ROADMAP_COLS[2:]}
    out |= {f"{ind}.bands[].{k}" for k in ("op", "value", "points")} | {f"{ind}.options[].{c.key}" for c in OPTION_COLS[1:]}
    out |= {"surveys", "surveys[].questions"} | {f"surveys[].{c.key}" for c in SURVEY_COLS}
    out |= {f"surveys[].questions[].{c.key}" for c in QUESTION_COLS[1:]}
    return out


# --------------------------------------------------------------------------- export


_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
_KEY_FONT = Font(color="808080", size=8, italic=True)
_WRAP = Alignment(wrap_text=True, vertical="top")
_TOP = Alignment(vertical="top")


def _dig(item: Any, dotted: str) -> Any:
    for part in dotted.split("."):
        if not isinstance(item, dict) or part not in item:
            return None
        item = item[part]
    return item


def _cell_text(value: Any) -> Any:
    """What a cell holds for a data value: numbers stay numbers, booleans become Có/Không, lists are joined."""
    if isinstance(value, bool):
        return YES if value else NO
    if isinstance(value, list):
        return LIST_SEP.join(_cell_text(v) if isinstance(v, bool) else str(v) for v in value)
    return value


def _put(ws: Any, row: int, column: int, value: Any, col: Column) -> None:
    if value is None:
        return
    if col.kind == "date" and isinstance(value, str):
        value = dt.date.fromisoformat(value)
    cell = ws.cell(row=row, column=column, value=_cell_text(value))
    if isinstance(cell.value, str):
        cell.data_type = "s"  # a text starting with "=" stays text, never a formula
    if col.kind == "date":
        cell.number_format = "DD/MM/YYYY"
    cell.alignment = _WRAP if col.wrap else _TOP


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


_VALUE_HELP = f"Số (62,5 hoặc 10.000); {YES}/{NO} với loại boolean; với loại choice: các giá trị phương án, cách nhau bởi “;”."


def _validation(col: Column) -> DataValidation | None:
    """The drop-down list (or input hint) of a column, or None."""
    prompt = _short((_VALUE_HELP if col.kind == "value" else col.description).replace("`", ""), 250)
    if col.kind == "enum":
        dv = DataValidation(type="list", formula1='"' + ",".join(map(str, col.choices)) + '"', allow_blank=True)
        dv.error = _short(f"Chọn một giá trị trong danh sách: {', '.join(map(str, col.choices))}.", 250)
    elif col.kind == "bool":
        dv = DataValidation(type="list", formula1=f'"{YES},{NO}"', allow_blank=True)
        dv.error = f"Chọn {YES} hoặc {NO}."
    elif col.kind in ("enum_list", "value") or col.description:
        if col.kind == "enum_list":
            prompt = _short(f"Một hoặc nhiều giá trị, cách nhau bởi “;”: {', '.join(map(str, col.choices))}.", 250)
        dv = DataValidation(allow_blank=True)
    else:
        return None
    dv.errorTitle, dv.showErrorMessage = "Giá trị không hợp lệ", True
    dv.promptTitle, dv.prompt, dv.showInputMessage = _short(col.header, 32), prompt, True
    return dv


def _table(wb: Workbook, title: str, cols: tuple[Column, ...], rows: list[dict], freeze: str) -> None:
    ws = wb.create_sheet(title)
    for c, col in enumerate(cols, start=1):
        head = ws.cell(row=HEADER_ROW, column=c, value=col.header + (" *" if col.required else ""))
        head.font, head.fill, head.alignment = Font(bold=True), _HEADER_FILL, Alignment(wrap_text=True, vertical="top")
        if col.description:
            head.comment = Comment(_short(f"{col.key}: {col.description}".replace("`", ""), 1000), "Đạt chuẩn", width=320, height=160)
        key = ws.cell(row=KEY_ROW, column=c, value=col.key)
        key.font = _KEY_FONT
        ws.column_dimensions[get_column_letter(c)].width = col.width
        for r, item in enumerate(rows, start=FIRST_ROW):
            _put(ws, r, c, _dig(item, col.key), col)
        dv = _validation(col)
        if dv is not None:
            ws.add_data_validation(dv)
            dv.add(f"{get_column_letter(c)}{FIRST_ROW}:{get_column_letter(c)}{FIRST_ROW + len(rows) + SPARE_ROWS}")
    ws.row_dimensions[KEY_ROW].hidden = True
    ws.row_dimensions[HEADER_ROW].height = 45
    ws.freeze_panes = freeze
    ws.auto_filter.ref = f"A{KEY_ROW}:{get_column_letter(len(cols))}{max(KEY_ROW, FIRST_ROW + len(rows) - 1)}"


def _set_sheet(wb: Workbook, data: dict) -> None:
    ws = wb.active
    ws.title = SET_SHEET
    heads = ("Trường", "Giá trị", "Khóa (không sửa)", "Giải thích")
    for c, (text, width) in enumerate(zip(heads, (34, 70, 30, 70), strict=True), start=1):
        cell = ws.cell(row=1, column=c, value=text)
        cell.font, cell.fill = Font(bold=True), _HEADER_FILL
        ws.column_dimensions[get_column_letter(c)].width = width
    for r, col in enumerate(SET_ROWS, start=2):
        ws.cell(row=r, column=1, value=col.header + (" *" if col.required else "")).alignment = _TOP
        _put(ws, r, 2, _dig(data, col.key), col)
        ws.cell(row=r, column=2).alignment = _WRAP
        ws.cell(row=r, column=3, value=col.key).font = _KEY_FONT
        ws.cell(row=r, column=4, value=col.description.replace("`", "")).alignment = _WRAP
        dv = _validation(col)
        if dv is not None and col.kind in ("enum", "bool", "enum_list"):
            ws.add_data_validation(dv)
            dv.add(f"B{r}")
    ws.freeze_panes = "B2"


def _help_sheet(wb: Workbook) -> None:
    ws = wb.create_sheet(HELP_SHEET)
    lines = (
        "Sổ Excel của một bộ tiêu chí. Nhập lại bằng: flask --app wsgi criteria import TỆP.xlsx (luôn tạo phiên bản nháp mới).",
        "Ô để trống = không khai báo (dùng giá trị mặc định của định dạng). Cột có dấu * là bắt buộc.",
        "Dòng 2 (ẩn) của mỗi trang ghi khóa của định dạng: không sửa, không xóa. Có thể thêm, xóa, sắp xếp lại các dòng dữ liệu.",
        "Số: gõ số, hoặc viết kiểu Việt Nam trong ô văn bản (62,5 = sáu mươi hai phẩy năm; 10.000 = mười nghìn).",
        f"Có/Không: chọn “{YES}” hoặc “{NO}”. Danh sách (loại đơn vị, loại tệp, phương án đạt): các giá trị cách nhau bởi “;”.",
        "Nhóm: thứ tự các dòng là thứ tự nhóm. Chỉ tiêu: cột “Mã nhóm” gắn chỉ tiêu vào nhóm, thứ tự các dòng là thứ tự trong nhóm.",
        "Một chỉ tiêu chấm theo đúng một cách: ngưỡng (Phép so sánh + Ngưỡng), mức điểm (trang Mức điểm) hoặc tỷ lệ (hai cột Tỷ lệ).",
        "Mức điểm: mỗi dòng một mức của một chỉ tiêu (>=, >, <=, <, between = từ … đến dưới …); mức tốt nhất bằng Điểm của chỉ tiêu.",
        f"Lộ trình: giá trị áp dụng từ một năm; “Áp dụng cho” là mã chỉ tiêu, hoặc “{PASS_MARK}” cho điểm/tỷ lệ đạt của bộ.",
        "Phương án: các lựa chọn của chỉ tiêu loại choice (giá trị lưu không trùng nhau).",
        "Giải thích từng cột: xem chú thích ở ô tiêu đề, hoặc criteria/README.md (mục “Sổ Excel”).",
    )
    ws.column_dimensions["A"].width = 130
    for r, text in enumerate(lines, start=1):
        ws.cell(row=r, column=1, value=text).alignment = _WRAP


def export_workbook(data: dict) -> bytes:
    """The .xlsx bytes of a criteria set given as its (validated) data dict, as stored or read from YAML.

    Keys absent from `data` stay empty cells, so `import_workbook(export_workbook(d))` returns `d`.
    """
    wb = Workbook()
    _set_sheet(wb, data)
    groups = data.get("groups") or []
    _table(wb, GROUP_SHEET, GROUP_COLS, groups, "B3")
    indicators, bands, roadmap, options = [], [], [], []
    for group in groups:
        for ind in group.get("indicators") or []:
            indicators.append({**ind, "group": group.get("code")})
            bands += [{**b, "indicator": ind.get("code"), **_band_cells(b)} for b in ind.get("bands") or []]
            by_year = _dig(ind, "threshold.by_year") or {}
            roadmap += [{**step, "for": ind.get("code"), "year": int(year)} for year, step in sorted(by_year.items(), key=lambda kv: int(kv[0]))]
            options += [{**o, "indicator": ind.get("code")} for o in ind.get("options") or []]
    pass_by_year = _dig(data, "scoring.pass_by_year") or {}
    roadmap += [{**step, "for": PASS_MARK, "year": int(year)} for year, step in sorted(pass_by_year.items(), key=lambda kv: int(kv[0]))]
    _table(wb, IND_SHEET, IND_COLS, indicators, "C3")
    _table(wb, BAND_SHEET, BAND_COLS, bands, "B3")
    _table(wb, ROADMAP_SHEET, ROADMAP_COLS, roadmap, "C3")
    _table(wb, OPTION_SHEET, OPTION_COLS, options, "B3")
    _table(wb, TARGET_SHEET, TARGET_COLS, data.get("targets") or [], "B3")
    _table(wb, NOTE_SHEET, NOTE_COLS, [{"note": n} for n in data.get("notes") or []], "A3")
    surveys = data.get("surveys") or []
    _table(wb, SURVEY_SHEET, SURVEY_COLS, surveys, "B3")
    _table(wb, QUESTION_SHEET, QUESTION_COLS, [{**q, "survey": sv.get("code")} for sv in surveys for q in sv.get("questions") or []], "C3")
    _help_sheet(wb)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _band_cells(band: dict) -> dict:
    value = band.get("value")
    if isinstance(value, list):
        return {"value": value[0] if value else None, "high": value[1] if len(value) > 1 else None}
    return {}


# --------------------------------------------------------------------------- reading cells


class _CellError(ValueError):
    """A cell that cannot be read; the message is Vietnamese."""


def _number(value: Any) -> int | float:
    """A number from a cell: Excel numbers as they are, text as Vietnamese writes it ("62,5", "10.000")."""
    if isinstance(value, bool):
        raise _CellError(f"“{_shown(value)}” không phải là số")
    if isinstance(value, int | float):
        number: Decimal | int | float = value
    else:
        text = unicodedata.normalize("NFC", str(value)).strip().replace("\u00a0", "").replace(" ", "")
        try:
            number = parse_decimal(text, locale="vi", strict=True)
        except NumberFormatError as exc:
            raise _CellError(f"“{value}” không phải là số (viết kiểu Việt Nam: 62,5 hoặc 10.000)") from exc
    if isinstance(number, Decimal):
        if not number.is_finite():
            raise _CellError(f"“{value}” không phải là số")
        return int(number) if number == number.to_integral_value() else float(number)
    return int(number) if isinstance(number, float) and number.is_integer() else number


def _shown(value: Any) -> str:
    if isinstance(value, bool):
        return YES if value else NO
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _text(value: Any) -> str:
    return unicodedata.normalize("NFC", _shown(value) if not isinstance(value, str) else value).strip()


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = _text(value).lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise _CellError(f"“{_text(value)}” không phải “{YES}” hoặc “{NO}”")


def _enum(value: Any, choices: tuple) -> str:
    text = _text(value)
    for choice in choices:
        if text == str(choice) or text.lower() == str(choice).lower():
            return str(choice)
    raise _CellError(f"“{text}” không có trong danh sách chọn ({', '.join(map(str, choices))})")


def _split(value: Any) -> list[str]:
    return [part.strip() for part in re.split(r"[;,\n]", _text(value)) if part.strip()]


def _date(value: Any) -> str:
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    text = _text(value)
    for fmt in ("%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y"):
        try:
            return dt.datetime.strptime(text, fmt).date().isoformat()
        except ValueError:
            continue
    raise _CellError(f"“{text}” không phải là ngày (dd/mm/yyyy)")


def _read(value: Any, col: Column, ind_type: str | None = None, options: list | None = None) -> Any:
    """The data value of a non-empty cell for column `col`; raises _CellError with a Vietnamese message."""
    kind = col.kind
    if kind in ("text", "ref"):
        return _text(value)
    if kind == "enum":
        return _enum(value, col.choices)
    if kind == "bool":
        return _bool(value)
    if kind == "number":
        return _number(value)
    if kind == "int":
        number = _number(value)
        if not isinstance(number, int):
            raise _CellError(f"“{_shown(value)}” phải là số nguyên")
        return number
    if kind == "date":
        return _date(value)
    if kind == "enum_list":
        return [_enum(part, col.choices) for part in _split(value)]
    if kind == "text_list":
        return _split(value)
    if kind == "int_list":
        parts = _split(value) if isinstance(value, str) else [value]
        numbers = [_number(part) for part in parts]
        if any(not isinstance(n, int) for n in numbers):
            raise _CellError(f"“{_shown(value)}” phải là các số nguyên cách nhau bởi “;”")
        return numbers
    if kind == "scalar":
        if isinstance(value, int | float) and not isinstance(value, bool):
            return _number(value)
        return _text(value)
    return _threshold_value(value, ind_type, options)


def _threshold_value(value: Any, ind_type: str | None, options: list | None) -> Any:
    """A threshold (or roadmap) value shaped by the indicator type: bool, list of option values, or a number."""
    if ind_type == "boolean":
        return _bool(value)
    if ind_type == "choice":
        known = {str(o.get("value")): o.get("value") for o in options or []}
        if isinstance(value, int | float) and not isinstance(value, bool):
            parts: list[str] = [_shown(value)]
        else:
            parts = [p.strip() for p in re.split(r"[;\n]", _text(value)) if p.strip()]
            if len(parts) == 1 and "," in parts[0] and parts[0] not in known:
                parts = [p.strip() for p in parts[0].split(",") if p.strip()]
        return [known.get(p, p) for p in parts]
    if ind_type == "text":
        return _text(value) if isinstance(value, str) else value
    return _number(value)


# --------------------------------------------------------------------------- reading sheets


@dataclass
class _Row:
    """One data row of a sheet: its number, the cell of each column key, and the raw non-empty values."""

    number: int
    cells: dict[str, str]
    values: dict[str, Any]


@dataclass
class _Reader:
    """Collects errors and the cell each data path came from while the data dict is rebuilt."""

    errors: list[WorkbookError] = field(default_factory=list)
    locs: dict[tuple, tuple[str, str]] = field(default_factory=dict)

    def error(self, sheet: str, cell: str, message: str) -> None:
        self.errors.append(WorkbookError(sheet, cell, message))

    def read(self, sheet: str, row: _Row, col: Column, **ctx: Any) -> Any:
        """The parsed value of `col` in `row` (None when empty or unreadable; errors are recorded)."""
        raw = row.values.get(col.key)
        if raw is None:
            return None
        try:
            return _read(raw, col, **ctx)
        except _CellError as exc:
            self.error(sheet, row.cells[col.key], str(exc))
            return None

    def fill(self, sheet: str, row: _Row, cols: tuple[Column, ...], target: dict, path: tuple, **ctx: Any) -> None:
        """Set each column's value at its dotted key in `target`; remember the cell of every column (even empty)."""
        for col in cols:
            parts = tuple(col.key.split("."))
            if col.key in row.cells:
                self.locs[path + parts] = (sheet, row.cells[col.key])
            value = self.read(sheet, row, col, **ctx)
            if value is None:
                continue
            node = target
            for part in parts[:-1]:
                node = node.setdefault(part, {})
            node[parts[-1]] = value


def _is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _table_rows(ws: Any, sheet: str, cols: tuple[Column, ...], reader: _Reader) -> list[_Row] | None:
    """Data rows of a table sheet, columns found by key (row 2) or by header (row 1); None if a required column is missing."""
    by_key = {c.key: c for c in cols}
    by_header = {_norm_header(c.header): c for c in cols}
    header = [ws.cell(row=HEADER_ROW, column=c).value for c in range(1, ws.max_column + 1)]
    keys = [ws.cell(row=KEY_ROW, column=c).value for c in range(1, ws.max_column + 1)]
    has_key_row = sum(1 for k in keys if isinstance(k, str) and k.strip() in by_key) >= max(1, len(cols) // 2)
    found: dict[str, int] = {}
    for index in range(len(header)):
        key = keys[index].strip() if has_key_row and isinstance(keys[index], str) else None
        col = by_key.get(key) if key else None
        if col is None and isinstance(header[index], str):
            col = by_header.get(_norm_header(header[index]))
        if col is not None and col.key not in found:
            found[col.key] = index + 1
    free = get_column_letter(len(header) + 1 if any(h is not None for h in header) else 1)
    missing = [c for c in cols if c.required and c.key not in found]
    for col in missing:
        reader.error(sheet, f"{free}{HEADER_ROW}", f"thiếu cột “{col.header}” (khóa {col.key}) — thêm cột này hoặc xuất lại sổ mẫu")
    if missing:
        return None
    rows = []
    for r in range(FIRST_ROW if has_key_row else KEY_ROW, ws.max_row + 1):
        values = {key: ws.cell(row=r, column=c).value for key, c in found.items()}
        values = {k: v for k, v in values.items() if not _is_blank(v)}
        if values:
            rows.append(_Row(r, {key: f"{get_column_letter(c)}{r}" for key, c in found.items()}, values))
    return rows


def _norm_header(text: str) -> str:
    return unicodedata.normalize("NFC", text).replace("*", "").strip().lower()


def _set_values(ws: Any, reader: _Reader) -> tuple[dict, dict[tuple, str]]:
    """(data, {dotted-path parts: cell}) of the set sheet; rows found by the key column (C), else by the label (A)."""
    by_key = {c.key: c for c in SET_ROWS}
    by_header = {_norm_header(c.header): c for c in SET_ROWS}
    data: dict = {}
    cells: dict[tuple, str] = {}
    seen: dict[str, int] = {}
    for r in range(1, ws.max_row + 1):
        key, label = ws.cell(row=r, column=3).value, ws.cell(row=r, column=1).value
        col = by_key.get(key.strip()) if isinstance(key, str) else None
        if col is None and isinstance(label, str):
            col = by_header.get(_norm_header(label))
        if col is None:
            continue
        if col.key in seen:
            reader.error(SET_SHEET, f"C{r}", f"trường “{col.header}” đã có ở dòng {seen[col.key]}")
            continue
        seen[col.key] = r
        cells[tuple(col.key.split("."))] = f"B{r}"
        row = _Row(r, {col.key: f"B{r}"}, {} if _is_blank(ws.cell(row=r, column=2).value) else {col.key: ws.cell(row=r, column=2).value})
        reader.fill(SET_SHEET, row, (col,), data, ())
    free = ws.max_row + 1
    for col in SET_ROWS:
        if col.required and col.key not in seen:
            reader.error(SET_SHEET, f"A{free}", f"thiếu dòng “{col.header}” (khóa {col.key})")
            free += 1
    return data, cells


def _load(content: bytes) -> tuple[Any, list[WorkbookError]]:
    try:
        return load_workbook(io.BytesIO(content), data_only=True, read_only=False), []
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, TypeError) as exc:
        return None, [WorkbookError("", "", f"không đọc được tệp: đây không phải sổ Excel .xlsx hợp lệ ({type(exc).__name__})")]


def import_workbook(content: bytes) -> tuple[dict | None, list[WorkbookError]]:
    """Read a workbook written by `export_workbook` (and edited in Excel) back into a criteria data dict.

    Returns (data, []) when the workbook is readable and the data passes the schema
    (`schema.validate_data`), else (None, errors); each error names sheet!cell with a Vietnamese message.
    `data` has the shape of the YAML files (dates as ISO text, roadmap years as text keys).
    """
    wb, errors = _load(content)
    if wb is None:
        return None, errors
    reader = _Reader()
    for name in REQUIRED_SHEETS:
        if name not in wb.sheetnames:
            reader.error(name, "", "thiếu trang này trong sổ (xuất lại sổ mẫu bằng criteria export)")
    if reader.errors:
        return None, reader.errors
    data, set_cells = _set_values(wb[SET_SHEET], reader)
    for parts, cell in set_cells.items():
        reader.locs[parts] = (SET_SHEET, cell)
    tables: dict[str, list[_Row]] = {}
    for name, cols in TABLES.items():
        if name in wb.sheetnames:
            rows = _table_rows(wb[name], name, cols, reader)
            if rows is not None:
                tables[name] = rows
        else:
            tables[name] = []
    if any(e.cell.endswith(str(HEADER_ROW)) and e.message.startswith("thiếu cột") for e in reader.errors):
        return None, reader.errors
    _assemble(data, tables, reader)
    if reader.errors:
        # cells that cannot be read come first: the rules of the format are checked once every cell reads
        return None, _sorted(reader.errors)
    model, problems = validate_data(data)
    for problem in problems:
        sheet, cell = _cell_for(reader.locs, problem)
        reader.error(sheet, cell, _vi(problem))
    if reader.errors or model is None:
        return None, _sorted(reader.errors)
    return data, []


def _sorted(errors: list[WorkbookError]) -> list[WorkbookError]:
    order = {name: i for i, name in enumerate(SHEETS)}

    def key(e: WorkbookError) -> tuple:
        m = re.match(r"([A-Z]+)(\d+)", e.cell)
        return (order.get(e.sheet, -1), int(m.group(2)) if m else 0, len(m.group(1)) if m else 0, m.group(1) if m else "")

    unique = list(dict.fromkeys(errors))
    return sorted(unique, key=key)


def _assemble(data: dict, tables: dict[str, list[_Row]], reader: _Reader) -> None:
    """Build groups, indicators, bands, roadmaps, options, targets and notes into `data` (locs recorded)."""
    data["targets"] = []
    for ti, row in enumerate(tables[TARGET_SHEET]):
        target: dict = {}
        reader.locs[("targets", ti)] = (TARGET_SHEET, row.cells["code"])
        reader.fill(TARGET_SHEET, row, TARGET_COLS, target, ("targets", ti))
        data["targets"].append(target)
    notes = [reader.read(NOTE_SHEET, row, NOTE_COLS[0]) for row in tables[NOTE_SHEET]]
    if notes:
        data["notes"] = notes
    data["groups"] = []
    group_index: dict[str, int] = {}
    for gi, row in enumerate(tables[GROUP_SHEET]):
        group: dict = {}
        reader.locs[("groups", gi)] = (GROUP_SHEET, row.cells["code"])
        reader.fill(GROUP_SHEET, row, GROUP_COLS, group, ("groups", gi))
        _drop_empty_source(group)
        group["indicators"] = []
        data["groups"].append(group)
        if isinstance(group.get("code"), str):
            group_index.setdefault(group["code"], gi)
    indicators: dict[str, tuple[dict, tuple]] = {}
    for row in tables[IND_SHEET]:
        code = reader.read(IND_SHEET, row, IND_COLS[0])
        if code is None:
            reader.error(IND_SHEET, row.cells["group"], "thiếu mã nhóm: mỗi chỉ tiêu thuộc một nhóm của trang Nhóm")
            continue
        if code not in group_index:
            reader.error(IND_SHEET, row.cells["group"], f"không có nhóm mã “{code}” trong trang {GROUP_SHEET}")
            continue
        gi = group_index[code]
        items = data["groups"][gi]["indicators"]
        path = ("groups", gi, "indicators", len(items))
        reader.locs[path] = (IND_SHEET, row.cells["code"])
        ind_type = reader.read(IND_SHEET, row, _by_key(IND_COLS, "type"))
        ind: dict = {}
        reader.fill(IND_SHEET, row, IND_COLS[1:], ind, path, ind_type=ind_type)
        _drop_empty_source(ind)
        ind.setdefault("evidence", {})
        items.append(ind)
        if isinstance(ind.get("code"), str):
            indicators.setdefault(ind["code"], (ind, path))
    _attach_options(tables[OPTION_SHEET], indicators, reader)
    # threshold values of choice indicators name options: read them again now that options are known
    for row in tables[IND_SHEET]:
        code = row.values.get("code")
        found = indicators.get(_text(code)) if code is not None else None
        if found and found[0].get("type") == "choice" and "threshold.value" in row.values:
            value = reader.read(IND_SHEET, row, _by_key(IND_COLS, "threshold.value"), ind_type="choice", options=found[0].get("options"))
            if value is not None:
                found[0].setdefault("threshold", {})["value"] = value
    _attach_bands(tables[BAND_SHEET], indicators, reader)
    _attach_roadmaps(tables[ROADMAP_SHEET], indicators, data, reader)
    _assemble_surveys(data, tables, reader)


def _assemble_surveys(data: dict, tables: dict[str, list[_Row]], reader: _Reader) -> None:
    """Surveys (trang Khảo sát) and their questions (trang Câu hỏi khảo sát, keyed by survey code) into `data`."""
    if not tables[SURVEY_SHEET] and not tables[QUESTION_SHEET]:
        return
    data["surveys"] = []
    by_code: dict[str, int] = {}
    for si, row in enumerate(tables[SURVEY_SHEET]):
        survey: dict = {}
        reader.locs[("surveys", si)] = (SURVEY_SHEET, row.cells["code"])
        reader.fill(SURVEY_SHEET, row, SURVEY_COLS, survey, ("surveys", si))
        _drop_empty_source(survey)
        survey["questions"] = []
        data["surveys"].append(survey)
        if isinstance(survey.get("code"), str):
            by_code.setdefault(survey["code"], si)
    for row in tables[QUESTION_SHEET]:
        code = reader.read(QUESTION_SHEET, row, QUESTION_COLS[0])
        if code is None or code not in by_code:
            reader.error(QUESTION_SHEET, row.cells["survey"], f"không có khảo sát mã “{code or ''}” trong trang {SURVEY_SHEET}")
            continue
        si = by_code[code]
        questions = data["surveys"][si]["questions"]
        path = ("surveys", si, "questions", len(questions))
        reader.locs[path] = (QUESTION_SHEET, row.cells["code"])
        question: dict = {}
        reader.fill(QUESTION_SHEET, row, QUESTION_COLS[1:], question, path)
        questions.append(question)


def _by_key(cols: tuple[Column, ...], key: str) -> Column:
    return next(c for c in cols if c.key == key)


def _drop_empty_source(item: dict) -> None:
    if item.get("source") == {}:
        del item["source"]


def _owner(sheet: str, row: _Row, indicators: dict, reader: _Reader) -> tuple[dict, tuple] | None:
    code = reader.read(sheet, row, Column("indicator", "", "ref"))
    if code is None:
        reader.error(sheet, row.cells["indicator"], "thiếu mã chỉ tiêu")
        return None
    if code not in indicators:
        reader.error(sheet, row.cells["indicator"], f"không có chỉ tiêu mã “{code}” trong trang {IND_SHEET}")
        return None
    return indicators[code]


def _attach_options(rows: list[_Row], indicators: dict, reader: _Reader) -> None:
    for row in rows:
        owner = _owner(OPTION_SHEET, row, indicators, reader)
        if owner is None:
            continue
        ind, path = owner
        options = ind.setdefault("options", [])
        option: dict = {}
        reader.locs[path + ("options", len(options))] = (OPTION_SHEET, row.cells["value"])
        reader.fill(OPTION_SHEET, row, OPTION_COLS[1:], option, path + ("options", len(options)))
        options.append(option)


def _attach_bands(rows: list[_Row], indicators: dict, reader: _Reader) -> None:
    for row in rows:
        owner = _owner(BAND_SHEET, row, indicators, reader)
        if owner is None:
            continue
        ind, path = owner
        bands = ind.setdefault("bands", [])
        loc = path + ("bands", len(bands))
        band: dict = {}
        reader.locs[loc] = (BAND_SHEET, row.cells["op"])
        reader.fill(BAND_SHEET, row, BAND_COLS[1:], band, loc)
        if "high" in band:
            band["value"] = [band.get("value"), band.pop("high")]
        bands.append(band)


def _attach_roadmaps(rows: list[_Row], indicators: dict, data: dict, reader: _Reader) -> None:
    seen: dict[tuple, int] = {}
    for row in rows:
        target = reader.read(ROADMAP_SHEET, row, ROADMAP_COLS[0])
        year = reader.read(ROADMAP_SHEET, row, ROADMAP_COLS[1])
        if target is None or year is None:
            if target is None:
                reader.error(ROADMAP_SHEET, row.cells["for"], f"thiếu mã chỉ tiêu (hoặc “{PASS_MARK}”)")
            if year is None and "year" not in row.values:
                reader.error(ROADMAP_SHEET, row.cells["year"], "thiếu năm")
            continue
        if _norm_header(target) == _norm_header(PASS_MARK):
            roadmap = data.setdefault("scoring", {}).setdefault("pass_by_year", {})
            base, ind_type, options = ("scoring", "pass_by_year"), "number", None
        elif target in indicators:
            ind, path = indicators[target]
            roadmap = ind.setdefault("threshold", {}).setdefault("by_year", {})
            base, ind_type, options = path + ("threshold", "by_year"), ind.get("type"), ind.get("options")
        else:
            reader.error(ROADMAP_SHEET, row.cells["for"], f"không có chỉ tiêu mã “{target}” trong trang {IND_SHEET} (hay “{PASS_MARK}”)")
            continue
        if (base, year) in seen:
            reader.error(ROADMAP_SHEET, row.cells["year"], f"năm {year} của “{target}” đã có ở dòng {seen[(base, year)]}")
            continue
        seen[(base, year)] = row.number
        step: dict = {}
        reader.locs[base + (year,)] = (ROADMAP_SHEET, row.cells["year"])
        reader.fill(ROADMAP_SHEET, row, ROADMAP_COLS[2:], step, base + (year,), ind_type=ind_type, options=options)
        if "source" in step and not step["source"]:
            del step["source"]
        roadmap[str(year)] = step


# --------------------------------------------------------------------------- schema problems → cells


def _norm_loc(loc: tuple) -> tuple:
    return tuple(int(p) if isinstance(p, str) and p.isdigit() else p for p in loc)


def _cell_for(locs: dict[tuple, tuple[str, str]], problem: Problem) -> tuple[str, str]:
    """The (sheet, cell) a schema problem belongs to: the cell of its path, or of the nearest enclosing item."""
    loc = _norm_loc(problem.loc)
    missing = re.match(r"^missing (?:required field )?'(\w+)'", problem.message)
    if missing and loc + (missing.group(1),) in locs:
        return locs[loc + (missing.group(1),)]
    for end in range(len(loc), 0, -1):
        if loc[:end] in locs:
            return locs[loc[:end]]
    return SET_SHEET, ""


_HEADERS = {c.key.rsplit(".", 1)[-1]: c.header for cols in (SET_ROWS, *TABLES.values()) for c in cols}

_VI: tuple[tuple[str, str], ...] = (
    (r"^missing required field '(?P<k>\w+)'$", "thiếu giá trị bắt buộc ({k})"),
    (r"^missing '(?P<k>\w+)'.*$", "thiếu giá trị ({k}) — điền ô này (nguồn gốc: ghi “default” trừ khi văn bản nêu con số)"),
    (r"^duplicate group code '(?P<v>.+)'.*$", "mã nhóm “{v}” bị trùng"),
    (r"^duplicate indicator code '(?P<v>.+)'$", "mã chỉ tiêu “{v}” bị trùng"),
    (r"^duplicate target code '(?P<v>.+)'$", "mã mục tiêu “{v}” bị trùng"),
    (r"^option value '(?P<v>.+)' is used twice.*$", "giá trị phương án “{v}” bị trùng: mỗi phương án cần một giá trị riêng"),
    (r"^a 'seed' item needs .*$", "mục có nguồn gốc seed cần nguồn (tệp, dòng, trích dẫn)"),
    (r"^a 'proposed' item needs a 'rationale'$", "mục đề xuất (proposed) cần “Lý do đề xuất”"),
    (r"^type '(?P<v>\w+)' needs .*$", "loại “{v}” cần ngưỡng (Phép so sánh + Ngưỡng), mức điểm hoặc tỷ lệ"),
    (r"^operator '(?P<v>.+)' not allowed for type '(?P<t>\w+)'.*$", "phép so sánh “{v}” không dùng được với loại “{t}”"),
    (r"^weight contradicts method total_points.*$", "cách xét total_points không dùng trọng số nhóm: xóa trọng số"),
    (r"^pass mark (?P<n1>\S+) is above the set's maximum (?P<n2>\S+) points.*$", "điểm đạt {n1} cao hơn tổng điểm tối đa {n2} của bộ: không đơn vị nào đạt được"),
    (r"^a 'choice' indicator needs 'options'$", f"chỉ tiêu loại choice cần các phương án (trang {OPTION_SHEET})"),
    (r"^percent threshold must be a number from 0 to 100$", "ngưỡng phần trăm phải là số từ 0 đến 100"),
    (r"^count threshold must be a whole number ≥ 0$", "ngưỡng đếm phải là số nguyên ≥ 0"),
)


def _vi_part(key: str, value: str) -> str:
    if key == "k":
        return _HEADERS.get(value, value)
    if key.startswith("n"):
        try:
            return format_decimal(Decimal(value), locale="vi")
        except ArithmeticError:
            return value
    return value


def _vi(problem: Problem) -> str:
    """A Vietnamese message for a schema problem (the schema's own text, in brackets, when no wording is known)."""
    for pattern, template in _VI:
        match = re.match(pattern, problem.message)
        if match:
            return template.format(**{k: _vi_part(k, v) for k, v in match.groupdict().items()})
    return f"không hợp lệ theo định dạng bộ tiêu chí ({problem.message})"
