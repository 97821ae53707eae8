"""One parser for a row of hours (browser form and Excel alike): text in, numbers or messages out."""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Optional

from kernel.i18n import service_gettext as _

MAX_HOURS = Decimal(1_000_000)
MAX_CASES = 100_000_000
_DECIMAL = re.compile(r"\d{1,9}(\.\d)?")
_WHOLE = re.compile(r"\d{1,12}")


@dataclass(frozen=True)
class EntryInput:
    task_key: str
    hours_per_year: Decimal
    entered_per: str  # "year" or "month" (hours per month × 12)
    cases_per_year: int
    paper_share: int


@dataclass(frozen=True)
class RowError:
    column: str
    value: str
    message: str


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    # NFKC: full-width digits typed with an IME read as ASCII; thousands separators are dropped.
    return unicodedata.normalize("NFKC", str(value)).strip().replace(",", "")


def is_blank(*values: object) -> bool:
    return all(_text(v) == "" for v in values)


def parse_row(task_key: str, hours: object, per: object, cases: object, paper: object,
              labels: dict[str, str]) -> tuple[Optional[EntryInput], list[RowError]]:
    """Validate one task's figures. ``labels`` names the columns in the messages (form or sheet)."""
    errors: list[RowError] = []
    per_text = _text(per) or "year"
    if per_text not in ("year", "month"):
        errors.append(RowError(labels["per"], _text(per), _("Choose per year or per month.")))
    hours_text = _text(hours)
    hours_value = Decimal(0)
    if not _DECIMAL.fullmatch(hours_text):
        errors.append(RowError(labels["hours"], hours_text,
                               _("Enter the hours as a number with at most one decimal place, e.g. 120 or 7.5.")))
    else:
        try:
            hours_value = Decimal(hours_text) * (12 if per_text == "month" else 1)
        except InvalidOperation:  # pragma: no cover - the pattern admits only valid decimals
            errors.append(RowError(labels["hours"], hours_text, _("Enter the hours as a number.")))
        if hours_value > MAX_HOURS:
            errors.append(RowError(labels["hours"], hours_text,
                                   _("At most 1,000,000 hours per year can be entered for one task.")))
    cases_text = _text(cases) or "0"
    cases_value = 0
    if not _WHOLE.fullmatch(cases_text) or int(cases_text) > MAX_CASES:
        errors.append(RowError(labels["cases"], cases_text,
                               _("Enter the number of cases as a whole number from 0 to 100,000,000.")))
    else:
        cases_value = int(cases_text)
    paper_text = _text(paper).removesuffix("%") or "0"
    paper_value = 0
    if not _WHOLE.fullmatch(paper_text) or int(paper_text) > 100:
        errors.append(RowError(labels["paper"], paper_text,
                               _("Enter the paper/in-person share as a percentage from 0 to 100.")))
    else:
        paper_value = int(paper_text)
    if errors:
        return None, errors
    return EntryInput(task_key, hours_value, per_text, cases_value, paper_value), []
