"""The savings chart: an SVG drawn by the app itself (no script, no external asset).

Two horizontal bars per row (stand-alone price and pooled price). Colours are presentation
attributes, not inline styles, so the page's Content-Security-Policy (style-src 'self') holds.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Optional

from flask_babel import gettext as _
from markupsafe import Markup, escape

from kernel.i18n import format_yen

WIDTH, LABEL_W, BAR_H, GAP = 720, 200, 16, 14
POOLED, STANDALONE = "#0031d8", "#b3b3b3"


def savings_chart(rows: Sequence[Any], total: Optional[Any]) -> Markup:
    """An accessible SVG bar chart of pooled vs stand-alone cost (rows: label, pooled_yen, standalone_yen)."""
    entries = list(rows) + ([total] if total is not None else [])
    title = _("Pooled price compared with buying alone")
    total_label = _("All participants")
    description = _("The same figures are in the table below.")
    alone_label = _("Buying alone")
    pooled_label = _("Joint procurement")
    peak = max([max(e.standalone_yen, e.pooled_yen) for e in entries] + [1])
    row_h = 2 * BAR_H + GAP
    height = 40 + row_h * len(entries) + 30
    scale = (WIDTH - LABEL_W - 130) / peak
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="savings-chart" role="img" '
             f'aria-labelledby="savings-chart-title savings-chart-desc" viewBox="0 0 {WIDTH} {height}" '
             f'width="{WIDTH}" height="{height}">',
             f'<title id="savings-chart-title">{escape(title)}</title>',
             f'<desc id="savings-chart-desc">{escape(description)}</desc>',
             f'<rect x="{LABEL_W}" y="8" width="14" height="14" fill="{STANDALONE}"/>',
             f'<text x="{LABEL_W + 20}" y="20" font-size="13">{escape(alone_label)}</text>',
             f'<rect x="{LABEL_W + 180}" y="8" width="14" height="14" fill="{POOLED}"/>',
             f'<text x="{LABEL_W + 200}" y="20" font-size="13">{escape(pooled_label)}</text>']
    y = 40
    for entry in entries:
        label = total_label if entry is total else entry.label
        parts.append(f'<text x="{LABEL_W - 8}" y="{y + BAR_H + 4}" text-anchor="end" font-size="13">'
                     f'{escape(label)}</text>')
        for value, colour, offset in ((entry.standalone_yen, STANDALONE, 0), (entry.pooled_yen, POOLED, BAR_H)):
            width = max(1, int(value * scale))
            parts.append(f'<rect x="{LABEL_W}" y="{y + offset}" width="{width}" height="{BAR_H - 2}" fill="{colour}"/>')
            parts.append(f'<text x="{LABEL_W + width + 6}" y="{y + offset + BAR_H - 4}" font-size="12">'
                         f'{escape(format_yen(value))}</text>')
        y += row_h
    parts.append("</svg>")
    return Markup("".join(parts))
