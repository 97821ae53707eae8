"""Private cases, submissions, curation, the published casebook, search, adoption, questions."""
from flask import Blueprint

bp = Blueprint("casebook", __name__, template_folder="templates")

from casebook import models, views  # noqa: E402,F401
