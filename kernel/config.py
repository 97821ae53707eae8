"""Configuration from the environment. Every name is documented in README.md."""
from __future__ import annotations

import os
from typing import Any
from urllib.parse import urlsplit

DEFAULT_DEV_SECRET = "development-only-secret-key-change-me"


class ConfigError(RuntimeError):
    """The configuration is unsafe or incomplete; the app refuses to start."""


def _bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


def normalise_url(url: str) -> str:
    """Use psycopg2 (the chosen driver) whatever scheme spelling the URL has."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg2://" + url[len(prefix):]
    return url


def _require_sso_secret_key(raw: str) -> None:
    """Production needs usable Fernet keys: without them no IdP client secret can be stored or read."""
    from cryptography.fernet import Fernet

    keys = [key.strip() for key in raw.split(",") if key.strip()]
    if not keys:
        raise ConfigError("SSO_SECRET_KEY must be set in production (Fernet key(s), comma-separated; "
                          "docs/sso.md). Keep it with the backups: without it no stored client secret can be read.")
    for key in keys:
        try:
            Fernet(key.encode())
        except ValueError as error:
            raise ConfigError("SSO_SECRET_KEY is not a valid Fernet key (32 url-safe base64 bytes).") from error


def from_environment() -> dict[str, Any]:
    """Read the settings from the process environment."""
    env = os.environ.get("PORTAL_ENV", "development")
    redis_url = os.environ.get("REDIS_URL")
    return {
        "PORTAL_ENV": env,
        "SQLALCHEMY_DATABASE_URI": os.environ.get("DATABASE_URL", ""),
        "DATABASE_OWNER_URL": os.environ.get("DATABASE_OWNER_URL", ""),
        "SECRET_KEY": os.environ.get("SECRET_KEY") or (DEFAULT_DEV_SECRET if env != "production" else ""),
        "DEV_LOGIN_ENABLED": _bool("DEV_LOGIN_ENABLED", False),
        "SESSION_IDLE_MINUTES": _int("SESSION_IDLE_MINUTES", 30),
        "SESSION_ABSOLUTE_HOURS": _int("SESSION_ABSOLUTE_HOURS", 12),
        # The idle warning shows this many seconds before the idle limit (portal/static/js/session.js).
        "SESSION_WARN_SECONDS": _int("SESSION_WARN_SECONDS", 180),
        # Server-side drafts of long forms (kernel/drafts.py): kept this many days, saved this long after typing stops.
        "DRAFT_KEEP_DAYS": _int("DRAFT_KEEP_DAYS", 14),
        "DRAFT_SAVE_DELAY_MS": _int("DRAFT_SAVE_DELAY_MS", 1500),
        "SESSION_COOKIE_SECURE": _bool("SESSION_COOKIE_SECURE", env == "production"),
        "MAX_UPLOAD_MB": _int("MAX_UPLOAD_MB", 20),
        "RATELIMIT_STORAGE_URI": redis_url or "memory://",
        # Several deployments (or test runs) may share one Redis: their counters must not mix.
        "RATELIMIT_KEY_PREFIX": os.environ.get("RATELIMIT_KEY_PREFIX", "yokoten"),
        # A streaming replica for lag-tolerant reads (portal/read_replica.py); unset: the primary only.
        "DATABASE_READ_URL": os.environ.get("DATABASE_READ_URL", ""),
        "DATABASE_READ_MAX_LAG": float(os.environ.get("DATABASE_READ_MAX_LAG", "10")),
        "REDIS_URL": redis_url,
        "SSO_SECRET_KEY": os.environ.get("SSO_SECRET_KEY", ""),
        "SMTP_HOST": os.environ.get("SMTP_HOST", ""),
        "SMTP_PORT": _int("SMTP_PORT", 25),
        "SMTP_SECURITY": os.environ.get("SMTP_SECURITY", "none"),  # none / starttls / ssl
        "SMTP_USERNAME": os.environ.get("SMTP_USERNAME", ""),
        "SMTP_PASSWORD": os.environ.get("SMTP_PASSWORD", ""),
        "SMTP_TIMEOUT": _int("SMTP_TIMEOUT", 10),
        "MAIL_FROM_NAME": os.environ.get("MAIL_FROM_NAME", "横展開ポータル Yokoten"),
        "DEV_MAIL_DIR": os.environ.get("DEV_MAIL_DIR", ""),
        "MAIL_FROM": os.environ.get("MAIL_FROM", "yokoten@localhost"),
        "OCDS_PREFIX": os.environ.get("OCDS_PREFIX", "ocds-yokoten"),
        "PORTAL_BASE_URL": os.environ.get("PORTAL_BASE_URL", ""),
        # Workload benchmark: contributors a published cell needs (never below 3, enforced in SQL too).
        "WORKLOAD_MIN_CONTRIBUTORS": _int("WORKLOAD_MIN_CONTRIBUTORS", 5),
        "METRICS_TOKEN": os.environ.get("METRICS_TOKEN", ""),
    }


def finalise(config: dict[str, Any]) -> dict[str, Any]:
    """Derive dependent settings and refuse unsafe combinations."""
    if not config.get("SQLALCHEMY_DATABASE_URI"):
        raise ConfigError("DATABASE_URL is not set (the application role's connection URL).")
    production = config.get("PORTAL_ENV") == "production"
    if production and (not config.get("SECRET_KEY") or config["SECRET_KEY"] == DEFAULT_DEV_SECRET):
        raise ConfigError("SECRET_KEY must be set in production.")
    if production and config.get("DEV_LOGIN_ENABLED"):
        raise ConfigError("DEV_LOGIN_ENABLED must not be set in production.")
    if production:
        _require_sso_secret_key(str(config.get("SSO_SECRET_KEY") or ""))
    if config.get("SMTP_SECURITY", "none") not in ("none", "starttls", "ssl"):
        raise ConfigError("SMTP_SECURITY must be none, starttls or ssl.")
    config["SQLALCHEMY_DATABASE_URI"] = normalise_url(config["SQLALCHEMY_DATABASE_URI"])
    if config.get("DATABASE_OWNER_URL"):
        config["DATABASE_OWNER_URL"] = normalise_url(config["DATABASE_OWNER_URL"])
    config.setdefault("APP_DB_ROLE", urlsplit(config["SQLALCHEMY_DATABASE_URI"]).username or "")
    config["MAX_CONTENT_LENGTH"] = int(config.get("MAX_UPLOAD_MB", 20)) * 1024 * 1024 + 64 * 1024
    config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {
        # No pre-ping round trip: portal.db_liveness discards connections the server has closed.
        "pool_pre_ping": False,
        "pool_size": int(os.environ.get("DB_POOL_SIZE", "5")),
        "max_overflow": int(os.environ.get("DB_MAX_OVERFLOW", "5")),
        # A request waiting for a connection answers 503 after this, never hangs.
        "pool_timeout": float(os.environ.get("DB_POOL_TIMEOUT", "5")),
        "connect_args": {"connect_timeout": 5, "application_name": "yokoten"},
    })
    config.setdefault("SESSION_COOKIE_HTTPONLY", True)
    # The cookie is written when the session changes (login, language, flash messages), not re-signed
    # and re-sent on every request: its expiry stays login + SESSION_ABSOLUTE_HOURS, the absolute limit
    # that the server enforces anyway, and the idle limit is checked on the server-side session.
    config.setdefault("SESSION_REFRESH_EACH_REQUEST", False)
    config.setdefault("SESSION_COOKIE_SAMESITE", "Lax")
    config.setdefault("SESSION_COOKIE_NAME", "yokoten_session")
    config.setdefault("BABEL_DEFAULT_LOCALE", "ja")
    config.setdefault("BABEL_DEFAULT_TIMEZONE", "Asia/Tokyo")
    config.setdefault("WTF_CSRF_TIME_LIMIT", None)
    config.setdefault("SQLALCHEMY_TRACK_MODIFICATIONS", False)
    config.setdefault("JSON_AS_ASCII", False)
    return config
