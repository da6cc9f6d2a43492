"""The OpenAPI 3.1 document is generated from the schemas and validates."""

from __future__ import annotations

import dataclasses

import pytest
from openapi_spec_validator import validate

from riskmodel import FEATURES, Patient
from schemas.openapi import build_spec, components


def _content(name: str, media: str = "application/json") -> dict:
    return {"content": {media: {"schema": {"$ref": f"#/components/schemas/{name}"}}}}


def _operation(request: str, response: str) -> dict:
    return {"post": {
        "requestBody": {"required": True, **_content(request)},
        "responses": {
            "200": {"description": "Scored", **_content(response)},
            "422": {"description": "Invalid fields, each named",
                    **_content("Problem", "application/problem+json")},
        },
    }}


@pytest.fixture(scope="module")
def document() -> dict:
    spec = build_spec("Bone metastasis risk", "1.0.0")
    spec.path("/v1/risk", operations=_operation("Patient", "Result"))
    spec.path("/v1/risk/batch", operations=_operation("BatchRequest", "BatchResult"))
    return spec.to_dict()


def test_document_validates_as_openapi_3_1(document):
    assert document["openapi"] == "3.1.0"
    validate(document)


def test_every_schema_is_a_component(document):
    assert set(components()) <= set(document["components"]["schemas"])


def test_patient_properties_are_the_engine_fields_with_descriptions(document):
    properties = document["components"]["schemas"]["Patient"]["properties"]
    expected = {f.name for f in dataclasses.fields(Patient)} | {"patient_ref", "model"}
    assert set(properties) == expected
    assert all(prop.get("description") for prop in properties.values())


def test_enums_and_units_are_those_of_the_feature_list(document):
    schemas = document["components"]["schemas"]
    for feature in FEATURES:
        if feature.kind == "category":
            enum = schemas["Patient"]["properties"][feature.name]["enum"]
            assert enum == [*feature.categories, None]
        else:
            quantity = schemas[f"{feature.name.title()}Quantity"]["properties"]
            assert quantity["unit"]["enum"] == list(feature.units)
            assert quantity["value"]["x-plausible"]["low"] == feature.plausible[0]


def test_stage_iv_is_not_offered(document):
    assert "IV" not in document["components"]["schemas"]["Patient"]["properties"]["stage"]["enum"]


def test_batch_limit_is_documented(document):
    patients = document["components"]["schemas"]["BatchRequest"]["properties"]["patients"]
    assert (patients["minItems"], patients["maxItems"]) == (1, 10_000)
