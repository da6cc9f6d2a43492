"""Bodies: JSON requests parsed strictly (problems named plainly), and the registry of the
media types a single result can be answered in (``Accept: application/fhir+json``)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from flask import Flask, Response, current_app, request

from .errors import Problem

JSON = "application/json"
FHIR_JSON = "application/fhir+json"
RESULT_RENDERERS = "bmrisk.result_renderers"
RESULT_MEDIA_SCHEMAS = "bmrisk.result_media_schemas"
# (result, score request, model) -> response; typed loosely so core needs no riskmodel import.
ResultRenderer = Callable[[Any, Any, Any], Response]


def register_result_renderer(app: Flask, media_type: str, render: ResultRenderer,
                             schema: dict[str, Any] | None = None) -> None:
    """Answer a single score with ``render`` when the client prefers ``media_type``; ``schema``
    describes that answer in the OpenAPI document."""
    app.extensions.setdefault(RESULT_RENDERERS, {})[media_type] = render
    if schema is not None:
        app.extensions.setdefault(RESULT_MEDIA_SCHEMAS, {})[media_type] = schema


def result_renderers() -> dict[str, ResultRenderer]:
    """The media types registered for a single result, beyond JSON."""
    return current_app.extensions.get(RESULT_RENDERERS, {})


def _refuse_constant(name: str) -> None:
    raise ValueError(f"{name} is not valid JSON")


def json_body(limit: int | None = None) -> Any:
    """The request body decoded from JSON: 415 unless the type is application/json, 400 if bad.

    NaN and Infinity are refused (not JSON); a body over ``limit`` bytes (default
    MAX_CONTENT_LENGTH), sent with a Content-Length or chunked, is a 413.
    """
    if request.mimetype != JSON:
        raise Problem(415, "Send the body as JSON with 'Content-Type: application/json'"
                           + (f"; got {request.mimetype!r}." if request.mimetype else "."))
    if limit is not None:
        request.max_content_length = min(limit, request.max_content_length or limit)
    raw = request.get_data(cache=False)
    largest = request.max_content_length
    if request.content_length is None and largest is not None and len(raw) >= largest:
        # A chunked body is cut at the limit without an error: never parse the cut body.
        raise Problem(413)
    if not raw.strip():
        raise Problem(400, "The request body is empty; send a JSON object.")
    try:
        return json.loads(raw, parse_constant=_refuse_constant)
    except json.JSONDecodeError as exc:
        raise Problem(400, f"The request body is not valid JSON: {exc.msg} at line {exc.lineno} "
                           f"column {exc.colno}.") from None
    except UnicodeDecodeError:
        raise Problem(400, "The request body is not valid UTF-8 JSON.") from None
    except (ValueError, RecursionError) as exc:
        detail = str(exc) if isinstance(exc, ValueError) else "it is nested too deeply"
        raise Problem(400, f"The request body is not valid JSON: {detail}.") from None
