"""Every route × role × owner answers what tests/authz/*.yaml says; no route is left out."""
from __future__ import annotations

import io

import pytest

from tests.authz.matrix import ROLES, api_token, load_rows, resolve, resolve_data
from tests.authz.providers import load_all
from tests.conftest import login

ROWS = load_rows()
PROVIDERS = load_all()


def test_every_route_is_in_the_matrix(app) -> None:  # type: ignore[no-untyped-def]
    covered = {(row.endpoint, row.method) for row in ROWS}
    missing = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static" or rule.endpoint.endswith(".static"):
            continue
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            if (rule.endpoint, method) not in covered:
                missing.append(f"{method} {rule.rule} ({rule.endpoint})")
    assert not missing, "routes missing from tests/authz/*.yaml:\n" + "\n".join(missing)


def test_matrix_names_only_real_routes(app) -> None:  # type: ignore[no-untyped-def]
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    unknown = sorted({row.endpoint for row in ROWS} - endpoints)
    assert not unknown, f"matrix rows for endpoints that do not exist: {unknown}"


@pytest.mark.parametrize("row", ROWS, ids=[r.id for r in ROWS])
@pytest.mark.parametrize("role", ROLES)
def test_matrix(app, client, role: str, row) -> None:  # type: ignore[no-untyped-def]
    with app.app_context():
        path = resolve(row.path, PROVIDERS)
        data, body = resolve_data(row.data, PROVIDERS), resolve_data(row.json, PROVIDERS)
        # A json: row is an API client's call: the role's token instead of a session (tests/authz/matrix.py).
        token = api_token(role) if row.json is not None and role != "anonymous" else None
        from kernel.extensions import db

        db.session.commit()  # releases the savepoint: the objects are visible to the request
        db.session.remove()
    if row.json is not None:
        response = client.open(path, method=row.method, json=body,
                               headers={"Authorization": f"Bearer {token}"} if token else {})
    else:
        if role != "anonymous":
            login(client, role)
        files = {field: (io.BytesIO(content), name) for field, (name, content) in row.uploads().items()}
        response = client.open(path, method=row.method, data={**data, **files})
    assert response.status_code == row.expect[role], (
        f"{row.method} {path} as {role}: expected {row.expect[role]}, got {response.status_code}")
