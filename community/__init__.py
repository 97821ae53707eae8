"""The CIO forum (bodies, meetings, minutes, follow-up actions) and the DX talent network."""
from flask import Blueprint

bp = Blueprint("community", __name__, template_folder="templates", url_prefix="/community")

from community import events, views, waiting  # noqa: E402,F401
