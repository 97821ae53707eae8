"""How the audit log names procurement's objects: a project, its quotes and documents (for a viewer who may see
the project, ``access.can_see``: a draft only by its organiser) and a municipality's own demand declaration.
Each type is one ``kernel.audit.ObjectQuery`` (the page sends all of them as one statement)."""
from __future__ import annotations

from types import SimpleNamespace
from typing import Any, Optional

from sqlalchemy import String, cast

from kernel.audit import ObjectQuery, object_rows, register_object_resolver, tenant_scoped_ids
from procurement import access
from procurement.models import Document, Project, Quote

# What access.can_see reads of a project (its status and organiser) and its id, in the row's one extra column.
_SEEN = Project.status + ":" + Project.organiser_tenant_id + ":" + cast(Project.id, String)


def _project(row: Any) -> Any:
    status, organiser, project_id = row.extra.split(":")
    return SimpleNamespace(status=status, organiser_tenant_id=organiser, id=project_id)


def _finish(viewer: Any, page: str = "") -> Any:
    def finish(row: Any) -> Optional[tuple[str, Optional[str]]]:
        project = _project(row)
        return (row.title, f"/procurement/{project.id}{page}") if access.can_see(viewer, project) else None
    return finish


def _projects(viewer: Any, numbers: list[int]) -> Any:
    return ObjectQuery(object_rows(Project.id, Project.title, _SEEN).where(Project.id.in_(numbers)), _finish(viewer))


def _quotes(viewer: Any, numbers: list[int]) -> Any:
    """A vendor's quote (shown on the project's page), named by the vendor and the project."""
    return ObjectQuery(object_rows(Quote.id, Quote.vendor_name + " — " + Project.title, _SEEN)
                       .join(Project, Project.id == Quote.project_id).where(Quote.id.in_(numbers)), _finish(viewer))


def _documents(viewer: Any, numbers: list[int]) -> Any:
    return ObjectQuery(object_rows(Document.id, Document.title + " — " + Project.title, _SEEN)
                       .join(Project, Project.id == Document.project_id).where(Document.id.in_(numbers)),
                       _finish(viewer))


def _declarations(viewer: Any, ids: list[str]) -> Any:
    """The viewer's municipality's declaration (``<tenant>:<project>``), named by its project."""
    wanted = tenant_scoped_ids(viewer.tenant_id, ids)
    if not wanted:
        return {}
    # The row's id is the declaration's id as written (tenant:project), so that it matches the entry.
    written = viewer.tenant_id + ":" + cast(Project.id, String)
    return ObjectQuery(object_rows(written, Project.title, _SEEN).where(Project.id.in_(set(wanted.values()))),
                       _finish(viewer, "/declaration" if access.can_declare(viewer) else ""))


register_object_resolver("procurement_project", _projects, numeric=True)
register_object_resolver("procurement_quote", _quotes, numeric=True)
register_object_resolver("procurement_document", _documents, numeric=True)
register_object_resolver("procurement_declaration", _declarations)
