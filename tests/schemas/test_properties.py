"""Whatever JSON arrives, the schemas load it or raise ValidationError; nothing else escapes."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from marshmallow import ValidationError

from riskmodel import FEATURES
from riskmodel.inputs import M_CATEGORIES
from schemas import PatientSchema, RowError, ScoreRequest, flatten_errors, load_batch

FAST = settings(max_examples=150, deadline=None)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                max_size=4),
    max_leaves=16,
)
units = st.sampled_from([u for f in FEATURES for u in f.units] + ["mg/dl", "", "U/l"])
categories = st.sampled_from([c for f in FEATURES for c in f.categories]
                             + list(M_CATEGORIES) + ["IV", "IVA", "T5", "squamos"])
lab_values = st.one_of(
    st.floats(), st.integers(min_value=-10**400, max_value=10**400), st.booleans(),
    st.text(max_size=6), st.none())
labs = st.dictionaries(st.sampled_from(["value", "unit", "when"]),
                       st.one_of(lab_values, units), max_size=3)
names = st.sampled_from([f.name for f in FEATURES] + ["m_category", "patient_ref", "model",
                                                      "smoker", "Stage"])
field_values = st.one_of(categories, labs, lab_values, json_values,
                         st.text(min_size=120, max_size=140))
requests = st.dictionaries(names, field_values, max_size=8)


def _clinical_value(feature) -> st.SearchStrategy[Any]:
    if feature.kind == "category":
        return st.sampled_from(feature.categories + ("IV",) * (feature.name == "stage"))
    return st.fixed_dictionaries({
        "value": st.floats(min_value=-1, max_value=feature.plausible[1] * 2) | st.integers(0, 300),
        "unit": st.sampled_from(feature.units)})


# Well-typed rows with clinically varied values: they exercise the engine's own rules
# (stage against T and N, plausibility, out of scope) in the batch's vectorised path.
clinical = st.fixed_dictionaries({}, optional={
    **{f.name: _clinical_value(f) for f in FEATURES},
    "m_category": st.sampled_from(M_CATEGORIES), "patient_ref": st.text(min_size=1, max_size=8)})
anything = st.one_of(json_values, requests, clinical)


def _check_errors(error: ValidationError) -> None:
    flat = flatten_errors(error.messages)
    assert flat
    for item in flat:
        assert isinstance(item["path"], str)
        assert isinstance(item["message"], str)
        assert item["path"]
        assert item["message"]


@FAST
@given(anything)
def test_patient_schema_loads_or_raises_validation_error(data: Any):
    try:
        loaded = PatientSchema().load(data)
    except ValidationError as error:
        _check_errors(error)
    else:
        assert isinstance(loaded, ScoreRequest)


@FAST
@given(st.one_of(json_values, st.fixed_dictionaries({"patients": json_values}),
                 st.fixed_dictionaries({"patients": st.lists(anything, max_size=5)})))
def test_load_batch_loads_or_raises_validation_error(data: Any):
    try:
        loaded = load_batch(data)
    except ValidationError as error:
        _check_errors(error)
    else:
        assert all(isinstance(item, ScoreRequest | RowError) for item in loaded)


def _alone(row: Any) -> ScoreRequest | list[dict[str, str]]:
    try:
        return PatientSchema().load(row)
    except ValidationError as error:
        return flatten_errors(error.messages)


@FAST
@given(st.lists(anything, min_size=1, max_size=6))
def test_batch_rows_load_as_they_would_alone(rows: list[Any]):
    for index, (row, item) in enumerate(zip(rows, load_batch({"patients": rows}), strict=True)):
        alone = _alone(row)
        if isinstance(alone, ScoreRequest):
            assert item == alone
        else:
            assert isinstance(item, RowError)
            assert (item.index, item.errors) == (index, alone)
