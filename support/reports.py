"""Figures for TMG's management: counts per stage and theme, lead times, hours invested against hours
saved, satisfaction per theme and supporter. Read as the desk (released engagements only)."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select

from kernel.extensions import db
from support.models import STAGES, Engagement, Outcome, SupporterAssignment, Survey, Theme, TimeLog


@dataclass
class ThemeFigures:
    theme: Theme
    per_stage: dict[str, int] = field(default_factory=dict)
    total: int = 0
    lead_days: list[int] = field(default_factory=list)
    hours_invested: Decimal = Decimal(0)
    hours_saved: Decimal = Decimal(0)
    csat: list[int] = field(default_factory=list)

    @property
    def median_lead_days(self) -> int | None:
        values = sorted(self.lead_days)
        return values[len(values) // 2] if values else None

    @property
    def mean_csat(self) -> Decimal | None:
        return (Decimal(sum(self.csat)) / len(self.csat)).quantize(Decimal("0.1")) if self.csat else None


@dataclass
class Report:
    themes: list[ThemeFigures]
    per_stage: dict[str, int]
    supporters: list[tuple[str, Decimal, int, Decimal | None]]  # name, hours, engagements, mean csat

    @property
    def hours_invested(self) -> Decimal:
        return sum((t.hours_invested for t in self.themes), Decimal(0))

    @property
    def hours_saved(self) -> Decimal:
        return sum((t.hours_saved for t in self.themes), Decimal(0))

    @property
    def mean_csat(self) -> Decimal | None:
        scores = [s for t in self.themes for s in t.csat]
        return (Decimal(sum(scores)) / len(scores)).quantize(Decimal("0.1")) if scores else None


def build_report() -> Report:
    """The management figures over every released engagement the caller may see."""
    themes = {t.id: ThemeFigures(t, {s: 0 for s in STAGES}) for t in db.session.scalars(
        select(Theme).order_by(Theme.position, Theme.id))}
    engagements = list(db.session.scalars(select(Engagement).where(Engagement.release_state == "submitted")))
    by_key = {(e.tenant_id, e.id): e for e in engagements}
    per_stage = {s: 0 for s in STAGES}
    for e in engagements:
        figures = themes[e.theme_id]
        figures.per_stage[e.stage or "intake"] += 1
        figures.total += 1
        per_stage[e.stage or "intake"] += 1
        if e.stage == "done" and e.closed_at and e.submitted_at:
            figures.lead_days.append((e.closed_at - e.submitted_at).days)
    minutes_by_engagement: dict[tuple[str, int], int] = defaultdict(int)
    minutes_by_user: dict[str, int] = defaultdict(int)
    for tenant, eid, name, minutes in db.session.execute(select(
            TimeLog.tenant_id, TimeLog.engagement_id, TimeLog.user_name, func.sum(TimeLog.minutes))
            .group_by(TimeLog.tenant_id, TimeLog.engagement_id, TimeLog.user_name)):
        minutes_by_engagement[(tenant, eid)] += int(minutes)
        minutes_by_user[name] += int(minutes)
    for key, minutes in minutes_by_engagement.items():
        if key in by_key:
            themes[by_key[key].theme_id].hours_invested += (Decimal(minutes) / 60).quantize(Decimal("0.1"))
    # Hours saved: the yearly staff-hours indicator, baseline minus after (only where both are measured).
    for o in db.session.scalars(select(Outcome).where(Outcome.indicator == "staff_hours",
                                                      Outcome.after_value.is_not(None))):
        engagement = by_key.get((o.tenant_id, o.engagement_id))
        if engagement is not None and o.after_value is not None:
            themes[engagement.theme_id].hours_saved += o.baseline_value - o.after_value
    csat_by_key = {(s.tenant_id, s.engagement_id): s.csat for s in db.session.scalars(select(Survey))}
    for key, score in csat_by_key.items():
        if key in by_key:
            themes[by_key[key].theme_id].csat.append(score)
    supporters: dict[str, dict[str, Any]] = defaultdict(lambda: {"engagements": 0, "csat": []})
    for a in db.session.scalars(select(SupporterAssignment)):
        if (a.tenant_id, a.engagement_id) not in by_key:
            continue
        entry = supporters[a.supporter_name]
        entry["engagements"] += 1
        if (a.tenant_id, a.engagement_id) in csat_by_key:
            entry["csat"].append(csat_by_key[(a.tenant_id, a.engagement_id)])
    rows = []
    for name in sorted(set(supporters) | set(minutes_by_user)):
        entry = supporters[name]
        scores = entry["csat"]
        mean = (Decimal(sum(scores)) / len(scores)).quantize(Decimal("0.1")) if scores else None
        rows.append((name, (Decimal(minutes_by_user.get(name, 0)) / 60).quantize(Decimal("0.1")),
                     entry["engagements"], mean))
    return Report([t for t in themes.values()], per_stage, rows)


def bar_chart(values: list[tuple[str, float]], width: int = 520, bar: int = 22) -> dict[str, Any]:
    """Geometry of a horizontal bar chart drawn as inline SVG by the template (no script, no other host)."""
    top = max([v for _label, v in values] + [1])
    label_width = 170
    rows = [{"label": label, "value": value, "y": i * (bar + 8),
             "w": 0 if top == 0 else round((width - label_width - 60) * value / top)}
            for i, (label, value) in enumerate(values)]
    return {"rows": rows, "height": max(1, len(rows)) * (bar + 8), "width": width, "bar": bar, "x": label_width}


def workbook(report: Report, stage_label: Any, lang: str) -> bytes:
    """The management figures as an Excel workbook (one sheet per table)."""
    import io

    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.title = "テーマ別" if lang == "ja" else "By theme"
    header = ["テーマ", *[stage_label(s) for s in STAGES], "件数", "リードタイム中央値（日）", "投入時間",
              "削減時間（年）",
              "満足度平均"] if lang == "ja" else ["Theme", *[stage_label(s) for s in STAGES], "Total",
                                               "Median lead time (days)", "Hours invested", "Hours saved per year",
                                               "Mean satisfaction"]
    sheet.append(header)
    for t in report.themes:
        sheet.append([t.theme.name(lang), *[t.per_stage[s] for s in STAGES], t.total, t.median_lead_days,
                      float(t.hours_invested), float(t.hours_saved),
                      None if t.mean_csat is None else float(t.mean_csat)])
    people = book.create_sheet("支援者別" if lang == "ja" else "By supporter")
    people.append(["支援者", "投入時間", "担当件数", "満足度平均"] if lang == "ja"
                  else ["Supporter", "Hours invested", "Engagements", "Mean satisfaction"])
    for name, hours, count, mean in report.supporters:
        people.append([name, float(hours), count, None if mean is None else float(mean)])
    for ws in (sheet, people):
        for cell in ws[1]:
            cell.font = Font(bold=True)
        ws.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
