"""Load the authorization matrix (tests/authz/*.yaml) and resolve its object placeholders."""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml

ROLES = ("anonymous", "member", "tenant_admin", "curator", "judge", "operator", "supporter")
HERE = Path(__file__).parent
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
                            item.get("owner", "none"), {k: int(v) for k, v in expect.items()}, item.get("data") or {}))
    return rows


def resolve(path: str, providers: dict) -> str:  # type: ignore[type-arg]
    def replace(match: re.Match[str]) -> str:
        kind, owner = match.group(1), match.group(2)
        assert kind in providers, f"no provider for {{{kind}:...}} in tests/authz/providers/"
        return providers[kind](owner)
    return PLACEHOLDER.sub(replace, path)
