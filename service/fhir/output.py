"""FHIR R4 out: a RiskAssessment for each score, and OperationOutcome for every error.

The RiskAssessment carries two or three predictions for the one outcome (SNOMED CT 94222008):
the point estimate (probabilityDecimal, 0-1 scale, with qualitativeRisk), the parameter interval
(probabilityRange), and, when inputs are missing, the range over their possible values.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from html import escape
from http import HTTPStatus
from typing import Any

from riskmodel import Model, Result
from service.summary import SCALE, Summary, model_line, short_name

from . import codes
from .narrative import narrative
from .reading import Used

ID_SYSTEM = "urn:ietf:rfc:3986"  # identifier values are urn:uuid:<score id>
REQUEST_ID_SYSTEM = "urn:bmrisk:request-id"  # the X-Request-ID of the service's log line
MODEL_SYSTEM = "urn:bmrisk:model"  # codes '<model id>@<version>'
ASSESSMENT = {"system": "urn:bmrisk:assessment", "code": "bone-metastasis-risk",
              "display": "Bone metastasis risk assessment (lung cancer)"}
RISK_PROBABILITY = "http://terminology.hl7.org/CodeSystem/risk-probability"
_ONE = {"system": codes.UCUM, "code": "1", "unit": "probability (0-1)"}
_ISSUE_CODES = {400: "invalid", 401: "login", 403: "forbidden", 404: "not-found",
                405: "not-supported", 406: "not-supported", 409: "conflict",
                412: "incomplete", 413: "too-long", 415: "not-supported", 422: "processing",
                429: "throttled", 503: "transient"}


def risk_assessment(result: Result, model: Model, summary: Summary, *, score_id: str,
                    subject: dict[str, Any], occurred: datetime, basis: Sequence[Used] = (),
                    condition: str | None = None, encounter: str | None = None,
                    request_id: str | None = None) -> dict[str, Any]:
    """The FHIR R4 RiskAssessment of one result (status preliminary when inputs were missing),
    in the words of its ``summary`` (``service.summary.summarise``, built once per score).

    Identified by the score id (``urn:uuid:``, the card's uuid in CDS Hooks) and the request id
    of the service's log, so the resource, the card and the log line can be joined.
    """
    resource: dict[str, Any] = {
        "resourceType": "RiskAssessment",
        "identifier": _identifiers(score_id, request_id),
        "status": "preliminary" if result.missing else "final",
        "method": _method(model),
        "code": {"coding": [ASSESSMENT], "text": ASSESSMENT["display"]},
        "subject": subject,
        "occurrenceDateTime": occurred.isoformat(timespec="seconds"),
        "basis": [{"reference": u.reference, "display": _basis_display(u)} for u in basis],
        "prediction": predictions(result, summary),
        "note": [{"text": t} for t in [summary.intended_use, *summary.notes,
                                       *summary.warnings]],
        "text": narrative(summary, result.probability),
    }
    optional = {"encounter": encounter and {"reference": f"Encounter/{encounter}"},
                "condition": condition and {"reference": condition}}
    resource.update({k: v for k, v in optional.items() if v})
    return {k: v for k, v in resource.items() if v != []}


def _identifiers(score_id: str, request_id: str | None) -> list[dict[str, str]]:
    found = [{"system": ID_SYSTEM, "value": f"urn:uuid:{score_id}"}]
    if request_id:
        found.append({"system": REQUEST_ID_SYSTEM, "value": request_id})
    return found


def _method(model: Model) -> dict[str, Any]:
    ref = model.ref
    return {"coding": [{"system": MODEL_SYSTEM, "code": f"{ref.id}@{ref.version}",
                        "display": model.spec.get("title", ref.id)}],
            "text": (f"{model.spec.get('title', ref.id)}, model {model_line(model)}. "
                     f"{SCALE}. Baseline: {_baseline_citation(model)}.")}


def _baseline_citation(model: Model) -> str:
    citation = model.spec.get("baseline", {}).get("citation", {})
    parts = [citation.get("authors"), citation.get("journal"), str(citation.get("year", ""))]
    doi = citation.get("doi")
    return " ".join(p for p in parts if p) + (f", doi:{doi}" if doi else "")


def _basis_display(used: Used) -> str:
    label = short_name(used.name)
    when = f" ({used.when.date().isoformat()})" if used.when else ""
    return f"{label}: {used.text}{when}"


def predictions(result: Result, summary: Summary) -> list[dict[str, Any]]:
    """Point estimate with band, the interval, and the range left by missing inputs."""
    outcome = {"coding": [codes.OUTCOME], "text": "Bone metastasis (synchronous)"}
    band = {"coding": [{"system": RISK_PROBABILITY, "code": result.band,
                        "display": result.band.capitalize()}]}
    found = [
        {"outcome": outcome, "probabilityDecimal": round(result.probability, 6),
         "qualitativeRisk": band, "rationale": summary.rationale},
        {"outcome": outcome, "probabilityRange": _range(result.interval.low, result.interval.high),
         "rationale": f"{summary.interval_text} (given what is known: uncertainty of "
                      "the published weights and of the missing inputs); 0-1 scale."},
    ]
    if result.missing_range is not None:
        found.append({"outcome": outcome, "probabilityRange": _range(
            result.missing_range.low, result.missing_range.high),
            "rationale": summary.missing_text + "; 0-1 scale."})
    return found


def _range(low: float, high: float) -> dict[str, Any]:
    return {"low": {"value": round(low, 6), **_ONE}, "high": {"value": round(high, 6), **_ONE}}


def operation_outcome(status: int, detail: str,
                      errors: Sequence[dict[str, str]] | None = None) -> dict[str, Any]:
    """An OperationOutcome for an HTTP error: the detail, then one issue per bad field."""
    code = _ISSUE_CODES.get(status, "exception" if status >= 500 else "invalid")
    issues = [{"severity": "error", "code": code, "diagnostics": detail}]
    for error in errors or ():
        issue = {"severity": "error", "code": code, "diagnostics": error.get("message", "")}
        if error.get("path") and error["path"] != "_schema":
            issue["expression"] = [error["path"]]
        issues.append(issue)
    return {"resourceType": "OperationOutcome", "issue": issues,
            "text": {"status": "generated", "div": _outcome_div(status, detail)}}


def _outcome_div(status: int, detail: str) -> str:
    phrase = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else "Error"
    return (f'<div xmlns="http://www.w3.org/1999/xhtml"><p>{status} {escape(phrase)}: '
            f"{escape(detail)}</p></div>")
