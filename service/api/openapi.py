"""The OpenAPI 3.1 document: components from the schemas package, paths of this service's routes.

Every operation lists every status it can answer with; every error is the problem+json envelope.
A test checks that each route of the health, api, models, docs and metrics blueprints is here.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from flask import Flask

from schemas import (
    BatchResultSchema,
    ModelCardSchema,
    ModelSummarySchema,
    PatientSchema,
    ProblemSchema,
    ResultSchema,
)
from schemas.openapi import build_spec
from schemas.request import BatchRequestSchema
from service import __version__
from service.bodies import JSON, RESULT_MEDIA_SCHEMAS
from service.errors import PROBLEM_JSON
from service.openapi_paths import contributed, schemes

TITLE = "Bone metastasis risk in lung cancer"
SECURITY_SCHEME = "apiKey"
_REQUEST_ID = {"X-Request-ID": {"$ref": "#/components/headers/RequestId"}}
_DESCRIPTION = (
    "Decision support, not a diagnosis: estimates the risk of bone metastasis at diagnosis of "
    "lung cancer from a cited literature model, with every term, its evidence, the uncertainty "
    "and what was missing. Errors are RFC 9457 problem details (`application/problem+json`) "
    "naming every bad field. `/v1/*` needs `Authorization: Bearer <API key>` when the service "
    "has keys configured; health, metrics and docs are open.")


def build_document(app: Flask) -> dict[str, Any]:
    """The whole OpenAPI document as a dict (``servers`` is set per request)."""
    spec = build_spec(TITLE, __version__, info={"description": _DESCRIPTION})
    keyed = bool(app.config["API_KEY_HASHES"])
    if keyed:
        spec.components.security_scheme(SECURITY_SCHEME, {
            "type": "http", "scheme": "bearer",
            "description": "An API key issued by the operator (stored by the service as SHA-256)."})
    spec.components.header("RequestId", {
        "description": "The request id: yours when sane ([A-Za-z0-9._-], at most 128), else new.",
        "schema": {"type": "string", "maxLength": 128}})
    for path, operations in _paths(app.config["MAX_CONTENT_LENGTH"]).items():
        spec.path(path=path, operations=operations if keyed else _open(operations))
    for name, scheme in schemes(app).items():
        spec.components.security_scheme(name, scheme)
    for path, operations in contributed(app).items():  # FHIR and CDS Hooks: their own security
        spec.path(path=path, operations=operations)
    document = spec.to_dict()
    _add_media_types(document, app)
    return document


def _add_media_types(document: dict[str, Any], app: Flask) -> None:
    """Other media types a single score can be answered in (``Accept``), from their renderers'
    packages: e.g. ``application/fhir+json`` (a FHIR RiskAssessment) for POST /v1/risk."""
    for media_type, schema in app.extensions.get(RESULT_MEDIA_SCHEMAS, {}).items():
        document["paths"]["/v1/risk"]["post"]["responses"]["200"]["content"][media_type] = {
            "schema": schema}


def _open(operations: dict[str, Any]) -> dict[str, Any]:
    """``operations`` as served without API keys: no security requirement, no 401."""
    found = {}
    for method, operation in operations.items():
        operation = {k: v for k, v in operation.items() if k != "security"}
        operation["responses"] = {s: r for s, r in operation["responses"].items() if s != "401"}
        found[method] = operation
    return found


def _problem(status: int, why: str) -> dict[str, Any]:
    return {"description": f"{HTTPStatus(status).phrase}: {why}", "headers": _REQUEST_ID,
            "content": {PROBLEM_JSON: {"schema": ProblemSchema}}}


def _ok(description: str, schema: Any, media_type: str = JSON) -> dict[str, Any]:
    return {"description": description, "headers": _REQUEST_ID,
            "content": {media_type: {"schema": schema}}}


def _errors(*statuses: int, size: int = 0) -> dict[str, Any]:
    why = {
        400: "the body is not valid JSON (or is empty).",
        401: "no valid API key (only when the service has keys configured).",
        404: "no such resource.",
        413: f"the body is larger than {size:,} bytes.",
        415: "the body is not sent as application/json.",
        422: "invalid fields, each named with its path in `errors`.",
        500: "the service failed; the body never echoes input.",
        503: "the database is out of reach: no score is given without its audit row; retry "
             "after Retry-After seconds.",
    }
    found = {str(s): _problem(s, why[s]) for s in statuses}
    if 401 in statuses:
        found["401"]["headers"] = {**_REQUEST_ID, "WWW-Authenticate": {
            "description": "Bearer challenge.", "schema": {"type": "string"}}}
    if 503 in statuses:
        found["503"]["headers"] = {**_REQUEST_ID, "Retry-After": {
            "description": "Seconds to wait before retrying.", "schema": {"type": "integer"}}}
    return found


def _scoring(summary: str, request_schema: Any, ok: dict[str, Any], size: int) -> dict[str, Any]:
    return {"post": {
        "summary": summary, "tags": ["scoring"], "security": [{SECURITY_SCHEME: []}],
        "requestBody": {"required": True, "content": {JSON: {"schema": request_schema}}},
        "responses": {"200": ok, **_errors(400, 401, 413, 415, 422, 500, 503, size=size)}}}


def _get(summary: str, tag: str, ok: dict[str, Any], *statuses: int,
         secured: bool = False) -> dict[str, Any]:
    operation: dict[str, Any] = {"summary": summary, "tags": [tag],
                                 "responses": {"200": ok, **_errors(*statuses, 500)}}
    if secured:
        operation["security"] = [{SECURITY_SCHEME: []}]
    return {"get": operation}


def _object(properties: dict[str, Any], required: tuple[str, ...]) -> dict[str, Any]:
    return {"type": "object", "properties": properties, "required": list(required)}


def _with_parameter(path: dict[str, Any], parameter: dict[str, Any]) -> dict[str, Any]:
    for operation in path.values():
        operation["parameters"] = [parameter]
    return path


_MODEL_REF = _object({"id": {"type": "string"}, "version": {"type": "string"},
                      "sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"}},
                     ("id", "version", "sha256"))


def _paths(size: int) -> dict[str, dict[str, Any]]:
    return {**_scoring_paths(size), **_model_paths(), **_operation_paths()}


def _scoring_paths(size: int) -> dict[str, dict[str, Any]]:
    return {
        "/v1/risk": _scoring(
            "Score one patient", PatientSchema,
            _ok("The risk with its terms, interval, missing inputs and model identity.",
                ResultSchema), size),
        "/v1/risk/batch": _scoring(
            "Score up to 10,000 patients (one result or one error per row, in order)",
            BatchRequestSchema, _ok("Every row, scored or refused, in order.",
                                    BatchResultSchema), size),
    }


def _model_paths() -> dict[str, dict[str, Any]]:
    models = _object({"models": {"type": "array", "items": ModelSummarySchema}}, ("models",))
    return {
        "/v1/models": _get("List the models offered", "models",
                           _ok("The models, the default first.", models), 401, secured=True),
        "/v1/models/{model_id}": _with_parameter(_get(
            "Show a model card", "models", _ok("The model card.", ModelCardSchema), 401, 404,
            secured=True), {"name": "model_id", "in": "path", "required": True,
                            "description": "A model id (newest version) or id@version.",
                            "schema": {"type": "string"}}),
    }


def _operation_paths() -> dict[str, dict[str, Any]]:
    health = _object({"status": {"const": "ok"}, "service_version": {"type": "string"}},
                     ("status", "service_version"))
    ready = _object({"status": {"const": "ready"}, "service_version": {"type": "string"},
                     "models": {"type": "array", "items": _MODEL_REF}},
                    ("status", "service_version", "models"))
    return {
        "/healthz": _get("Liveness: the service answers", "operations", _ok("Alive.", health)),
        "/readyz": _get("Readiness: models loaded and verified (SHA-256), database answering",
                        "operations", _ok("Ready; the models served.", ready), 503),
        "/metrics": _get("Prometheus metrics (request counts, latency by endpoint and status)",
                         "operations", _ok("Prometheus text format.", {"type": "string"},
                                           "text/plain")),
        "/openapi.json": _get("This document", "docs",
                              _ok("OpenAPI 3.1 document.", {"type": "object"})),
        "/docs": _get("Interactive API documentation (Swagger UI, local files)", "docs",
                      _ok("HTML page.", {"type": "string"}, "text/html")),
    }
