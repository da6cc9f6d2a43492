"""Good requests load to the engine's domain objects; every unit gives the same score."""

from __future__ import annotations

import dataclasses

import pytest

import riskmodel
from riskmodel import FEATURES, Patient, Quantity
from riskmodel.units import FACTORS
from schemas import PatientSchema, ScoreRequest


def test_good_request_loads_to_a_score_request_of_a_patient(good_request):
    loaded = PatientSchema().load(good_request)
    assert isinstance(loaded, ScoreRequest)
    assert isinstance(loaded.patient, Patient)
    assert loaded.patient_ref == good_request.get("patient_ref")
    assert loaded.model == good_request.get("model")


def test_full_request_loads_every_field_as_given(full_request):
    loaded = PatientSchema().load(full_request)
    assert loaded == ScoreRequest(Patient(
        histology="adenocarcinoma", t_category="T4", n_category="N3", stage="IIIC",
        bsp="positive", calcium=Quantity(2.41, "mmol/L"), albumin=Quantity(38.0, "g/L"),
        alp=Quantity(120.0, "U/L"), cea=Quantity(7.5, "ng/mL")), "case-0042", None)


def test_null_fields_count_as_missing():
    loaded = PatientSchema().load({"histology": "squamous", "cea": None, "patient_ref": None})
    assert loaded == ScoreRequest(Patient(histology="squamous"), None, None)


def test_m0_is_accepted():
    assert PatientSchema().load({"m_category": "M0"}).patient.m_category == "M0"


def test_integer_lab_values_load_as_floats():
    value = PatientSchema().load({"alp": {"value": 120, "unit": "U/L"}}).patient.alp.value
    assert type(value) is float


def test_value_outside_the_usual_range_passes_with_a_warning():
    loaded = PatientSchema().load({"calcium": {"value": 1.2, "unit": "mmol/L"}})
    warnings = riskmodel.score(loaded.patient).warnings
    assert any(w.code == "outside_usual_range" and w.field == "calcium" for w in warnings)


def test_patient_fields_are_the_engine_patient_fields_plus_ref_and_model():
    names = {f.name for f in dataclasses.fields(Patient)} | {"patient_ref", "model"}
    assert set(PatientSchema().fields) == names


def test_choices_and_units_come_from_the_feature_list():
    schema = PatientSchema()
    for feature in FEATURES:
        field = schema.fields[feature.name]
        if feature.kind == "quantity":
            assert field.schema.fields["unit"].validators[0].choices == feature.units
        else:
            assert tuple(field.validators[0].choices) == feature.categories


def _in_unit(name: str, canonical_value: float, unit: str) -> dict[str, object]:
    return {"value": canonical_value / FACTORS[name][unit], "unit": unit}


@pytest.mark.parametrize(("name", "unit"), [
    ("calcium", "mg/dL"), ("albumin", "g/dL"), ("alp", "ukat/L"), ("cea", "ug/L"),
])
def test_other_units_give_the_same_probability_as_canonical_units(full_request, name, unit):
    canonical = PatientSchema().load(full_request).patient
    converted = dict(full_request)
    converted[name] = _in_unit(name, full_request[name]["value"], unit)
    other = PatientSchema().load(converted).patient
    assert getattr(other, name).unit == unit
    assert riskmodel.score(other).probability == pytest.approx(
        riskmodel.score(canonical).probability, abs=1e-12)


def test_all_units_converted_at_once_give_the_same_probability(full_request):
    converted = dict(full_request, calcium=_in_unit("calcium", 2.41, "mg/dL"),
                     albumin=_in_unit("albumin", 38, "g/dL"), alp=_in_unit("alp", 120, "ukat/L"),
                     cea=_in_unit("cea", 7.5, "ug/L"))
    first, second = (riskmodel.score(PatientSchema().load(r).patient)
                     for r in (full_request, converted))
    assert second.probability == pytest.approx(first.probability, abs=1e-12)
    assert second.interval.low == pytest.approx(first.interval.low, abs=1e-12)
