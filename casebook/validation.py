"""Strict validation of case content, from a JSON body (API) or from form text (web pages).

Both paths end in ``check_content``: one set of rules, one set of Japanese messages. A wrong type
is a ``ContentError`` (answered 400 with the message), never an exception deeper down.
"""
from __future__ import annotations

import re
from datetime import date
from typing import Any, Optional

from casebook.labels import japanese_label
from casebook.models import CONTENT_FIELDS, LIST_FIELDS, MARKDOWN_FIELDS, PLAIN_FIELDS, STAGES

MAX_TEXT = 20000
MAX_LIST = 30
MAX_ITEM = 100
MAX_KPIS = 20
MAX_COST = 10**13

class ContentError(ValueError):
    """Invalid content: ``errors`` maps each field to its Japanese message."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors

    @property
    def message(self) -> str:
        # Name each field once, in Japanese: a message that already starts with its label ("段階は…")
        # gets no prefix, and a field without a Japanese label (body) is never named in English.
        parts = []
        for key, text in self.errors.items():
            label = japanese_label(key)
            parts.append(text if label is None or text.startswith(label) else f"{label}: {text}")
        return " ".join(parts)


def empty_content() -> dict[str, Any]:
    content: dict[str, Any] = {name: "" for name in MARKDOWN_FIELDS + PLAIN_FIELDS}
    content.update({name: [] for name in LIST_FIELDS})
    content.update({"fiscal_year": None, "cost_jpy": None, "stage": "implemented", "kpis": []})
    return content


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def from_json(payload: Any, base: Optional[dict[str, Any]] = None) -> dict[str, Any]:
    """Content from a JSON object; every field optional when ``base`` (an update) is given."""
    if not isinstance(payload, dict):
        raise ContentError({"body": "JSON オブジェクトを送ってください。"})
    unknown = set(payload) - set(CONTENT_FIELDS) - {"external_id", "version"}
    errors: dict[str, str] = {}
    if unknown:
        errors["body"] = "不明な項目があります: " + ", ".join(sorted(str(u) for u in unknown)[:10])
    content = dict(base) if base is not None else empty_content()
    for name in CONTENT_FIELDS:
        if name not in payload:
            continue
        value = payload[name]
        if name in MARKDOWN_FIELDS or name in PLAIN_FIELDS or name == "stage":
            if not isinstance(value, str):
                errors[name] = "文字列で指定してください。"
                continue
        elif name in LIST_FIELDS:
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                errors[name] = "文字列の配列で指定してください。"
                continue
        elif name in ("fiscal_year", "cost_jpy"):
            if value is not None and not _is_int(value):
                errors[name] = "整数（または null）で指定してください。"
                continue
        elif name == "kpis":
            if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
                errors[name] = "オブジェクトの配列で指定してください。"
                continue
            if not all(isinstance(v, str) for kpi in value for v in kpi.values()):
                # strict: {"name": 1} is refused, never silently turned into "1"
                errors[name] = "KPIの各項目（name, before, after, unit, measured_on）は文字列で指定してください。"
                continue
        content[name] = value
    if errors:
        raise ContentError(errors)
    return check_content(content)


def _split_list(text: str) -> list[str]:
    return [item.strip() for item in re.split(r"[\n,、，]+", text or "") if item.strip()]


def _parse_int(text: str, name: str, errors: dict[str, str]) -> Optional[int]:
    text = (text or "").strip().replace(",", "").replace("，", "")
    if not text:
        return None
    import unicodedata

    text = unicodedata.normalize("NFKC", text)
    if not re.fullmatch(r"-?\d{1,15}", text):
        errors[name] = "半角の整数で入力してください。"
        return None
    return int(text)


def parse_kpi_lines(text: str, errors: dict[str, str]) -> list[dict[str, Any]]:
    """One KPI a line: 名称 | 導入前 | 導入後 | 単位 | 測定日 (YYYY-MM-DD)."""
    kpis = []
    for number, line in enumerate((text or "").splitlines(), start=1):
        if not line.strip():
            continue
        cells = [c.strip() for c in line.replace("｜", "|").split("|")]
        if len(cells) < 3 or len(cells) > 5:
            errors["kpis"] = f"{number}行目: 「名称 | 導入前 | 導入後 | 単位 | 測定日」の形で入力してください。"
            return []
        cells += [""] * (5 - len(cells))
        kpis.append({"name": cells[0], "before": cells[1], "after": cells[2], "unit": cells[3],
                     "measured_on": cells[4]})
    return kpis


def kpi_lines(kpis: list[dict[str, Any]]) -> str:
    return "\n".join(" | ".join(str(k.get(f, "")) for f in ("name", "before", "after", "unit", "measured_on"))
                     for k in kpis)


def from_form(form: Any) -> dict[str, Any]:
    """Content from the case form's text fields (lists one per line or separated by 、)."""
    errors: dict[str, str] = {}
    content = empty_content()
    for name in MARKDOWN_FIELDS + PLAIN_FIELDS:
        content[name] = str(form.get(name, "") or "")
    for name in LIST_FIELDS:
        content[name] = _split_list(str(form.get(name, "") or ""))
    content["stage"] = str(form.get("stage", "") or "implemented")
    content["fiscal_year"] = _parse_int(str(form.get("fiscal_year", "") or ""), "fiscal_year", errors)
    content["cost_jpy"] = _parse_int(str(form.get("cost_jpy", "") or ""), "cost_jpy", errors)
    content["kpis"] = parse_kpi_lines(str(form.get("kpis", "") or ""), errors)
    return checked(content, errors)


def checked(content: dict[str, Any], errors: dict[str, str]) -> dict[str, Any]:
    """``check_content`` after a parser: the parser's own errors (type, format) win on their fields."""
    try:
        check_content(content)
    except ContentError as error:
        errors = {**error.errors, **errors}
    if errors:
        raise ContentError(errors)
    return content


def check_content(content: dict[str, Any]) -> dict[str, Any]:
    """The business rules of a case's content; returns it normalised or raises ContentError."""
    errors: dict[str, str] = {}
    for name in MARKDOWN_FIELDS + PLAIN_FIELDS:
        value = (content.get(name) or "").replace("\r\n", "\n").replace("\x00", "")
        content[name] = value.strip() if name in PLAIN_FIELDS else value
    if not content["title"]:
        errors["title"] = "タイトルを入力してください。"
    elif len(content["title"]) > 200:
        errors["title"] = "タイトルは200文字以内で入力してください。"
    if len(content["department"]) > 200:
        errors["department"] = "担当部署は200文字以内で入力してください。"
    for name in MARKDOWN_FIELDS + ("contact", "successor_contact"):
        if len(content[name]) > MAX_TEXT:
            errors[name] = f"{MAX_TEXT:,}文字以内で入力してください。"
    for name in LIST_FIELDS:
        items = [item.replace("\x00", "").strip() for item in content.get(name) or []]
        items = list(dict.fromkeys(item for item in items if item))
        if len(items) > MAX_LIST or any(len(item) > MAX_ITEM for item in items):
            errors[name] = f"{MAX_LIST}件以内、各{MAX_ITEM}文字以内で入力してください。"
        content[name] = items
    if content.get("stage") not in STAGES:
        errors["stage"] = "段階は idea / pilot / implemented / spreading のいずれかを指定してください。"
    year = content.get("fiscal_year")
    if year is not None and not (1989 <= year <= date.today().year + 5):
        errors["fiscal_year"] = "年度は1989年から数年先までの西暦で入力してください。"
    cost = content.get("cost_jpy")
    if cost is not None and not (0 <= cost < MAX_COST):
        errors["cost_jpy"] = "費用は0以上の円単位の整数で入力してください。"
    kpis = content.get("kpis") or []
    if len(kpis) > MAX_KPIS:
        errors["kpis"] = f"KPIは{MAX_KPIS}件までです。"
    clean_kpis = []
    for number, kpi in enumerate(kpis, start=1):
        if not isinstance(kpi, dict) or not all(isinstance(v, (str, int, float)) and not isinstance(v, bool)
                                                 for v in kpi.values()):
            errors["kpis"] = f"{number}件目のKPIの形式が正しくありません。"
            break
        unknown = set(kpi) - {"name", "before", "after", "unit", "measured_on"}
        name = str(kpi.get("name", "")).strip()
        measured = str(kpi.get("measured_on", "") or "").strip()
        if unknown or not name or len(name) > 200:
            errors["kpis"] = f"{number}件目のKPIには名称（200文字以内）が必要です。"
            break
        if measured:
            try:
                date.fromisoformat(measured)
            except ValueError:
                errors["kpis"] = f"{number}件目のKPIの測定日は YYYY-MM-DD で入力してください。"
                break
        clean_kpis.append({"name": name, "before": str(kpi.get("before", ""))[:100],
                           "after": str(kpi.get("after", ""))[:100], "unit": str(kpi.get("unit", ""))[:50],
                           "measured_on": measured})
    content["kpis"] = clean_kpis
    if errors:
        raise ContentError(errors)
    return content
