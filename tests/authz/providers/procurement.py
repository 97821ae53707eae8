"""Joint procurement projects for the authorization matrix.

shared = a TMG project collecting demand, with a quote and 青梅市's committed declaration;
own = a project organised by 青梅市 (lead municipality); other = a TMG draft (only its organiser sees it).
"""
from __future__ import annotations

from tests.authz.providers import provides
from tests.factories.procurement import declare, make_project


@provides("procurement_project")
def procurement_project(owner: str) -> str:
    if owner == "shared":
        project = make_project(title="マトリクス共有案件")
        declare(project, "tenant_admin", [10], intent="commit")
    elif owner == "own":
        project = make_project(organiser="tenant_admin", title="マトリクス青梅案件")
    else:
        project = make_project(status="draft", title="マトリクス下書き")
    return str(project.id)


PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@provides("procurement_document")
def procurement_document(owner: str) -> str:
    """``<project id>/documents/<document id>``: of a shared TMG project, or of a TMG draft (other)."""
    from procurement import services
    from tests.factories.procurement import user

    project = make_project(status="draft" if owner == "other" else "demand_survey", title="マトリクス資料")
    document = services.add_document(user("curator"), project, "仕様書", "spec.pdf", PDF)
    return f"{project.id}/documents/{document.id}"
