"""Placeholder page until award programmes land."""
from flask import render_template

from awards import bp
from tenants.auth import require_login


@bp.get("/")
@require_login
def index():  # type: ignore[no-untyped-def]
    return render_template("portal/coming_soon.html", section="awards")
