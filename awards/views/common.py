"""Loading helpers shared by the awards views: every object is checked before it is used."""
from __future__ import annotations

from typing import Any, NoReturn, Optional

from flask import abort
from flask_login import current_user
from sqlalchemy import select

from awards.models import Judge, Programme, Submission
from awards.services import get_programme
from kernel.extensions import db
from kernel.i18n import TOKYO
from tenants.auth import not_found_or_denied
from tenants.models import Tenant
from tenants.roles import Permission


def load_programme(programme_id: int, with_criteria: bool = False) -> Programme:
    """The programme or 404; ``with_criteria``: its rubric in the same statement (a scoring page shows it)."""
    programme = get_programme(programme_id, with_criteria)
    if programme is None:
        abort(404)
    return programme


def load_judge(judge_id: int) -> Judge:
    judge = db.session.get(Judge, judge_id)
    if judge is None:
        abort(404)
    return judge


def load_submission(submission_id: int) -> Submission:
    submission = db.session.get(Submission, submission_id)
    if submission is None:
        abort(404)
    return submission


def is_curator() -> bool:
    return bool(current_user.is_authenticated and current_user.can(Permission.AWARDS_ORGANISE))


def tenant_names(*codes: str) -> dict[str, Tenant]:
    """Municipalities by code: all of them, or only those named (a page about one entry needs one, not the
    sixty-three objects of every municipality; issue 25.5)."""
    query = select(Tenant).where(Tenant.code.in_(codes)) if codes else select(Tenant)
    return {t.code: t for t in db.session.scalars(query)}


def entrant_label(names: dict[str, Tenant], code: str, lang: str) -> str:
    tenant = names.get(code)
    return tenant.name(lang) if tenant else code


def local(value: Any) -> Optional[Any]:
    """An aware datetime as the naive Tokyo time a datetime-local input shows."""
    return value.astimezone(TOKYO).replace(tzinfo=None) if value is not None else None


def aware(value: Any) -> Any:
    """A naive Tokyo time from a datetime-local input as an aware datetime."""
    return value.replace(tzinfo=TOKYO) if value is not None else None


def denied(kind: str, object_id: Any) -> NoReturn:
    not_found_or_denied(kind, object_id)


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def download(data: bytes, mimetype: str, filename: str) -> Any:
    """An attachment response; a non-ASCII file name is sent RFC 6266-style (filename*=UTF-8''…)."""
    import io

    from flask import send_file

    return send_file(io.BytesIO(data), mimetype=mimetype, as_attachment=True, download_name=filename,
                     max_age=0)
