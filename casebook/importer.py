"""Import of cases in the corpus format (one JSON object per line), all or nothing per file.

Each line: {"external_id", "tenant_code", "title", "summary", "problem", "approach", "outcomes",
"themes": [...], "tools": [...], "fiscal_year", "cost_jpy", "department"} and optionally any other
content field of a case (stage, kpis, vendors, ...). Idempotent on (tenant_code, external_id): a
known case is updated (a new version) only when its content changed.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Optional

from sqlalchemy import select

from casebook import curation
from casebook.models import Case, Entry
from casebook.services import create_case, queue_submission, update_case
from casebook.validation import ContentError, from_json
from kernel import audit
from kernel.extensions import db
from tenants.context import as_tenant
from tenants.models import Tenant


@dataclass
class ImportRecord:
    line: int
    tenant_code: str
    external_id: str
    content: dict[str, Any]


class ImportError_(ValueError):
    """A bad line: its number and a Japanese message; nothing of the file was written."""

    def __init__(self, line: int, message: str):
        super().__init__(f"{line}行目: {message}")
        self.line = line
        self.message = message


def parse_lines(lines: list[str]) -> list[ImportRecord]:
    """Validate every line first (so that a bad line leaves nothing half-imported)."""
    known = set(db.session.scalars(select(Tenant.code)))
    records: list[ImportRecord] = []
    seen: set[tuple[str, str]] = set()
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        try:
            obj = json.loads(raw)
        except json.JSONDecodeError as error:
            raise ImportError_(number, f"JSON として読めません（{error.msg}）。") from error
        if not isinstance(obj, dict):
            raise ImportError_(number, "JSON オブジェクトではありません。")
        tenant = obj.pop("tenant_code", None)
        external_id = obj.pop("external_id", None)
        if not isinstance(tenant, str) or tenant not in known:
            raise ImportError_(number, f"tenant_code {tenant!r} の団体は登録されていません。")
        if not isinstance(external_id, str) or not re.fullmatch(r"[A-Za-z0-9._:-]{1,100}", external_id):
            raise ImportError_(number, "external_id（英数字と . _ : - の100文字以内）が必要です。")
        if (tenant, external_id) in seen:
            raise ImportError_(number, f"external_id {external_id} が重複しています。")
        seen.add((tenant, external_id))
        try:
            content = from_json(obj)
        except ContentError as error:
            raise ImportError_(number, error.message) from error
        records.append(ImportRecord(number, tenant, external_id, content))
    return records


def import_records(records: list[ImportRecord], *, publish: bool, actor_id: Optional[int] = None
                   ) -> dict[str, int]:
    """Write parsed records: create or update each case, publish it when asked; returns counts."""
    counts = {"created": 0, "updated": 0, "unchanged": 0, "published": 0}
    for record in records:
        with as_tenant(record.tenant_code, actor_id):
            case = db.session.scalar(select(Case).where(Case.tenant_id == record.tenant_code,
                                                        Case.external_id == record.external_id))
            if case is None:
                case = create_case(record.tenant_code, actor_id, record.content, external_id=record.external_id,
                                   note="インポート")
                counts["created"] += 1
            else:
                before = case.version
                update_case(case, actor_id, record.content, case.version)
                counts["updated" if case.version != before else "unchanged"] += 1
            if publish:
                entry = db.session.scalar(select(Entry).where(Entry.source_tenant_id == case.tenant_id,
                                                              Entry.source_case_id == case.id))
                if entry is None or entry.source_version != case.version or entry.status != "published":
                    case.release_state = "approved"
                    submission = queue_submission(case, approved_by=actor_id, origin="import")
                    curation.publish(submission, actor_id, external_id=record.external_id)
                    audit.record("casebook.publish_by_operator", "case", case.id,
                                 after={"external_id": record.external_id})
                    counts["published"] += 1
    db.session.flush()
    return counts
