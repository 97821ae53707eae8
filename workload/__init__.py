"""業務量調査 (workload surveys): task lists, survey rounds, results and a privacy-safe peer benchmark."""
from flask import Blueprint

bp = Blueprint("workload", __name__, template_folder="templates", url_prefix="/workload")

from workload import api, views  # noqa: E402,F401
