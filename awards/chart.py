"""An SVG histogram of one judge's weighted totals, drawn by the app (no script, no other host)."""
from __future__ import annotations

from decimal import Decimal
from xml.sax.saxutils import escape

from flask_babel import gettext as _

from kernel.i18n import lang_attr

WIDTH, HEIGHT = 480, 220
LEFT, RIGHT, TOP, BOTTOM = 40, 16, 40, 36
BINS = 10


def _bins(totals: list[int], low: int, high: int) -> list[int]:
    counts = [0] * BINS
    span = max(high - low, 1)
    for value in totals:
        index = min(BINS - 1, max(0, (value - low) * BINS // span))
        counts[index] += 1
    return counts


def judge_distribution_svg(judge_name: str, totals: list[int], low: int, high: int, chart_id: str) -> str:
    """Histogram of the judge's totals on the full scale [low, high], with the judge's mean marked."""
    title = _("Distribution of the weighted totals per judge")
    description = _("%(n)d submitted score sheets", n=len(totals))
    counts = _bins(totals, low, high)
    peak = max(counts + [1])
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    bar_w = plot_w / BINS
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="awards-chart" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'width="{WIDTH}" height="{HEIGHT}" role="img" aria-labelledby="{chart_id}-title {chart_id}-desc">',
        f'<title id="{chart_id}-title">{escape(title)}: {escape(judge_name)}</title>',
        f'<desc id="{chart_id}-desc">{escape(description)}</desc>',
        f'<text x="{LEFT}" y="18" font-size="13" fill="#1a1a1a"{lang_attr(judge_name)}>{escape(judge_name)}</text>',
        f'<line x1="{LEFT}" y1="{TOP + plot_h}" x2="{LEFT + plot_w}" y2="{TOP + plot_h}" stroke="#333"/>',
    ]
    for i, count in enumerate(counts):
        if not count:
            continue
        h = plot_h * count / peak
        x = LEFT + i * bar_w
        parts.append(f'<rect x="{x + 1:.1f}" y="{TOP + plot_h - h:.1f}" width="{bar_w - 2:.1f}" height="{h:.1f}" '
                     f'fill="#0031d8"><title>{count}</title></rect>')
    for value in (low, (low + high) // 2, high):
        x = LEFT + plot_w * (value - low) / max(high - low, 1)
        parts.append(f'<text x="{x:.1f}" y="{HEIGHT - 14}" font-size="11" text-anchor="middle" '
                     f'fill="#1a1a1a">{value}</text>')
    if totals:
        mean = Decimal(sum(totals)) / len(totals)
        x = LEFT + plot_w * float((mean - low) / max(high - low, 1))
        parts.append(f'<line x1="{x:.1f}" y1="{TOP - 4}" x2="{x:.1f}" y2="{TOP + plot_h}" stroke="#d4002a" '
                     f'stroke-dasharray="4 3"/>')
        label = _("mean %(value)s", value=f"{mean:.1f}")
        parts.append(f'<text x="{x:.1f}" y="{TOP - 8}" font-size="11" text-anchor="middle" fill="#d4002a">'
                     f'{escape(label)}</text>')
    parts.append(f'<text x="{LEFT - 6}" y="{TOP + 4}" font-size="11" text-anchor="end" fill="#1a1a1a">{peak}</text>')
    parts.append("</svg>")
    return "".join(parts)
