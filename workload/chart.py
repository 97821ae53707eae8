"""Charts of the results and the benchmark: SVG drawn by the app (no script, no external asset).

Colours are presentation attributes, not inline styles, so the Content-Security-Policy
(style-src 'self') holds. Every chart has its table beside it on the page.
"""
from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Optional

from markupsafe import Markup, escape

from kernel.i18n import lang_attr

WIDTH, LABEL_W, BAR_H, GAP = 640, 170, 18, 10
CORE, NON_CORE, OWN, PEER = "#0031d8", "#e25100", "#e25100", "#7f7f7f"


def _number(value: Decimal | float) -> str:
    return f"{value:,.1f}"


def stacked_hours(rows: Sequence[tuple[str, Decimal, Decimal]], chart_id: str, title: str,
                  core_label: str, non_core_label: str, description: str) -> Markup:
    """Horizontal bars, core and non-core hours stacked (rows: label, core, non-core)."""
    peak = max([float(c + n) for _label, c, n in rows] + [1.0])
    scale = (WIDTH - LABEL_W - 90) / peak
    height = 40 + (BAR_H + GAP) * len(rows) + 10
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="workload-chart" role="img" '
             f'aria-labelledby="{chart_id}-title {chart_id}-desc" viewBox="0 0 {WIDTH} {height}" '
             f'width="{WIDTH}" height="{height}">',
             f'<title id="{chart_id}-title">{escape(title)}</title>',
             f'<desc id="{chart_id}-desc">{escape(description)}</desc>',
             f'<rect x="{LABEL_W}" y="8" width="14" height="14" fill="{CORE}"/>',
             f'<text x="{LABEL_W + 20}" y="20" font-size="13">{escape(core_label)}</text>',
             f'<rect x="{LABEL_W + 200}" y="8" width="14" height="14" fill="{NON_CORE}"/>',
             f'<text x="{LABEL_W + 220}" y="20" font-size="13">{escape(non_core_label)}</text>']
    y = 40
    for label, core, non_core in rows:
        core_w, non_w = int(float(core) * scale), int(float(non_core) * scale)
        parts.append(f'<text x="{LABEL_W - 8}" y="{y + BAR_H - 4}" text-anchor="end" font-size="13"'
                     f'{lang_attr(label)}>{escape(label)}</text>')
        parts.append(f'<rect x="{LABEL_W}" y="{y}" width="{max(core_w, 0)}" height="{BAR_H}" fill="{CORE}"/>')
        parts.append(f'<rect x="{LABEL_W + core_w}" y="{y}" width="{max(non_w, 0)}" height="{BAR_H}" '
                     f'fill="{NON_CORE}"/>')
        parts.append(f'<text x="{LABEL_W + core_w + non_w + 6}" y="{y + BAR_H - 4}" font-size="12">'
                     f'{escape(_number(core + non_core))}</text>')
        y += BAR_H + GAP
    parts.append("</svg>")
    return Markup("".join(parts))


def peer_boxes(rows: Sequence[tuple[str, Optional[Decimal], Optional[Decimal], Optional[Decimal], Optional[Decimal]]],
               chart_id: str, title: str, description: str, own_label: str, peer_label: str) -> Markup:
    """Per task group: the peers' interquartile range with the median, and the municipality's own value.

    rows: label, q1, median, q3 (None when the cell is suppressed), own value (None without cases).
    A suppressed cell draws nothing of the peers.
    """
    values = [float(v) for row in rows for v in row[1:] if v is not None]
    peak = max(values + [1.0]) * 1.1
    scale = (WIDTH - LABEL_W - 40) / peak
    height = 40 + (BAR_H + GAP) * len(rows) + 10
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="workload-chart" role="img" '
             f'aria-labelledby="{chart_id}-title {chart_id}-desc" viewBox="0 0 {WIDTH} {height}" '
             f'width="{WIDTH}" height="{height}">',
             f'<title id="{chart_id}-title">{escape(title)}</title>',
             f'<desc id="{chart_id}-desc">{escape(description)}</desc>',
             f'<rect x="{LABEL_W}" y="8" width="14" height="14" fill="{PEER}"/>',
             f'<text x="{LABEL_W + 20}" y="20" font-size="13">{escape(peer_label)}</text>',
             f'<circle cx="{LABEL_W + 227}" cy="15" r="6" fill="{OWN}"/>',
             f'<text x="{LABEL_W + 240}" y="20" font-size="13">{escape(own_label)}</text>']
    y = 40
    for label, q1, median, q3, own in rows:
        parts.append(f'<text x="{LABEL_W - 8}" y="{y + BAR_H - 4}" text-anchor="end" font-size="13"'
                     f'{lang_attr(label)}>{escape(label)}</text>')
        if q1 is not None and q3 is not None and median is not None:
            x1, x3, xm = (LABEL_W + int(float(v) * scale) for v in (q1, q3, median))
            parts.append(f'<rect x="{x1}" y="{y + 3}" width="{max(x3 - x1, 2)}" height="{BAR_H - 6}" fill="{PEER}"/>')
            parts.append(f'<rect x="{xm - 1}" y="{y}" width="3" height="{BAR_H}" fill="#1a1a1a"/>')
        if own is not None:
            parts.append(f'<circle cx="{LABEL_W + int(float(own) * scale)}" cy="{y + BAR_H // 2}" r="6" '
                         f'fill="{OWN}"/>')
        y += BAR_H + GAP
    parts.append("</svg>")
    return Markup("".join(parts))
