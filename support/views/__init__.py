"""Pages of the support domain, one module per area. Thin: load → check access → call a service → render."""
from support.views import desk, management, requests, workspace  # noqa: F401
