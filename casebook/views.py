"""Placeholder pages until the casebook lands (issue: cases and the shared casebook)."""
from flask import render_template

from casebook import bp
from tenants.auth import require_permission
from tenants.roles import Permission


@bp.get("/cases")
@require_permission(Permission.CASES_READ_OWN)
def cases_index():  # type: ignore[no-untyped-def]
    return render_template("portal/coming_soon.html", section="cases")


@bp.get("/casebook")
@require_permission(Permission.CASEBOOK_READ)
def casebook_index():  # type: ignore[no-untyped-def]
    return render_template("portal/coming_soon.html", section="casebook")
