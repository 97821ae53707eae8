"""The tests' threaded WSGI server: werkzeug's development server, made to close every response as gunicorn does.

PEP 3333: the server calls the response iterable's ``close()`` "upon completion of the current request, whether
the request was completed normally, or terminated early due to an application error during iteration or an early
disconnect of the browser". Flask runs the ``response.call_on_close`` callbacks in that ``close()``, and the portal
sends a request's committed mails there (kernel.notifications.outbox). gunicorn (sync and gthread workers) calls
it in a ``finally`` after writing the body, whatever the client did.

werkzeug's server (3.1) does not always: after the body it first drains what the client may still send (a 10 ms
``select`` on the socket, then ``rfile.read``) and calls ``close()`` only after that. When the client has reset
the connection by then — Chromium does after a redirect whose body it does not read — the read raises
``ConnectionResetError``, werkzeug takes it for a dropped connection and returns without ``close()``. The browser
journeys then lost the request's after-response mails (tests/browser/test_live_server.py shows it
deterministically). This server closes the response once the request is over, however it ended.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

_RESPONSE = "tests.live_server.response"


class _ClosedOnce:
    """The application's response iterable; its ``close()`` runs once, whoever asks first."""

    def __init__(self, iterable: Iterable[bytes]):
        self.iterable = iterable
        self.closed = False

    def __iter__(self) -> Iterator[bytes]:
        return iter(self.iterable)

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        close = getattr(self.iterable, "close", None)
        if close is not None:
            close()


class _ClosingRequestHandler(WSGIRequestHandler):
    def run_wsgi(self) -> None:
        try:
            super().run_wsgi()
        finally:
            # werkzeug has already closed it unless the connection dropped on the way (then it is closed here).
            environ = getattr(self, "environ", None)
            response = environ.pop(_RESPONSE, None) if environ is not None else None
            if response is not None:
                response.close()


def _keeping_the_response(app: Any) -> Any:
    def application(environ: dict[str, Any], start_response: Any) -> _ClosedOnce:
        response = _ClosedOnce(app(environ, start_response))
        environ[_RESPONSE] = response
        return response

    return application


def make_live_server(app: Any, host: str = "127.0.0.1", port: int = 0) -> BaseWSGIServer:
    """A threaded server for ``app`` (call ``serve_forever`` in a thread) that closes every response."""
    return make_server(host, port, _keeping_the_response(app), threaded=True,
                       request_handler=_ClosingRequestHandler)
