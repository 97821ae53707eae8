"""Refuse to serve as a database role that could bypass row-level security.

Tenant isolation rests on PostgreSQL enforcing the RLS policies on the application's role. A role
that is a superuser, has BYPASSRLS, owns (or inherits ownership of) a table, may create roles, or can
SET ROLE to a role with those powers can read or change every municipality's rows, or switch the
policies off. Configured by mistake (``DATABASE_URL`` pointing at the owner or the backup role), the
portal would work and look healthy, so the role is checked and an unsafe one refused.

When, given "no database work at import or start-up" (gunicorn ``--preload`` must be safe):
- gunicorn's ``when_ready`` hook (gunicorn.conf.py) checks once in the master, after the app is
  loaded and before any worker is forked, on a short-lived connection of its own (never the app's
  pool, so no socket is inherited by the workers). An unsafe role stops gunicorn with the reasons
  and a non-zero exit; an unreachable database is only a warning (readiness waits for it).
- every process also checks once, at its first request, on its own short connection (not through
  the app's engine: no pool slot, no statement in the request's count). Until the check has passed,
  an unsafe role answers every request with 503 and ``/readyz`` names the reasons, whatever server
  runs the app (``flask run``, another WSGI server).
- ``flask ops check-role`` runs the same check for deployment scripts (exit 1 when unsafe).
"""
from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import psycopg2
from flask import Flask, Response, current_app, jsonify, request

from portal.backup import libpq

log = logging.getLogger("yokoten.role_check")

# One query: the role's own attributes, the tables it owns directly or through membership, and the
# powerful roles it could become with SET ROLE.
ROLE_QUERY = """
SELECT r.rolname, r.rolsuper, r.rolbypassrls, r.rolcreaterole,
       ARRAY(SELECT n.nspname || '.' || c.relname
             FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema')
               AND n.nspname NOT LIKE 'pg_toast%' AND pg_has_role(r.oid, c.relowner, 'USAGE')
             ORDER BY 1 LIMIT 5) AS owned,
       ARRAY(SELECT o.rolname FROM pg_roles o
             WHERE o.oid <> r.oid AND (o.rolsuper OR o.rolbypassrls) AND pg_has_role(r.oid, o.oid, 'MEMBER')
             ORDER BY 1) AS can_become
FROM pg_roles r WHERE r.rolname = current_user
"""

RETRY_SECONDS = 5.0


class UnsafeRoleError(RuntimeError):
    """The application's database role could bypass row-level security."""


def unsafe_role_reasons(cursor: Any) -> list[str]:
    """Why the connected role must not serve the application (empty: it is safe)."""
    cursor.execute(ROLE_QUERY)
    name, superuser, bypass, createrole, owned, can_become = cursor.fetchone()
    reasons = []
    if superuser:
        reasons.append(f"role {name} is a superuser (row-level security does not apply to it)")
    if bypass:
        reasons.append(f"role {name} has BYPASSRLS (it sees every municipality's rows)")
    if createrole:
        reasons.append(f"role {name} has CREATEROLE (it can grant itself the owner's role)")
    if owned:
        reasons.append(f"role {name} owns tables ({', '.join(owned)}): an owner can switch row-level security off")
    if can_become:
        reasons.append(f"role {name} can SET ROLE to {', '.join(can_become)} (superuser or BYPASSRLS)")
    return reasons


def check_database_role(url: str, timeout: int = 3) -> list[str]:
    """Connect with ``url`` on a connection of its own and return the reasons it is unsafe."""
    conn = psycopg2.connect(libpq(url), connect_timeout=timeout, application_name="yokoten-role-check")
    try:
        with conn.cursor() as cur:
            return unsafe_role_reasons(cur)
    finally:
        conn.close()


def refusal_message(reasons: list[str]) -> str:
    return ("Refusing to serve: DATABASE_URL must be the application role (no superuser, no BYPASSRLS, owns no "
            "table; docs/operations.md). " + "; ".join(reasons) + ".")


def check_at_server_start(url: str | None, logger: Any) -> None:
    """gunicorn ``when_ready``: raise UnsafeRoleError for an unsafe role; warn when it cannot be checked."""
    if not url:
        return  # the app itself refuses to start without DATABASE_URL
    try:
        reasons = check_database_role(url)
    except psycopg2.Error as error:
        logger.warning("database role not checked at start (database unreachable: %s); each worker checks "
                       "it at its first request", str(error).strip())
        return
    if reasons:
        raise UnsafeRoleError(refusal_message(reasons))


@dataclass
class _ProcessCheck:
    """This process's check. With --preload the master creates it but never serves a request, so every
    forked worker starts unchecked and checks on its own."""
    passed: bool = False
    reasons: list[str] = field(default_factory=list)
    next_attempt: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def run(self, url: str) -> None:
        with self.lock:
            if self.passed or self.reasons or time.monotonic() < self.next_attempt:
                return
            try:
                reasons = check_database_role(url)
            except psycopg2.Error as error:
                # Unreachable: the request goes on and fails (503) on its own; retry a little later.
                self.next_attempt = time.monotonic() + RETRY_SECONDS
                log.warning("database role not checked (database unreachable: %s)", str(error).strip())
                return
            if reasons:
                self.reasons = reasons
                log.critical(refusal_message(reasons))
            else:
                self.passed = True


def install(app: Flask) -> None:
    """Check the role once per process at the first request; refuse every request while it is unsafe."""
    state = _ProcessCheck()
    app.extensions["yokoten_role_check"] = state

    @app.before_request
    def refuse_unsafe_role() -> Response | None:
        if state.passed or request.endpoint == "portal.healthz":
            return None
        state.run(current_app.config["SQLALCHEMY_DATABASE_URI"])
        if not state.reasons:
            return None
        if request.endpoint == "portal.readyz":
            response = jsonify({"status": "unsafe_role", "reasons": state.reasons})
        else:
            response = current_app.response_class(
                "503 Service Unavailable: the portal's database role is unsafe; see the server log.\n",
                mimetype="text/plain")
        response.status_code = 503
        return response
