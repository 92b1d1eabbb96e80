"""The dashboard's month-by-month chart, drawn on the server as an SVG string.

Pure: no web or database imports, no JavaScript, nothing from a CDN. Every label that comes
from outside (month keys, translated legend words) is escaped, so the string can be put
into a page with `| safe`.
"""

from __future__ import annotations

from html import escape

# Drawn for a phone first: about 360 px wide on screen, so the text stays readable when scaled.
WIDTH, HEIGHT = 420, 260
LEFT, RIGHT, TOP, BOTTOM = 30, 6, 34, 38
RECEIVED_COLOUR, DONE_COLOUR = "#b3261e", "#1e6b34"


def _nice_max(value: int) -> int:
    """A round top for the y axis (1, 2, 5 × 10ⁿ), so the grid lines fall on whole numbers."""
    if value <= 4:
        return 4
    step = 1
    while True:
        for m in (1, 2, 5):
            top = m * step * 4
            if top >= value:
                return top
        step *= 10


def month_chart(months: list[tuple[str, int, int]], *, received_label: str, done_label: str, title: str) -> str:
    """Grouped bars per month: received next to done. `months` is [(YYYY-MM, received, done)]."""
    top = _nice_max(max([max(r, d) for _, r, d in months] or [0]))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_w / max(len(months), 1)
    bar = max(min(slot * 0.36, 22), 2)
    base_y = TOP + plot_h

    def y_of(n: int) -> float:
        return base_y - plot_h * n / top

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-labelledby="chart-title" class="chart" preserveAspectRatio="xMidYMid meet">',
        f'<title id="chart-title">{escape(title)}</title>',
    ]
    # Legend along the top.
    parts.append(f'<rect x="{LEFT}" y="6" width="14" height="14" fill="{RECEIVED_COLOUR}"/>'
                 f'<text x="{LEFT + 19}" y="18" font-size="15">{escape(received_label)}</text>')
    parts.append(f'<rect x="{LEFT + 150}" y="6" width="14" height="14" fill="{DONE_COLOUR}"/>'
                 f'<text x="{LEFT + 169}" y="18" font-size="15">{escape(done_label)}</text>')
    # Horizontal grid lines at quarters of the axis.
    for i in range(5):
        value = top * i // 4
        y = y_of(value)
        parts.append(f'<line x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}" stroke="#d9d9de"/>'
                     f'<text x="{LEFT - 4}" y="{y + 4:.1f}" font-size="13" text-anchor="end" fill="#6b6b70">{value}</text>')
    for i, (key, received, done) in enumerate(months):
        x0 = LEFT + i * slot + (slot - 2 * bar) / 2
        for offset, n, colour, label in ((0, received, RECEIVED_COLOUR, received_label),
                                         (bar, done, DONE_COLOUR, done_label)):
            y = y_of(n)
            parts.append(f'<rect x="{x0 + offset:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{base_y - y:.1f}" '
                         f'fill="{colour}"><title>{escape(key)} {escape(label)}: {n}</title></rect>')
        month_label = key[5:] if len(key) == 7 and key[4] == "-" else key
        parts.append(f'<text x="{LEFT + i * slot + slot / 2:.1f}" y="{base_y + 17}" font-size="13" '
                     f'text-anchor="middle">{escape(month_label)}</text>')
        if key.endswith("-01") or (i == 0 and not key.endswith("-12")):  # a year under its first month
            parts.append(f'<text x="{LEFT + i * slot + slot / 2:.1f}" y="{base_y + 33}" font-size="12" '
                         f'text-anchor="middle" fill="#6b6b70">{escape(key[:4])}</text>')
    parts.append("</svg>")
    return "".join(parts)


def funnel_chart(rows: list[tuple[str, int, float | None]], *, title: str, days_word: str) -> str:
    """The six steps as horizontal bars, one per line (a phone reads it without turning): the
    label above its bar, the number of cases at the bar's end, the median days beside it.
    `rows` is [(label, cases, median days or None)]."""
    line_h, bar_h, left, width = 46, 18, 8, WIDTH
    top = max([n for _, n, _d in rows] or [0]) or 1
    height = 12 + line_h * len(rows)
    room = width - left - 120  # keep space for the figures after the longest bar
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
             f'aria-labelledby="funnel-title" class="chart funnel" preserveAspectRatio="xMidYMid meet">',
             f'<title id="funnel-title">{escape(title)}</title>']
    for i, (label, n, days) in enumerate(rows):
        y = 8 + i * line_h
        w = max(room * n / top, 2)
        parts.append(f'<text x="{left}" y="{y + 13}" font-size="15">{escape(label)}</text>')
        parts.append(f'<rect x="{left}" y="{y + 19}" width="{w:.1f}" height="{bar_h}" fill="{RECEIVED_COLOUR}">'
                     f'<title>{escape(label)}: {n}</title></rect>')
        figure = f"{n}" + (f" · {days:g} {days_word}" if days is not None else "")
        parts.append(f'<text x="{left + w + 6:.1f}" y="{y + 33}" font-size="14">{escape(figure)}</text>')
    parts.append("</svg>")
    return "".join(parts)
