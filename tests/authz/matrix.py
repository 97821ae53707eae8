"""Load the authorization matrix (tests/authz/*.yaml) and resolve its object placeholders.

A row is ``endpoint``, ``method``, ``path``, ``expect`` (status per role), and optionally ``owner`` and what the
request carries:

- ``data:`` form fields. Keys and values may name objects like the path (``category_id: "{award_category:shared}"``,
  ``"qty_{procurement_item:shared}": 5``); they are resolved in the same call as the path, and a provider keeps
  the objects of one call in ``flask.g`` so that the path and the data name the same ones.
- ``files:`` uploads, field name → a file of tests/authz/files/ (sent as multipart form data with ``data:``).
- ``succeeds:`` the status of success where it is no redirect (a dry run, an autosave), so that
  tests/notifications/test_idempotency_matrix.py sends the row too.
- ``json:`` a JSON body for the API, with placeholders as in ``data:``. Such a row is sent as an API client
  sends it: with a personal access token of the role's account (every scope; anonymous: none), no session.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

import yaml

ROLES = ("anonymous", "member", "tenant_admin", "curator", "judge", "operator", "supporter")
HERE = Path(__file__).parent
FILES = HERE / "files"
PLACEHOLDER = re.compile(r"\{([a-z_]+):(own|other|shared)\}")


@dataclass(frozen=True)
class Row:
    source: str
    endpoint: str
    method: str
    path: str
    owner: str
    expect: dict[str, int]
    data: dict
    files: dict[str, str] = field(default_factory=dict)
    json: Any = None
    # A POST whose success is a page or JSON rather than a redirect (a dry run, an autosave): its status, so
    # that tests/notifications/test_idempotency_matrix.py sends it too.
    succeeds: Optional[int] = None

    def uploads(self) -> dict[str, tuple[str, bytes]]:
        """The row's files as field → (file name, content)."""
        return {name: (Path(file).name, (FILES / file).read_bytes()) for name, file in self.files.items()}

    @property
    def id(self) -> str:
        return f"{self.method} {self.path} [{self.owner}]"


def load_rows() -> list[Row]:
    rows: list[Row] = []
    for path in sorted(HERE.glob("*.yaml")):
        for item in yaml.safe_load(path.read_text(encoding="utf-8")) or []:
            expect = item["expect"]
            missing = set(ROLES) - set(expect)
            assert not missing, f"{path.name}: {item['endpoint']} lacks roles {missing}"
            rows.append(Row(path.name, item["endpoint"], item["method"].upper(), item["path"],
                            item.get("owner", "none"), {k: int(v) for k, v in expect.items()}, item.get("data") or {},
                            item.get("files") or {}, item.get("json"), item.get("succeeds")))
    return rows


def resolve(path: str, providers: dict) -> str:  # type: ignore[type-arg]
    def replace(match: re.Match[str]) -> str:
        kind, owner = match.group(1), match.group(2)
        assert kind in providers, f"no provider for {{{kind}:...}} in tests/authz/providers/"
        return providers[kind](owner)
    return PLACEHOLDER.sub(replace, path)


def resolve_data(data: Any, providers: dict) -> Any:  # type: ignore[type-arg]
    """``data:`` or ``json:`` with the placeholders of its keys and string values resolved (call in the same
    application context as the path's ``resolve``: the providers then name the same objects)."""
    if isinstance(data, dict):
        return {resolve_data(k, providers): resolve_data(v, providers) for k, v in data.items()}
    if isinstance(data, list):
        return [resolve_data(v, providers) for v in data]
    if isinstance(data, str):
        return resolve(data, providers)
    return data


def api_token(role: str) -> str:
    """A new personal access token (every scope) of the role's account, for a ``json:`` row (in an app context)."""
    from tenants.tokens import create_token
    from tests.conftest import ROLE_ACCOUNTS
    from tests.factories.tenants import user_of

    tenant, email = ROLE_ACCOUNTS[role]
    _row, text = create_token(user_of(tenant, email), "authorization matrix")
    return text
