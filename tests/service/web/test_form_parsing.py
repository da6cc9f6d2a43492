"""The form layer: text in, the API's request dict out, and errors mapped to form fields."""

from __future__ import annotations

import logging

import pytest

from service.web.form import (
    FIELD_NAMES,
    FormInput,
    check,
    field_error,
    field_of,
    parse_number,
    to_request,
)

FULL = {
    "histology": "adenocarcinoma", "t_category": "T4", "n_category": "N3", "stage": "IIIC",
    "bsp": "positive", "calcium": "2,41", "calcium_unit": "mmol/L", "albumin": "38",
    "albumin_unit": "g/L", "alp": "120.5", "alp_unit": "U/L", "cea": "12", "cea_unit": "ng/mL",
}


@pytest.mark.parametrize(("text", "number"), [
    ("2.41", 2.41), ("2,41", 2.41), ("12", 12.0), (",5", 0.5), ("2.", 2.0), ("-3", -3.0),
    ("\uff12\uff0c\uff14\uff11", 2.41),  # full-width "2,41", as Chinese input methods type it
])
def test_decimal_point_and_decimal_comma_parse_to_the_same_number(text, number):
    assert parse_number(FormInput.from_mapping({"calcium": text}).get("calcium")) == number


@pytest.mark.parametrize("text", ["2.4.1", "1,234.5", "abc", "2 41", "1e3", "--2", ""])
def test_text_that_is_not_one_decimal_number_is_refused(text):
    assert parse_number(text) is None


def test_empty_fields_are_left_out_of_the_request():
    data, errors = to_request(FormInput.from_mapping({"histology": "squamous", "calcium": "",
                                                      "calcium_unit": "mmol/L", "stage": "  "}))
    assert data == {"histology": "squamous"}
    assert errors == []


def test_a_lab_value_goes_to_the_api_with_the_unit_of_its_selector():
    data, _ = to_request(FormInput.from_mapping(FULL))
    assert data["calcium"] == {"value": 2.41, "unit": "mmol/L"}
    assert data["alp"] == {"value": 120.5, "unit": "U/L"}


def test_a_full_form_loads_through_the_api_schema_to_the_same_patient():
    checked = check(FormInput.from_mapping(FULL))
    assert checked.errors == ()
    patient = checked.request.patient
    assert (patient.histology, patient.calcium.value, patient.calcium.unit) == (
        "adenocarcinoma", 2.41, "mmol/L")


def test_a_value_without_its_unit_is_an_error_on_the_unit_field():
    checked = check(FormInput.from_mapping({"calcium": "2,41"}))
    assert [(e.field, e.code) for e in checked.errors] == [("calcium_unit", "unit_required")]


def test_every_bad_field_is_reported_at_once_each_on_its_own_field():
    form = FormInput.from_mapping({"t_category": "T4", "n_category": "N3", "stage": "IA",
                                   "calcium": "2,4,1", "calcium_unit": "mmol/L",
                                   "cea": "-3", "cea_unit": "ng/mL",
                                   "alp": "1,234.5", "alp_unit": "U/L"})
    found = {(e.field, e.code) for e in check(form).errors}
    assert found == {("calcium", "not_a_number"), ("alp", "two_separators"),
                     ("cea", "negative"), ("stage", "stage_contradiction")}


def test_an_empty_form_is_one_error_about_the_form_as_a_whole():
    errors = check(FormInput.from_mapping({})).errors
    assert [(e.field, e.code) for e in errors] == [("", "empty_form")]


@pytest.mark.parametrize(("path", "field"), [
    ("calcium.value", "calcium"), ("calcium.unit", "calcium_unit"), ("calcium", "calcium"),
    ("stage", "stage"), ("_schema", ""), ("m_category", ""), ("patient_ref", ""),
])
def test_api_error_paths_map_to_form_fields(path, field):
    assert field_of(path) == field


@pytest.mark.parametrize(("data", "code"), [
    ({"stage": "IV"}, "out_of_scope"),
    ({"t_category": "Tis", "n_category": "N0"}, "no_invasive"),
    ({"stage": "0"}, "no_invasive"),
    ({"t_category": "T4", "n_category": "N3", "stage": "IA"}, "stage_contradiction"),
    ({"calcium": {"value": 2.4}}, "unit_required"),
    ({"calcium": {"value": None, "unit": "mmol/L"}}, "number_required"),
    ({"calcium": {"value": 2.4, "unit": "mg/L"}}, "unknown_unit"),
    ({"calcium": {"value": 60, "unit": "mmol/L"}}, "implausible"),
    ({"cea": {"value": -1, "unit": "ng/mL"}}, "negative"),
    ({"histology": "carcinoid"}, "unknown_value"),
    ({}, "empty_form"),
])
def test_each_kind_of_api_error_gets_the_pages_code_from_its_stable_code(data, code):
    from marshmallow import ValidationError

    from schemas import PatientSchema, flatten_errors

    with pytest.raises(ValidationError) as caught:
        PatientSchema().load(data)
    assert [field_error(item).code for item in flatten_errors(caught.value.messages)] == [code]


def test_only_the_forms_own_fields_are_kept_and_long_text_is_cut():
    form = FormInput.from_mapping({"histology": "x" * 500, "patient_name": "Jane Doe"})
    assert set(form.values) == set(FIELD_NAMES)
    assert len(form.get("histology")) == 40


def test_a_scored_form_logs_its_channel_and_one_row(submit, caplog):
    with caplog.at_level(logging.INFO, logger="bmrisk"):
        assert submit({"histology": "squamous"}).status_code == 200
    line = next(r.bmrisk for r in caplog.records if r.getMessage() == "request"
                and r.bmrisk.get("method") == "POST")
    assert (line["channel"], line["rows"]) == ("form", 1)
