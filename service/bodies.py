"""Request bodies: JSON only (``application/json``), parsed strictly, problems named plainly."""

from __future__ import annotations

import json
from typing import Any

from flask import request

from .errors import Problem

JSON = "application/json"


def _refuse_constant(name: str) -> None:
    raise ValueError(f"{name} is not valid JSON")


def json_body() -> Any:
    """The request body decoded from JSON: 415 unless the type is application/json, 400 if bad.

    NaN and Infinity are refused (not JSON); a body over MAX_CONTENT_LENGTH is a 413.
    """
    if request.mimetype != JSON:
        raise Problem(415, "Send the body as JSON with 'Content-Type: application/json'"
                           + (f"; got {request.mimetype!r}." if request.mimetype else "."))
    raw = request.get_data(cache=False)
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
