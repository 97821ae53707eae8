"""Upgrades without downtime (issue 24.4): /readyz during a rolling upgrade, migrations that do not
block writes, and the previous release serving the upgraded schema."""
from __future__ import annotations

import ast
import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import psycopg2
import pytest

from portal.app import create_app, migration_head
from tests.conftest import BASE_CONFIG

pytestmark = pytest.mark.no_rollback

ROOT = Path(__file__).resolve().parents[2]
VERSIONS = ROOT / "migrations" / "versions"

# Migrations written before the rule existed (deployed history is not rewritten). 0007 built its index
# with a plain CREATE INDEX, which blocks writes to `cases` while it runs; every later migration must
# not: test_the_scan_catches_what_it_should shows that the scan flags it.
GRANDFATHERED = frozenset({
    "20261122_0001_foundation.py", "20261122_0002_api_tokens.py", "20261130_0003_sso.py",
    "20261130_0004_casebook.py", "20261130_0005_procurement.py", "20261130_0006_awards.py",
    "20261130_0007_case_counts_index.py", "20261206_workload.py", "20261206_procurement_organiser_person.py",
    "20261206_notifications_kernel.py",
})


# --- /readyz across a rolling upgrade ---------------------------------------------------------------

def test_readyz_accepts_this_code_and_later_additive_schemas(scratch) -> None:  # type: ignore[no-untyped-def]
    urls = scratch("upgr")
    app = create_app({**BASE_CONFIG, **{k: urls[k] for k in ("SQLALCHEMY_DATABASE_URI", "DATABASE_OWNER_URL")}})
    client = app.test_client()
    owner = psycopg2.connect(urls["owner_libpq"])
    owner.autocommit = True

    def at(revision: str) -> tuple[int, str]:
        with owner.cursor() as cur:
            cur.execute("UPDATE alembic_version SET version_num = %s", (revision,))
        answer = client.get("/readyz")
        return answer.status_code, answer.json["status"]

    try:
        head = migration_head()
        assert at(head) == (200, "ok")
        # the database is older than the code: the new code must wait for the migrations
        assert at("0007_case_counts_index") == (503, "migrations_pending")
        # a later release migrated (expand): this, the previous release, keeps serving
        assert at("20991231_future_expand") == (200, "ok")
        # a contract migration that needs code at least at the later release takes it out
        with owner.cursor() as cur:
            cur.execute("INSERT INTO schema_requirements (revision, oldest_code_revision, reason) "
                        "VALUES ('20991231_future_contract', '20991231_future_expand', 'drops cases.legacy')")
        assert at("20991231_future_contract") == (503, "code_too_old")
        # ... but a requirement this code meets leaves it ready
        with owner.cursor() as cur:
            cur.execute("UPDATE schema_requirements SET oldest_code_revision = %s", (head,))
        assert at("20991231_future_contract") == (200, "ok")
    finally:
        owner.close()


# --- migrations that never hold write locks for long ---------------------------------------------------

def blocking_operations(source: str) -> list[str]:
    """What in a migration's upgrade() would lock a busy table for long (empty: nothing)."""
    tree = ast.parse(source)
    upgrade = next((n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "upgrade"), None)
    if upgrade is None:
        return []
    contract = "schema_requirements" in source and re.search(r"^CONTRACT\s*=\s*True", source, re.M)
    created: set[str] = set()
    calls = [n for n in ast.walk(upgrade) if isinstance(n, ast.Call)]
    for call in calls:
        if _op(call) == "create_table" and call.args and isinstance(call.args[0], ast.Constant):
            created.add(str(call.args[0].value))
        if _op(call) == "execute":
            # A table created by SQL in the same migration (a partitioned one, its partitions) is new too.
            sql = _sql_text(call)
            created.update(m.lower() for m in re.findall(r"CREATE TABLE (?:IF NOT EXISTS )?(\w+)", sql.upper()))
    problems = []
    for call in calls:
        name, keywords = _op(call), {k.arg: k.value for k in call.keywords}
        table = _table_arg(call, 1 if name == "create_index" else 0)
        if name == "create_index" and table not in created:
            if not _true(keywords.get("postgresql_concurrently")):
                problems.append(f"line {call.lineno}: create_index on {table} without postgresql_concurrently=True")
            elif "autocommit_block" not in source:
                problems.append(f"line {call.lineno}: CREATE INDEX CONCURRENTLY outside op.get_context()."
                                "autocommit_block()")
        if name == "add_column" and len(call.args) > 1 and isinstance(call.args[1], ast.Call):
            column = {k.arg: k.value for k in call.args[1].keywords}
            if _false(column.get("nullable")) and "server_default" not in column:
                problems.append(f"line {call.lineno}: NOT NULL column without server_default on {table}")
        if name == "alter_column" and ("type_" in keywords or _false(keywords.get("nullable"))):
            problems.append(f"line {call.lineno}: alter_column type/NOT NULL rewrites or scans {table} under lock")
        if name in ("create_foreign_key", "create_check_constraint", "create_unique_constraint") and \
                table not in created:
            problems.append(f"line {call.lineno}: {name} validates every row of an existing table under lock "
                            "(use ADD CONSTRAINT … NOT VALID, then VALIDATE CONSTRAINT)")
        if name in ("drop_table", "drop_column", "rename_table") or (name == "alter_column" and
                                                                       "new_column_name" in keywords):
            if not contract:
                problems.append(f"line {call.lineno}: {name} is a contract step: only in a migration with "
                                "CONTRACT = True that records the oldest code it serves in schema_requirements")
        if name == "execute":
            problems += _sql_problems(call, created)
    return problems


def _sql_text(call: ast.Call) -> str:
    """The string constants of an op.execute call (an f-string's fixed parts), joined by spaces."""
    return " ".join(str(n.value) for n in ast.walk(call) if isinstance(n, ast.Constant) and isinstance(n.value, str))


def _sql_problems(call: ast.Call, created: set[str]) -> list[str]:
    sql = _sql_text(call)
    upper = re.sub(r"\s+", " ", sql.upper())
    problems = []
    index = re.search(r"CREATE (UNIQUE )?INDEX (?!CONCURRENTLY)(?:IF NOT EXISTS )?\S* ?ON (?:ONLY )?(\w+)", upper)
    if index and index.group(2).lower() not in created:
        problems.append(f"line {call.lineno}: CREATE INDEX without CONCURRENTLY")
    if "ADD CONSTRAINT" in upper and "NOT VALID" not in upper and "PRIMARY KEY" not in upper:
        problems.append(f"line {call.lineno}: ADD CONSTRAINT without NOT VALID")
    if re.search(r"SET NOT NULL|ALTER COLUMN \S+ (SET DATA )?TYPE", upper):
        problems.append(f"line {call.lineno}: column rewrite or full scan under lock")
    return problems


def _op(call: ast.Call) -> str:
    func = call.func
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id == "op":
        return func.attr
    return ""


def _table_arg(call: ast.Call, position: int) -> str:
    for keyword in call.keywords:
        if keyword.arg == "table_name":
            return str(getattr(keyword.value, "value", "?"))
    if len(call.args) > position and isinstance(call.args[position], ast.Constant):
        return str(call.args[position].value)
    return "?"


def _true(node: ast.AST | None) -> bool:
    return isinstance(node, ast.Constant) and node.value is True


def _false(node: ast.AST | None) -> bool:
    return isinstance(node, ast.Constant) and node.value is False


def test_new_migrations_do_not_block_writes() -> None:
    checked = [path for path in sorted(VERSIONS.glob("*.py")) if path.name not in GRANDFATHERED]
    assert checked, "the scan must look at something (at least 20261206_schema_requirements.py)"
    problems = {path.name: blocking_operations(path.read_text(encoding="utf-8")) for path in checked}
    assert not {name: found for name, found in problems.items() if found}, problems


def test_the_scan_catches_what_it_should() -> None:
    assert blocking_operations((VERSIONS / "20261130_0007_case_counts_index.py").read_text()) == [
        "line 20: create_index on cases without postgresql_concurrently=True"]
    bad = textwrap.dedent('''
        def upgrade():
            op.add_column("cases", sa.Column("region", sa.String(10), nullable=False))
            op.alter_column("cases", "title", type_=sa.Text)
            op.create_foreign_key("fk_x", "cases", "tenants", ["tenant_id"], ["code"])
            op.execute("CREATE INDEX ix_y ON cases (title)")
            op.execute("ALTER TABLE cases ADD CONSTRAINT ck_z CHECK (id > 0)")
            op.drop_column("cases", "legacy")
    ''')
    assert len(blocking_operations(bad)) == 6
    good = textwrap.dedent('''
        def upgrade():
            op.create_table("things", sa.Column("id", sa.Integer, primary_key=True))
            op.create_index("ix_things", "things", ["id"])
            op.add_column("cases", sa.Column("region", sa.String(10), nullable=False, server_default=""))
            with op.get_context().autocommit_block():
                op.create_index("ix_cases_region", "cases", ["region"], postgresql_concurrently=True)
            op.execute("ALTER TABLE cases ADD CONSTRAINT ck_z CHECK (id > 0) NOT VALID")
    ''')
    assert blocking_operations(good) == []


# --- the previous release against the upgraded schema ------------------------------------------------

def _git(*args: str) -> str:
    return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip()


PREVIOUS_RELEASE_PROBE = '''
import json, re, sys
from portal.app import create_app
settings = json.loads(sys.argv[1])
app = create_app(settings)
client = app.test_client()
page = client.get("/login")
token = re.search(rb'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page.data)
login = client.post("/dev-login", data={"tenant": "132055", "email": "member@ome.example.jp",
                                        "csrf_token": token.group(1).decode() if token else ""})
cases = client.get("/cases")
home = client.get("/")
print(json.dumps({"login": login.status_code, "cases": cases.status_code, "home": home.status_code,
                  "readyz": client.get("/readyz").status_code}))
'''


def test_the_previous_release_serves_the_upgraded_schema(scratch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The code before the newest migration, run against a database migrated to head (rolling upgrade)."""
    # the last commit that ADDED a migration: its parent is a release that does not know that revision
    newest = _git("log", "-1", "--diff-filter=A", "--format=%H", "--", "migrations/versions")
    previous = _git("rev-parse", f"{newest}^")
    checkout = tmp_path / "previous"
    checkout.mkdir()
    archive = subprocess.run(["git", "archive", previous], cwd=ROOT, capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(checkout)], input=archive, check=True)
    for po in checkout.glob("**/translations/*/LC_MESSAGES/*.po"):
        subprocess.run([str(Path(sys.executable).parent / "pybabel"), "compile", "-i", str(po),
                        "-o", str(po.with_suffix(".mo"))], check=True, capture_output=True)
    urls = scratch("prevrel")  # the template: migrated to this code's head
    settings = {**BASE_CONFIG, **{k: urls[k] for k in ("SQLALCHEMY_DATABASE_URI", "DATABASE_OWNER_URL")}}
    env = {**os.environ, "PYTHONPATH": str(checkout)}
    result = subprocess.run([sys.executable, "-c", PREVIOUS_RELEASE_PROBE, json.dumps(settings)],
                            cwd=checkout, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    probe = json.loads(result.stdout.strip().splitlines()[-1])
    assert probe["login"] == 302 and probe["cases"] == 200 and probe["home"] == 200, probe
    if (checkout / "portal" / "upgrades.py").exists():  # releases since the rolling-upgrade /readyz
        assert probe["readyz"] == 200, probe
    # the previous release imported its own modules, not this checkout's
    where = subprocess.run([sys.executable, "-c", "import portal; print(portal.__file__)"], cwd=checkout, env=env,
                           capture_output=True, text=True, check=True).stdout
    assert where.startswith(str(checkout)), where
