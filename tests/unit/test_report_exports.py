"""The report workbook writer (constant-memory XlsxWriter) and the cached number formatting used by report pages."""

from __future__ import annotations

import io
import zipfile
from decimal import Decimal

import openpyxl

from app.assessment.numbers import format_number, format_rounded
from app.reports.exports import to_xlsx


def test_workbook_rows_are_streamed_with_inline_strings_and_keep_their_types():
    rows = [["Phường An", 3, 62.5, True, None, Decimal("1.5")], ["-Xã Bình", 1200, 0.25, False, "x", "y"]]
    content = to_xlsx([("Bảng", ["Đơn vị", "Số", "Tỷ lệ", "Có", "Trống", "Khác"], rows)], [("Thành phố", "Hải Phòng")])
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        names = archive.namelist()
        sheet_xml = archive.read("xl/worksheets/sheet2.xml").decode("utf-8")
    # constant-memory mode: no shared-strings table held in memory, every string written inline with its row
    assert "xl/sharedStrings.xml" not in names and 't="inlineStr"' in sheet_xml
    sheet = openpyxl.load_workbook(io.BytesIO(content))["Bảng"]
    assert [c.value for c in sheet[1]] == ["Đơn vị", "Số", "Tỷ lệ", "Có", "Trống", "Khác"]
    assert [c.value for c in sheet[2]] == ["Phường An", 3, 62.5, True, None, "1.5"]
    assert [c.value for c in sheet[3]] == ["-Xã Bình", 1200, 0.25, False, "x", "y"]
    assert sheet["B2"].number_format == "#,##0" and sheet["C2"].number_format == "#,##0.00"
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref == "A1:F3"


def test_cached_number_formatting_matches_for_every_spelling_of_a_value():
    assert format_number(Decimal("62.50"), "vi") == format_number(62.5, "vi") == "62,5"
    assert format_number(62.5, "en") == "62.5"
    assert format_number(Decimal("12345.678"), "vi") == "12.345,678" and format_number(12345.678, "en") == "12,345.678"
    assert format_number(1.234, "vi") == "1,2340"  # never the ambiguous "1,234"
    assert format_rounded(79.9992, "vi") == "80" and format_rounded(Decimal("93.75"), "en") == "93.75"
