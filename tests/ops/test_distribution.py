"""The schema stays ready to be distributed by tenant_id (Citus), as docs/deployment.md plans (issue 25.4).

Every table with a ``tenant_id`` column is tenant-owned and becomes a distributed table (distribution
column tenant_id); every other table is a reference table (copied to every node). Citus then needs:
tenant_id in the primary key and in every unique constraint of a distributed table (uniqueness is
checked per shard), foreign keys between distributed tables that include tenant_id on both sides
(co-located, never across nodes), and no foreign key from a reference table to a distributed one.
"""
from __future__ import annotations

from urllib.parse import urlsplit

import psycopg2
import pytest

from kernel.db_admin import with_user_and_db
from portal.backup import libpq

pytestmark = pytest.mark.no_rollback

# Deliberate exceptions, each with its plan (docs/deployment.md).
LOCAL_TABLES = {
    # events before a tenant is known (refused logins, anonymous probes) have no tenant: the append-only
    # log stays a local table on the coordinator, written there through the coordinator's connection.
    "audit_log": "nullable tenant_id",
}
# Global uniqueness that a distributed table cannot enforce (uniqueness is per shard). Before
# distribution each becomes a small lookup table keyed by the globally unique value and holding the
# tenant (the way tenants/sso's sso_directory already maps an issuer to its tenant), made a reference
# table; the check below fails for any NEW one.
KNOWN_GLOBAL_UNIQUES = {
    "users: unique constraint uq_users_issuer_subject ['issuer', 'subject'] lacks tenant_id":
        "an SSO identity belongs to one tenant: identity_directory(issuer, subject) → tenant_id",
    "api_tokens: unique constraint uq_api_tokens_token_hash ['token_hash'] lacks tenant_id":
        "a bearer token is looked up before its tenant is known: token_directory(token_hash) → tenant_id",
}


def _catalog(cluster) -> dict:  # type: ignore[no-untyped-def,type-arg]
    admin = urlsplit(cluster.admin_url).username or "postgres"
    conn = psycopg2.connect(libpq(with_user_and_db(cluster.admin_url, admin, cluster.db("tpl"))))
    try:
        with conn.cursor() as cur:
            cur.execute("""
                SELECT c.relname, EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid
                                          AND a.attname = 'tenant_id' AND NOT a.attisdropped)
                FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')""")
            tenant_owned = {name: owned for name, owned in cur.fetchall()}
            cur.execute("""
                SELECT con.conname, con.contype, src.relname,
                       ARRAY(SELECT a.attname FROM unnest(con.conkey) WITH ORDINALITY k(n, i)
                             JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.n ORDER BY k.i),
                       dst.relname,
                       ARRAY(SELECT a.attname FROM unnest(con.confkey) WITH ORDINALITY k(n, i)
                             JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.n ORDER BY k.i)
                FROM pg_constraint con JOIN pg_class src ON src.oid = con.conrelid
                JOIN pg_namespace n ON n.oid = src.relnamespace LEFT JOIN pg_class dst ON dst.oid = con.confrelid
                WHERE n.nspname = 'public' AND con.contype IN ('p', 'u', 'f')""")
            constraints = cur.fetchall()
            cur.execute("""
                SELECT i.indexrelid::regclass::text, t.relname,
                       ARRAY(SELECT a.attname FROM unnest(i.indkey) k(n)
                             JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.n)
                FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid JOIN pg_namespace n ON n.oid = t.relnamespace
                WHERE n.nspname = 'public' AND i.indisunique AND NOT i.indisprimary""")
            unique_indexes = cur.fetchall()
    finally:
        conn.close()
    return {"tenant_owned": tenant_owned, "constraints": constraints, "unique_indexes": unique_indexes}


def distribution_problems(catalog: dict) -> list[str]:  # type: ignore[type-arg]
    owned = {name for name, is_owned in catalog["tenant_owned"].items() if is_owned and name not in LOCAL_TABLES}
    problems = []
    has_pk = set()
    for name, kind, table, columns, target, target_columns in catalog["constraints"]:
        if kind == "p" and table in owned:
            has_pk.add(table)
            if columns[0] != "tenant_id":
                problems.append(f"{table}: primary key {columns} must start with tenant_id")
        if kind == "u" and table in owned and "tenant_id" not in columns:
            problems.append(f"{table}: unique constraint {name} {columns} lacks tenant_id")
        if kind == "f" and table in owned and target in owned:
            if "tenant_id" not in columns or target_columns[columns.index("tenant_id")] != "tenant_id":
                problems.append(f"{table}: foreign key {name} to {target} must join on tenant_id")
        if kind == "f" and table not in owned and table not in LOCAL_TABLES and target in owned:
            problems.append(f"{table} (reference table): foreign key {name} to the distributed table {target}")
    constraint_names = {row[0] for row in catalog["constraints"]}
    for index, table, columns in catalog["unique_indexes"]:
        if table in owned and "tenant_id" not in columns and index not in constraint_names:
            problems.append(f"{table}: unique index {index} {columns} lacks tenant_id")
    problems += [f"{table}: no primary key" for table in sorted(owned - has_pk)]
    return problems


def test_every_tenant_owned_table_is_ready_for_distribution_by_tenant_id(cluster, app) -> None:  # type: ignore[no-untyped-def]
    catalog = _catalog(cluster)
    owned = {name for name, is_owned in catalog["tenant_owned"].items() if is_owned}
    assert {"cases", "users", "memberships", "procurement_declarations", "award_entries"} <= owned
    assert set(LOCAL_TABLES) <= owned, "an exception for a table that no longer needs one"
    problems = [p for p in distribution_problems(catalog) if p not in KNOWN_GLOBAL_UNIQUES]
    assert problems == [], "\n".join(problems)
    assert set(KNOWN_GLOBAL_UNIQUES) <= set(distribution_problems(catalog)), "a known exception was fixed: drop it"


def test_the_check_fails_for_a_table_without_tenant_id_in_its_keys(cluster, app) -> None:  # type: ignore[no-untyped-def]
    catalog = _catalog(cluster)
    broken = dict(catalog)
    broken["tenant_owned"] = {**catalog["tenant_owned"], "bad_table": True, "ref_table": False}
    broken["constraints"] = [*catalog["constraints"],
                             ("bad_table_pkey", "p", "bad_table", ["id"], None, None),
                             ("uq_bad_code", "u", "bad_table", ["code"], None, None),
                             ("fk_bad_case", "f", "bad_table", ["case_id"], "cases", ["id"]),
                             ("fk_ref_case", "f", "ref_table", ["tenant_id", "case_id"], "cases", ["tenant_id", "id"])]
    assert [p for p in distribution_problems(broken) if p not in KNOWN_GLOBAL_UNIQUES] == [
        "bad_table: primary key ['id'] must start with tenant_id",
        "bad_table: unique constraint uq_bad_code ['code'] lacks tenant_id",
        "bad_table: foreign key fk_bad_case to cases must join on tenant_id",
        "ref_table (reference table): foreign key fk_ref_case to the distributed table cases",
    ]
