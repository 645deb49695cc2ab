"""Server-side charts of survey results (no JavaScript): answer distributions, a ranking with interval whiskers,
and the units × months grid. Built as strings like app/reports/charts.py, narrow enough for a 360 px phone
(340 px wide, text at its real size); every interpolated text is escaped, and every mark carries its number
as text, so colour never carries meaning alone.
"""

from __future__ import annotations

from markupsafe import Markup, escape

from app.reports.charts import FONT, PALETTE, _abbreviate, _short

from .results import pct

#: Width of the narrow charts, in px: fits a 360 px phone (content box ≈ 336 px) and reads well on a desktop.
WIDTH = 340
#: Sequential blues (light → dark) for shares in the units × months grid: CSS classes sv-0 … sv-3 (css/results.css;
#: the page's Content-Security-Policy forbids inline styles), from below 50 % to 85 % and more.
SHADE_BOUNDS = (50, 70, 85)


def distribution_svg(items: list[tuple[str, int]], total: int, title: str, width: int = WIDTH) -> Markup:
    """Bars of an answer distribution: per (label, count) a text line "label" and under it a bar with "count (share %)".

    `total` is the number of answers (the bars' 100 %). Returns an <svg> Markup.
    """
    row, bar_h, right = 38, 14, 84
    inner = width - right
    height = len(items) * row + 4
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{escape(title)}" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" class="chart" {FONT} font-size="13"><title>{escape(title)}</title>']
    for n, (label, count) in enumerate(items):
        y = n * row
        out.append(f'<text x="0" y="{y + 14}" fill="#1b1f23">{escape(_short(label, 44))}</text>'
                   f'<rect x="0" y="{y + 19}" width="{inner}" height="{bar_h}" fill="#EEEEEE"/>')
        if total:
            out.append(f'<rect x="0" y="{y + 19}" width="{inner * count / total:.1f}" height="{bar_h}" fill="{PALETTE["bar"]}"/>')
        share = f" ({pct(count * 100 / total)} %)" if total else ""
        out.append(f'<text x="{inner + 6}" y="{y + 31}" fill="#1b1f23">{escape(f"{count}{share}")}</text>')
    out.append("</svg>")
    return Markup("".join(out))  # nosec B704  # noqa: S704 - every interpolated text was escaped above


def ranking_svg(rows: list[tuple[str, float, float, float, int]], title: str, width: int = WIDTH) -> Markup:
    """The ranking with 95 % intervals: per (unit name, percent, low, high, n) a line "rank. name — 87,6 % (n = 137)"
    and under it a 0–100 % axis with the interval as a whisker and the share as a dot. Returns an <svg> Markup."""
    row, left, right = 40, 6, 10
    inner = width - left - right
    height = len(rows) * row + 22
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{escape(title)}" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" class="chart" {FONT} font-size="13"><title>{escape(title)}</title>']
    for tick in (0, 50, 100):
        x = left + inner * tick / 100
        out.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="0" y2="{len(rows) * row}" stroke="#DDDDDD"/>'
                   f'<text x="{x:.1f}" y="{height - 6}" text-anchor="{"start" if tick == 0 else "end" if tick == 100 else "middle"}" '
                   f'font-size="11">{tick} %</text>')
    for n, (name, percent, low, high, count) in enumerate(rows):
        y = n * row
        label = f"{n + 1}. {_short(_abbreviate(name), 24)} — {pct(percent)} % (n = {count})"
        x_low, x_high, x = (left + inner * v / 100 for v in (low, high, percent))
        out.append(f'<g><title>{escape(name)}: {escape(pct(percent))} % ({escape(pct(low))}–{escape(pct(high))} %; n = {count})</title>'
                   f'<text x="{left}" y="{y + 14}" fill="#1b1f23">{escape(label)}</text>'
                   f'<line x1="{x_low:.1f}" x2="{x_high:.1f}" y1="{y + 27}" y2="{y + 27}" stroke="#1b1f23" stroke-width="2"/>'
                   f'<line x1="{x_low:.1f}" x2="{x_low:.1f}" y1="{y + 21}" y2="{y + 33}" stroke="#1b1f23" stroke-width="2"/>'
                   f'<line x1="{x_high:.1f}" x2="{x_high:.1f}" y1="{y + 21}" y2="{y + 33}" stroke="#1b1f23" stroke-width="2"/>'
                   f'<circle cx="{x:.1f}" cy="{y + 27}" r="5" fill="{PALETTE["bar"]}" stroke="#fff"/></g>')
    out.append("</svg>")
    return Markup("".join(out))  # nosec B704  # noqa: S704 - every interpolated text was escaped above


def shade(percent: float) -> str:
    """The CSS class of a share in the grid: "sv-0" (below 50 %) … "sv-3" (85 % and more)."""
    return f"sv-{sum(1 for bound in SHADE_BOUNDS if percent >= bound)}"


def month_grid(months: list[tuple[str, str]], rows: list[tuple[str, list[tuple[float | None, int]]]], caption: str,
               unit_header: str) -> Markup:
    """Units × months as an HTML table (classes of the report heatmap: "heatgrid", unit column sticky).

    `months` [(key, label)], `rows` [(unit name, [(percent or None, n)] in month order)]. Each cell shows the share
    rounded to a whole percent, shaded light → dark; its tooltip and screen-reader text give "87,6 % (n = 12)".
    A month without responses is "–". Returns Markup.
    """
    head = "".join(f'<th scope="col" title="{escape(label)}">{escape(key[5:].lstrip("0"))}</th>' for key, label in months)
    out = [f'<table class="heatgrid svheat"><caption>{escape(caption)}</caption><thead><tr><th scope="col" class="unit">'
           f'{escape(unit_header)}</th>{head}</tr></thead><tbody>']
    labels = [escape(label) for _k, label in months]
    for name, cells in rows:
        full, short = escape(name), escape(_abbreviate(name))
        label_cell = full if short == full else f'<span aria-hidden="true">{short}</span><span class="sr-only">{full}</span>'
        tds = []
        for m, (percent, count) in enumerate(cells):
            if percent is None:
                tds.append(f'<td class="sv-empty" title="{full} · {labels[m]}: n = 0"><span aria-hidden="true">–</span>'
                           f'<span class="sr-only">n = 0</span></td>')
                continue
            text = escape(f"{pct(percent)} % (n = {count})")
            tds.append(f'<td class="{shade(percent)}" title="{full} · {labels[m]}: {text}">'
                       f'<span aria-hidden="true">{round(percent)}</span><span class="sr-only">{text}</span></td>')
        out.append(f'<tr><th scope="row" class="unit" title="{full}">{label_cell}</th>{"".join(tds)}</tr>')
    out.append("</tbody></table>")
    return Markup("".join(out))  # nosec B704  # noqa: S704 - every interpolated text was escaped above
