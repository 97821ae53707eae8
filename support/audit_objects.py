"""How the audit log names support's objects, by the rules of ``support.access``: an engagement for its
municipality and, once submitted, for TMG's desk (the row-level policy says the same); the desk's supporters,
skills, themes and service levels (skills and themes in the viewer's language), linked for the desk."""
from __future__ import annotations

from types import SimpleNamespace
from typing import Any, Optional

from flask_babel import gettext as _
from sqlalchemy import String, cast, func, tuple_

from kernel.audit import ObjectQuery, object_rows, register_object_resolver
from kernel.i18n import current_lang
from support import access
from support.models import Engagement, Skill, Supporter, Theme


def _engagements(viewer: Any, ids: list[str]) -> Any:
    """Written as ``<tenant>:<id>`` by the desk's steps and as ``<id>`` by the municipality's own (its tenant):
    one query per way of writing, each row named by the id as written."""
    bare: set[int] = set()
    prefixed: set[tuple[str, int]] = set()
    for written in ids:
        tenant, _sep, number = written.rpartition(":")
        if not (number.isdigit() and len(number) < 19):
            continue
        if tenant == "":
            bare.add(int(number))
        elif tenant.isdigit() and len(tenant) == 6:
            prefixed.add((tenant, int(number)))
    desk = access.is_desk(viewer)
    # What access.can_see reads (tenant, release state) and the id, in the row's one extra column.
    extra = Engagement.release_state + ":" + Engagement.tenant_id + ":" + cast(Engagement.id, String)

    def finish(row: Any) -> Optional[tuple[str, Optional[str]]]:
        release_state, tenant, number = row.extra.split(":")
        if not access.can_see(viewer, SimpleNamespace(tenant_id=tenant, release_state=release_state)):
            return None
        return row.title, f"/support/{number}" if tenant == viewer.tenant_id or desk else None
    queries = []
    if bare:
        queries.append(ObjectQuery(object_rows(Engagement.id, Engagement.title, extra).where(
            Engagement.tenant_id == viewer.tenant_id, Engagement.id.in_(bare)), finish))
    if prefixed:
        queries.append(ObjectQuery(object_rows(Engagement.tenant_id + ":" + cast(Engagement.id, String),
                                               Engagement.title, extra)
                                   .where(tuple_(Engagement.tenant_id, Engagement.id).in_(sorted(prefixed))), finish))
    return queries or {}


def _supporters(viewer: Any, numbers: list[int]) -> Any:
    desk = access.is_desk(viewer)
    return ObjectQuery(object_rows(Supporter.user_id, Supporter.display_name).where(
        Supporter.tenant_id == viewer.tenant_id, Supporter.user_id.in_(numbers)),
        lambda row: (row.title, f"/support/desk/supporters/{row.object_id}" if desk else None))


def _vocabulary(viewer: Any, model: Any, numbers: list[int]) -> Any:
    link = "/support/desk/vocabulary" if access.is_desk(viewer) else None
    name = func.coalesce(func.nullif(model.name_en, ""), model.name_ja) if current_lang() == "en" else model.name_ja
    return ObjectQuery(object_rows(model.id, name).where(model.id.in_(numbers)), lambda row: (row.title, link))


def _skills(viewer: Any, numbers: list[int]) -> Any:
    return _vocabulary(viewer, Skill, numbers)


def _themes(viewer: Any, numbers: list[int]) -> Any:
    return _vocabulary(viewer, Theme, numbers)


def _service_levels(viewer: Any, ids: list[str]) -> dict[str, tuple[str, Optional[str]]]:
    link = "/support/desk/service-levels" if access.is_desk(viewer) else None
    return {written: (_("Support service levels"), link) for written in ids if written == "desk"}


register_object_resolver("support_engagement", _engagements)
register_object_resolver("support_supporter", _supporters, numeric=True)
register_object_resolver("support_skill", _skills, numeric=True)
register_object_resolver("support_theme", _themes, numeric=True)
register_object_resolver("support_stage_slas", _service_levels)
