"""The audit log as an Excel workbook: one row per entry, in the reader's language, through kernel.spreadsheets
(formula-like text stays text, the time is a real date-time in Tokyo time, bold frozen header, filter, widths)."""
from __future__ import annotations

from flask_babel import gettext as _
from openpyxl import Workbook

from kernel import spreadsheets
from kernel.i18n import TOKYO
from tenants.audit_queries import MAX_EXPORT_ROWS, AuditRow


def audit_workbook(rows: list[AuditRow], truncated: bool) -> bytes:
    """The rows of the filtered log; a last line says so when the export stopped at MAX_EXPORT_ROWS."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _("Audit log")[:31]
    header = [_("When"), _("Person"), _("Action"), _("Object"), _("Before → after"), _("Action code"), _("IP address"),
              _("Request ID")]
    values = []
    for row in rows:
        entry = row.entry
        when = entry.occurred_at.astimezone(TOKYO).replace(tzinfo=None)
        obj = row.object_title or " ".join(p for p in (entry.object_type or "", entry.object_id or "") if p)
        changes = "\n".join(f"{name}: {old} → {new}" for name, old, new in row.changes)
        values.append([when, row.who or (_("Staff of another organisation") if entry.user_id else _("System")),
                       row.action, obj, changes, entry.action, str(entry.ip or ""), entry.request_id or ""])
    spreadsheets.write_table(sheet, header, values, formats=[spreadsheets.DATETIME])
    if truncated:
        spreadsheets.write_row(sheet, [_("Only the newest %(count)s entries are exported; narrow the filter.",
                                         count=MAX_EXPORT_ROWS)])
    return spreadsheets.save(workbook)
