"""Telling people: ``notify`` writes the in-app notifications and queues the mails; reading and settings."""
from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, Optional

from flask import current_app, g, has_request_context
from flask_babel import force_locale
from sqlalchemy import func, select, update

from kernel import audit
from kernel.extensions import db
from kernel.i18n import SUPPORTED, domain_for
from kernel.notifications.directory import Person, directory
from kernel.notifications.models import EMAIL_MODES, Notification, NotificationSetting
from kernel.notifications.outbox import queue_mail
from kernel.notifications.registry import N_, HoldersOf, Recipient, _events, get_event

DEFAULT_MODE, DEFAULT_LANGUAGE = "immediate", "ja"


def notify(kind: str, *, url: str = "", actor: Optional[Recipient] = None, **params: Any) -> int:
    """Tell everyone the event's rule names — in the app now, by mail after the commit; returns how many.

    ``params`` fill the text's placeholders (keep them to what every recipient may see) and feed the
    recipients rule; ``actor`` (tenant_id, user_id) is never told of their own step.
    """
    event = get_event(kind)
    by_tenant: dict[str, list[int | HoldersOf]] = {}
    for tenant_id, who in dict.fromkeys(event.recipients.resolve(params)):
        by_tenant.setdefault(tenant_id, []).append(who)
    stored = _storable(params, event.text)
    told = 0
    people_dir = directory()
    for tenant_id, user_ids in by_tenant.items():
        # Written under the recipient's tenant: a notification lives in the recipient's municipality only.
        with people_dir.bound(tenant_id):
            ids = {uid for who in user_ids for uid in (
                people_dir.role_holders(tenant_id, who.role) if isinstance(who, HoldersOf) else [who])}
            ids.discard(actor[1] if actor is not None and actor[0] == tenant_id else -1)
            if not ids:
                continue
            people = people_dir.active_people(tenant_id, ids)
            settings = _settings_of(tenant_id, [p.id for p in people])
            now = datetime.now(UTC)
            for person in people:
                note = Notification(tenant_id=tenant_id, user_id=person.id, kind=kind, params=stored, url=url[:500])
                mode, lang = settings.get(person.id, (DEFAULT_MODE, DEFAULT_LANGUAGE))
                if mode == "immediate" and _mail_one(person, kind, stored, url, lang):
                    note.mailed_at = now
                db.session.add(note)
                told += 1
            db.session.flush()
    if told:
        _forget_unread_count()
    return told


_PLACEHOLDER = re.compile(r"%\(([a-z_]+)\)s")


def _storable(params: Mapping[str, Any], text: str) -> dict[str, Any]:
    """The parameters as stored with the notification (JSON: tuples become lists, other objects text).

    Only what the text shows is kept (``name``, or its ``name_ja`` / ``name_en`` pair): the parameters
    that address the recipients (``tenants``, ``people``, ``to``) name other municipalities and their
    people, and a notification lives in every recipient's municipality — who else committed to a joint
    procurement, or has not yet, is no business of the other participants."""
    shown = set(_PLACEHOLDER.findall(text))
    params = {key: value for key, value in params.items()
              if key in shown or (key[-3:] in ("_ja", "_en") and key[:-3] in shown)}
    def convert(value: Any) -> Any:
        if isinstance(value, (str, int, float, bool)) or value is None:
            return value
        if isinstance(value, (list, tuple)):
            return [convert(v) for v in value]
        if isinstance(value, dict):
            return {str(k): convert(v) for k, v in value.items()}
        return str(value)
    return {key: convert(value) for key, value in params.items()}


def _settings_of(tenant_id: str, user_ids: list[int]) -> dict[int, tuple[str, str]]:
    if not user_ids:
        return {}
    rows = db.session.execute(select(NotificationSetting.user_id, NotificationSetting.email_mode,
                                     NotificationSetting.language)
                              .where(NotificationSetting.tenant_id == tenant_id,
                                     NotificationSetting.user_id.in_(user_ids)))
    return {row.user_id: (row.email_mode, row.language) for row in rows}


def render_text(kind: str, params: Mapping[str, Any], lang: str, fallback: str = "") -> str:
    """The event's text in a language, placeholders filled; a missing parameter never breaks a page."""
    event = _events.get(kind)
    if event is None:
        return fallback or kind
    with force_locale(lang if lang in SUPPORTED else DEFAULT_LANGUAGE):
        translated = domain_for(event.catalogue).gettext(event.text)
    try:
        return translated % localised_params(params, lang)
    except (KeyError, ValueError, TypeError):
        return translated


def localised_params(params: Mapping[str, Any], lang: str) -> dict[str, Any]:
    """Parameters with ``name_ja`` / ``name_en`` pairs resolved to ``name`` in the language (tenant names)."""
    values = dict(params)
    suffix = f"_{lang}"
    for key, value in params.items():
        if key.endswith(suffix):
            values[key[: -len(suffix)]] = value
        elif key.endswith("_ja") and key[:-3] not in values:
            values[key[:-3]] = value  # a language without its own value falls back to Japanese
    return values


def kernel_text(msgid: str, lang: str, **params: Any) -> str:
    """A text of the kernel's own catalogue in a given language (mail frame, subject prefix)."""
    with force_locale(lang if lang in SUPPORTED else DEFAULT_LANGUAGE):
        return domain_for("kernel").gettext(msgid, **params)


def absolute_url(url: str) -> str:
    base = (current_app.config.get("PORTAL_BASE_URL") or "").rstrip("/")
    return f"{base}{url}" if url.startswith("/") else url


def _mail_one(person: Person, kind: str, params: Mapping[str, Any], url: str, lang: str) -> bool:
    text = render_text(kind, params, lang)
    subject = kernel_text(N_("[Yokoten] %(text)s"), lang, text=text)
    body = "\n\n".join(part for part in (
        kernel_text(N_("Dear %(name)s,"), lang, name=person.display_name),
        text,
        absolute_url(url) if url else "",
        kernel_text(N_("You receive this mail because of your notification settings in the Yokoten portal "
                       "(immediate mail, daily digest or none); change them on your notifications page."), lang),
    ) if part)
    return queue_mail(person.tenant_id, person.email, subject, body + "\n", user_id=person.id, kind=kind) is not None


# Reading -------------------------------------------------------------------------------------

def unread_count(tenant_id: str, user_id: int) -> int:
    return int(db.session.scalar(select(func.count()).select_from(Notification).where(
        Notification.tenant_id == tenant_id, Notification.user_id == user_id,
        Notification.read_at.is_(None))) or 0)


# The header's count of the request's own person, cached for the request. The session check reads it in its
# statement (tenants.auth) and stores it here; whatever changes a person's unread notifications in the
# request forgets it, so the header then counts again instead of showing a stale figure.
_UNREAD_CACHE = "unread_notifications"


def set_unread_count(count: int) -> None:
    """Remember the request's person's unread count (read by the session check)."""
    if has_request_context():
        setattr(g, _UNREAD_CACHE, count)


def cached_unread_count(tenant_id: str, user_id: int) -> int:
    """The request's person's unread count: remembered for the request, counted when not known."""
    if not has_request_context():
        return unread_count(tenant_id, user_id)
    if _UNREAD_CACHE not in g:
        setattr(g, _UNREAD_CACHE, unread_count(tenant_id, user_id))
    return int(getattr(g, _UNREAD_CACHE))


def _forget_unread_count() -> None:
    if has_request_context():
        g.pop(_UNREAD_CACHE, None)


def notifications_of(tenant_id: str, user_id: int, *, unread_only: bool = False, area: str = "",
                     limit: int = 50, offset: int = 0) -> list[Notification]:
    """A person's notifications, newest first; ``area`` filters by the event kind's domain (e.g. "casebook")."""
    query = select(Notification).where(Notification.tenant_id == tenant_id, Notification.user_id == user_id)
    if unread_only:
        query = query.where(Notification.read_at.is_(None))
    if area:
        query = query.where(Notification.kind.startswith(area + ".", autoescape=True))
    return list(db.session.scalars(query.order_by(Notification.created_at.desc(), Notification.id.desc())
                                   .limit(limit).offset(offset)))


def areas_of(tenant_id: str, user_id: int) -> list[str]:
    """The domains a person has notifications from (the filter's choices)."""
    kinds = db.session.scalars(select(Notification.kind).distinct().where(
        Notification.tenant_id == tenant_id, Notification.user_id == user_id, Notification.kind != ""))
    return sorted({kind.split(".")[0] for kind in kinds})


def open_notification(tenant_id: str, user_id: int, notification_id: int) -> Optional[Notification]:
    """The person's own notification, marked read (None if it is not theirs)."""
    note = db.session.scalar(select(Notification).where(
        Notification.tenant_id == tenant_id, Notification.user_id == user_id, Notification.id == notification_id))
    if note is not None and note.read_at is None:
        note.read_at = datetime.now(UTC)
        db.session.flush()
        _forget_unread_count()
    return note


def mark_all_read(tenant_id: str, user_id: int) -> int:
    """Mark every unread notification of the person read; returns how many."""
    result = db.session.execute(update(Notification).where(
        Notification.tenant_id == tenant_id, Notification.user_id == user_id,
        Notification.read_at.is_(None)).values(read_at=datetime.now(UTC)))
    _forget_unread_count()
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


# Settings ------------------------------------------------------------------------------------

def settings_of(tenant_id: str, user_id: int) -> tuple[str, str]:
    """(email mode, language) of a person, defaults when never saved."""
    return _settings_of(tenant_id, [user_id]).get(user_id, (DEFAULT_MODE, DEFAULT_LANGUAGE))


def save_settings(tenant_id: str, user_id: int, email_mode: str, language: str) -> None:
    """Save how a person wants to be told (mail immediately / daily digest / none) and in which language."""
    if email_mode not in EMAIL_MODES or language not in SUPPORTED:
        raise ValueError("unknown e-mail mode or language")
    row = db.session.get(NotificationSetting, (tenant_id, user_id))
    before = None if row is None else {"email_mode": row.email_mode, "language": row.language}
    if row is None:
        row = NotificationSetting(tenant_id=tenant_id, user_id=user_id)
        db.session.add(row)
    row.email_mode, row.language, row.updated_at = email_mode, language, datetime.now(UTC)
    db.session.flush()
    audit.record("notifications.settings", "user", user_id, before=before,
                 after={"email_mode": email_mode, "language": language})


def remember_language(tenant_id: str, user_id: int, language: str) -> None:
    """Keep the language a person chose in the interface for their mails too (no audit entry: not a setting change
    the person made on the settings page, and it happens on every language switch)."""
    if language not in SUPPORTED:
        return
    row = db.session.get(NotificationSetting, (tenant_id, user_id))
    if row is None:
        db.session.add(NotificationSetting(tenant_id=tenant_id, user_id=user_id, language=language))
    elif row.language != language:
        row.language = language
    db.session.flush()


# Daily digest --------------------------------------------------------------------------------

def write_digests(now: Optional[datetime] = None) -> int:
    """Queue one mail per digest reader with their unread, not yet mailed notifications; returns how many mails."""
    now = now or datetime.now(UTC)
    people_dir = directory()
    written = 0
    for tenant_id in people_dir.tenant_codes():
        with people_dir.bound(tenant_id):
            settings = list(db.session.scalars(select(NotificationSetting).where(
                NotificationSetting.tenant_id == tenant_id, NotificationSetting.email_mode == "digest",
                (NotificationSetting.last_digest_at.is_(None))
                | (NotificationSetting.last_digest_at <= now - timedelta(hours=20)))))
            people = {p.id: p for p in people_dir.active_people(tenant_id, [s.user_id for s in settings])}
            for setting in settings:
                person = people.get(setting.user_id)
                notes = [] if person is None else list(db.session.scalars(select(Notification).where(
                    Notification.tenant_id == tenant_id, Notification.user_id == setting.user_id,
                    Notification.read_at.is_(None), Notification.mailed_at.is_(None))
                    .order_by(Notification.created_at)))
                setting.last_digest_at = now
                if person is None or not notes:
                    continue
                lang = setting.language
                lines = [f"・{render_text(n.kind, n.params, lang, n.message)}\n  {absolute_url(n.url)}" for n in notes]
                subject = kernel_text(N_("[Yokoten] Your daily digest: %(count)s notifications"), lang,
                                      count=len(notes))
                body = "\n\n".join([kernel_text(N_("Dear %(name)s,"), lang, name=person.display_name),
                                    "\n".join(lines)]) + "\n"
                if queue_mail(tenant_id, person.email, subject, body, user_id=person.id, kind="digest"):
                    for note in notes:
                        note.mailed_at = now
                    written += 1
            db.session.flush()
    return written
