"""The scoring API: one patient, or a batch scored in one vectorised call per model.

Each view loads with a schema, calls riskmodel, and renders; errors are raised (see errors.py).
Other media types for a single result (``Accept: application/fhir+json``) plug in through
``bodies.register_result_renderer``; JSON is the default and wins ties.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask import Blueprint, Response, current_app, request

import riskmodel
from riskmodel import Model, Result
from schemas import PatientSchema, RowError, ScoreRequest, load_batch
from schemas.batch import paused_gc
from schemas.payload import Outcome, batch_payload, model_ref_payload, result_payload
from service import __version__
from service.bodies import JSON, json_body, result_renderers
from service.metrics import note_scored
from service.registry import Registry, current

bp = Blueprint("api", __name__, url_prefix="/v1")
_PATIENT = PatientSchema()
# Accept headers that can only mean JSON (most API clients): no negotiation needed.
_PLAIN_ACCEPT = frozenset({None, "", "*/*", JSON})


@bp.post("/risk")
def create_score() -> Response:
    """Score one patient with the model asked for (the default when none)."""
    score_request = _PATIENT.load(json_body())
    model = current().get(score_request.model)
    result = riskmodel.score(score_request.patient, model)
    return render_result(result, score_request, model)


def render_result(result: Result, score_request: ScoreRequest, model: Model) -> Response:
    """The response for one result in the media type the client prefers (JSON by default)."""
    renderers = result_renderers()
    accept = request.headers.get("Accept")
    best = JSON if accept in _PLAIN_ACCEPT else request.accept_mimetypes.best_match(
        [JSON, *renderers], default=JSON)
    channel = "api" if best not in renderers else f"api-{best.rpartition('/')[2]}"
    note_scored(model.ref, 1, channel, result, score_request.patient_ref)
    if best in renderers:
        return renderers[best](result, score_request, model)
    return current_app.json.response(result_payload(
        result, score_request.patient_ref, service_version=__version__, model=model))


@bp.post("/risk/batch")
def create_batch_scores() -> Response:
    """Score up to 10,000 patients: one result or one error per row, in order."""
    registry = current()
    # Some 10^6 acyclic objects live until the response is built: collections would only rescan
    # them (about a quarter of the time of a 10,000-row batch).
    with paused_gc():
        decoded = json_body()
        outcomes, models = score_rows(load_batch(decoded), registry)
        body = batch_body(outcomes, models, registry.default)
        response = current_app.json.response(body)
    # Freeing them takes about 60 ms for 10,000 rows: do it once the body has been sent.
    kept = [decoded, outcomes, body]
    response.call_on_close(kept.clear)
    return response


def score_rows(loaded: Sequence[ScoreRequest | RowError],
               registry: Registry) -> tuple[list[Outcome], list[Model | None]]:
    """Score the loaded rows, grouped by model (one vectorised call each); unknown models and
    rows refused at load stay errors in their place. Returns the outcomes and each row's model."""
    slots: list[Any] = list(loaded)  # a RowError, or a request until it becomes (request, result)
    models: list[Model | None] = [None] * len(slots)
    groups: dict[Model, list[int]] = {}
    for index, row in enumerate(loaded):
        if isinstance(row, RowError):
            continue
        models[index] = registry.find(row.model)
        if models[index] is None:
            slots[index] = RowError(index, row.patient_ref, [registry.unknown(row.model)])
        else:
            groups.setdefault(models[index], []).append(index)
    for model, rows in groups.items():
        results = riskmodel.score_many([slots[i].patient for i in rows], model)
        for index, result in zip(rows, results, strict=True):
            slots[index] = (slots[index], result)
        note_scored(model.ref, len(rows), "batch")
    return slots, models


def batch_body(outcomes: list[Outcome], models: list[Model | None],
               default: Model) -> dict[str, Any]:
    """The batch body; its ``model`` is the one model used, else the default (each result
    names its own model either way)."""
    used = {m for m in models if m is not None}
    if len(used) <= 1:
        model = used.pop() if used else default
        return batch_payload(outcomes, model=model, service_version=__version__)
    # schemas.batch_payload renders one model per call: render rows one by one, then merge.
    rows = [{**batch_payload([outcome], model=model or default,
                             service_version=__version__)["results"][0], "index": index}
            for index, (outcome, model) in enumerate(zip(outcomes, models, strict=True))]
    ok = sum(row["ok"] for row in rows)
    return {"results": rows, "summary": {"n": len(rows), "ok": ok, "errors": len(rows) - ok},
            "model": model_ref_payload(default.ref)}


