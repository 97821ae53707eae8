"""JSON API of joint procurement under /api/v1/procurement (same personal access tokens as the rest)."""
from __future__ import annotations

from typing import Any, Optional

from flask import Blueprint, current_app, jsonify
from flask.typing import ResponseReturnValue
from flask_login import current_user

from kernel.api import api_error, openapi, register_api_blueprint
from kernel.audit import record, record_always
from kernel.i18n import service_gettext as _
from procurement import access, exports, queries
from procurement.models import Project
from tenants.auth import api_auth

api = register_api_blueprint(Blueprint("procurement_api", __name__, url_prefix="/api/v1/procurement"))
TAGS = ["procurement"]
OBJECT = {"200": {"description": "OK", "content": {"application/json": {"schema": {"type": "object"}}}},
          "404": {"description": "Not found or not visible"}}


def _project_or_404(project_id: int) -> tuple[Optional[Project], Any]:
    project = queries.get_project(project_id)
    if project is None or not access.can_see(current_user, project):
        record_always("access.not_found", "procurement_project", project_id)
        return None, api_error(404, _("Project not found."))
    return project, None


def _project_json(project: Project) -> dict[str, Any]:
    return {
        "id": project.id, "title": project.title, "description": project.description, "category": project.category,
        "status": project.status, "organiser": project.organiser_tenant_id,
        "survey_opens_at": project.survey_opens_at.isoformat(),
        "survey_closes_at": project.survey_closes_at.isoformat(),
        "contract_fiscal_years": [project.contract_start_fy, project.contract_end_fy],
        "items": [{"id": i.id, "name": i.name, "unit": i.unit} for i in project.items],
        "timeline": [{"from": e.from_status, "to": e.to_status, "reason": e.reason, "at": e.occurred_at.isoformat()}
                     for e in project.events],
        "awarded_vendor": project.awarded_quote.vendor_name if project.awarded_quote else None,
        "contract_total_yen": project.contract_total_yen,
    }


@api.get("/projects")
@api_auth()
@openapi("Joint procurement projects visible to the caller", tags=TAGS)
def projects() -> ResponseReturnValue:
    return jsonify({"projects": [{"id": p.id, "title": p.title, "status": p.status, "organiser": p.organiser_tenant_id}
                                 for p in queries.visible_projects(current_user)]})


@api.get("/projects/<int:project_id>")
@api_auth()
@openapi("One project: items, timeline, award", tags=TAGS, responses=OBJECT)
def project(project_id: int) -> ResponseReturnValue:
    found, error = _project_or_404(project_id)
    return error or jsonify(_project_json(found))  # type: ignore[arg-type]


@api.get("/projects/<int:project_id>/aggregate")
@api_auth()
@openapi("Pooled demand: totals, participants, tier price reached, the caller's own estimate", tags=TAGS,
         responses=OBJECT)
def project_aggregate(project_id: int) -> ResponseReturnValue:
    found, error = _project_or_404(project_id)
    if error:
        return error
    assert found is not None
    agg = queries.aggregate(found, current_user.tenant_id if access.can_declare(current_user) else None)
    body: dict[str, Any] = {
        "participants": agg.declared, "committed_participants": agg.committed,
        "basis_quote": agg.quote.vendor_name if agg.quote else None, "estimated_total_yen": agg.estimated_total_yen,
        "items": [{"id": a.item_id, "name": a.name, "unit": a.unit, "declared_quantity": a.declared_quantity,
                   "committed_quantity": a.committed_quantity, "unit_price_yen": a.unit_price_yen} for a in agg.items],
    }
    if agg.own:
        allocation = agg.own["allocation"]
        body["own"] = {"estimate_yen": agg.own["estimate_yen"], "standalone_yen": agg.own["standalone_yen"],
                       "allocation_yen": allocation.total_yen if allocation else None}
    return jsonify(body)


@api.get("/projects/<int:project_id>/declaration")
@api_auth()
@openapi("The caller's municipality's own declaration", tags=TAGS, responses=OBJECT)
def own_declaration(project_id: int) -> ResponseReturnValue:
    found, error = _project_or_404(project_id)
    if error:
        return error
    assert found is not None
    if not access.can_declare(current_user):
        return api_error(403, _("You are not allowed to do this."))
    from procurement.declarations import own_declaration as load

    d = load(found, current_user.tenant_id)
    if d is None:
        return api_error(404, _("Your municipality has not declared demand for this project."))
    return jsonify({"tenant": d.tenant_id, "status": d.status, "version": d.version,
                    "quantities": {str(k): v for k, v in d.quantities().items()},
                    "max_budget_yen": d.max_budget_yen, "contact_name": d.contact_name,
                    "contact_email": d.contact_email,
                    "approved_at": d.approved_at.isoformat() if d.approved_at else None})


@api.get("/projects/<int:project_id>/ocds")
@api_auth()
@openapi("OCDS 1.1 release package of the project (organiser only)", tags=TAGS, responses=OBJECT)
def ocds(project_id: int) -> ResponseReturnValue:
    found, error = _project_or_404(project_id)
    if error:
        return error
    assert found is not None
    if not access.is_organiser(current_user, found):
        return api_error(403, _("You are not allowed to do this."))
    package = exports.ocds_package(found, current_app.config.get("OCDS_PREFIX") or "ocds-yokoten",
                                   exports.base_url())
    record("procurement.export_ocds", "procurement_project", found.id)
    return current_app.response_class(exports.dumps(package), mimetype="application/json")
