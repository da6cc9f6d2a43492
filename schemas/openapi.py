"""OpenAPI 3.1 components generated from the schemas (apispec); the service adds its paths."""

from __future__ import annotations

from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from marshmallow import Schema

from .errors import ErrorItemSchema, ProblemSchema
from .fields import LabField
from .models import ModelCardSchema, ModelSummarySchema
from .request import BatchRequestSchema, PatientSchema
from .result import (
    BatchResultSchema,
    BatchRowErrorSchema,
    BatchRowResultSchema,
    CitationSchema,
    IntervalSchema,
    MissingSchema,
    ModelRefSchema,
    NoticeSchema,
    RangeSchema,
    ResultSchema,
    SummarySchema,
    TermSchema,
)

PATIENT_EXAMPLE: dict[str, Any] = {
    "patient_ref": "case-0042", "histology": "adenocarcinoma", "t_category": "T4",
    "n_category": "N3", "stage": "IIIC", "bsp": "positive",
    "calcium": {"value": 2.41, "unit": "mmol/L"}, "albumin": {"value": 38, "unit": "g/L"},
    "alp": {"value": 120, "unit": "U/L"}, "cea": {"value": 7.5, "unit": "ng/mL"},
}
BATCH_EXAMPLE: dict[str, Any] = {"patients": [
    PATIENT_EXAMPLE,
    {"patient_ref": "case-0043", "histology": "squamous", "cea": {"value": 3.1, "unit": "ug/L"}},
]}


def _quantity_schemas() -> dict[str, type[Schema]]:
    """The {value, unit} schema of each lab, named after the lab (CalciumQuantity...)."""
    found = {}
    for field in PatientSchema().fields.values():
        if isinstance(field, LabField):
            schema = type(field.schema)
            found[schema.__name__.removesuffix("Schema")] = schema
    return found


def components() -> dict[str, type[Schema]]:
    """Every component name and its schema, nested ones before those that use them."""
    return {
        "ErrorItem": ErrorItemSchema, "Problem": ProblemSchema, "ModelRef": ModelRefSchema,
        **_quantity_schemas(), "Patient": PatientSchema, "BatchRequest": BatchRequestSchema,
        "Interval": IntervalSchema, "Range": RangeSchema, "Citation": CitationSchema,
        "Term": TermSchema, "Missing": MissingSchema, "Notice": NoticeSchema,
        "Result": ResultSchema, "BatchRowResult": BatchRowResultSchema,
        "BatchRowError": BatchRowErrorSchema, "BatchSummary": SummarySchema,
        "BatchResult": BatchResultSchema, "ModelSummary": ModelSummarySchema,
        "ModelCard": ModelCardSchema,
    }


_EXAMPLES = {"Patient": [PATIENT_EXAMPLE], "BatchRequest": [BATCH_EXAMPLE]}


def register(spec: APISpec) -> None:
    """Add every schema to ``spec`` as a component (the spec needs the MarshmallowPlugin)."""
    for name, schema in components().items():
        extra = {"examples": _EXAMPLES[name]} if name in _EXAMPLES else None
        spec.components.schema(name, extra, schema=schema)


def build_spec(title: str, version: str, **options: Any) -> APISpec:
    """An OpenAPI 3.1.0 APISpec holding every component; add paths to it."""
    spec = APISpec(title=title, version=version, openapi_version="3.1.0",
                   plugins=[MarshmallowPlugin()], **options)
    register(spec)
    return spec
