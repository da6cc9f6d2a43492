"""What GET /v1/models and /v1/models/<id> return: model summaries and the model card."""

from __future__ import annotations

from typing import Any

from marshmallow import INCLUDE, Schema, fields, post_dump, validate

from riskmodel import Model

MODEL_KINDS = ("literature", "recalibrated")


class ModelSummarySchema(Schema):
    """One model the service can score with."""

    id = fields.String(required=True, metadata={"examples": ["lung-bm-literature"]})
    version = fields.String(required=True, metadata={"examples": ["1.0.0"]})
    sha256 = fields.String(required=True, metadata={
        "description": "SHA-256 of the canonical model spec.", "pattern": "^[0-9a-f]{64}$"})
    title = fields.String(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(MODEL_KINDS), metadata={
        "description": "literature: weights from published studies; recalibrated: refitted "
                       "or recalibrated on local data."})
    default = fields.Boolean(required=True, metadata={
        "description": "Whether requests without 'model' are scored with this one."})


def model_summary(model: Model, *, default: bool) -> dict[str, Any]:
    """The summary of ``model`` (kind from the spec's 'kind', literature when absent)."""
    return {"id": model.ref.id, "version": model.ref.version, "sha256": model.ref.sha256,
            "title": model.spec["title"], "kind": model.spec.get("kind", "literature"),
            "default": default}


def _section(description: str, field: type[fields.Field] = fields.Dict) -> fields.Field:
    return field(required=True, metadata={"description": description})


class ModelCardSchema(Schema):
    """The model card, ``riskmodel.card.model_card(model)``: what the model answers and for whom,
    its predictors and terms with their evidence, how missing inputs are handled, limitations.
    Sections added to the card later pass through unchanged."""

    class Meta:
        unknown = INCLUDE  # documents additionalProperties: later card sections

    card_format = fields.String(required=True, metadata={"description": "Card format version."})
    id = fields.String(required=True, metadata={"examples": ["lung-bm-literature"]})
    version = fields.String(required=True, metadata={"examples": ["1.0.0"]})
    sha256 = fields.String(required=True, metadata={"pattern": "^[0-9a-f]{64}$"})
    title = fields.String(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(MODEL_KINDS))
    intended_use = _section("The question answered, intended users, and who it is not for.")
    population = _section("Population the weights and baseline come from.")
    outcome = _section("The predicted outcome and its code.")
    baseline = _section("Baseline risk and its citation.")
    predictors = fields.List(fields.Dict(), required=True, metadata={
        "description": "Each input: definition, units, categories, possible range."})
    model = _section("Model form, intercept, and every term with weight, SE, grade, citation.")
    missing_data = _section("How missing inputs are handled, with each term's reference.")
    output = _section("What a result contains: probability, interval, bands.")
    bands = _section("Display bands (not validated unless stated).")
    alerts = fields.List(fields.Dict(), required=True, metadata={
        "description": "Clinical alerts raised whatever the model says."})
    evidence = _section("Evidence grades and sources.")
    performance = _section("Validation performance, or 'unknown' when none exists.", fields.Raw)
    limitations = fields.List(fields.String(), required=True)
    known_gaps = fields.List(fields.String(), required=True)
    points = _section("Points-based version of the model (Sullivan).", fields.Raw)
    provenance = _section("Where the spec came from (recalibration data, when any).", fields.Raw)
    evidence_file = fields.String(required=True, metadata={
        "description": "The repository's evidence file the citations' anchors point into."})
    changes_from_previous = _section(
        "What changed from the previous version and why (null for a first version).", fields.Raw)
    plausibility = _section("Mean risk over the reference population by histology beside the "
                            "population's prevalence (null when the spec has none).", fields.Raw)
    tn_reference = _section("The assumed joint T x N reference distribution (null when the "
                            "model has no staging terms).", fields.Raw)

    @post_dump(pass_original=True)
    def _keep_sections(self, data: dict[str, Any], original: Any, **kwargs: Any) -> dict[str, Any]:
        return {**original, **data}
