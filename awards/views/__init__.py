"""Views of the awards (thin: load → check access → call a service → render)."""
from awards.views import entries, judging, programmes, results  # noqa: F401
