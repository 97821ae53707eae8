"""Pooled connections that PostgreSQL has closed are replaced at checkout, without a ping per request."""
from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import create_engine, event, text
from sqlalchemy.exc import OperationalError

from kernel.config import normalise_url
from kernel.extensions import db
from portal import db_liveness
from tests import dbsetup


def _engine(cluster: dbsetup.TestCluster, checked: bool):  # type: ignore[no-untyped-def]
    engine = create_engine(normalise_url(cluster.urls("unit")["SQLALCHEMY_DATABASE_URI"]), pool_size=1, max_overflow=0,
                           pool_pre_ping=False)
    if checked:
        db_liveness.install(engine)
    return engine


def _backend_pid(engine) -> int:  # type: ignore[no-untyped-def]
    with engine.connect() as connection:
        return int(connection.scalar(text("SELECT pg_backend_pid()")))


def test_the_app_engine_checks_connections_instead_of_pinging(app: Flask) -> None:
    with app.app_context():
        # (the per-test rollback fixture stands a Connection in for the engine: read the app's own)
        engine = db.engines[None]
        engine = getattr(engine, "engine", engine)
        assert event.contains(engine, "checkout", db_liveness._discard_if_closed)
        assert app.config["SQLALCHEMY_ENGINE_OPTIONS"].get("pool_pre_ping") is False


def test_a_healthy_idle_connection_is_reused(app: Flask, cluster: dbsetup.TestCluster) -> None:
    engine = _engine(cluster, checked=True)
    try:
        assert _backend_pid(engine) == _backend_pid(engine)
    finally:
        engine.dispose()


def _use_after_termination(cluster: dbsetup.TestCluster, checked: bool) -> tuple[int, int]:
    """Terminate the pool's idle backend, then use the pool again: (old pid, new pid)."""
    engine = _engine(cluster, checked)
    try:
        first = _backend_pid(engine)
        dbsetup.terminate_backend(cluster.admin_url, first)
        return first, _backend_pid(engine)
    finally:
        engine.dispose()


def test_a_connection_the_server_closed_is_replaced_without_an_error(app: Flask,
                                                                     cluster: dbsetup.TestCluster) -> None:
    first, second = _use_after_termination(cluster, checked=True)
    assert second != first


def test_without_the_check_the_first_use_of_a_closed_connection_fails(app: Flask,
                                                                      cluster: dbsetup.TestCluster) -> None:
    # The control: what the check prevents (so the test above can fail).
    with pytest.raises(OperationalError):
        _use_after_termination(cluster, checked=False)
