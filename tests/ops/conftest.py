"""Fixtures of the operations tests: scratch databases, the backup role, a URL per role."""
from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from portal.backup import create_backup_role, libpq
from portal.config import normalise_url
from portal.db_admin import with_user_and_db


@pytest.fixture(scope="session")
def backup_role(cluster) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """A BYPASSRLS read-only role in the test cluster (made with the superuser URL)."""
    role = f"yk_backup_{cluster.suffix}"
    create_backup_role(cluster.admin_url, role)
    yield role
    engine = create_engine(normalise_url(cluster.admin_url), isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with engine.connect() as conn:
        conn.execute(text(f'DROP ROLE IF EXISTS "{role}"'))
    engine.dispose()


@pytest.fixture(scope="session")
def reader_url(cluster, backup_role):  # type: ignore[no-untyped-def]
    """libpq URL of a database in the cluster as the BYPASSRLS backup role (sees every tenant's rows)."""
    def _url(database: str) -> str:
        return libpq(with_user_and_db(cluster.admin_url, backup_role, database))
    return _url


@pytest.fixture
def scratch(cluster):  # type: ignore[no-untyped-def]
    """Make databases copied from the template (or empty) that are dropped after the test."""
    made: list[str] = []

    def _make(kind: str, empty: bool = False) -> dict[str, str]:
        made.append(kind)
        urls = cluster.create_empty(kind) if empty else cluster.create_from_template(kind)
        return {**urls, "db": cluster.db(kind), "owner_libpq": libpq(urls["DATABASE_OWNER_URL"])}

    yield _make
    for kind in made:
        cluster.drop(kind)
