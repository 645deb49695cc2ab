"""Server-side SVG charts (no JavaScript, no CDN), built as strings for speed; used in pages and PDFs.

Colours are the Okabe–Ito colour-blind-safe palette, and every mark also carries a text label or
symbol (+ ½ × –), so colour is never the only carrier of meaning. All text is escaped.
"""

from __future__ import annotations

from markupsafe import Markup, escape

PALETTE = {"pass": "#009E73", "partial": "#E69F00", "fail": "#D55E00", "none": "#BBBBBB", "na": "#FFFFFF", "bar": "#0072B2",  # nosec B105
           "target": "#000000"}
SYMBOL = {"pass": "+", "partial": "½", "fail": "×", "none": "–", "na": "Ø"}  # nosec B105
FONT = 'font-family="Noto Sans"'


def _num(value: float | None) -> str:
    """A chart label: the number rounded to two decimals, written for the UI language; '—' for None."""
    from app.numbers import num

    return num(value)


class _NumMemo(dict):
    """_num of each distinct value once per chart (a heatmap repeats the same few hundred percentages)."""

    def __missing__(self, value):
        text = self[value] = _num(value)
        return text


def _short(text: str, limit: int) -> str:
    text = str(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def hbars(items: list[tuple[str, float | None]], max_value: float = 100, unit: str = "%", title: str = "",
          target: float | None = None, width: int = 640) -> Markup:
    """Horizontal bars with the value written at the end; optional dashed target line."""
    row, left, right = 22, 230, 60
    inner = width - left - right
    height = len(items) * row + 24
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{escape(title)}" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" class="chart" {FONT} font-size="12"><title>{escape(title)}</title>']
    for n, (label, value) in enumerate(items):
        y = n * row + 4
        out.append(f'<text x="{left - 6}" y="{y + 14}" text-anchor="end" fill="#1b1f23">{escape(_short(label, 34))}</text>'
                   f'<rect x="{left}" y="{y + 3}" width="{inner}" height="14" fill="#EEEEEE"/>')
        if value is not None and max_value:
            w = inner * min(float(value), max_value) / max_value
            out.append(f'<rect x="{left}" y="{y + 3}" width="{w:.1f}" height="14" fill="{PALETTE["bar"]}"/>')
        text = "—" if value is None else f"{_num(value)}{unit}"
        out.append(f'<text x="{left + inner + 6}" y="{y + 14}" fill="#1b1f23">{escape(text)}</text>')
    if target is not None and max_value:
        x = left + inner * target / max_value
        out.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="0" y2="{len(items) * row + 8}" stroke="#000" stroke-dasharray="4 3"/>')
    out.append("</svg>")
    return Markup("".join(out))  # nosec B704  # noqa: S704 - every interpolated text was escaped above


def _abbreviate(name: str) -> str:
    return name.replace("Phường ", "P. ").replace("Xã ", "X. ").replace("Đặc khu ", "ĐK ")


def heatmap_svg(groups: list[tuple[str, str]], rows: list[tuple[str, str, list[tuple[str, float | None]]]], title: str = "",
                per_col: int = 40) -> Markup:
    """Units × groups in columns of `per_col` units; each cell has a colour, a symbol and a tooltip."""
    cell, name_w, gap = 18, 190, 24
    ncols = max(1, -(-len(rows) // per_col))
    block_w = name_w + len(groups) * cell
    width = ncols * (block_w + gap)
    height = min(len(rows), per_col) * cell + 40
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{escape(title)}" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" class="chart heatmap" {FONT} font-size="11"><title>{escape(title)}</title>']
    codes = [escape(code) for code, _t in groups]
    for c in range(ncols):
        x0 = c * (block_w + gap)
        for g, code in enumerate(codes):
            out.append(f'<text x="{x0 + name_w + g * cell + cell / 2}" y="14" text-anchor="middle" font-weight="700">{code}</text>')
        for n, (name, _type, cells) in enumerate(rows[c * per_col:(c + 1) * per_col]):
            y = 20 + n * cell
            safe_name = escape(name)
            out.append(f'<text x="{x0 + name_w - 4}" y="{y + 13}" text-anchor="end">{escape(_short(_abbreviate(name), 28))}</text>')
            for g, (cls, pct) in enumerate(cells):
                x = x0 + name_w + g * cell
                fg = "#000000" if cls in ("partial", "none", "na") else "#FFFFFF"
                label = f"{_num(pct)}%" if pct is not None else "—"
                out.append(f'<g><title>{safe_name} · {codes[g]}: {label}</title><rect x="{x + 1}" y="{y + 1}" width="{cell - 2}" '
                           f'height="{cell - 2}" fill="{PALETTE[cls]}"/><text x="{x + cell / 2}" y="{y + 13}" text-anchor="middle" '
                           f'fill="{fg}" font-weight="700">{SYMBOL[cls]}</text></g>')
    out.append("</svg>")
    return Markup("".join(out))  # nosec B704  # noqa: S704 - every interpolated text was escaped above


def heatmap_grid(groups: list[tuple[str, str]], rows: list[tuple[str, str, list[tuple[str, float | None]]]],
                 labels: dict[str, str], caption: str, unit_header: str) -> Markup:
    """The on-screen heatmap: an HTML table (class "heatgrid") of units × groups, built as a string for speed.

    Takes the Heatmap's `groups` [(code, title)] and `rows` [(unit name, unit type, [(class, percent)])], the class
    labels ({"pass": "Đạt", ...}), a caption and the unit column's header. Returns Markup. The unit column is a
    row header that CSS keeps in view (position: sticky) while the map scrolls sideways in its own box; a long
    name is shown abbreviated ("P. Hồng Bàng") and wraps, with the full name in its tooltip and for screen readers.
    Each cell has its class (colour), a symbol, a tooltip "unit · group: label (62,5%)" and that text for screen
    readers, so colour never carries meaning alone. Column headers carry the group's title as a tooltip.
    """
    head = "".join(f'<th scope="col" title="{escape(title)}">{escape(code)}</th>' for code, title in groups)
    out = [f'<table class="heatgrid"><caption>{escape(caption)}</caption><thead><tr><th scope="col" class="unit">{escape(unit_header)}</th>'
           f'{head}</tr></thead><tbody>']
    codes = [escape(code) for code, _t in groups]
    nums = _NumMemo()
    for name, _type, cells in rows:
        full, short = escape(name), escape(_abbreviate(name))
        label_cell = full if short == full else f'<span aria-hidden="true">{short}</span><span class="sr-only">{full}</span>'
        tds = []
        for g, (cls, pct) in enumerate(cells):
            text = escape(f"{labels[cls]}{f' ({nums[pct]}%)' if pct is not None else ''}")
            tds.append(f'<td class="heat-{cls}" title="{full} · {codes[g]}: {text}"><span aria-hidden="true">{SYMBOL[cls]}</span>'
                       f'<span class="sr-only">{text}</span></td>')
        out.append(f'<tr><th scope="row" class="unit" title="{full}">{label_cell}</th>{"".join(tds)}</tr>')
    out.append("</tbody></table>")
    return Markup("".join(out))  # nosec B704  # noqa: S704 - every interpolated text was escaped above


def line_svg(points: list[tuple[str, float | None]], title: str = "", unit: str = "%", width: int = 640, height: int = 220) -> Markup:
    """A 0-100 line chart with the value printed at each point."""
    left, bottom, top = 50, 30, 14
    inner_w, inner_h = width - left - 20, height - bottom - top
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{escape(title)}" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" class="chart" {FONT} font-size="12"><title>{escape(title)}</title>']
    for tick in (0, 25, 50, 75, 100):
        y = top + inner_h - inner_h * tick / 100
        out.append(f'<line x1="{left}" x2="{left + inner_w}" y1="{y}" y2="{y}" stroke="#DDDDDD"/>'
                   f'<text x="{left - 6}" y="{y + 4}" text-anchor="end">{tick}</text>')
    prev = None
    n = max(len(points), 1)
    for i, (label, value) in enumerate(points):
        x = left + inner_w * (i + 0.5) / n
        out.append(f'<text x="{x:.1f}" y="{height - 10}" text-anchor="middle">{escape(label)}</text>')
        if value is None:
            continue
        y = top + inner_h - inner_h * min(float(value), 100) / 100
        if prev:
            out.append(f'<line x1="{prev[0]:.1f}" y1="{prev[1]:.1f}" x2="{x:.1f}" y2="{y:.1f}" stroke="{PALETTE["bar"]}" stroke-width="2"/>')
        out.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{PALETTE["bar"]}"/>'
                   f'<text x="{x:.1f}" y="{y - 8:.1f}" text-anchor="middle">{escape(_num(value) + unit)}</text>')
        prev = (x, y)
    out.append("</svg>")
    return Markup("".join(out))  # nosec B704  # noqa: S704 - every interpolated text was escaped above


def heatmap_table(groups: list[tuple[str, str]], rows: list[tuple[str, str, list[tuple[str, float | None]]]],
                  labels: dict[str, str], caption: str, unit_header: str) -> Markup:
    """The heatmap as a table (the text alternative of the chart), built as a string for speed."""
    head = "".join(f'<th scope="col">{escape(code)}</th>' for code, _t in groups)
    out = [f'<table><caption class="sr-only">{escape(caption)}</caption><thead><tr><th scope="col">{escape(unit_header)}</th>{head}</tr></thead><tbody>']
    nums = _NumMemo()
    for name, _type, cells in rows:
        tds = "".join(f"<td>{escape(labels[cls])}{f' ({nums[pct]}%)' if pct is not None else ''}</td>" for cls, pct in cells)
        out.append(f'<tr><th scope="row">{escape(name)}</th>{tds}</tr>')
    out.append("</tbody></table>")
    return Markup("".join(out))  # nosec B704  # noqa: S704 - every interpolated text was escaped above
