"""Build result payloads as plain dicts, fast; ``ResultSchema`` dumps them unchanged (tested)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import riskmodel
from riskmodel import Model, ModelRef, Notice, Result, TermResult

from .batch import RowError, paused_gc
from .request import ScoreRequest

SERVICE_VERSION = riskmodel.__version__


def result_payload(result: Result, patient_ref: str | None = None, *,
                   service_version: str = SERVICE_VERSION, model: Model | None = None,
                   ) -> dict[str, Any]:
    """The documented result body of one score (``patient_ref`` only when given).

    ``model`` (the one that scored) supplies ``band_validated``; without it the built-in model
    of the result's id and version is used. Citation dicts are shared between payloads of the
    same model: treat payloads as read-only.
    """
    facts = _facts(result.model, model)
    payload = {
        "probability": result.probability, "percent": result.percent,
        "per_100": result.per_100, "band": result.band, "band_validated": facts.band_validated,
        "interval": _interval(result.interval),
        "parameter_interval": _interval(result.parameter_interval or result.interval),
        "not_tested": list(result.not_tested),
        "missing_range": None if result.missing_range is None else {
            "low": result.missing_range.low, "high": result.missing_range.high},
        "terms": _terms(result.terms),
        "missing": [{"name": m.name, "terms": list(m.terms), "handling": m.handling,
                     "narrowing": m.narrowing} for m in result.missing],
        "warnings": [_notice(n) for n in result.warnings],
        "alerts": [_notice(n) for n in result.alerts],
        "stage_derived": result.stage_derived,
        "model": facts.ref,
        "service_version": service_version,
    }
    if patient_ref is not None:
        payload["patient_ref"] = patient_ref
    return payload


Outcome = RowError | tuple[ScoreRequest, Result]


def batch_payload(outcomes: Iterable[Outcome], *, model: Model,
                  service_version: str = SERVICE_VERSION) -> dict[str, Any]:
    """The documented batch body: each row scored ``(request, result)`` or refused (RowError)."""
    with paused_gc():
        rows = [_row(index, outcome, model, service_version)
                for index, outcome in enumerate(outcomes)]
    ok = sum(row["ok"] for row in rows)
    return {"results": rows, "summary": {"n": len(rows), "ok": ok, "errors": len(rows) - ok},
            "model": model_ref_payload(model.ref)}


def _row(index: int, outcome: Outcome, model: Model, service_version: str) -> dict[str, Any]:
    if isinstance(outcome, RowError):
        row: dict[str, Any] = {"index": outcome.index, "ok": False}
        if outcome.patient_ref is not None:
            row["patient_ref"] = outcome.patient_ref
        row["errors"] = outcome.errors
        return row
    request, result = outcome
    return {"index": index, "ok": True, "result": result_payload(
        result, request.patient_ref, service_version=service_version, model=model)}


def model_ref_payload(ref: ModelRef) -> dict[str, str]:
    """The {id, version, sha256} of a model."""
    return {"id": ref.id, "version": ref.version, "sha256": ref.sha256}


def _terms(terms: Iterable[TermResult]) -> list[dict[str, Any]]:
    # Hot path (80,000 terms in a full batch): one comprehension, the citation dict shared.
    return [{
        "name": t.name, "label": t.label, "status": t.status, "fired": t.fired,
        "value": t.value, "unit": t.unit, "beta": t.beta, "se": t.se,
        "contribution": t.contribution, "risk_without": t.risk_without, "grade": t.grade,
        "citation": t.citation, "note": t.note,
    } for t in terms]


def _interval(interval) -> dict[str, float]:
    return {"level": interval.level, "low": interval.low, "high": interval.high}


def _notice(notice: Notice) -> dict[str, Any]:
    return {"code": notice.code, "field": notice.field, "message": notice.message}


class _ModelFacts:
    """What a payload needs from the model beyond the result: its ref and band validation."""

    def __init__(self, ref: ModelRef, model: Model | None):
        self.ref = model_ref_payload(ref)
        self.complete = model is not None
        self.band_validated = self.complete and model.spec["bands"].get("validated") is True


_FACTS: dict[ModelRef, _ModelFacts] = {}


def _facts(ref: ModelRef, model: Model | None) -> _ModelFacts:
    if model is not None and model.ref != ref:
        raise ValueError(f"the result is of model {ref}, not of {model.ref}")
    found = _FACTS.get(ref)
    if found is None or (model is not None and not found.complete):
        found = _FACTS[ref] = _ModelFacts(ref, model or _builtin(ref))
    return found


def _builtin(ref: ModelRef) -> Model | None:
    try:
        model = riskmodel.load_model(ref.id, ref.version)
    except riskmodel.SpecError:
        return None
    return model if model.ref == ref else None
