"""Joint procurement (共同調達): projects, demand, tiers, allocation, quotes, OCDS export."""
from flask import Blueprint

bp = Blueprint("procurement", __name__, template_folder="templates", url_prefix="/procurement")

from procurement import api, views  # noqa: E402,F401
