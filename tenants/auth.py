"""Login sessions kept on the server, API tokens, the Flask-Login loader and the access decorators.

The browser cookie (signed by Flask) holds only the tenant code, and a random secret whose SHA-256
names the server-side ``auth_sessions`` row. Every request re-checks that row (not ended, within
the idle and absolute limits) and the user (still active, current roles), so logout, deactivation
and demotion take effect at the very next request.
"""
from __future__ import annotations

import hashlib
import secrets
from collections import namedtuple
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import lru_cache, wraps
from typing import Any, NoReturn, Optional, TypeVar

import flask_login.utils
from flask import abort, current_app, g, request, session
from flask.globals import _cv_app, _cv_request
from flask_login import current_user
from sqlalchemy import BigInteger, bindparam, func, select
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

from kernel import audit, driver
from kernel.api import MUTATING, api_error
from kernel.extensions import csrf, db, login_manager
from kernel.kept_plans import KeptPlan
from kernel.notifications.models import Notification
from kernel.notifications.service import set_unread_count
from tenants.context import as_tenant, bind_tenant
from tenants.models import AuthSession, Membership, Tenant, User, is_tenant_code
from tenants.roles import Permission
from tenants.services import mark_login
from tenants.tokens import API_PREFIX, authenticate, required_scope

F = TypeVar("F", bound=Callable[..., Any])
_TOUCH_EVERY = timedelta(seconds=60)
# Requests a page's script sends by itself (the idle warning asking how long is left): they must not
# count as activity, or an unattended page would keep its session alive for ever.
PASSIVE_ENDPOINTS = frozenset({"drafts.session_status"})

_SESSIONS, _USERS, _TENANTS = AuthSession.__table__, User.__table__, Tenant.__table__
_MEMBERSHIPS, _NOTIFICATIONS = Membership.__table__, Notification.__table__
# The header's unread-notification count, read in the session check's own statement: every page shows it,
# and a statement of its own would be a round trip more on every request (issue 25.5). Typed as PostgreSQL
# returns it (bigint): the session check's plan function declares its result columns from these types.
_UNREAD = (
    select(func.count(type_=BigInteger())).select_from(_NOTIFICATIONS)
    .where(_NOTIFICATIONS.c.tenant_id == _SESSIONS.c.tenant_id, _NOTIFICATIONS.c.user_id == _SESSIONS.c.user_id,
           _NOTIFICATIONS.c.read_at.is_(None))
    .scalar_subquery()
)
_ROLES = (
    select(func.array_agg(_MEMBERSHIPS.c.role))
    .where(_MEMBERSHIPS.c.tenant_id == _SESSIONS.c.tenant_id, _MEMBERSHIPS.c.user_id == _SESSIONS.c.user_id)
    .scalar_subquery()
)
# The session check runs on every request, so it is a plain (Core) statement built once, with bind
# parameters: the server session, the user, their municipality, their roles and the unread count as one
# row. Loading the same through the ORM (three entities, the roles as a joined collection made unique)
# cost some 0.2 ms of Python and 0.06 ms more planning on every request (issue 25.5); the objects are
# attached to the request's ORM session by ``_persistent`` instead, so the rest of the code sees the
# ORM objects it always saw.
# PostgreSQL planned the statement in 0.14 ms and ran it in 0.05 (EXPLAIN ANALYZE on the bench data): it is
# sent through its plan function (kernel/kept_plans.py), whose plan PostgreSQL keeps per server connection;
# the function's row is the statement's, column for column.
_SESSION_COLUMNS, _USER_COLUMNS, _TENANT_COLUMNS = tuple(_SESSIONS.c), tuple(_USERS.c), tuple(_TENANTS.c)
_SESSION_CHECK = KeptPlan(
    select(*_SESSION_COLUMNS, *_USER_COLUMNS, *_TENANT_COLUMNS, _ROLES, _UNREAD)
    .select_from(_SESSIONS.join(_USERS, (_USERS.c.tenant_id == _SESSIONS.c.tenant_id)
                                & (_USERS.c.id == _SESSIONS.c.user_id))
                 .join(_TENANTS, _TENANTS.c.code == _USERS.c.tenant_id))
    .where(_SESSIONS.c.tenant_id == bindparam("tenant"), _SESSIONS.c.id == bindparam("session_hash"))
)
_ENDS = (len(_SESSION_COLUMNS), len(_SESSION_COLUMNS) + len(_USER_COLUMNS),
         len(_SESSION_COLUMNS) + len(_USER_COLUMNS) + len(_TENANT_COLUMNS))


@lru_cache(maxsize=8)
def _row_shape(model: Any, columns: tuple[Any, ...]) -> tuple[Any, tuple[int, ...], tuple[str, ...]]:
    """The model's mapper, where its primary key sits among ``columns`` and the attribute name of each column:
    worked out once per worker, not on every request."""
    mapper = sa_inspect(model)
    return mapper, tuple(columns.index(column) for column in mapper.primary_key), tuple(c.key for c in columns)


def _persistent(model: Any, columns: tuple[Any, ...], values: Any, session: Any = None) -> Any:
    """The ``model`` object of one row, in the request's ORM session as if the ORM had loaded it.

    Columns not read stay unloaded (a relationship loads on first use, as before); an object the session
    already holds (the same row loaded earlier in this session) is returned as it is.
    """
    session = session if session is not None else db.session()
    mapper, key_positions, names = _row_shape(model, columns)
    key = mapper.identity_key_from_primary_key([values[position] for position in key_positions])
    known = session.identity_map.get(key)
    if known is not None:
        return known
    instance = mapper.class_manager.new_instance()
    instance.__dict__.update(zip(names, values, strict=True))
    make_transient_to_detached(instance)  # its values count as loaded from the database, not as changes
    # Session.add, public API. Calling its inner step (Session._update_impl) without the save-update cascade saved
    # about 7 µs per request (the new object holds only its columns, the cascade finds nothing), and was tried and
    # taken back: a private method of SQLAlchemy on the path of every logged-in request is not worth 0.2 % of it.
    session.add(instance)
    return instance


# The server session as read by the session check: its columns by name. Most requests only read it (the
# checks below, the idle warning's timer); the few that change it (the touch once a minute, "stay logged
# in", logout) attach it to the ORM session first (``_auth_session_to_change``), which costs some 110
# function calls that every other request no longer pays (issue 25.5).
SessionRow: Any = namedtuple("SessionRow", [column.key for column in _SESSION_COLUMNS])  # type: ignore[misc]


def _checked_objects(row: Any) -> tuple[Any, User]:
    """The server session and its user (with their municipality and roles) of the session check's row."""
    session = db.session()
    tenant = _persistent(Tenant, _TENANT_COLUMNS, row[_ENDS[1]:_ENDS[2]], session)
    user = _persistent(User, _USER_COLUMNS, row[_ENDS[0]:_ENDS[1]], session)
    if "tenant" not in user.__dict__:
        set_committed_value(user, "tenant", tenant)
    user.__dict__["_checked_roles"] = tuple(row[_ENDS[2]] or ())  # read by User.roles
    return SessionRow(*row[:_ENDS[0]]), user


def _auth_session_to_change() -> Optional[AuthSession]:
    """This request's server session as an ORM object, to change it (its row is attached on first use)."""
    found = g.get("auth_session")
    if found is None or isinstance(found, AuthSession):
        return found
    attached: AuthSession = _persistent(AuthSession, _SESSION_COLUMNS, tuple(found))
    g.auth_session = attached
    return attached


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def start_session(user: User, method: str, id_token_hint: Optional[str] = None,
                  sso_sid: Optional[str] = None) -> None:
    """Log a user in: a brand-new session (no fixation), recorded on the server and audited."""
    lang = session.get("lang")
    session.clear()
    secret = secrets.token_urlsafe(32)
    now = datetime.now(UTC)
    bind_tenant(user.tenant_id, user.id)
    db.session.add(AuthSession(tenant_id=user.tenant_id, id=_hash(secret), user_id=user.id, created_at=now,
                               last_seen_at=now, login_method=method, id_token_hint=id_token_hint,
                               sso_sid=sso_sid))
    mark_login(user)
    audit.record("auth.login", "user", user.id, after={"method": method})
    session["tid"] = user.tenant_id
    session["sid"] = secret
    session["uid"] = user.id
    if lang:
        session["lang"] = lang
    session.permanent = True
    g.login_user = user


def end_session() -> Optional[AuthSession]:
    """Log out: end the server-side session and forget the cookie. Returns the ended session."""
    _ = current_user.is_authenticated  # runs the loader, which finds this request's server session
    auth = _auth_session_to_change()
    if auth is not None and auth.ended_at is None:
        auth.ended_at = datetime.now(UTC)
        audit.record("auth.logout", "user", auth.user_id)
    lang, secret = session.get("lang"), session.get("sid")
    session.clear()
    if lang:
        session["lang"] = lang
    if auth is not None and isinstance(secret, str):
        _remember_ended(auth.tenant_id, secret)
    return auth


def _remember_ended(tenant_id: str, secret: str) -> None:
    # The ended session's secret stays in the signed cookie (it authenticates nobody any more): a form
    # sent from another tab afterwards can still be kept as a draft of the person it proves
    # (``proven_identity``). The next login clears the cookie, and with it this.
    session["ended"] = [tenant_id, secret]


def proven_identity() -> Optional[tuple[str, int]]:
    """(tenant, user) that this browser's cookie proves, live or not: the server-side session its secret
    names, even when that session has ended (logged out in another tab) or expired. Used only to keep a
    form sent after the session ended as that person's draft, never to authenticate."""
    tenant_id, secret = session.get("tid"), session.get("sid")
    if not isinstance(secret, str):
        tenant_id, secret = (session.get("ended") or [None, None])[:2]
    if not isinstance(tenant_id, str) or not isinstance(secret, str) or not is_tenant_code(tenant_id):
        return None
    with as_tenant(tenant_id):
        auth = db.session.get(AuthSession, (tenant_id, _hash(secret)))
        return (auth.tenant_id, auth.user_id) if auth is not None else None


def session_expires_in() -> Optional[int]:
    """Seconds until this request's session ends by the idle or absolute limit (None when not logged in)."""
    app_ctx = _cv_app.get()  # g and the configuration without their proxies (the layout asks on every page)
    auth = app_ctx.g.__dict__.get("auth_session")
    if auth is None:
        return None
    config = app_ctx.app.config
    now = datetime.now(UTC)
    idle = auth.last_seen_at + timedelta(minutes=config["SESSION_IDLE_MINUTES"])
    absolute = auth.created_at + timedelta(hours=config["SESSION_ABSOLUTE_HOURS"])
    return max(0, int((min(idle, absolute) - now).total_seconds()))


def extend_session() -> Optional[int]:
    """The person asked to stay logged in: restart the idle limit now (never past the absolute one)."""
    auth = _auth_session_to_change()
    if auth is None:
        return None
    auth.last_seen_at = datetime.now(UTC)
    return session_expires_in()


def _load_from_session() -> Optional[User]:
    # The request's context, its cookie session, g and the configuration read once, not through the
    # session / g / current_app / request proxies at every use (this runs on every request).
    request_ctx, app_ctx = _cv_request.get(), _cv_app.get()
    cookie = request_ctx.session
    tenant_id, secret = cookie.get("tid"), cookie.get("sid")
    if not isinstance(tenant_id, str) or not isinstance(secret, str):
        return None
    claimed = cookie.get("uid")
    # The signed cookie names the user: bind tenant and user at once and read the server session, the
    # user, their tenant and roles in ONE statement (this runs on every request). The binding is
    # undone below unless the server-side session really belongs to that user.
    bind_tenant(tenant_id, claimed if isinstance(claimed, int) else None)
    connection = db.session.connection()
    row = driver.first(connection, _SESSION_CHECK.statement_for(connection),
                       {"tenant": tenant_id, "session_hash": _hash(secret)})
    auth, user = _checked_objects(row) if row is not None else (None, None)
    unread = row[-1] if row is not None else 0
    now = datetime.now(UTC)
    config = app_ctx.app.config
    idle = timedelta(minutes=config["SESSION_IDLE_MINUTES"])
    absolute = timedelta(hours=config["SESSION_ABSOLUTE_HOURS"])
    if auth is None or auth.ended_at is not None or now - auth.last_seen_at > idle \
            or now - auth.created_at > absolute:
        # The login page says why the person is there (issue 17.3): logged out elsewhere, or timed out.
        cookie["login_reason"] = "ended" if auth is not None and auth.ended_at is not None else "expired"
        if auth is not None:
            _remember_ended(tenant_id, secret)
        cookie.pop("sid", None)
        bind_tenant(None)
        return None
    if user is None or not user.is_active or not user.tenant.is_active:
        if user is not None:
            audit.record_always("auth.refused_inactive", "user", user.id)
        cookie.pop("sid", None)
        bind_tenant(None)
        return None
    if claimed != user.id:
        # A cookie from before the user id was kept in it (or none): bind the user now.
        bind_tenant(tenant_id, user.id)
        cookie["uid"] = user.id
    app_ctx.g.auth_session = auth
    if now - auth.last_seen_at > _TOUCH_EVERY and request_ctx.request.endpoint not in PASSIVE_ENDPOINTS:
        _auth_session_to_change().last_seen_at = now  # type: ignore[union-attr]
    set_unread_count(int(unread or 0))
    return user


def _bearer_token() -> Optional[str]:
    header = request.headers.get("Authorization", "")
    if header[:7].lower() == "bearer ":
        return header[7:].strip()
    return None


DEFAULT_TOKEN_FAILURES = "10/minute"


def _failure_limit() -> Any:
    from limits import parse

    return parse(str(current_app.config.get("API_TOKEN_FAILURES_PER_ADDRESS") or DEFAULT_TOKEN_FAILURES))


def _failures_limiter() -> Optional[Any]:
    """The per-address limiter of failed token attempts (None when rate limits are switched off)."""
    if current_app.config.get("RATELIMIT_ENABLED") is False:
        return None
    from limits.strategies import FixedWindowRateLimiter

    from tenants.throttle import storage

    return FixedWindowRateLimiter(storage())


def load_user_from_token(_request: Any) -> Any:
    """The user of a valid bearer token (or None); tried before the session cookie.

    Only under /api/v1 (elsewhere ``refuse_misplaced_token`` has answered 401 already). Failed attempts
    are counted per client address: past the limit the address gets 429 without any token being looked
    up, and only the first failure and the one reaching the limit of each window are audited (a
    guessing script cannot flood the audit log).
    """
    token = _bearer_token()
    if token is None or not request.path.startswith(API_PREFIX):
        return None
    limiter = _failures_limiter()
    address = request.remote_addr or "-"
    if limiter is not None and not limiter.test(_failure_limit(), "api-token-failures", address):
        g.api_token_throttled = True
        return None
    found = authenticate(token)
    if found is None:
        g.api_token_invalid = True
        audit_it = True
        if limiter is not None:
            limiter.hit(_failure_limit(), "api-token-failures", address)
            stats = limiter.get_window_stats(_failure_limit(), "api-token-failures", address)
            audit_it = stats.remaining in (_failure_limit().amount - 1, 0)
        if audit_it:
            audit.record_always("auth.token_refused", "api_token", token[:14] if token.startswith("yk_") else None)
        return None
    user, scopes = found
    g.api_token_user = True
    g.api_token_scopes = scopes
    return user


def refuse_misplaced_token() -> Any:
    """before_request: a bearer token outside /api/v1 (a web page, an admin form) is refused with 401.

    Tokens are for programs calling the API; a page or form must never act on one (the review changed
    the SSO settings and minted a second token with a bearer token).
    """
    token = _bearer_token()
    # Only the portal's own tokens (yk_…): other bearer schemes have their own routes (the Prometheus
    # scraper's METRICS_TOKEN on /metrics) and authenticate nobody here.
    if token is not None and token.startswith("yk_") and not request.path.startswith(API_PREFIX):
        return api_error(401, "アクセストークンは /api/v1 でのみ使えます。画面やフォームにはログインしてください。")
    return None


def api_auth(permission: Optional[Permission] = None) -> Callable[[F], F]:
    """Require a logged-in user (token or session) and optionally a permission; JSON 401/403/429.

    A token also needs the scope of the request's area and method (``tenants.tokens.required_scope``).
    """
    def decorator(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            authenticated = current_user.is_authenticated  # runs the loaders (token first)
            if g.get("api_token_throttled"):
                response = api_error(429, "アクセストークンの失敗が多すぎます。しばらくしてから再試行してください。")
                response.headers["Retry-After"] = "60"
                return response
            if g.get("api_token_invalid"):
                return api_error(401, "アクセストークンが無効です。")
            if not authenticated:
                return api_error(401, "ログインするか、アクセストークンを指定してください。")
            if g.get("api_token_user"):
                needed = required_scope(request.path, request.method)
                if needed is not None and needed not in g.get("api_token_scopes", frozenset()):
                    audit.record_always("access.denied", "api_scope", needed)
                    return api_error(403, f"このアクセストークンには「{needed}」の権限（スコープ）がありません。")
            elif request.method in MUTATING:
                csrf.protect()  # a browser session writing through the API still needs the CSRF token
            if permission is not None and not current_user.can(permission):
                audit.record_always("access.denied", "permission", permission.value)
                return api_error(403, "この操作を行う権限がありません。")
            return view(*args, **kwargs)
        return wrapped  # type: ignore[return-value]
    return decorator


def _user_of_request() -> Any:
    """Flask-Login's ``_get_user`` (what ``current_user`` resolves to), reading the request's app context
    directly: Flask-Login goes through the ``g`` and ``current_app`` proxies on every access of
    ``current_user``, and a page touches it 20-50 times (issue 25.5). Same answer: None outside a
    request, the loaded user (or anonymous user) once loaded, the loaders run at the first access.
    tests/tenants/test_current_user_lookup.py keeps it equal to Flask-Login's own.

    At the first access it runs the request loader itself rather than Flask-Login's ``_load_user``,
    which would first hash the client's address and browser (its "session protection", off here: see
    ``install_user_lookup``), send a signal nobody listens to, and look for a ``_user_id`` and a
    remember-me cookie that this portal never sets.
    """
    if _cv_request.get(None) is None:
        return None
    app_ctx = _cv_app.get()
    values = app_ctx.g.__dict__
    if "_login_user" not in values:
        user = load_user_from_request(None)
        values["_login_user"] = user if user is not None else login_manager.anonymous_user()
    return values["_login_user"]


def request_user() -> Any:
    """The request's person (what ``current_user`` stands for: the user, or the anonymous user), for code that
    reads it several times: the object itself instead of a proxy look-up at every attribute."""
    return _user_of_request()


def install_user_lookup() -> None:
    """Have ``flask_login.current_user`` use ``_user_of_request`` (its proxy looks the function up by name
    in flask_login.utils at every access, so every module's imported ``current_user`` follows).

    Flask-Login's session protection is switched off: in its "basic" mode it only marks a session "not
    fresh" when the browser's address or user agent changes, and nothing here asks for freshness (the
    server-side session is checked on every request instead). Marking it rewrote and re-signed the
    session cookie on every request of a client that does not send the updated cookie back.
    """
    login_manager.session_protection = None
    flask_login.utils._get_user = _user_of_request


@login_manager.user_loader
def _never(_user_id: str) -> None:
    # We never store Flask-Login's own _user_id; the request loader below does the work.
    return None


@login_manager.request_loader
def load_user_from_request(_request: Any) -> Optional[User]:
    """Resolve the user of this request from the session cookie, or an API token when one is sent."""
    user = load_user_from_token(_request)
    if user is not None:
        return user
    return _load_from_session()


def require_permission(permission: Permission) -> Callable[[F], F]:
    """View decorator: log in first (anonymous → login page), then the permission or 403."""
    def decorator(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if not current_user.can(permission):
                audit.record_always("access.denied", "permission", permission.value, after={"path": request.path})
                abort(403)
            return view(*args, **kwargs)
        return wrapped  # type: ignore[return-value]
    return decorator


def require_login(view: F) -> F:
    """View decorator: any logged-in user."""
    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        return view(*args, **kwargs)
    return wrapped  # type: ignore[return-value]


def not_found_or_denied(object_type: str, object_id: Any) -> NoReturn:
    """Answer 404 for an object the user may not see (another tenant's private object) and audit it."""
    audit.record_always("access.not_found", object_type, object_id)
    abort(404)
