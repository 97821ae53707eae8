"""The view side of a service's refusal, the same in every domain.

A service refuses with ``ServiceError(message, field)`` (or an error carrying ``errors``: field → message,
as content validation does). A view shows it with ``show_refusal`` — beside its field when the form has
that field, else as an error message at the top of the page — and renders again with 400/409; a button
that only changes something uses ``act``, which sends the person back with the message (303).
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar, Union

from flask import flash, redirect
from flask.typing import ResponseReturnValue

from kernel.errors import ServiceError

T = TypeVar("T")


def show_refusal(error: Exception, form: Any = None) -> None:
    """Put a refusal where the person looks: on its field when ``form`` has it, otherwise flashed."""
    errors = getattr(error, "errors", None)
    if isinstance(errors, Mapping):
        items = list(errors.items())
    else:
        items = [(getattr(error, "field", None), getattr(error, "message", str(error)))]
    for name, message in items:
        field = form[name] if form is not None and name and name in form else None
        if field is not None:
            field.errors = [*list(field.errors or []), message]
        else:
            flash(message, "error")


def act(change: Callable[[], T], done: str, back: str,
        onward: Union[str, Callable[[T], str], None] = None, status: int = 302) -> ResponseReturnValue:
    """Run one service action of a button: its refusal is flashed and the person sent back (303), its
    success flashed and the person sent on — to ``onward`` (a URL, or a function of what the service
    returned: the new object's page), else back — with ``status`` (303 where a domain answers every
    POST with See Other)."""
    try:
        result = change()
    except ServiceError as error:
        flash(error.message, "error")
        return redirect(back), 303
    flash(done, "success")
    target = onward(result) if callable(onward) else onward
    return redirect(target or back), status
