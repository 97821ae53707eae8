"""`flask demo generate`: realistic data at scale for benchmarks (tenants, users, every domain's rows).

Runs as the owner in ONE transaction over a raw psycopg2 connection and writes with COPY or
multi-row INSERTs, never row by row through the ORM. Every tenant's rows are written under
``set_config('app.tenant_id', code, true)`` as the contract says.

PostgreSQL refuses ``COPY FROM`` into a table whose row-level security applies to the current
user ("COPY FROM not supported with row-level security"), and FORCE makes it apply to the owner.
So the load runs inside a *bulk-load window*: in the same transaction the owner sets NO FORCE on
the forced tables, drops the loaded tables' secondary indexes and foreign keys, loads, builds and
validates them again, sets FORCE again, checks the flags and runs ANALYZE before committing. DDL is
transactional: no other session ever sees the tables unforced (they wait on the table lock), and
any failure rolls the flags back with the data. It is an offline tool for benchmark databases.

Tenants: Tokyo's 62 municipalities and TMG come from the reference data; beyond 62 (the national
simulation, 1,741 municipalities) tenants are generated with valid 6-digit local government codes
(prefecture 01–47 except Tokyo, a 3-digit number, the check digit of 総務省's rule) and names such
as 「模擬市0063」. Then each domain's ``<pkg>.generate.generate(cur, tenant_codes, per_tenant, rng)``
runs in the order casebook → procurement → awards, when the package has one.
"""
from __future__ import annotations

import importlib
import io
import os
import random
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import click
import psycopg2
from flask import current_app

from tenants.models import TMG_CODE
from tenants.services import read_municipalities

DOMAIN_GENERATORS = ("devtools.generate.casebook", "devtools.generate.procurement", "devtools.generate.awards",
                     "devtools.generate.workload")
# ``--cases-per-tenant`` is the number of cases of each municipality. The other modules get the
# volume a real year would have: a municipality enters a few award entries per programme, not
# thousands (2,000 entries × 62 municipalities × 20 judges would be 7 million score rows).
AWARD_ENTRIES_PER_TENANT = 3
DOMAIN_VOLUME: dict[str, Callable[[int], int]] = {
    "devtools.generate.casebook": lambda n: n,
    "devtools.generate.procurement": lambda n: n,
    "devtools.generate.awards": lambda n: min(n, AWARD_ENTRIES_PER_TENANT),
    "devtools.generate.workload": lambda n: n,  # three rounds of every municipality whatever the volume
}
TOKYO_COUNT = 62
NATIONAL_COUNT = 1741
# Accounts made per generated municipality: (local part, display name, roles).
GENERATED_USERS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("bench-member", "職員 一郎", ("member",)),
    ("bench-member2", "職員 二郎", ("member",)),
    ("bench-admin", "管理 花子", ("member", "tenant_admin")),
    ("bench-cio", "CIO 三郎", ("member", "tenant_admin", "judge")),
)
TMG_USERS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("bench-curator", "都 キュレーター", ("curator",)),
    ("bench-judge", "都 審査員", ("judge",)),
    ("bench-judge2", "都 審査員二", ("judge",)),
    ("bench-operator", "都 運用", ("operator",)),
)
KINDS = (("city", "市", "City"), ("town", "町", "Town"), ("village", "村", "Village"))


def check_digit(code5: str) -> str:
    """The 6th digit of a local government code (weights 6-5-4-3-2, modulus 11)."""
    total = sum(int(d) * w for d, w in zip(code5, (6, 5, 4, 3, 2), strict=True))
    return str((11 - total % 11) % 10)


def synthetic_tenants(count: int, taken: set[str]) -> list[dict[str, str]]:
    """``count`` municipalities outside Tokyo with valid, unused codes and generated names."""
    rows: list[dict[str, str]] = []
    prefectures = [p for p in range(1, 48) if p != 13]
    serial = 0
    while len(rows) < count:
        prefecture = prefectures[serial % len(prefectures)]
        local = 200 + serial // len(prefectures)  # 2xx-8xx: cities, towns and villages
        serial += 1
        code5 = f"{prefecture:02d}{local:03d}"
        code = code5 + check_digit(code5)
        if code in taken:
            continue
        taken.add(code)
        number = TOKYO_COUNT + len(rows) + 1
        kind, ja, en = KINDS[number % len(KINDS)] if number % 5 == 0 else KINDS[0]
        rows.append({"code": code, "name_ja": f"模擬{ja}{number:04d}", "name_kana": f"もぎ{number:04d}",
                     "name_en": f"Simulated {en} {number:04d}", "kind": kind, "region": "simulated"})
    return rows


def copy_rows(cur: Any, table: str, columns: Sequence[str], rows: Iterable[Iterable[Any]], *,
              checked: bool = False) -> int:
    """COPY rows (tuples) into a table in PostgreSQL's text format; returns the row count.

    The generators' one writer of COPY: every domain generator uses it, or ``copy_text`` when it builds
    the text itself. ``checked``: for a tenant-owned table whose row-level security applies (outside
    the bulk-load window)."""
    lines = ["\t".join(_copy_value(v) for v in row) + "\n" for row in rows]
    copy_text(cur, table, columns, "".join(lines), checked=checked)
    return len(lines)


def copy_text(cur: Any, table: str, columns: str | Sequence[str], text: str, *, checked: bool = False) -> None:
    """COPY rows already in PostgreSQL's text format into a table.

    ``checked``: PostgreSQL refuses COPY FROM into a table whose row-level security applies to the
    writer, so the rows go into a temporary table (only the copied columns, no constraints) and move
    with one INSERT … SELECT, which the table's policy checks."""
    if not text:
        return
    names = columns if isinstance(columns, str) else ", ".join(columns)
    data = io.StringIO(text)
    if not checked:
        cur.copy_expert(f"COPY {table} ({names}) FROM STDIN", data, size=len(text) + 1)
        return
    staging = f"_gen_{table}"
    cur.execute(f"CREATE TEMP TABLE IF NOT EXISTS {staging} ON COMMIT DROP AS "  # noqa: S608 - constant names
                f"SELECT {names} FROM {table} WITH NO DATA")
    cur.execute(f"TRUNCATE {staging}")
    cur.copy_expert(f"COPY {staging} ({names}) FROM STDIN", data, size=len(text) + 1)
    cur.execute(f"INSERT INTO {table} ({names}) SELECT {names} FROM {staging}")  # noqa: S608


def take_ids(cur: Any, table: str, count: int) -> list[int]:
    """``count`` ids from the table's identity sequence (rows written by COPY name their ids)."""
    if count <= 0:
        return []
    cur.execute("SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)", (table, count))
    return [int(row[0]) for row in cur.fetchall()]


def _copy_value(value: Any) -> str:
    if value is None:
        return r"\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    text = value.isoformat() if isinstance(value, datetime) else str(value)
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def bind(cur: Any, tenant_code: str | None) -> None:
    """Transaction-local tenant binding for RLS (as the app does)."""
    cur.execute("SELECT set_config('app.tenant_id', %s, true), set_config('app.user_id', '', true)",
                (tenant_code or "",))


def ensure_tenants(cur: Any, count: int) -> list[str]:
    """Make sure ``count`` municipalities (Tokyo's first) and TMG exist; returns their codes in order."""
    reference = read_municipalities()
    tokyo = [r for r in reference if r["code"] != TMG_CODE]
    wanted = reference[:1] + tokyo[:count]
    if count > len(tokyo):
        wanted += synthetic_tenants(count - len(tokyo), {r["code"] for r in reference})
    cols = ("code", "name_ja", "name_kana", "name_en", "kind", "region")
    cur.execute("CREATE TEMP TABLE _gen_tenants (LIKE tenants INCLUDING DEFAULTS) ON COMMIT DROP")
    copy_rows(cur, "_gen_tenants", cols, ([r[c] for c in cols] for r in wanted))
    cur.execute(f"INSERT INTO tenants ({', '.join(cols)}) SELECT {', '.join(cols)} FROM _gen_tenants "  # noqa: S608
                "ON CONFLICT (code) DO NOTHING")
    return [r["code"] for r in wanted if r["code"] != TMG_CODE]


def ensure_users(cur: Any, tenant_codes: list[str]) -> int:
    """Generated accounts in each municipality and at TMG (idempotent); returns how many were created."""
    created = 0
    plan = [(TMG_CODE, TMG_USERS)] + [(code, GENERATED_USERS) for code in tenant_codes]
    for code, users in plan:
        bind(cur, code)
        values = [(code, f"{local}@{code}.example.jp", name) for local, name, _roles in users]
        cur.execute(
            "INSERT INTO users (tenant_id, email, display_name) "
            "SELECT * FROM unnest(%s::text[], %s::text[], %s::text[]) "
            "ON CONFLICT (tenant_id, email) DO NOTHING RETURNING id, email",
            ([v[0] for v in values], [v[1] for v in values], [v[2] for v in values]))
        new = {email: user_id for user_id, email in cur.fetchall()}
        created += len(new)
        memberships = [(code, new[f"{local}@{code}.example.jp"], role)
                       for local, _name, roles in users if f"{local}@{code}.example.jp" in new for role in roles]
        if memberships:
            copy_rows(cur, "memberships", ("tenant_id", "user_id", "role"), memberships)
    bind(cur, None)
    return created


# Tables the generator only adds a few rows to: their indexes and foreign keys stay as they are.
SMALL_TABLES = ("tenants", "users", "memberships", "audit_log")


# A tsvector never compresses: pglz gives up on every generated vector (none of the 124,060 cases' search vectors,
# nor their casebook copies' and search rows' search and rank vectors, is stored compressed), but the toaster tries
# it on each of them in each of the three tables, a quarter of PostgreSQL's CPU while the cases load. For the load
# they are stored as the toaster stores them after the failed try, without trying: out of line (EXTENDED →
# EXTERNAL) or in the row (MAIN → PLAIN); the column's storage is set back in the window (the catalogue only).
UNCOMPRESSED = {"x": "EXTERNAL", "m": "PLAIN"}
STORAGE_NAMES = {"x": "EXTENDED", "m": "MAIN"}


def _vector_storage(cur: Any) -> list[tuple[str, str, str]]:
    """(table, column, storage) of every tsvector column that may be compressed, partitions included."""
    cur.execute("""SELECT a.attrelid::regclass::text, quote_ident(a.attname), a.attstorage::text
                   FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
                   JOIN pg_namespace n ON n.oid = c.relnamespace
                   WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped
                     AND a.atttypid = 'tsvector'::regtype AND a.attstorage IN ('x', 'm')
                     AND c.relname <> ALL(%s)
                   ORDER BY 1, 2""", (list(SMALL_TABLES),))
    return [(table, column, storage) for table, column, storage in cur.fetchall()]


@contextmanager
def bulk_load_window(cur: Any) -> Iterator[list[str]]:
    """NO FORCE row-level security on the forced tables for this transaction, FORCE again after.

    Secondary indexes and foreign keys of the loaded tables are dropped for the load and made again
    at the end, in the same transaction (DDL is transactional: no other session ever sees a table
    without them, they wait on its lock). One bulk build of a GIN index over a million tsvectors is
    many times faster than a million incremental inserts, and one anti-join validating a foreign key
    is cheaper than a trigger checking each of millions of rows. The foreign keys are added back
    *before* FORCE, while the owner's validation query is not subject to row-level security (under
    it PostgreSQL would fall back to checking row by row).
    """
    cur.execute("""SELECT c.oid::regclass::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                   WHERE n.nspname = 'public' AND c.relforcerowsecurity ORDER BY 1""")
    forced = [row[0] for row in cur.fetchall()]
    for table in forced:
        cur.execute(f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY")
    # Not unique, not primary: no constraint or foreign key needs them. A partition's index goes and comes
    # with its partitioned index (casebook_search_rows): only the parent's is listed.
    cur.execute("""SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
                   FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid
                   JOIN pg_namespace n ON n.oid = c.relnamespace
                   WHERE n.nspname = 'public' AND NOT i.indisunique AND NOT i.indisprimary
                     AND NOT EXISTS (SELECT 1 FROM pg_inherits h WHERE h.inhrelid = i.indexrelid)
                     AND c.relname <> ALL(%s)""", (list(SMALL_TABLES),))
    secondary = cur.fetchall()
    cur.execute("""SELECT k.conrelid::regclass::text, quote_ident(k.conname), pg_get_constraintdef(k.oid)
                   FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid
                   JOIN pg_namespace n ON n.oid = c.relnamespace
                   WHERE k.contype = 'f' AND k.convalidated AND n.nspname = 'public' AND c.relname <> ALL(%s)
                   ORDER BY 1, 2""", (list(SMALL_TABLES),))
    foreign_keys = cur.fetchall()
    # GIN builds run in parallel workers (PostgreSQL 18): the second core works during them. The
    # budget is shared by the participants; at 1,001,075 cases 2 GB built the cases' GIN index in
    # 16.7 s against 19.3 s with 512 MB.
    cur.execute("SET LOCAL maintenance_work_mem = '2GB'")
    cur.execute("SET LOCAL max_parallel_maintenance_workers = 2")
    for table, name, _definition in foreign_keys:
        cur.execute(f"ALTER TABLE {table} DROP CONSTRAINT {name}")
    for name, _definition in secondary:
        cur.execute(f"DROP INDEX {name}")
    vectors = _vector_storage(cur)
    for table, column, storage in vectors:
        cur.execute(f"ALTER TABLE ONLY {table} ALTER COLUMN {column} SET STORAGE {UNCOMPRESSED[storage]}")
    yield forced
    for table, column, storage in vectors:
        cur.execute(f"ALTER TABLE ONLY {table} ALTER COLUMN {column} SET STORAGE {STORAGE_NAMES[storage]}")
    for _name, definition in secondary:
        # A partitioned index reads "ON ONLY parent": without ONLY it is built on every partition too.
        cur.execute(definition.replace(" ON ONLY ", " ON ", 1))
    for table, name, definition in foreign_keys:
        cur.execute(f"ALTER TABLE {table} ADD CONSTRAINT {name} {definition}")
    for table in forced:
        cur.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
    cur.execute("SELECT count(*) FROM pg_class WHERE oid = ANY(%s::regclass[]) AND relforcerowsecurity",
                (forced,))
    if cur.fetchone()[0] != len(forced):
        raise RuntimeError("row-level security was not forced again on every table: rolled back")


@dataclass
class GenerationReport:
    tenants: int
    per_tenant: int
    counts: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)
    python_cpu_seconds: float = 0.0

    def lines(self) -> list[str]:
        out = [f"municipalities: {self.tenants}, cases per municipality: {self.per_tenant}"]
        for step, seconds in self.seconds.items():
            out.append(f"{step}: {seconds:.1f} s")
        for table, count in sorted(self.counts.items()):
            out.append(f"  {table}: {count:,}")
        out.extend(f"{name}: no generator (module not present)" for name in self.skipped)
        out.append(f"total: {sum(self.seconds.values()):.1f} s (CPU of this Python process: "
                   f"{self.python_cpu_seconds:.1f} s; the rest is PostgreSQL or waiting for a core)")
        return out


def domain_generators() -> list[tuple[str, Callable[..., dict[str, int]] | None]]:
    """Each domain's generate() in the contract's order, or None where the module has none yet."""
    found: list[tuple[str, Callable[..., dict[str, int]] | None]] = []
    for name in DOMAIN_GENERATORS:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as error:
            if error.name not in (name, name.split(".")[0]):
                raise  # a real import error inside the module: show it
            found.append((name, None))
            continue
        found.append((name, module.generate))
    return found


def generate_all(owner_dsn: str, tenants: int, per_tenant: int, seed: int = 7,
                 echo: Callable[[str], None] | None = None) -> GenerationReport:
    """Create tenants, users and every domain's data in one transaction; returns counts and timings."""
    rng = random.Random(seed)
    report = GenerationReport(tenants=tenants, per_tenant=per_tenant)
    cpu_before = os.times()
    conn = psycopg2.connect(owner_dsn)
    try:
        with conn, conn.cursor() as cur:
            with bulk_load_window(cur):
                started = time.perf_counter()
                codes = ensure_tenants(cur, tenants)
                report.counts["users (created)"] = ensure_users(cur, codes)
                report.seconds["tenants and users"] = time.perf_counter() - started
                for name, generator in domain_generators():
                    if generator is None:
                        report.skipped.append(name)
                        continue
                    started = time.perf_counter()
                    counts = generator(cur, codes, DOMAIN_VOLUME.get(name, lambda n: n)(per_tenant), rng)
                    bind(cur, None)
                    report.seconds[name] = time.perf_counter() - started
                    for table, count in counts.items():
                        report.counts[table] = report.counts.get(table, 0) + int(count)
                    if echo:
                        echo(f"{name}: {report.seconds[name]:.1f} s {counts}")
                started = time.perf_counter()
            report.seconds["indexes, foreign keys, FORCE again"] = time.perf_counter() - started
            # ANALYZE in the same transaction: it samples the rows this transaction wrote, the
            # statistics become visible with them at commit, and it does not (as it would after
            # commit) set hint bits on every page it reads, each one a full-page image in the WAL
            # since the data has checksums.
            started = time.perf_counter()
            cur.execute("ANALYZE")
            report.seconds["analyze"] = time.perf_counter() - started
            started = time.perf_counter()
        report.seconds["commit"] = time.perf_counter() - started
    finally:
        conn.close()
    cpu = os.times()
    report.python_cpu_seconds = (cpu.user - cpu_before.user) + (cpu.system - cpu_before.system)
    return report


def libpq_dsn(url: str) -> str:
    """A SQLAlchemy URL (postgresql+psycopg2://) as a libpq URI."""
    return url.replace("postgresql+psycopg2://", "postgresql://", 1)


@click.command("generate")
@click.option("--tenants", "tenants", type=click.IntRange(1, 5000), default=TOKYO_COUNT, show_default=True,
              help=f"municipalities (Tokyo's {TOKYO_COUNT} first, then generated ones; {NATIONAL_COUNT} = national)")
@click.option("--cases-per-tenant", "per_tenant", type=click.IntRange(0, 100000), default=2000, show_default=True,
              help="cases per municipality (other modules scale with it)")
@click.option("--seed", type=int, default=7, show_default=True, help="random seed (same seed, same data)")
def generate_command(tenants: int, per_tenant: int, seed: int) -> None:
    """Generate benchmark data with COPY: tenants, users, cases, procurement, awards."""
    url = current_app.config.get("DATABASE_OWNER_URL")
    if not url:
        raise click.ClickException("DATABASE_OWNER_URL is not set: the generator writes as the owner role.")
    report = generate_all(libpq_dsn(url), tenants, per_tenant, seed, echo=click.echo)
    for line in report.lines():
        click.echo(line)
