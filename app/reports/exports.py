"""Report exports: XLSX (XlsxWriter), CSV (UTF-8 with BOM) and PDF (WeasyPrint, A4, fonts embedded)."""

from __future__ import annotations

import csv
import io
import re

import xlsxwriter

from app.clock import today_local

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
#: Content-Type of the CSV downloads: exactly this, charset once.
CSV_TYPE = "text/csv; charset=utf-8"
#: Content-Type of XLSX workbooks.
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def neutralise(value):
    """For CSV only: text that a spreadsheet would read as a formula is prefixed with an apostrophe.

    XLSX does not need this: its cells are written with write_string (and strings_to_formulas off),
    so a name such as "-Phường A" is stored as that exact text, never evaluated.
    """
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def _sheet_name(title: str, used: set[str]) -> str:
    name = re.sub(r"[\[\]:*?/\\]", " ", title)[:31].strip() or "Sheet"
    base, n = name, 2
    while name in used:
        suffix = f" ({n})"
        name = base[: 31 - len(suffix)] + suffix
        n += 1
    used.add(name)
    return name


def to_xlsx(tables: list[tuple[str, list[str], list[list]]], meta: list[tuple[str, str]]) -> bytes:
    """One sheet per table; bold frozen header; numbers as numbers with a format; a first info sheet.

    Text cells hold exactly the text given (no apostrophe): they are string cells, which Excel and
    LibreOffice never evaluate as formulas. Written in XlsxWriter's constant-memory mode (each row goes to a
    temporary file as soon as it is complete; strings are stored inline), so a national export's memory does not
    grow with its rows. Returns the workbook bytes.
    """
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"constant_memory": True, "strings_to_formulas": False, "strings_to_urls": False,
                                        "strings_to_numbers": False})
    bold = book.add_format({"bold": True, "bg_color": "#EEEEEE", "border": 1, "text_wrap": True, "valign": "top"})
    number = book.add_format({"num_format": "#,##0.00"})
    integer = book.add_format({"num_format": "#,##0"})
    used: set[str] = set()
    info = book.add_worksheet(_sheet_name("Thông tin", used))
    info.set_column(0, 0, 28)
    info.set_column(1, 1, 80)
    for row, (key, value) in enumerate(meta):
        info.write_string(row, 0, key, bold)
        info.write_string(row, 1, str(value))
    for title, headers, rows in tables:
        sheet = book.add_worksheet(_sheet_name(title, used))
        for col, header in enumerate(headers):
            sheet.set_column(col, col, max(12, min(60, len(str(header)) + 4)))
        sheet.freeze_panes(1, 0)
        if rows:
            sheet.autofilter(0, 0, len(rows), max(len(headers) - 1, 0))
        for col, header in enumerate(headers):
            sheet.write_string(0, col, str(header), bold)
        blank, boolean, write_number, string = sheet.write_blank, sheet.write_boolean, sheet.write_number, sheet.write_string
        for r, values in enumerate(rows, start=1):
            for c, value in enumerate(values):
                kind = type(value)
                if value is None:
                    blank(r, c, None)
                elif kind is str:
                    string(r, c, value)
                elif kind is float:
                    write_number(r, c, value, number)
                elif kind is bool:
                    boolean(r, c, value)
                elif kind is int:
                    write_number(r, c, value, integer)
                elif isinstance(value, bool):
                    boolean(r, c, value)
                elif isinstance(value, int):
                    write_number(r, c, value, integer)
                elif isinstance(value, float):
                    write_number(r, c, value, number)
                else:
                    string(r, c, str(value))
    book.close()
    return buffer.getvalue()


def to_csv(headers: list[str], rows: list[list]) -> bytes:
    """Machine-readable CSV: UTF-8 with BOM, comma-separated, decimal numbers with a dot (62.5), no thousands
    separator. Excel with Vietnamese regional settings splits on ";" and reads "," as the decimal mark, so this file
    is offered as data for programs; people get the XLSX ("Tải Excel"). Returns the bytes."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([neutralise(str(h)) for h in headers])
    for values in rows:
        writer.writerow(["" if v is None else neutralise(v if not isinstance(v, str) else v) for v in values])
    return b"\xef\xbb\xbf" + buffer.getvalue().encode("utf-8")


def meta_rows(flt, author: str, today) -> list[tuple[str, str]]:
    """The "Thông tin" sheet of a report workbook: (key, value) rows naming the city, the date (dd/mm/yyyy), the
    filter (a ReportFilter: set code, year, unit type; "Tất cả" when not chosen) and the author's name."""
    return [("Thành phố", "Thành phố Hải Phòng"), ("Ngày lập", today.strftime("%d/%m/%Y")),
            ("Bộ tiêu chí", flt.set_code or "Tất cả"), ("Năm", str(flt.year or "Tất cả")), ("Loại đơn vị", flt.unit_type or "Tất cả"),
            ("Người lập", author)]


def filename(section: str, flt, ext: str) -> str:
    parts = ["bao-cao", section, flt.set_code.lower() or "tat-ca", str(flt.year or "moi-nam"), today_local().strftime("%Y%m%d")]
    return "-".join(parts) + "." + ext


def report_workbook(session, actor, flt, sections: list[str], today, progress=None) -> bytes:
    """The XLSX workbook of several report sections, as the export job makes it: a "Thông tin" sheet (meta_rows with
    the actor's name) then every table of each section in `sections` (names of sections.SECTIONS), every unit (not
    paged). `flt` is a ReportFilter, `today` the report date; `progress(done, total)`, when given, is called after each
    section's data is read (it may raise to stop). Returns the workbook bytes; raises PermissionDenied as the sections do."""
    from .sections import section_data, section_tables

    tables = []
    for n, name in enumerate(sections, start=1):
        tables.extend(section_tables(name, section_data(session, actor, name, flt, today)))
        if progress is not None:
            progress(n, len(sections))
    return to_xlsx(tables, meta_rows(flt, actor.full_name or actor.username, today))
