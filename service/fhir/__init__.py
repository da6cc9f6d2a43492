"""FHIR R4 in and out: ``POST /fhir/RiskAssessment/$assess``, and the JSON API in FHIR.

``$assess`` takes a Bundle (type collection or searchset) of the patient's Observations, the
lung-cancer Condition and optionally the Patient, posted as the body or as the ``bundle``
parameter of a Parameters resource, and answers one RiskAssessment. ``POST /v1/risk`` with
``Accept: application/fhir+json`` answers the same resource for a JSON request. Every error is an
OperationOutcome (``application/fhir+json``).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from flask import Blueprint, Flask, Response, current_app, request

import riskmodel
from riskmodel import InvalidInputError, Model, Result
from schemas import ScoreRequest
from schemas.errors import FALLBACK_CODE
from service.bodies import FHIR_JSON, register_result_renderer
from service.config import Setting, whole
from service.errors import Problem, add_renderer
from service.metrics import note_scored
from service.openapi_paths import contribute, fhir_resource
from service.registry import current
from service.request_context import new_id, request_id
from service.summary import summarise

from . import dates as fhir_dates
from . import inputs as fhir_input
from .codes import items, parse_code
from .output import operation_outcome, risk_assessment
from .reading import MAX_AGE_DAYS, Reading, subject_id

bp = Blueprint("fhir", __name__, url_prefix="/fhir")
BUNDLE_TYPES = ("collection", "searchset")

SETTINGS = (
    Setting("CDS_MAX_AGE_DAYS", MAX_AGE_DAYS, whole,
            "A lab older than this many days is still used, with a warning on the card and in "
            "the RiskAssessment (CDS Hooks and $assess)."),
    Setting("BSP_CODE", None, parse_code,
            "The local code of the BSP immunohistochemistry Observation as 'system|code' "
            "(no standard code exists). Unset: BSP is never read from the record."),
)


def init_app(app: Flask) -> None:
    """Errors under /fhir as OperationOutcome; the JSON API answers FHIR when asked."""
    add_renderer(app, lambda req: req.path.startswith(f"{bp.url_prefix}/"),
                 render_outcome(FHIR_JSON))
    register_result_renderer(app, FHIR_JSON, _render_result, schema=RISK_ASSESSMENT)
    contribute(app, _openapi_paths)


RISK_ASSESSMENT = fhir_resource("RiskAssessment", "The score with its predictions (point, "
                                "interval, missing range), basis, notes and narrative.")
_OUTCOME = fhir_resource("OperationOutcome", "Every problem, one issue each.")


def _openapi_paths(app: Flask) -> dict[str, dict[str, Any]]:
    """POST /fhir/RiskAssessment/$assess for the OpenAPI document (errors as FHIR)."""
    def outcome(why: str) -> dict[str, Any]:
        return {"description": why, "content": {FHIR_JSON: {"schema": _OUTCOME}}}

    body = {"oneOf": [fhir_resource("Bundle", "A collection or searchset of the patient's "
                                    "Patient, Condition and Observation resources."),
                      fhir_resource("Parameters", "One parameter 'bundle' holding that Bundle.")]}
    responses = {"200": {"description": "The RiskAssessment.",
                         "content": {FHIR_JSON: {"schema": RISK_ASSESSMENT}}},
                 "400": outcome("The body is not valid JSON."),
                 "413": outcome("The body is too large."),
                 "415": outcome("Not sent as application/fhir+json or application/json."),
                 "422": outcome("Not a Bundle, or the model does not apply to these data."),
                 "500": outcome("The service failed; the body never echoes input."),
                 "503": outcome("The database is out of reach: no score without its audit "
                                "row; retry after Retry-After seconds.")}
    operation: dict[str, Any] = {
        "summary": "Score the patient in a FHIR Bundle; answer a FHIR RiskAssessment",
        "tags": ["fhir"], "requestBody": {"required": True, "content": {
            FHIR_JSON: {"schema": body}, "application/json": {"schema": body}}},
        "responses": responses}
    if app.config["API_KEY_HASHES"]:
        operation["security"] = [{"apiKey": []}]
        responses["401"] = outcome("No valid API key.")
    return {"/fhir/RiskAssessment/$assess": {"post": operation}}


def render_outcome(mimetype: str) -> Callable[[dict[str, Any]], Response]:
    """A renderer of the app's problems as FHIR OperationOutcome in ``mimetype``."""
    def render(problem: dict[str, Any]) -> Response:
        detail = f"{problem['detail']} (request id {problem.get('request_id')})"
        body = operation_outcome(problem["status"], detail, problem.get("errors"))
        return Response(json.dumps(body), mimetype=mimetype)
    return render


@bp.post("/RiskAssessment/$assess")
def assess() -> Response:
    """Score the patient in a Bundle; answer the RiskAssessment."""
    bundle = _bundle(_fhir_json())
    reading = Reading()
    resources = fhir_input.unpack(bundle, "the Bundle", reading)
    patient_id = _patient_id(resources)
    fhir_input.read(resources, fhir_input.options_from(patient_id, current_app.config), reading)
    try:
        patient = fhir_input.patient_of(reading)
    except InvalidInputError as exc:
        raise Problem(422, "The model does not apply to these data.", errors=[
            {"path": path, "message": m, "code": getattr(m, "code", FALLBACK_CODE)}
            for path, ms in exc.problems.items() for m in ms],
        ) from None
    model = current().default
    result = riskmodel.score(patient, model)
    note_scored(model.ref, 1, "fhir", result, reading.subject)
    summary = summarise(result, model, [n.message for n in reading.notes])
    resource = risk_assessment(
        result, model, summary, score_id=new_id(),
        subject={"reference": reading.subject}, occurred=fhir_dates.now(),
        basis=reading.basis(), condition=reading.condition, request_id=request_id())
    return Response(json.dumps(resource), mimetype=FHIR_JSON)


def _fhir_json() -> Any:
    if request.mimetype not in (FHIR_JSON, "application/json"):
        raise Problem(415, f"Send a FHIR resource as {FHIR_JSON} (or application/json).")
    try:
        return json.loads(request.get_data(cache=False), parse_constant=_no_constant)
    except (ValueError, RecursionError):
        raise Problem(400, "The request body is not valid JSON.") from None


def _no_constant(name: str) -> None:
    raise ValueError(f"{name} is not valid JSON")


def _bundle(body: Any) -> dict[str, Any]:
    """The Bundle posted directly, or as the 'bundle' parameter of a Parameters resource."""
    if isinstance(body, dict) and body.get("resourceType") == "Parameters":
        found = [p.get("resource") for p in items(body.get("parameter"))
                 if p.get("name") == "bundle"]
        body = found[0] if len(found) == 1 else None
        if body is None:
            raise Problem(422, "Parameters must hold exactly one 'bundle' parameter.")
    if not isinstance(body, dict) or body.get("resourceType") != "Bundle":
        raise Problem(422, "Send a Bundle (or Parameters with a 'bundle' parameter).",
                      errors=[{"path": "resourceType", "message": "must be Bundle",
                               "code": "wrong_type"}])
    if body.get("type") not in BUNDLE_TYPES:
        raise Problem(422, "The Bundle must be of type collection or searchset.",
                      errors=[{"path": "Bundle.type", "message": "must be collection or "
                                                                 "searchset",
                               "code": "unknown_value"}])
    return body


def _patient_id(resources: list[dict[str, Any]]) -> str:
    """The one patient the Bundle is about (its Patient, or the subjects of its resources)."""
    ids = {r["id"] for r in resources
           if r.get("resourceType") == "Patient" and isinstance(r.get("id"), str)}
    ids |= {subject_id(r) for r in resources} - {None}
    if len(ids) != 1:
        raise Problem(422, "The Bundle must be about exactly one patient: include the Patient "
                           f"or subject references (found {len(ids)} patients).")
    return str(ids.pop())


def _render_result(result: Result, score_request: ScoreRequest, model: Model) -> Response:
    """POST /v1/risk answered as a RiskAssessment (the patient by the caller's patient_ref)."""
    ref = score_request.patient_ref
    subject = ({"identifier": {"value": ref}, "display": ref} if ref else
               {"display": "Patient not identified (the request had no patient_ref)"})
    resource = risk_assessment(result, model, summarise(result, model),
                               score_id=new_id(), subject=subject,
                               occurred=fhir_dates.now(), request_id=request_id())
    return Response(json.dumps(resource), mimetype=FHIR_JSON)


