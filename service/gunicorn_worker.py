"""gunicorn's gthread worker, with the errors gunicorn answers itself in the service's shape.

A request gunicorn cannot parse (a malformed request line, an oversized header set, a bad
header name) never reaches Flask: gunicorn answers with an HTML page quoting the offending part
of the request, and logs that part. Here the answer is the service's RFC 9457 problem+json
with a request id and a fixed detail, and the log line names the error's type, never its text
(a request line carries the query string). Which status each error gets is gunicorn's choice,
unchanged.

Set in gunicorn.conf.py: ``worker_class = "service.gunicorn_worker.ThreadWorker"``.
"""

from __future__ import annotations

import logging
import ssl
import time
from http import HTTPStatus
from typing import Any

import orjson
from gunicorn import glogging, util
from gunicorn.http import errors as http_errors
from gunicorn.workers import gthread

from .errors import PROBLEM_JSON, problem_dict
from .logging import frames, log_event
from .request_context import API_CSP, REQUEST_ID_HEADER, new_id

# gunicorn's own statuses for the request errors it detects (gunicorn.workers.base); any
# other client error is a 400.
_STATUS_BY_ERROR = (
    ("LimitRequestLine", 414), ("LimitRequestHeaders", 431),
    ("UnsupportedTransferCoding", 501), ("ExpectationFailed", 417),
    ("ForbiddenProxyRequest", 403), ("ConfigurationProblem", 500),
)
_CLIENT_ERRORS = tuple(getattr(http_errors, name) for name in (
    "InvalidRequestLine", "InvalidRequestMethod", "InvalidHTTPVersion", "InvalidHeader",
    "InvalidHeaderName", "LimitRequestLine", "LimitRequestHeaders", "InvalidProxyLine",
    "ForbiddenProxyRequest", "InvalidSchemeHeaders", "UnsupportedTransferCoding",
    "ConfigurationProblem", "ObsoleteFolding", "ExpectationFailed", "InvalidChunkSize",
    "ChunkMissingTerminator", "InvalidChunkExtension", "InvalidH2CPreface")
    if hasattr(http_errors, name))
# How long a worker whose connections fill its threads leaves new ones to the other workers.
SHARE_WAIT_S = 0.005
# The app's own detail is used for any other status (500).
_DETAILS = {
    400: "The request is not valid HTTP/1.1 (request line, header or chunk framing).",
    403: "The request was refused.",
    414: "The request line (method, path and query string) is too long.",
    417: "The Expect header cannot be met; send the body without it.",
    431: "The request headers are too many or too large.",
    501: "The request uses a transfer coding this service does not accept.",
}


def status_of(error: BaseException) -> int:
    """The status gunicorn gives ``error``: 4xx/501 for what the client sent, else 500."""
    if isinstance(error, ssl.SSLError):
        return 403
    if not isinstance(error, _CLIENT_ERRORS):
        return 500
    names = {cls.__name__ for cls in type(error).__mro__}
    return next((status for name, status in _STATUS_BY_ERROR if name in names), 400)


def problem_response(status: int, request_id: str) -> bytes:
    """A complete HTTP/1.1 response carrying the problem+json body of ``status``."""
    reason = HTTPStatus(status).phrase
    body = orjson.dumps(problem_dict(status, _DETAILS.get(status), ident=request_id))
    head = (f"HTTP/1.1 {status} {reason}\r\nConnection: close\r\n"
            f"Content-Type: {PROBLEM_JSON}\r\nContent-Length: {len(body)}\r\n"
            f"{REQUEST_ID_HEADER}: {request_id}\r\nCache-Control: no-store\r\n"
            f"X-Content-Type-Options: nosniff\r\nContent-Security-Policy: {API_CSP}\r\n\r\n")
    return head.encode("latin-1") + body


class ThreadWorker(gthread.ThreadWorker):
    """The gthread worker, with two changes: the answer to errors raised outside the app, and
    new connections shared out between the workers.

    Sharing: every worker polls the one listening socket, and the first to call ``accept``
    gets the connection, so one worker could hold most of a client's kept-alive connections
    while another has idle threads (measured: 14 of wrk's 16 connections on one worker, and
    half the throughput, in some runs). A worker whose connections already fill its threads
    stops polling for ``SHARE_WAIT_S``, leaving new connections to a worker with a free
    thread, then takes whatever is still waiting.
    """

    _deferred_at: float | None = None

    def accept(self, listener: Any) -> None:
        if self.nr_conns >= self.cfg.threads and self.cfg.workers > 1:
            self._deferred_at = time.monotonic()
            self.set_accept_enabled(False)
            return
        super().accept(listener)

    def set_accept_enabled(self, enabled: bool) -> None:
        if not enabled or self._deferred_at is None:
            super().set_accept_enabled(enabled)
        elif time.monotonic() >= self._deferred_at + SHARE_WAIT_S:
            self._deferred_at = None
            super().set_accept_enabled(True)
            self._accept_waiting()

    def wait_for_and_dispatch_events(self, timeout: float) -> None:
        if self._deferred_at is not None:  # wake up when the wait is over
            timeout = min(timeout, max(self._deferred_at + SHARE_WAIT_S - time.monotonic(), 0))
        super().wait_for_and_dispatch_events(timeout)

    def _accept_waiting(self) -> None:
        """Accept the connections no other worker took (none: the listener has nothing)."""
        for listener in self.sockets:
            while self.nr_conns < self.worker_connections:
                before = self.nr_conns
                super().accept(listener)  # non-blocking: nothing waiting leaves it unchanged
                if self.nr_conns == before:
                    break

    def handle_error(self, req: Any, client: Any, addr: Any, exc: BaseException) -> None:
        status, request_id = status_of(exc), new_id()
        if status < 500 or status == 501:
            log_event("invalid_request", level=logging.WARNING, request_id=request_id,
                      status=status, error_type=type(exc).__name__)
        else:
            log_event("request_failed", level=logging.ERROR, request_id=request_id,
                      status=status, error_type=type(exc).__name__,
                      frames=frames(exc.__traceback__))
        try:
            util.write_nonblock(client, problem_response(status, request_id))
        except Exception:  # the client may be gone: nothing left to tell it
            log_event("error_not_sent", level=logging.DEBUG, request_id=request_id)


class Logger(glogging.Logger):
    """gunicorn's logger without its access log. The app writes one JSON line per request,
    without the query string (which could carry identifiers). gunicorn counts a
    ``logconfig_dict`` (set in gunicorn.conf.py for its JSON lines) as enabling the access log,
    so it would build every request's access line (some 4% of a worker's time) and drop it.

    Set in gunicorn.conf.py: ``logger_class = "service.gunicorn_worker.Logger"``.
    """

    @property
    def access_log_enabled(self) -> bool:
        return False

    def access(self, resp: Any, req: Any, environ: Any, request_time: Any) -> None:
        return None
