"""Results of a round: charts with their tables, digitisation candidates, earlier rounds, Excel, print."""
from __future__ import annotations

from typing import Any

from flask import Response, render_template
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from kernel.i18n import current_lang
from tenants.auth import require_login
from workload import bp, excel, queries
from workload.chart import stacked_hours
from workload.models import Round
from workload.views.common import load_round


def _context(round_: Round) -> dict[str, Any]:
    lang = current_lang()
    results = queries.results(round_, lang)
    names = queries.group_names(lang)
    earlier = queries.earlier_round(round_)
    changes = queries.comparison(queries.results(earlier, lang), results) if earlier else []
    description = _("The same figures are in the table beside the chart.")
    group_chart = stacked_hours([(names.get(code, code), t.core_hours, t.non_core_hours)
                                 for code, t in results.by_group.items()], "chart-groups",
                                _("Hours per year by task group"), _("Core"), _("Non-core"), description)
    department_rows = [(name, t.core_hours, t.non_core_hours) for name, t in results.by_department.items()]
    department_chart = stacked_hours(department_rows,
                                     "chart-departments", _("Hours per year by department"), _("Core"),
                                     _("Non-core"), description)
    return dict(round=round_, results=results, groups=names, earlier=earlier, changes=changes,
                group_chart=group_chart, department_chart=department_chart)


@bp.get("/rounds/<int:round_id>/results")
@require_login
def round_results(round_id: int) -> ResponseReturnValue:
    return render_template("workload/results.html", **_context(load_round(round_id)))


@bp.get("/rounds/<int:round_id>/results/print")
@require_login
def round_results_print(round_id: int) -> ResponseReturnValue:
    return render_template("workload/print.html", **_context(load_round(round_id)))


@bp.get("/rounds/<int:round_id>/results.xlsx")
@require_login
def round_results_export(round_id: int) -> ResponseReturnValue:
    round_ = load_round(round_id)
    lang = current_lang()
    data = excel.results_workbook(round_, queries.results(round_, lang), queries.group_names(lang), _("Department"))
    return Response(data, mimetype=excel.XLSX, headers={
        "Content-Disposition": f"attachment; filename=workload-results-{round_.fiscal_year}.xlsx"})
