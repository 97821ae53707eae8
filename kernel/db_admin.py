"""Database administration: roles and databases for development and tests, the owner engine."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit, urlunsplit

from flask import current_app
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from kernel.config import normalise_url
from kernel.extensions import db


def with_user_and_db(url: str, user: str, database: str) -> str:
    """The same server as ``url`` with another user and database (passwordless local auth)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = f"{user}@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, netloc, f"/{database}", parts.query, ""))


def ensure_roles_and_database(admin_url: str, owner: str, app_role: str, database: str,
                              template: str | None = None) -> None:
    """Create the owner (CREATEROLE, owns the tables), the app role and the database, idempotently."""
    engine = create_engine(normalise_url(admin_url), isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with engine.connect() as conn:
        for role, extra in ((owner, "CREATEROLE"), (app_role, "")):
            exists = conn.scalar(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role})
            if not exists:
                conn.execute(text(f'CREATE ROLE "{role}" LOGIN NOSUPERUSER NOBYPASSRLS {extra}'))
        if not conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :d"), {"d": database}):
            suffix = f' TEMPLATE "{template}"' if template else ""
            conn.execute(text(f'CREATE DATABASE "{database}" OWNER "{owner}"{suffix}'))
    engine.dispose()


def drop_database(admin_url: str, database: str) -> None:
    engine = create_engine(normalise_url(admin_url), isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
    engine.dispose()


@contextmanager
def owner_session() -> Iterator[None]:
    """Run the app's db.session as the owner role (operator CLI commands, demo data).

    The owner is still subject to RLS (FORCE), so services bind a tenant as usual; it may in
    addition write reference tables (tenants) that the application role can only read.
    """
    url = current_app.config.get("DATABASE_OWNER_URL")
    if not url:
        raise RuntimeError("DATABASE_OWNER_URL is not set: operator commands run as the owner role.")
    engines: dict = db.engines  # type: ignore[assignment]  # the app's own dict, swapped on purpose
    original = engines[None]
    engine = create_engine(url, poolclass=NullPool)
    db.session.remove()
    engines[None] = engine
    try:
        yield
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    finally:
        db.session.remove()
        engines[None] = original
        engine.dispose()
