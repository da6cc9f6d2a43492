"""The direct read of a well-formed lab gives what the nested {value, unit} schema gives, and
the request schema loads (or refuses, with the same errors) exactly as without it."""

from __future__ import annotations

from typing import Any
from unittest import mock

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from marshmallow import ValidationError

from riskmodel import FEATURES
from riskmodel.units import SPELLINGS
from schemas import PatientSchema
from schemas.fields import LabField

LABS = [f for f in FEATURES if f.kind == "quantity"]
CATEGORIES = {f.name: f.categories for f in FEATURES if f.kind == "category"}
FIELDS = PatientSchema().fields
UNITS = sorted({u for f in LABS for u in f.units}
               | {s for f in LABS for s in SPELLINGS.get(f.name, {})}
               | {"MG/DL", "mmol/l", "\u00b5g/L", "\u03bckat/L", "", " mmol/L", "kg"})
numbers = st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(),
                    st.integers(min_value=10**300, max_value=10**400), st.booleans(),
                    st.sampled_from(["2.4", None, [], {}]))
units = st.one_of(st.sampled_from(UNITS), st.text(max_size=8), st.none(), st.integers())
labs = st.one_of(
    st.builds(lambda v, u: {"value": v, "unit": u}, numbers, units),
    st.dictionaries(st.sampled_from(["value", "unit", "Value", "note"]),
                    st.one_of(numbers, units), max_size=3),
    numbers)
SLOW = settings(max_examples=400, deadline=None)


def nested_load(field: LabField, value: Any) -> Any:
    try:
        return field.schema.load(value)
    except ValidationError as error:
        return error.messages


@SLOW
@given(st.sampled_from(LABS), st.builds(lambda v, u: {"value": v, "unit": u}, numbers, units))
def test_a_lab_read_directly_is_what_the_nested_schema_loads(feature, lab):
    field = FIELDS[feature.name]
    quick = field.well_formed(lab)
    if quick is not None:
        assert nested_load(field, lab) == quick


@pytest.mark.parametrize("feature", LABS, ids=lambda f: f.name)
def test_every_unit_and_spelling_of_a_lab_is_read_directly(feature):
    field = FIELDS[feature.name]
    for unit in (*feature.units, *SPELLINGS.get(feature.name, {})):
        lab = {"value": 1, "unit": unit}
        assert field.well_formed(lab) == nested_load(field, lab)
    assert field.well_formed({"value": 1, "unit": feature.units[0], "note": "x"}) is None
    assert field.well_formed({"value": True, "unit": feature.units[0]}) is None


def load(body: Any) -> Any:
    try:
        return PatientSchema().load(body)
    except ValidationError as error:
        return ("refused", error.messages)


bodies = st.fixed_dictionaries({}, optional={
    **{f.name: labs for f in LABS},
    **{name: st.one_of(st.sampled_from(cats), st.none(), st.integers())
       for name, cats in CATEGORIES.items()}})


@SLOW
@given(bodies)
def test_the_request_loads_and_refuses_exactly_as_through_the_nested_schemas(body):
    direct = load(body)
    with mock.patch.object(LabField, "well_formed", return_value=None):
        assert load(body) == direct
