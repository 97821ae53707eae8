"""mypy runs with disallow_untyped_defs: a function of the runtime packages is typed, not excused."""
from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RUNTIME = ("kernel", "tenants", "casebook", "procurement", "awards", "workload", "support", "community", "portal",
           "devtools")


def test_no_function_is_excused_from_its_types() -> None:
    # With disallow_untyped_defs this comment no longer is inert noise: it switches the rule off for the
    # function. Views return flask.typing.ResponseReturnValue; helpers say what they take and give.
    excused = [f"{path.relative_to(ROOT)}:{number}"
               for package in RUNTIME if (ROOT / package).is_dir()
               for path in sorted((ROOT / package).rglob("*.py"))
               for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
               if "type: ignore[no-untyped-def]" in line]
    assert not excused, f"annotate instead of ignoring: {excused}"
