"""Joint procurement projects for the authorization matrix.

shared = a TMG project collecting demand, with a quote and 青梅市's committed declaration;
own = a project organised by 青梅市 (lead municipality); other = a TMG draft (only its organiser sees it).
procurement_tendering: shared = the same TMG project moved on to tendering (a vendor can be awarded).
procurement_pending: shared = a TMG project with 青梅市's member's commitment awaiting approval.

The project of a row is kept in ``flask.g``: procurement_item, procurement_quote and procurement_version name its
first item, its first quote and its version (for form fields such as ``qty_<item id>`` and ``version``).
"""
from __future__ import annotations

from flask import g

from procurement.models import Project
from tests.authz.providers import provides
from tests.factories.procurement import declare, make_project


def _kept(project: Project) -> str:
    g.procurement_project = project
    return str(project.id)


def _project() -> Project:
    assert "procurement_project" in g, "name the project in the row's path before its item, quote or version"
    return g.procurement_project  # type: ignore[no-any-return]


@provides("procurement_project")
def procurement_project(owner: str) -> str:
    if owner == "shared":
        project = make_project(title="マトリクス共有案件")
        declare(project, "tenant_admin", [10], intent="commit")
    elif owner == "own":
        project = make_project(organiser="tenant_admin", title="マトリクス青梅案件")
    else:
        project = make_project(status="draft", title="マトリクス下書き")
    return _kept(project)


@provides("procurement_tendering")
def procurement_tendering(owner: str) -> str:
    from procurement import services
    from tests.factories.procurement import user

    project = make_project(title="マトリクス入札中案件")
    declare(project, "tenant_admin", [10], intent="commit")
    curator = user("curator")
    services.transition(curator, project, "survey_closed")
    services.transition(curator, project, "tendering")
    return _kept(project)


@provides("procurement_pending")
def procurement_pending(owner: str) -> str:
    """shared: a TMG project collecting demand where a member of 青梅市 committed (awaiting the admin's approval)."""
    project = make_project(title="マトリクス承認待ち案件")
    declare(project, "member", [10], intent="commit")
    return _kept(project)


@provides("procurement_item")
def procurement_item(owner: str) -> str:
    return str(_project().items[0].id)


@provides("procurement_quote")
def procurement_quote(owner: str) -> str:
    return str(_project().quotes[0].id)


@provides("procurement_version")
def procurement_version(owner: str) -> str:
    return str(_project().version)


PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@provides("procurement_document")
def procurement_document(owner: str) -> str:
    """``<project id>/documents/<document id>``: of a shared TMG project, or of a TMG draft (other)."""
    from procurement import services
    from tests.factories.procurement import user

    project = make_project(status="draft" if owner == "other" else "demand_survey", title="マトリクス資料")
    document = services.add_document(user("curator"), project, "仕様書", "spec.pdf", PDF)
    return f"{project.id}/documents/{document.id}"
