"""The management view for TMG: charts with their table beside them, and the Excel export."""
from __future__ import annotations

import io

from flask import render_template, send_file
from flask.typing import ResponseReturnValue
from flask_login import current_user

from kernel.i18n import current_lang
from support import access, bp, reports
from support.labels import STAGE_LABELS, label
from support.models import STAGES
from support.views.common import require
from tenants.auth import require_login

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@bp.get("/desk/management")
@require_login
def management() -> ResponseReturnValue:
    require(access.is_desk(current_user))
    report = reports.build_report()
    lang = current_lang()
    stage_chart = reports.bar_chart([(label(STAGE_LABELS, s), report.per_stage[s]) for s in STAGES])
    theme_chart = reports.bar_chart([(t.theme.name(lang), t.total) for t in report.themes])
    hours_chart = reports.bar_chart([(t.theme.name(lang), float(t.hours_saved)) for t in report.themes])
    return render_template("support/management.html", report=report, stage_chart=stage_chart,
                           theme_chart=theme_chart, hours_chart=hours_chart, stages=STAGES)


@bp.get("/desk/management.xlsx")
@require_login
def management_export() -> ResponseReturnValue:
    require(access.is_desk(current_user))
    data = reports.workbook(reports.build_report(), lambda s: label(STAGE_LABELS, s), current_lang())
    return send_file(io.BytesIO(data), mimetype=XLSX, as_attachment=True, download_name="support-management.xlsx",
                     max_age=0)
