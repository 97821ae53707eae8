"""The peer benchmark beside a round's own figures, the way from a gap to help, and TMG's shared view."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Optional
from urllib.parse import urlencode

from flask import abort, current_app, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from kernel.i18n import current_lang, fiscal_year_of, today_tokyo
from kernel.numbers import parse_whole
from tenants.auth import require_login
from workload import access, bp, queries, services
from workload.chart import peer_boxes
from workload.models import BenchmarkCell
from workload.views.common import load_round


@dataclass(frozen=True)
class BenchmarkRow:
    group_code: str
    label: str
    own: Optional[Decimal]
    cell: Optional[BenchmarkCell]
    gap: bool
    casebook_url: str
    support_url: str

    @property
    def shown(self) -> bool:
        return self.cell is not None and self.cell.published


def _gap_factor() -> Decimal:
    return Decimal(str(current_app.config.get("WORKLOAD_GAP_FACTOR", "1.25")))


def _help_links(label: str, own: Decimal, median: Decimal, fiscal_year: int) -> tuple[str, str]:
    """Casebook's public search on the task group, and a support request pre-filled (linked, never imported)."""
    casebook = "/casebook?" + urlencode({"q": label})
    problem = _("Workload survey %(year)s: hours per case in “%(group)s” are %(own)s against a peer median of "
                "%(median)s. We would like support to reduce them.", year=fiscal_year, group=label, own=own,
                median=median)
    support = "/support/new?" + urlencode({"title": _("Reducing the workload of %(group)s", group=label),
                                           "problem": problem, "source": "workload"})
    return casebook, support


@bp.get("/rounds/<int:round_id>/benchmark")
@require_login
def round_benchmark(round_id: int) -> ResponseReturnValue:
    round_ = load_round(round_id)
    lang = current_lang()
    own_peer = queries.peer_group_of(current_user.tenant)
    peer = request.args.get("peer", own_peer)
    if peer not in (own_peer, "all"):
        peer = own_peer
    cells = queries.benchmark_cells(round_.fiscal_year, peer)
    results = queries.results(round_, lang)
    rows = []
    for group in queries.groups():
        tally = results.by_group.get(group.code)
        own = tally.hours_per_case if tally else None
        cell = cells.get(group.code)
        gap = bool(own is not None and cell is not None and cell.published and cell.median
                   and own > cell.median * _gap_factor())
        casebook_url, support_url = _help_links(group.name(lang), own, cell.median, round_.fiscal_year) \
            if gap and own is not None and cell is not None and cell.median is not None else ("", "")
        rows.append(BenchmarkRow(group.code, group.name(lang), own, cell, gap, casebook_url, support_url))
    chart = peer_boxes([(r.label, r.cell.q1 if r.shown else None, r.cell.median if r.shown else None,  # type: ignore[union-attr]
                         r.cell.q3 if r.shown else None, r.own) for r in rows],  # type: ignore[union-attr]
                       "chart-benchmark", _("Hours per case: your municipality and its peers"),
                       _("The same figures are in the table beside the chart."), _("Your municipality"),
                       _("Peers: quartiles and median"))
    return render_template("workload/benchmark.html", round=round_, rows=rows, peer=peer, own_peer=own_peer,
                           chart=chart, min_contributors=services.min_contributors())


@bp.get("/shared")
@require_login
def tmg_shared() -> ResponseReturnValue:
    if not access.can_maintain_standard(current_user):
        abort(403)
    year = parse_whole(request.args.get("fiscal_year", "") or "") or fiscal_year_of(today_tokyo())
    if not 2000 <= year <= 2100:
        year = fiscal_year_of(today_tokyo())
    figures = services.read_shared_figures(current_user, year)
    tenants = sorted({f.tenant_id for f in figures})
    table = {(f.tenant_id, f.group_code): f for f in figures}
    return render_template("workload/shared.html", year=year, figures=table, tenant_codes=tenants,
                           names=queries.tenant_names(tenants, current_lang()), groups=queries.groups())
