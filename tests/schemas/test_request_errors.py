"""Bad requests are refused naming exactly the bad fields, all at once, in words to act on."""

from __future__ import annotations

import pytest
from marshmallow import ValidationError

from schemas import PatientSchema, flatten_errors


def _messages(data) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as caught:
        PatientSchema().load(data)
    found: dict[str, list[str]] = {}
    for item in flatten_errors(caught.value.messages):
        found.setdefault(item["path"], []).append(item["message"])
    return found


def test_the_table_of_bad_requests_is_large(bad_requests):
    assert len(bad_requests) >= 40


def test_bad_request_names_exactly_its_bad_fields(bad_case, error_paths):
    data, expected = bad_case
    assert error_paths(data) == expected


def test_every_bad_field_is_reported_at_once(multi_error, error_paths):
    data, expected = multi_error
    assert error_paths(data) == expected


def test_engine_cross_field_rules_run_on_the_fields_that_validated():
    found = _messages({"t_category": "T4", "n_category": "N3", "stage": "IA",
                       "cea": {"value": "7", "unit": "ng/mL"}})
    assert set(found) == {"stage", "cea.value"}
    assert "contradicts T4 and N3" in found["stage"][0]


def test_unknown_unit_message_quotes_it_and_lists_the_units():
    found = _messages({"calcium": {"value": 9.3, "unit": "mg/L"}})
    assert found == {"calcium.unit": ['"mg/L" is not a known unit; use one of mmol/L, mg/dL']}


@pytest.mark.parametrize(("lab", "value", "spelled", "code"), [
    ("alp", 130, "IU/L", "U/L"), ("alp", 130, "[IU]/L", "U/L"),
    ("alp", 2, "\u00b5kat/L", "ukat/L"), ("alp", 2, "\u03bckat/l", "ukat/L"),
    ("cea", 5, "ug/l", "ug/L"), ("calcium", 9, "mg/dl", "mg/dL"),
    ("calcium", 2.4, "MMOL/L", "mmol/L"), ("albumin", 4, " g/dl ", "g/dL"),
])
def test_laboratory_spellings_of_a_unit_load_as_its_ucum_code(lab, value, spelled, code):
    loaded = PatientSchema().load({lab: {"value": value, "unit": spelled}})
    assert getattr(loaded.patient, lab).unit == code


def test_bare_number_asks_for_a_unit_without_guessing_one():
    message = _messages({"calcium": 2.41})["calcium"][0]
    assert message.startswith('a unit is required: send {"value": 2.41, "unit": ')
    assert "mmol/L, mg/dL" in message


def test_missing_unit_lists_the_units_of_that_lab():
    assert _messages({"alp": {"value": 120}}) == {
        "alp.unit": ["a unit is required; use one of U/L, ukat/L"]}


@pytest.mark.parametrize(("value", "words"), [
    ("2.4", "must be a number, not a string"),
    (True, "must be a number, not a boolean"),
    (float("nan"), "must be a finite number"),
    (float("inf"), "must be a finite number"),
])
def test_value_that_is_not_a_finite_number_says_why(value, words):
    assert _messages({"cea": {"value": value, "unit": "ng/mL"}}) == {"cea.value": [words]}


def test_stage_iv_and_m1_are_refused_with_the_reason():
    found = _messages({"stage": "IV", "m_category": "M1b"})
    for path in ("stage", "m_category"):
        assert "out of scope" in found[path][0]
        assert "M1b/M1c" in found[path][0]


def test_unknown_category_lists_the_known_values():
    found = _messages({"n_category": "N4"})
    assert found == {"n_category": ['"N4" is not a known value; use one of NX, N0, N1, N2, N3']}


def test_unknown_field_is_named_and_known_fields_listed():
    found = _messages({"histology": "squamous", "smoker": True})
    assert list(found) == ["smoker"]
    assert "known fields: patient_ref, model, histology" in found["smoker"][0]


def test_implausible_value_names_the_possible_range_in_the_unit_sent():
    message = _messages({"calcium": {"value": 100, "unit": "mg/dL"}})["calcium.value"][0]
    assert "100 mg/dL is not a possible serum total calcium" in message
    assert "mg/dL" in message.split("possible:")[1]


def test_empty_body_asks_for_a_patient_field():
    message = _messages({"patient_ref": "x"})["_schema"][0]
    assert message.startswith("send at least one patient field: histology")
