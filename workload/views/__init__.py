"""Pages of workload surveys, one module per area. Thin: load → check access → call a service → render."""
from workload.views import benchmark, entry, results, rounds, tasks  # noqa: F401
