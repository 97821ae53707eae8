"""Spreadsheets the portal writes and reads: one place for what every workbook must get right.

Writing (every export goes through ``write_row`` / ``text_cell``):
- a text cell that starts with = + - @ a tab or a carriage return is stored as text with Excel's
  quote prefix — never a formula, whatever a municipality typed (OWASP CSV injection guidance). The
  value itself is kept unchanged, so an import of the same file reads back exactly what was typed;
- numbers stay numbers (``#,##0``, yen ``#,##0"円"``), dates stay dates (``yyyy-mm-dd``);
- a bold, frozen header row with an autofilter and column widths fitted to the content.

Reading (every import calls ``check_upload`` before openpyxl sees the bytes): an .xlsx is a zip, and
a 100 KB zip can inflate to gigabytes in the worker. The archive's directory is checked first —
member count, total uncompressed size, compression ratio of each large member, number of sheets —
and a file past any limit is refused with one clear message. Python's zipfile never inflates a
member beyond the size its directory declares (it stops with a CRC error), so the declared sizes
checked here bound what parsing can allocate.
"""
from __future__ import annotations

import io
import unicodedata
import zipfile
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Optional

from flask import has_request_context
from flask_babel import force_locale, gettext
from openpyxl.cell.cell import Cell
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
INTEGER = "#,##0"
YEN = '#,##0"円"'
DECIMAL = "#,##0.00"
DATE = "yyyy-mm-dd"
DATETIME = "yyyy-mm-dd hh:mm"

# Import limits: far above any real template (2,000 rows of text is a few MB of XML), far below
# what would hurt a worker.
MAX_MEMBERS = 1000
MAX_UNCOMPRESSED_BYTES = 64 * 1024 * 1024
MAX_RATIO = 100  # uncompressed / compressed, for members above RATIO_FLOOR
RATIO_FLOOR = 1024 * 1024
MAX_SHEETS = 20


def _(text: str, **variables: Any) -> str:
    if has_request_context():
        return str(gettext(text, **variables))
    with force_locale("ja"):
        return str(gettext(text, **variables))


# Writing ----------------------------------------------------------------------------------------

def is_formula_like(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(FORMULA_START)


def text_cell(cell: Cell, value: Any, number_format: Optional[str] = None) -> Cell:
    """Set one cell; text that could start a formula stays text (quote prefix), numbers get a format."""
    if isinstance(value, Decimal):
        value = float(value) if value != value.to_integral_value() else int(value)
    if isinstance(value, datetime) and value.tzinfo is not None:
        value = value.replace(tzinfo=None)  # Excel has no time zones: callers pass Tokyo local time
    cell.value = value
    if isinstance(value, str) and value.startswith(FORMULA_START):
        cell.data_type = "s"
        cell.quotePrefix = True
    if number_format:
        cell.number_format = number_format
    elif isinstance(value, bool):
        pass
    elif isinstance(value, int):
        cell.number_format = INTEGER
    elif isinstance(value, float):
        cell.number_format = DECIMAL
    elif isinstance(value, datetime):
        cell.number_format = DATETIME
    elif isinstance(value, date):
        cell.number_format = DATE
    if isinstance(value, str) and "\n" in value:
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    return cell


def write_row(ws: Worksheet, values: Sequence[Any], formats: Optional[Sequence[Optional[str]]] = None) -> int:
    """Append one row through ``text_cell``; ``formats`` gives a number format per column (or None)."""
    row = ws._current_row + 1  # what Worksheet.append uses; ws.cell() below advances it
    for index, value in enumerate(values, start=1):
        fmt = formats[index - 1] if formats and index - 1 < len(formats) else None
        text_cell(ws.cell(row=row, column=index), value, fmt)
    return row


def write_table(ws: Worksheet, header: Sequence[str], rows: Iterable[Sequence[Any]],
                formats: Optional[Sequence[Optional[str]]] = None, filter_: bool = True) -> None:
    """A header row and the rows, then the finish every sheet gets (bold frozen header, filter, widths)."""
    write_row(ws, header)
    for values in rows:
        write_row(ws, values, formats)
    finish(ws, filter_=filter_)


def _display_width(value: Any) -> int:
    if value is None:
        return 0
    text = f"{value:,}" if isinstance(value, int) and not isinstance(value, bool) else str(value)
    longest = max(text.split("\n"), key=len) if text else ""
    # East Asian wide characters take two columns in Excel's default fonts.
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in longest)


def finish(ws: Worksheet, header_rows: int = 1, filter_: bool = True, max_width: int = 60) -> None:
    """Bold frozen header, an autofilter over the table, widths fitted to the content (capped)."""
    for cell in ws[header_rows]:
        cell.font = Font(bold=True)
    ws.freeze_panes = ws.cell(row=header_rows + 1, column=1)
    if filter_ and ws.max_row > header_rows and ws.max_column >= 1:
        ws.auto_filter.ref = f"A{header_rows}:{get_column_letter(ws.max_column)}{ws.max_row}"
    widths: dict[int, int] = {}
    for row in ws.iter_rows():
        for cell in row:
            widths[cell.column] = max(widths.get(cell.column, 0), _display_width(cell.value))
    for column, width in widths.items():
        ws.column_dimensions[get_column_letter(column)].width = min(max(width + 2, 8), max_width)


def save(workbook: Any) -> bytes:
    workbook.properties.creator = "Yokoten"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# Reading ----------------------------------------------------------------------------------------

class SpreadsheetRejected(ValueError):
    """An upload refused before parsing; ``message`` is for the person who uploaded it."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class NotASpreadsheet(SpreadsheetRejected):
    """Not a zip archive at all: callers may answer with their own "not an Excel file" message."""


def check_upload(data: bytes) -> None:
    """Refuse an .xlsx whose archive could exhaust the worker, before any XML is inflated."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as error:
        raise NotASpreadsheet(_("This is not an Excel (.xlsx) file. Use the template.")) from error
    if len(members) > MAX_MEMBERS:
        raise SpreadsheetRejected(_("The file has too many parts to be an Excel template (%(n)s).", n=len(members)))
    total = sum(m.file_size for m in members)
    if total > MAX_UNCOMPRESSED_BYTES:
        raise SpreadsheetRejected(_(
            "The file expands to %(size)s MB, more than the %(limit)s MB allowed. Split it into smaller files.",
            size=total // (1024 * 1024), limit=MAX_UNCOMPRESSED_BYTES // (1024 * 1024)))
    for member in members:
        if member.file_size > RATIO_FLOOR and member.file_size > MAX_RATIO * max(member.compress_size, 1):
            raise SpreadsheetRejected(_(
                "The file is compressed suspiciously strongly (a part expands %(ratio)s times) and was not "
                "opened. Save it again from Excel and upload that file.",
                ratio=member.file_size // max(member.compress_size, 1)))
    sheets = [m for m in members if m.filename.startswith("xl/worksheets/") and m.filename.endswith(".xml")]
    if len(sheets) > MAX_SHEETS:
        raise SpreadsheetRejected(_("The file has %(n)s sheets; at most %(limit)s are allowed.",
                                    n=len(sheets), limit=MAX_SHEETS))


def too_many_rows(limit: int) -> str:
    return _("At most %(limit)s rows can be imported at once. Split the file.", limit=f"{limit:,}")
