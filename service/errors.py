"""The one place errors become responses: RFC 9457 ``application/problem+json`` for the API.

Views raise; nothing else catches. ``Problem`` carries a status, a plain detail and the bad
fields; marshmallow's ``ValidationError`` becomes a 422 naming every field; Werkzeug's HTTP errors
keep their status; a database failure is a 503 with Retry-After; anything else is a generic 500
that never echoes input.

Parts of the app that answer in another shape opt out in one of two ways:

- errors raised by their own views: register handlers on their blueprint (Flask prefers them);
- errors raised before a view is known (404, 405, 413, 401): call ``add_renderer`` with a
  predicate on the request and a function turning the problem dict into their response.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from http import HTTPStatus
from typing import Any

from flask import Flask, Request, Response, current_app, json, request
from marshmallow import ValidationError
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import HTTPException

from schemas import flatten_errors

from .logging import frames, log_event
from .request_context import request_id

PROBLEM_JSON = "application/problem+json"
RENDERERS = "bmrisk.problem_renderers"
FALLBACK_RENDERERS = "bmrisk.problem_fallback_renderers"
Renderer = Callable[[dict[str, Any]], Response]
# Headers an HTTP error must keep: what is allowed (405), how to authenticate (401).
_KEPT_HEADERS = ("Allow", "WWW-Authenticate", "Retry-After")

# RFC 9110's names where Python's HTTPStatus still has the older ones.
_TITLES = {413: "Content Too Large", 422: "Unprocessable Content"}
_DETAILS = {
    400: "The request body is not valid JSON.",
    401: "Send a valid API key as 'Authorization: Bearer <key>'.",
    404: "There is nothing at this path; see /openapi.json for the API.",
    405: "This path does not accept this method; see the Allow header.",
    413: "The request body is larger than this service accepts.",
    415: "Send the body as JSON with 'Content-Type: application/json'.",
    422: "The request has invalid fields; each is named in 'errors'.",
    500: "The service failed to handle this request. Quote the request id when reporting it.",
    503: "The service's database does not answer, so nothing was scored or stored. Try again "
         "after the seconds in Retry-After.",
}
# Seconds a client should wait after a 503: the database pool's own wait is 5 s.
RETRY_AFTER_S = 5


class Problem(Exception):
    """An error the client can act on: a status, plain words, and the bad fields if any."""

    def __init__(self, status: int, detail: str | None = None,
                 errors: list[dict[str, str]] | None = None,
                 headers: dict[str, str] | None = None):
        super().__init__(detail or _DETAILS.get(status, HTTPStatus(status).phrase))
        self.status = status
        self.detail = str(self)
        self.errors = errors
        self.headers = headers or {}


def field_problem(path: str, message: str, code: str) -> Problem:
    """A 422 naming one bad field, with the stable code of its problem."""
    return Problem(422, errors=[{"path": path, "message": message, "code": code}])


def add_renderer(app: Flask, applies: Callable[[Request], bool], render: Renderer,
                 fallback: bool = False) -> None:
    """Render problems of requests for which ``applies(request)`` is true with ``render``.

    ``render`` gets the problem dict (type, title, status, detail, request_id, maybe errors)
    and returns a Response; its status and kept headers (Allow, WWW-Authenticate) are set after.
    A ``fallback`` renderer is asked only after every other one declined (a browser's HTML
    page for any address, after the channels that own their paths).
    """
    app.extensions.setdefault(RENDERERS, [])
    app.extensions.setdefault(FALLBACK_RENDERERS, [])
    app.extensions[FALLBACK_RENDERERS if fallback else RENDERERS].append((applies, render))


def init_app(app: Flask) -> None:
    """Register the handlers that turn every error into a problem response."""
    app.extensions.setdefault(RENDERERS, [])
    app.register_error_handler(Problem, _from_problem)
    app.register_error_handler(ValidationError, _from_validation)
    app.register_error_handler(HTTPException, _from_http)
    app.register_error_handler(SQLAlchemyError, database_unavailable)
    app.register_error_handler(Exception, _from_unexpected)


def problem_dict(status: int, detail: str | None = None,
                 errors: list[dict[str, str]] | None = None,
                 ident: str | None = None) -> dict[str, Any]:
    """The problem+json body of an error with ``status``; ``ident`` is the request id (default:
    the current request's, so outside a request it must be given)."""
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": _TITLES.get(status) or HTTPStatus(status).phrase,
        "status": status,
        "detail": detail or _DETAILS.get(status, HTTPStatus(status).phrase),
        "request_id": ident or request_id(),
    }
    if errors is not None:
        body["errors"] = errors
    return body


def respond(problem: dict[str, Any], headers: dict[str, str] | None = None) -> Response:
    """Render ``problem`` with the renderer that applies to this request, else as JSON."""
    extensions = current_app.extensions
    render = next((r for applies, r in (*extensions.get(RENDERERS, ()),
                                        *extensions.get(FALLBACK_RENDERERS, ()))
                   if applies(request)), None)
    if render is not None:
        response = render(problem)
    else:
        response = Response(json.dumps(problem), mimetype=PROBLEM_JSON)
    response.status_code = problem["status"]
    response.headers.update(headers or {})
    return response


def _from_problem(error: Problem) -> Response:
    return respond(problem_dict(error.status, error.detail, error.errors), error.headers)


def _from_validation(error: ValidationError) -> Response:
    return respond(problem_dict(422, errors=flatten_errors(error.messages)))


def _from_http(error: HTTPException) -> Response:
    status = error.code or 500
    headers = {k: v for k, v in error.get_headers() if k in _KEPT_HEADERS}
    return respond(problem_dict(status, _DETAILS.get(status)), headers)


def database_unavailable(error: SQLAlchemyError) -> Response:
    """503 with Retry-After: the database failed (down, unreachable, pool exhausted)."""
    log_event("database_unavailable", level=logging.ERROR, request_id=request_id(),
              error_type=type(error).__name__)
    return respond(problem_dict(503), {"Retry-After": str(RETRY_AFTER_S)})


def _from_unexpected(error: Exception) -> Response:
    rule = request.url_rule.rule if request.url_rule is not None else None
    log_event("unhandled_error", level=logging.ERROR, request_id=request_id(),
              endpoint=rule, error_type=type(error).__name__, frames=frames(error.__traceback__))
    return respond(problem_dict(500))
