"""Award programmes: categories, rubrics, entries, judges, conflicts, scores, results."""
from flask import Blueprint

bp = Blueprint("awards", __name__, template_folder="templates", url_prefix="/awards")

from awards import views  # noqa: E402,F401
