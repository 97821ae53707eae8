"""The one HTTP client for every request the portal makes to another server (the SSO providers:
discovery, JWKS, token, userinfo).

The settings of a municipality name the URLs, so a tenant administrator chooses where the portal
connects: without care this is server-side request forgery (the cloud metadata service, the
database port, the LGWAN-side systems next to the portal). Every request therefore goes through
these guards, none of which a URL or a DNS answer can talk its way around:

- https only in production (plain http only outside production, for a provider on this machine);
- the address is checked where the socket is made: the host name is resolved there, every
  address it resolves to must be public (not private, loopback, link-local, shared, reserved,
  multicast or a cloud metadata address) unless it lies in the allow-list ``SSO_OUTBOUND_ALLOW``,
  the socket connects to the checked address itself and its peer is checked again (a DNS
  rebinding between check and connect cannot pass);
- no redirect to another origin (same-origin GET redirects only, at most three);
- connect and read timeouts of a few seconds and a total deadline (a watchdog shuts the socket,
  so a server sending one byte every few seconds is cut off too);
- a response size cap, read streamed (``Accept-Encoding: identity``, the cap counts what is read);
- no proxy from the environment, no cookies kept between requests.

A refusal raises ``OutboundError``: ``reason`` is a short generic word safe to show or audit,
``detail`` says exactly what happened and is for the operators' log only.
"""
from __future__ import annotations

import ipaddress
import os
import socket
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Optional, Union
from urllib.parse import urljoin, urlsplit

import requests
from authlib.integrations.requests_client import OAuth2Session
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import NewConnectionError

IPAddress = Union[ipaddress.IPv4Address, ipaddress.IPv6Address]
IPNetwork = Union[ipaddress.IPv4Network, ipaddress.IPv6Network]

CONNECT_TIMEOUT = 3.0
READ_TIMEOUT = 4.0
TOTAL_SECONDS = 8.0
MAX_BYTES = 512 * 1024
MAX_REDIRECTS = 3
# Cloud metadata and platform services: refused even when an allow-list would cover them.
# (168.63.129.16, Azure's wire server, is a public address, so the public-address rule alone misses it.)
METADATA_ADDRESSES = frozenset(ipaddress.ip_address(a) for a in (
    "169.254.169.254", "169.254.170.2", "169.254.169.253", "100.100.100.200", "168.63.129.16",
    "fd00:ec2::254", "fd00:ec2::23"))
DEVELOPMENT_ALLOW = "127.0.0.0/8,::1/128"


class OutboundError(Exception):
    """A request that was refused or failed; ``reason`` is generic, ``detail`` is for operators only."""

    def __init__(self, reason: str, detail: str):
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail[:500]


class BlockedAddress(Exception):
    """Raised inside the connection (deliberately not an OSError, so that no retry swallows it)."""


@dataclass
class Policy:
    production: bool
    allowed: tuple[IPNetwork, ...] = ()
    connect_timeout: float = CONNECT_TIMEOUT
    read_timeout: float = READ_TIMEOUT
    total_seconds: float = TOTAL_SECONDS
    max_bytes: int = MAX_BYTES
    ca_bundle: Optional[str] = None
    # Sockets opened for the request in progress, so the watchdog can shut them at the deadline.
    sockets: list[socket.socket] = field(default_factory=list)

    def address_allowed(self, address: IPAddress) -> bool:
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        if address in METADATA_ADDRESSES or address.is_multicast or address.is_unspecified:
            return False
        if any(address in network for network in self.allowed):
            return True
        return address.is_global


def parse_networks(text: str) -> tuple[IPNetwork, ...]:
    """``10.20.0.0/16, 192.168.5.10`` → networks; raises ValueError naming a bad entry."""
    networks = []
    for item in text.replace(";", ",").replace(" ", ",").split(","):
        item = item.strip()
        if item:
            try:
                networks.append(ipaddress.ip_network(item, strict=False))
            except ValueError as error:
                raise ValueError(f"SSO_OUTBOUND_ALLOW: {item!r} is not an address or network") from error
    return tuple(networks)


def _setting(name: str) -> Optional[str]:
    from flask import current_app, has_app_context

    if has_app_context() and name in current_app.config and current_app.config[name] is not None:
        return str(current_app.config[name])
    return os.environ.get(name)


def current_policy() -> Policy:
    """The policy of the running app (its configuration), or of the environment outside an app."""
    env = _setting("PORTAL_ENV") or "development"
    production = env == "production"
    allow = _setting("SSO_OUTBOUND_ALLOW")
    if allow is None:
        # Outside production the local provider of `make run` and the tests runs on 127.0.0.1.
        allow = "" if production else DEVELOPMENT_ALLOW
    total = _setting("SSO_OUTBOUND_TOTAL_SECONDS")
    return Policy(production=production, allowed=parse_networks(allow),
                  total_seconds=float(total) if total else TOTAL_SECONDS,
                  ca_bundle=_setting("SSO_CA_BUNDLE") or None)


def check_url(url: str, policy: Policy) -> None:
    """The parts of a URL that can be refused before any connection: scheme, host, credentials."""
    parts = urlsplit(url)
    allowed_schemes = ("https",) if policy.production else ("https", "http")
    if parts.scheme not in allowed_schemes:
        raise OutboundError("refused", f"scheme {parts.scheme!r} not allowed for {url[:200]}")
    if not parts.hostname or parts.username or parts.password:
        raise OutboundError("refused", f"no host, or credentials in the URL: {url[:200]}")
    try:
        literal: Optional[IPAddress] = ipaddress.ip_address(parts.hostname)
    except ValueError:
        literal = None
    if literal is not None and not policy.address_allowed(literal):
        raise OutboundError("refused", f"address {literal} is not public and not in SSO_OUTBOUND_ALLOW")


def _origin(url: str) -> tuple[str, str, Optional[int]]:
    parts = urlsplit(url)
    return parts.scheme, (parts.hostname or "").lower(), parts.port


# The connection: resolve, check every address, connect to the checked address, check the peer. --------

class _GuardedConnectionMixin:
    policy: Policy
    _dns_host: str
    port: int
    timeout: Any
    socket_options: Any

    def _new_conn(self) -> socket.socket:
        try:
            infos = socket.getaddrinfo(self._dns_host, self.port, type=socket.SOCK_STREAM)
        except socket.gaierror as error:
            raise NewConnectionError(self, f"cannot resolve {self._dns_host}: {error}") from error  # type: ignore[arg-type]
        for *_rest, sockaddr in infos:
            address = ipaddress.ip_address(str(sockaddr[0]).split("%")[0])
            if not self.policy.address_allowed(address):
                # Any non-public answer refuses the host outright (no falling back to another address).
                raise BlockedAddress(f"{self._dns_host} resolves to {address}, which is not public and not in "
                                     "SSO_OUTBOUND_ALLOW")
        last_error: Optional[OSError] = None
        for family, kind, proto, _name, sockaddr in infos:
            sock = socket.socket(family, kind, proto)
            try:
                if isinstance(self.timeout, (int, float)):
                    sock.settimeout(self.timeout)
                for option in self.socket_options or ():
                    sock.setsockopt(*option)
                sock.connect(sockaddr)
                peer = ipaddress.ip_address(str(sock.getpeername()[0]).split("%")[0])
                if not self.policy.address_allowed(peer):
                    sock.close()
                    raise BlockedAddress(f"connected peer {peer} is not public")
            except OSError as error:
                sock.close()
                last_error = error
                continue
            self.policy.sockets.append(sock)
            return sock
        raise NewConnectionError(self, f"cannot connect to {self._dns_host}:{self.port}: {last_error}")  # type: ignore[arg-type]


class _GuardedHTTPConnection(_GuardedConnectionMixin, HTTPConnection):
    pass


class _GuardedHTTPSConnection(_GuardedConnectionMixin, HTTPSConnection):
    pass


class GuardedAdapter(HTTPAdapter):
    """A requests adapter whose connections are made only to allowed addresses (checked at connect)."""

    def __init__(self, policy: Policy):
        self.policy = policy
        super().__init__(max_retries=0)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        http_conn = type("PolicyHTTPConnection", (_GuardedHTTPConnection,), {"policy": self.policy})
        https_conn = type("PolicyHTTPSConnection", (_GuardedHTTPSConnection,), {"policy": self.policy})
        self.poolmanager.pool_classes_by_scheme = {
            "http": type("PolicyHTTPPool", (HTTPConnectionPool,), {"ConnectionCls": http_conn}),
            "https": type("PolicyHTTPSPool", (HTTPSConnectionPool,), {"ConnectionCls": https_conn}),
        }


class _GuardedSessionMixin:
    """What both sessions (plain and Authlib's OAuth 2 session) do around every request they send."""

    _policy: Policy

    def _guard(self, policy: Policy) -> None:
        self._policy = policy
        session: requests.Session = self  # type: ignore[assignment]
        session.trust_env = False  # no proxy or .netrc from the environment
        session.max_redirects = MAX_REDIRECTS
        adapter = GuardedAdapter(policy)
        session.mount("https://", adapter)
        session.mount("http://", adapter)
        session.headers["Accept-Encoding"] = "identity"
        session.headers["User-Agent"] = "yokoten-portal"
        if policy.ca_bundle:
            session.verify = policy.ca_bundle

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        policy = self._policy
        kwargs.update(stream=True, allow_redirects=False, proxies={},
                      timeout=(policy.connect_timeout, policy.read_timeout))
        expired = threading.Event()

        def shut_sockets() -> None:
            expired.set()
            for sock in list(policy.sockets):
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

        watchdog = threading.Timer(policy.total_seconds, shut_sockets)
        watchdog.daemon = True
        watchdog.start()
        try:
            return self._send_guarded(request, kwargs, expired)
        except BlockedAddress as error:
            raise OutboundError("refused", str(error)) from error
        except requests.RequestException as error:
            if expired.is_set():
                raise OutboundError("timeout", f"no complete answer within {policy.total_seconds:g} s") from error
            blocked = _find_cause(error, BlockedAddress)
            if blocked is not None:
                raise OutboundError("refused", str(blocked)) from error
            raise OutboundError("unreachable", f"{type(error).__name__}: {error}") from error
        finally:
            watchdog.cancel()
            policy.sockets.clear()

    def _send_guarded(self, request: requests.PreparedRequest, kwargs: dict[str, Any],
                      expired: threading.Event) -> requests.Response:
        policy = self._policy
        url = str(request.url)
        for hop in range(MAX_REDIRECTS + 1):
            check_url(url, policy)
            response = super().send(request, **kwargs)  # type: ignore[misc]
            if not response.is_redirect:
                _read_capped(response, policy, expired)
                return response
            target = urljoin(url, response.headers.get("location", ""))
            response.close()
            if _origin(target) != _origin(url) or request.method != "GET" or hop == MAX_REDIRECTS:
                raise OutboundError("refused", f"redirect from {url[:200]} to {target[:200]} not followed")
            request = request.copy()
            request.prepare_url(target, None)
            url = target
        raise OutboundError("refused", "too many redirects")  # pragma: no cover - the loop returns or raises


def _find_cause(error: BaseException, kind: type[BaseException]) -> Optional[BaseException]:
    seen: set[int] = set()
    stack: list[Optional[BaseException]] = [error]
    while stack:
        current = stack.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, kind):
            return current
        stack.extend([current.__cause__, current.__context__, *[a for a in current.args
                                                                  if isinstance(a, BaseException)]])
        reason = getattr(current, "reason", None)
        if isinstance(reason, BaseException):
            stack.append(reason)
    return None


def _read_capped(response: requests.Response, policy: Policy, expired: threading.Event) -> None:
    """Read the body (streamed) into the response, refusing more than ``policy.max_bytes``."""
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > policy.max_bytes:
        response.close()
        raise OutboundError("too_large", f"Content-Length {declared} > {policy.max_bytes}")
    chunks: list[bytes] = []
    total = 0
    try:
        for chunk in response.iter_content(16384):
            total += len(chunk)
            if total > policy.max_bytes:
                raise OutboundError("too_large", f"more than {policy.max_bytes} bytes")
            chunks.append(chunk)
    finally:
        response.close()
    if expired.is_set():
        raise OutboundError("timeout", f"no complete answer within {policy.total_seconds:g} s")
    response._content = b"".join(chunks)  # requests' own field for the body


class OutboundSession(_GuardedSessionMixin, requests.Session):
    """A requests session with the guards; use as a context manager, one per fetch."""

    def __init__(self, policy: Optional[Policy] = None):
        super().__init__()
        self._guard(policy or current_policy())


class OutboundOAuth2Session(_GuardedSessionMixin, OAuth2Session):
    """Authlib's OAuth 2 client with the guards (the token request goes through them too)."""

    def __init__(self, *args: Any, policy: Optional[Policy] = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self._guard(policy or current_policy())


def get_json(url: str, headers: Optional[dict[str, str]] = None, policy: Optional[Policy] = None) -> dict[str, Any]:
    """GET a JSON object through the guards; raises OutboundError (also for a non-2xx or non-object answer)."""
    started = time.monotonic()
    with OutboundSession(policy) as session:
        response = session.get(url, headers={"Accept": "application/json", **(headers or {})})
    if response.status_code >= 400:
        raise OutboundError("http_error", f"HTTP {response.status_code} from {url[:200]}")
    try:
        data = response.json()
    except ValueError as error:
        raise OutboundError("not_json", f"answer of {url[:200]} is not JSON "
                                        f"({time.monotonic() - started:.1f} s)") from error
    if not isinstance(data, dict):
        raise OutboundError("not_json", f"answer of {url[:200]} is not a JSON object")
    return data


def post_json(url: str, body: dict[str, Any], headers: Optional[dict[str, str]] = None,
              policy: Optional[Policy] = None) -> dict[str, Any]:
    """POST a JSON object through the same guards as ``get_json``; raises OutboundError likewise."""
    with OutboundSession(policy) as session:
        response = session.post(url, json=body, headers={"Accept": "application/json", **(headers or {})})
    if response.status_code >= 400:
        raise OutboundError("http_error", f"HTTP {response.status_code} from {url[:200]}")
    try:
        data = response.json()
    except ValueError as error:
        raise OutboundError("not_json", f"answer of {url[:200]} is not JSON") from error
    if not isinstance(data, dict):
        raise OutboundError("not_json", f"answer of {url[:200]} is not a JSON object")
    return data


def describe_allow_list(networks: Iterable[IPNetwork]) -> str:
    return ", ".join(str(n) for n in networks) or "(empty)"
