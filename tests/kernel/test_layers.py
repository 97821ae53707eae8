"""The layers hold: the import contracts of pyproject.toml pass, and the running app never loads devtools."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# A production-like app, built and asked for a page's worth of work (its CLI listed, a request
# served), in a fresh interpreter so nothing the tests imported counts.
_PROBE = """
import json, sys
from portal.app import create_app
app = create_app({"SQLALCHEMY_DATABASE_URI": "postgresql+psycopg2://nobody@127.0.0.1:1/none",
                  "PORTAL_ENV": "production", "SECRET_KEY": "s" * 40,
                  "SSO_SECRET_KEY": "dGVzdC1zc28ta2V5LTMyLWJ5dGVzLWxvbmctLS0tLS0="})
commands = sorted(app.cli.list_commands(None))
with app.test_request_context("/healthz"):
    app.full_dispatch_request()
print(json.dumps({"devtools": sorted(m for m in sys.modules if m.split(".")[0] == "devtools"),
                  "commands": commands}))
"""


def test_import_contracts_are_kept() -> None:
    result = subprocess.run([str(Path(sys.executable).with_name("lint-imports"))], cwd=ROOT,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert " 0 broken" in result.stdout


def test_the_runtime_app_never_imports_devtools() -> None:
    result = subprocess.run([sys.executable, "-c", _PROBE], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    assert seen["devtools"] == []
    assert "demo" in seen["commands"]  # the group is there; its commands load only when one runs


def test_flask_demo_commands_load_on_demand(app) -> None:  # type: ignore[no-untyped-def]
    result = app.test_cli_runner().invoke(args=["demo", "--help"])
    assert result.exit_code == 0, result.output
    assert "load" in result.output and "generate" in result.output
