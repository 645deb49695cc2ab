"""The report sections: their data (from the per-concern services) and their table form for exports."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from app.auth.models import User
from app.labels import citation_plain, label

from . import funnel, heatmap, plan, ranking, trend, weakest
from .common import ReportFilter

SECTIONS = {
    "plan": _l("Kế hoạch và thực hiện"),
    "funnel": _l("Tiến độ nộp và trạng thái"),
    "ranking": _l("Xếp hạng đơn vị"),
    "weakest": _l("Tiêu chí yếu nhất"),
    "heatmap": _l("Bản đồ nhiệt đơn vị × nhóm tiêu chí"),
    "trend": _l("Xu hướng qua các năm"),
}
TRACK_LABELS = {"met": _l("Đã đạt"), "on_track": _l("Đúng tiến độ"), "behind": _l("Chậm tiến độ"), "missed": _l("Không đạt đúng hạn")}
BUCKET_LABELS = {"not_started": _l("Chưa bắt đầu"), "draft": _l("Đang soạn"), "submitted": _l("Đã gửi, chờ/đang thẩm định"),
                 "returned": _l("Trả lại bổ sung"), "approved": _l("Đã duyệt"), "rejected": _l("Không chấp thuận"),
                 "recognised": _l("Đã công nhận")}
HEAT_LABELS = {"pass": _l("Đạt"), "partial": _l("Một phần"), "fail": _l("Chưa đạt"), "none": _l("Chưa có dữ liệu"),
               "na": _l("Không áp dụng")}
#: Where an indicator comes from (criteria `origin`), as exports write it.
INDICATOR_ORIGIN_LABELS = {"seed": _l("văn bản Đề án"), "proposed": _l("đề xuất")}
#: Where a number (threshold, points, pass mark) comes from, as exports write it.
NUMBER_ORIGIN_LABELS = {"seed": _l("văn bản Đề án"), "default": _l("mặc định"), "official": _l("văn bản chính thức")}


def section_data(session: Session, actor: User, name: str, flt: ReportFilter, today: dt.date, sort: str = "score_desc",
                 page: int | None = None) -> Any:
    """Data of one section; `page` pages the ranking and heatmap on screen (exports pass None: every unit)."""
    if name == "plan":
        return plan.plan_vs_actual(session, actor, flt, today)
    if name == "funnel":
        return funnel.funnel(session, actor, flt)
    if name == "ranking":
        return ranking.ranking(session, actor, flt, sort, page or 1, ranking.PAGE_SIZE if page else None)
    if name == "weakest":
        return weakest.weakest(session, actor, flt)
    if name == "heatmap":
        return heatmap.heatmap(session, actor, flt, page or 1, heatmap.PAGE_SIZE if page else None)
    if name == "trend":
        return trend.city_trend_section(session, actor, flt.set_code)
    raise KeyError(name)


def raw_source(source) -> str:
    """The machine reference of a criteria source, "file:line" as in the criteria files ("" for None)."""
    return f"{source.file}:{source.line}" if source else ""


def _pct(value) -> float | None:
    return None if value is None else float(value)


class _Memo(dict):
    """fn(key) computed once per distinct key (labels translated once per table, not once per row)."""

    def __init__(self, fn) -> None:
        super().__init__()
        self.fn = fn

    def __missing__(self, key):
        value = self[key] = self.fn(key)
        return value


def section_tables(name: str, data: Any) -> list[tuple[str, list[str], list[list]]]:
    """(sheet title, headers, rows) for XLSX/CSV. Numbers stay numbers; percentages are 0-100."""
    if name == "plan":
        headers = [_("Bộ tiêu chí"), _("Mục tiêu"), _("Năm"), _("Đơn vị trong phạm vi"), _("Đã công nhận"), _("Thực hiện"),
                   _("Mục tiêu (giá trị)"), _("Cần đạt theo tiến độ"), _("Đánh giá"), _("Nguồn"), _("Nguồn (tệp:dòng)")]
        rows = [[r.set_code, r.target.text_vi, r.target.year, r.in_scope, r.recognised, r.actual, r.target.value, r.expected,
                 str(TRACK_LABELS[r.status]), citation_plain(r.target.source), raw_source(r.target.source)] for r in data]
        return [(str(SECTIONS["plan"]), headers, rows)]
    if name == "funnel":
        if data is None:
            return [(str(SECTIONS["funnel"]), [_("Chọn một bộ tiêu chí")], [])]
        headers = [_("Loại đơn vị")] + [str(BUCKET_LABELS[b]) for b in data.totals] + [_("Tổng")]
        rows = [[label(t, "unit_type")] + list(c.values()) + [sum(c.values())] for t, c in sorted(data.by_type.items())]
        rows.append([_("Tổng")] + list(data.totals.values()) + [data.expected])
        timely = [[_("Đúng hạn"), data.timeliness.get("on_time", 0), data.rate("on_time")],
                  [_("Trễ hạn"), data.timeliness.get("late", 0), data.rate("late")],
                  [_("Chưa nộp"), data.timeliness.get("missing", 0), data.rate("missing")]]
        return [(str(SECTIONS["funnel"]), headers, rows), (_("Đúng hạn, trễ hạn"), [_("Loại"), _("Số đơn vị"), _("Tỷ lệ (%)")], timely)]
    if name == "ranking":
        headers = [_("Hạng"), _("Đơn vị"), _("Loại"), _("Trạng thái"), _("Điểm (%)"), _("Kết quả"), _("Loại điểm"), _("Tự chấm (%)")]
        from app.workflow.services import status_label

        types, statuses = _Memo(lambda t: label(t, "unit_type")), _Memo(status_label)
        verdicts = {None: "", True: _("Đạt"), False: _("Chưa đạt")}
        kinds = {True: _("thẩm định"), False: _("tự chấm (chưa thẩm định)")}
        rows = [[r.rank, r.unit_name, types[r.unit_type], statuses[r.status], _pct(r.score),
                 verdicts[r.passed], kinds[bool(r.appraised)], _pct(r.self_score)] for r in data]
        return [(str(SECTIONS["ranking"]), headers, rows)]
    if name == "weakest":
        low, gaps = data
        headers = [_("Chỉ tiêu"), _("Nội dung"), _("Số đơn vị"), _("Không áp dụng"), _("Số đạt"), _("Tỷ lệ đạt (%)"), _("Đã thẩm định"),
                   _("Tự đánh giá cao hơn"), _("Tự đánh giá thấp hơn"), _("Nguồn chỉ tiêu"), _("Nguồn ngưỡng"), _("Điều kiện bắt buộc")]

        def to_row(r) -> list:
            return [r.code, r.text, r.units, r.na, r.passed, r.pass_rate, r.appraised, r.over_rated, r.under_rated,
                    str(INDICATOR_ORIGIN_LABELS.get(r.origin, r.origin)), str(NUMBER_ORIGIN_LABELS.get(r.threshold_origin, r.threshold_origin)),
                    _("có") if r.condition else _("không")]

        return [(str(SECTIONS["weakest"]), headers, [to_row(r) for r in low]),
                (_("Chênh lệch tự chấm"), headers, [to_row(r) for r in gaps]),
                (_("Điều kiện bắt buộc"), headers, [to_row(r) for r in getattr(data, "conditions", [])])]
    if name == "heatmap":
        if data is None:
            return [(str(SECTIONS["heatmap"]), [_("Chọn một bộ tiêu chí")], [])]
        headers = [_("Đơn vị"), _("Loại")] + [f"{code} ({_('%')})" for code, _t in data.groups] + [f"{code}" for code, _t in data.groups]
        types = _Memo(lambda t: label(t, "unit_type"))
        heat = {c: str(text) for c, text in HEAT_LABELS.items()}
        rows = [[n, types[t]] + [p for _c, p in cells] + [heat[c] for c, _p in cells] for n, t, cells in data.rows]
        return [(_("Bản đồ nhiệt"), headers, rows)]
    if name == "trend":
        headers = [_("Năm"), _("Đợt đánh giá"), _("Đã gửi"), _("Đã công nhận"), _("Tỷ lệ công nhận (%)"), _("Điểm trung bình (%)")]
        rows = [[p.year, p.campaign, p.submitted, p.recognised, p.recognised_share, _pct(p.average)] for p in data.points]
        ind = data.indicators
        ind_headers = [_("Chỉ tiêu"), _("Các mã qua các phiên bản"), _("Nội dung")] + [f"{y} — {name} ({label}) (%)" for y, name, label in ind.columns]
        ind_rows = [[line.key, ", ".join(line.codes), line.text] + list(line.shares) for line in ind.lines]
        return [(str(SECTIONS["trend"]), headers, rows), (_("Tỷ lệ đạt theo chỉ tiêu"), ind_headers, ind_rows)]
    raise KeyError(name)
