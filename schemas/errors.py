"""Error shapes: engine problems as marshmallow messages, flat {path, message}, problem+json."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from marshmallow import Schema, fields, validate

from riskmodel.errors import INPUT_CODES

from .fields import REQUEST_CODES

SCHEMA_KEY = "_schema"  # marshmallow's key for a whole-object error
FALLBACK_CODE = "invalid"  # a message that carries no code of its own


def nest_problems(problems: Mapping[str, list[str]]) -> dict[str, Any]:
    """Turn engine problems keyed by dotted path into marshmallow's nested messages.

    >>> nest_problems({"calcium.unit": ["bad"], "stage": ["no"]})
    {'calcium': {'unit': ['bad']}, 'stage': ['no']}
    """
    nested: dict[str, Any] = {}
    for path, messages in problems.items():
        *parents, leaf = path.split(".")
        node = nested
        for key in parents:
            child = node.setdefault(key, {})
            if not isinstance(child, dict):
                child = node[key] = {SCHEMA_KEY: child}
            node = child
        if isinstance(node.get(leaf), dict):
            node[leaf].setdefault(SCHEMA_KEY, []).extend(messages)
        else:
            node.setdefault(leaf, []).extend(messages)
    return nested


def flatten_errors(messages: Any, prefix: str = "") -> list[dict[str, str]]:
    """Flatten marshmallow's nested messages to [{"path", "message", "code"}], dotted paths.

    List indices become numbers in the path (``patients.3.calcium.unit``); a nested
    ``_schema`` names its parent; only a top-level whole-object error keeps ``_schema``.

    A message without a code of its own (``riskmodel.errors.Message``) gets ``invalid``.

    >>> flatten_errors({"calcium": {"unit": ["bad"]}, "_schema": ["empty"]})[0]
    {'path': 'calcium.unit', 'message': 'bad', 'code': 'invalid'}
    >>> flatten_errors({"calcium": ["bare number"]}, prefix="patients.3")[0]["path"]
    'patients.3.calcium'
    """
    found: list[dict[str, str]] = []
    _flatten(messages, prefix, found)
    return found


def _flatten(messages: Any, path: str, found: list[dict[str, str]]) -> None:
    if isinstance(messages, Mapping):
        for key, value in messages.items():
            if key == SCHEMA_KEY and path:
                _flatten(value, path, found)
            else:
                _flatten(value, f"{path}.{key}" if path else str(key), found)
    elif isinstance(messages, list | tuple):
        for item in messages:
            _flatten(item, path, found)
    else:
        found.append({"path": path or SCHEMA_KEY, "message": str(messages),
                      "code": getattr(messages, "code", FALLBACK_CODE)})


ERROR_CODES: dict[str, str] = {**INPUT_CODES, **REQUEST_CODES,
                                FALLBACK_CODE: "any other problem (the message says which)"}


class ErrorItemSchema(Schema):
    """One bad field: where it is and what to do about it."""

    path = fields.String(required=True, metadata={
        "description": "Dotted JSON path of the bad field (list indices as numbers); "
                       "'_schema' for the request as a whole.",
        "examples": ["calcium.unit", "patients.3.stage", "_schema"]})
    message = fields.String(required=True, metadata={
        "description": "What is wrong and how to fix it, in plain words.",
        "examples": ['"mg/dl" is not a known unit; use one of mmol/L, mg/dL']})
    code = fields.String(required=True, validate=validate.OneOf(ERROR_CODES), metadata={
        "description": "Stable code of the problem, for programs and translations: "
                       + "; ".join(f"`{code}`, {meaning}" for code, meaning
                                   in ERROR_CODES.items()) + ".",
        "examples": ["unknown_unit"]})


class ProblemSchema(Schema):
    """RFC 9457 problem details, with every bad field listed in ``errors``."""

    type = fields.String(dump_default="about:blank", metadata={
        "format": "uri-reference",
        "description": "URI identifying the kind of problem; 'about:blank' when the HTTP "
                       "status says it all."})
    title = fields.String(required=True, metadata={
        "description": "Short, human summary of the kind of problem.",
        "examples": ["Unprocessable Content"]})
    status = fields.Integer(required=True, metadata={
        "description": "HTTP status code.", "minimum": 400, "maximum": 599, "examples": [422]})
    detail = fields.String(metadata={
        "description": "Human explanation of this occurrence of the problem."})
    instance = fields.String(metadata={
        "format": "uri-reference",
        "description": "URI of this occurrence (usually the request path)."})
    request_id = fields.String(metadata={
        "description": "Identifier of the request, as in the X-Request-ID response header; "
                       "quote it when reporting a problem."})
    errors = fields.List(fields.Nested(ErrorItemSchema), metadata={
        "description": "Every bad field at once (validation problems); absent otherwise."})
