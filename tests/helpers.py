"""Test helpers: answers that meet each threshold, and small valid evidence files."""

from __future__ import annotations

import io
import zipfile

from app.assessment.criteria import Indicator
from app.assessment.numbers import format_number
from tests.conftest import pdf_bytes, png_bytes


def xlsx_bytes() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>')
        z.writestr("xl/workbook.xml", "<workbook/>")
        z.writestr("xl/worksheets/sheet1.xml", "<worksheet/>")
    return buf.getvalue()


def docx_bytes() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>')
        z.writestr("word/document.xml", "<document/>")
    return buf.getvalue()


def evidence_file(ind: Indicator) -> tuple[bytes, str]:
    """A small valid file of a kind the indicator accepts."""
    kinds = ind.evidence.kinds
    if "pdf" in kinds:
        return pdf_bytes(), "bien-ban.pdf"
    if "image" in kinds:
        return png_bytes(), "anh.png"
    if "xlsx" in kinds:
        return xlsx_bytes(), "so-lieu.xlsx"
    return docx_bytes(), "bao-cao.docx"


def _hardest_threshold(ind: Indicator):
    """The strictest threshold over the base value and every roadmap year (meets it in any campaign year)."""
    candidates = [ind.threshold] + [ind.threshold_for(step.year) for step in ind.roadmap]
    if ind.type not in ("percent", "count", "number"):
        return ind.threshold
    key = (lambda t: t.value) if ind.threshold.op in (">=", ">") else (lambda t: -t.value)
    return max(candidates, key=lambda t: (key(t), t.op == ">"))


def passing_raw(ind: Indicator) -> str:
    """Text an official would type so the indicator meets its threshold (in every campaign year)."""
    if ind.graded:
        best = max(ind.bands, key=lambda b: b.points) if ind.bands else None
        value = (best.value[0] if best.op == "between" else best.value + (1 if best.op == ">" else 0)) if best else ind.proportional.full_at
        return str(value).replace(".", ",")
    t = _hardest_threshold(ind)
    if ind.type == "boolean":
        return "yes" if t is None or t.value else "no"
    if ind.type == "text":
        return "Đã thực hiện đầy đủ, có biên bản kèm theo."
    if ind.type == "choice":
        return str(t.value[0])
    value = t.value
    if t.op == ">":
        value = value + 1 if ind.type == "count" else value + 0.5
    elif t.op == "<":
        value = value - 1
    if ind.type == "percent":
        value = min(100, value)
    return format_number(value, "vi")


def failing_raw(ind: Indicator) -> str:
    t = ind.threshold
    if ind.type == "boolean":
        return "no" if t.value else "yes"
    if t.op in (">=", ">", "=="):
        return "0"
    return format_number(t.value + 5, "vi")
