"""The CDS Hooks endpoints in the service's OpenAPI document (the CDS Hooks 2.0 shapes)."""

from __future__ import annotations

from typing import Any

from flask import Flask

from service.openapi_paths import fhir_resource

from .schemas import CdsRequestSchema, FeedbackSchema

JWT_SCHEME = "ehrJwt"
_STRING = {"type": "string"}
_CARD = {"type": "object", "description": "A CDS Hooks card: https://cds-hooks.hl7.org",
         "required": ["summary", "indicator", "source"], "properties": {
             "uuid": _STRING, "summary": {"type": "string", "maxLength": 139},
             "detail": {"type": "string", "description": "GitHub-flavoured Markdown."},
             "indicator": {"enum": ["info", "warning", "critical"]},
             "source": {"type": "object"}, "suggestions": {"type": "array"},
             "selectionBehavior": _STRING, "overrideReasons": {"type": "array"},
             "links": {"type": "array"}}}
_CARDS = {"type": "object", "required": ["cards"],
          "properties": {"cards": {"type": "array", "items": _CARD,
                                   "description": "One card, or none when nothing concerns "
                                                  "this patient (no lung cancer, stage IV)."}}}
_SERVICES = {"type": "object", "required": ["services"], "properties": {"services": {
    "type": "array", "items": {"type": "object", "required": ["hook", "description", "id"],
                               "properties": {"hook": _STRING, "title": _STRING,
                                              "description": _STRING, "id": _STRING,
                                              "prefetch": {"type": "object"}}}}}}
_ERROR = fhir_resource("OperationOutcome", "The error, one issue per problem.")
_ID = {"name": "service_id", "in": "path", "required": True, "schema": _STRING,
       "description": "The service id from discovery (lung-bone-mets-risk)."}


def paths(app: Flask) -> dict[str, dict[str, Any]]:
    """The four CDS Hooks operations, secured by the EHR's JWT when issuers are configured."""
    secured = bool(app.config["CDS_JWT_ISSUERS"])
    stored = {"type": "object", "properties": {"stored": {"type": "integer"}}}
    return {
        "/cds-services": {"get": _operation(
            "CDS Hooks discovery: the patient-view service", _SERVICES, (500,), secured=False,
            with_id=False)},
        "/cds-services/{service_id}": {"post": _operation(
            "Call the patient-view service: one card with the risk (FHIR data in prefetch or "
            "fetched from fhirServer)", _CARDS, (400, 401, 404, 412, 413, 415, 422, 500, 503),
            secured, body=CdsRequestSchema)},
        "/cds-services/{service_id}/feedback": {"post": _operation(
            "Feedback on cards: accepted or overridden, with the reason", stored,
            (400, 401, 404, 413, 415, 422, 500, 503), secured, body=FeedbackSchema)},
        "/cds-services/{service_id}/feedback/summary": {"get": _operation(
            "How often cards were accepted or overridden (counts only)", {"type": "object"},
            (401, 404, 500), secured)},
    }


def security_scheme() -> dict[str, Any]:
    """The EHR's signed JWT (CDS Hooks 2.0 trust), as an OpenAPI security scheme."""
    return {"type": "http", "scheme": "bearer", "bearerFormat": "JWT",
            "description": "A JWT signed by an allowed EHR issuer (BMRISK_CDS_JWT_ISSUERS), "
                           "audience this service's URL, short-lived, with a unique jti."}


def _operation(summary: str, ok: dict[str, Any], errors: tuple[int, ...], secured: bool, *,
               body: Any = None, with_id: bool = True) -> dict[str, Any]:
    error = {"description": "An error, as an OperationOutcome.",
             "content": {"application/json": {"schema": _ERROR}}}
    operation: dict[str, Any] = {
        "summary": summary, "tags": ["cds-hooks"],
        "responses": {"200": {"description": "OK.", "content": {"application/json": {
            "schema": ok}}}, **{str(s): error for s in errors if secured or s != 401}}}
    if with_id:
        operation["parameters"] = [_ID]
    if body is not None:
        operation["requestBody"] = {"required": True,
                                    "content": {"application/json": {"schema": body}}}
    if secured:
        operation["security"] = [{JWT_SCHEME: []}]
    return operation
