"""Entra ID groups overage, resolved where the municipality allows it (issue 23, point 5).

When a person is in more groups than fit in a token (over 200 in an ID token), Entra ID leaves the
``groups`` claim out and points at a source instead::

    "_claim_names": {"groups": "src1"},
    "_claim_sources": {"src1": {"endpoint": "https://graph.windows.net/<tid>/users/<oid>/getMemberObjects"}}

A municipality that names a **groups source host** (``groups_overage_host``, e.g.
``graph.microsoft.com``) lets the portal ask that host, and only that host, for the groups with the
login's access token: ``getMemberObjects`` (POST, ``{"securityEnabledOnly": false}``) or
``memberOf`` (GET, paged by ``@odata.nextLink`` on the same host). The endpoint of the token is used
as it is when it is on that host; the retired Azure AD Graph endpoint (graph.windows.net) that Entra
still writes into the token is translated to Microsoft Graph's ``/v1.0/users/<oid>/getMemberObjects``
when the host is graph.microsoft.com (Microsoft's own guidance). Every request goes through
``tenants.sso.outbound`` (address checks, https in production, timeouts, size cap).

Without the setting — or when the endpoint names another host, or the source cannot be read — the
login stays refused (``groups_overage``) rather than making the person a plain member.
"""
from __future__ import annotations

import re
from typing import Any, Optional
from urllib.parse import urlsplit

from tenants.sso.oidc import SsoError
from tenants.sso.outbound import OutboundError, get_json, post_json

LEGACY_GRAPH_HOST = "graph.windows.net"
MICROSOFT_GRAPH_HOST = "graph.microsoft.com"
MAX_PAGES = 20  # memberOf pages of 100: 2,000 groups is far beyond any real person
MAX_GROUPS = 5000
_HOST = re.compile(r"^(?=.{1,253}(:\d{1,5})?$)[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:\d{1,5})?$")
_LEGACY_PATH = re.compile(r"^/[^/]+/users/([^/]+)/getMemberObjects/?$", re.IGNORECASE)


def valid_host(host: str) -> bool:
    """A host name (with an optional port), no scheme or path: what the settings accept."""
    return bool(_HOST.match(host))


def _netloc(url: str) -> str:
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    return f"{host}:{parts.port}" if parts.port else host


def overage_endpoint(claims: dict[str, Any], groups_claim: str) -> Optional[str]:
    """The source endpoint an overage token names for its groups (None: no overage reference)."""
    names = claims.get("_claim_names")
    sources = claims.get("_claim_sources")
    if not isinstance(names, dict) or not isinstance(sources, dict):
        return None
    source = names.get(groups_claim, names.get("groups"))
    entry = sources.get(source) if isinstance(source, str) else None
    endpoint = entry.get("endpoint") if isinstance(entry, dict) else None
    return endpoint if isinstance(endpoint, str) and len(endpoint) <= 2000 else None


def allowed_endpoint(endpoint: str, host: str) -> Optional[str]:
    """The URL to ask for the groups, if the token's endpoint is on the allowed host (or is the retired
    Azure AD Graph one and the allowed host is Microsoft Graph); None otherwise."""
    host = host.lower()
    netloc = _netloc(endpoint)
    if netloc == host:
        return endpoint
    legacy = _LEGACY_PATH.match(urlsplit(endpoint).path)
    if netloc == LEGACY_GRAPH_HOST and host == MICROSOFT_GRAPH_HOST and legacy:
        return f"https://{MICROSOFT_GRAPH_HOST}/v1.0/users/{legacy.group(1)}/getMemberObjects"
    return None


def _ids(values: Any) -> list[str]:
    """Group ids of a Graph answer: getMemberObjects gives strings, memberOf gives objects with an id."""
    if not isinstance(values, list):
        raise SsoError("groups_overage", "the groups source answered without a value list")
    found = []
    for item in values:
        if isinstance(item, str):
            found.append(item)
        elif isinstance(item, dict) and isinstance(item.get("id"), str):
            found.append(item["id"])
    return found


def fetch_groups(url: str, host: str, access_token: str) -> list[str]:
    """Ask the groups source (only on ``host``) for the person's groups with their access token."""
    headers = {"Authorization": f"Bearer {access_token}"}
    groups: list[str] = []
    try:
        if urlsplit(url).path.rstrip("/").lower().endswith("getmemberobjects"):
            groups = _ids(post_json(url, {"securityEnabledOnly": False}, headers=headers).get("value"))
        else:
            next_url: Optional[str] = url
            for _page in range(MAX_PAGES):
                if next_url is None:
                    break
                data = get_json(next_url, headers=headers)
                groups += _ids(data.get("value"))
                link = data.get("@odata.nextLink")
                # A next page elsewhere would take the access token to another host: stop there.
                next_url = link if isinstance(link, str) and _netloc(link) == host.lower() else None
    except OutboundError as error:
        raise SsoError("groups_overage", f"the groups source could not be read ({error.reason})",
                       operator_detail=error.detail) from error
    return groups[:MAX_GROUPS]


def resolve_overage(provider: Any, claims: dict[str, Any], access_token: str) -> dict[str, Any]:
    """The claims with the groups filled in from the source, when the token is an overage one and the
    municipality allows its host; the claims unchanged otherwise (check_groups_overage then refuses)."""
    host = (getattr(provider, "groups_overage_host", "") or "").strip()
    if not host or claims.get(provider.groups_claim) is not None:
        return claims
    endpoint = overage_endpoint(claims, provider.groups_claim)
    if endpoint is None:
        return claims
    url = allowed_endpoint(endpoint, host)
    if url is None:
        raise SsoError("groups_overage", f"the groups source {_netloc(endpoint)[:100]} is not the allowed host")
    if not access_token:
        raise SsoError("groups_overage", "no access token to ask the groups source with")
    groups = fetch_groups(url, host, access_token)
    return {**claims, provider.groups_claim: groups}
