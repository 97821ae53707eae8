"""Confirmation before an irreversible step (publish, retire, submit final scores, publish results, award,
cancel, delete), the same in every domain.

The step's button posts its form as before. Without ``confirm=yes`` in the form the view does nothing
and answers with a confirmation page: what will happen, a button that sends the same form again with
``confirm=yes``, and a way back. It works without script; with script the page's ``<dialog>``
(portal/static/js/confirm.js) asks in place and sends the confirmed form itself. Because the check
is on the server, a stale one-click form (an old tab, a bookmarked POST, a double click) cannot skip
it::

    step = lambda: curation.publish(submission, current_user.id)
    if not confirmed() and would_succeed(step):
        return ask_confirmation(Confirmation(
            _("Publish “%(title)s” in the casebook?", title=...),
            [_("Every municipality can then read, search and adopt it.")],
            _("Publish"), back=url_for("casebook.curation_review", submission_id=submission.id)))
    step()  # confirmed, or refused: the refusal is shown as before, with nothing to confirm

``would_succeed`` tries the step in a savepoint and undoes it, so nobody confirms a step that is then
refused (scores missing, amendments undecided, a stale version): the refusal comes first, as it did
before there was a confirmation. The page is rendered after the access checks and changes nothing, so
it gives the form's one-time token back (``g.idempotency_release``): the confirmed form has its own.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from flask import g, render_template, request
from flask.typing import ResponseReturnValue

from kernel.extensions import db

FIELD = "confirm"
VALUE = "yes"
# Not sent again by the confirmation page: it has its own CSRF token and one-time token.
_NOT_REPOSTED = {FIELD, "csrf_token", "_once"}


@dataclass(frozen=True)
class Confirmation:
    question: str  # the page's heading, e.g. "Publish “…” in the casebook?"
    consequences: Sequence[str]  # what will happen, one sentence each
    button: str  # the confirming button, named after the step ("Publish")
    back: str  # where "Cancel" goes: the page the step was started from
    details: Sequence[tuple[str, str]] = field(default_factory=tuple)  # (label, value) rows shown before the button


def confirmed() -> bool:
    """True when the posted form carries the confirmation (``confirm=yes``)."""
    return request.form.get(FIELD) == VALUE


def ask_confirmation(confirmation: Confirmation) -> ResponseReturnValue:
    """The confirmation page for the posted form (status 200; nothing is changed)."""
    g.idempotency_release = True
    fields = [(name, value) for name, values in request.form.lists() if name not in _NOT_REPOSTED for value in values]
    return render_template("confirm.html", confirmation=confirmation, fields=fields, action=request.path)


def would_succeed(step: Callable[[], object]) -> bool:
    """Run the step in a savepoint and undo it: False when it raises (a refusal the real call will show)."""
    queued_mails = list(g.get("outbox_new", []))
    savepoint = db.session.begin_nested()
    try:
        step()
    except Exception:  # noqa: BLE001 - whatever it is, the real call raises it again and is handled as before
        return False
    finally:
        savepoint.rollback()
        g.outbox_new = queued_mails  # the mails of the undone trial are not the request's
    return True
