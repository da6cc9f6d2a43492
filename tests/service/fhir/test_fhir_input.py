"""Reading FHIR data into model inputs: which result is used, what is set aside, and why."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from riskmodel import InvalidInputError, Quantity
from service.fhir import inputs as fhir_input
from service.fhir.reading import Options, Reading

from ..conftest import FIXTURE_NOW, MALFORMED_JSON, json_slots, shifted

NOW = FIXTURE_NOW  # the day the fixtures' dates count as recent, moved to today
PATIENT = "mCODEPatientExample01"


def read(prefetch: dict[str, Any], patient: str = PATIENT, **options: Any) -> Reading:
    reading = Reading()
    resources = [r for key, value in prefetch.items()
                 for r in fhir_input.unpack(value, key, reading)]
    return fhir_input.read(resources, Options(patient, NOW, **options), reading)


def entries(bundle: dict[str, Any]) -> list[dict[str, Any]]:
    return [e["resource"] for e in bundle["entry"]]


def codes_of(reading: Reading) -> list[str]:
    return [n.code for n in reading.notes]


def test_messy_request_reads_the_same_values_as_the_complete_one(fixture):
    messy = read(fixture("cds-request-messy.json")["prefetch"]).values()
    complete = read(fixture("cds-request-complete.json")["prefetch"]).values()
    assert messy["calcium"] == Quantity(10.9, "mg/dL")
    assert messy["alp"] == Quantity(140.0, "U/L")
    assert messy["cea"] == Quantity(12.0, "ug/L")  # µg/L shown, ug/L coded: 12 ng/mL
    assert (messy["t_category"], messy["n_category"], messy["stage"]) == ("T4", "N3", "IIIC")
    assert messy["histology"] == complete["histology"] == "adenocarcinoma"
    assert {k: v for k, v in complete.items() if k != "cea"} == {
        k: v for k, v in messy.items() if k != "cea"}


def test_latest_result_wins_by_effective_date_not_by_position_in_the_bundle(fixture):
    prefetch = fixture("cds-request-messy.json")["prefetch"]
    first = entries(prefetch["calcium"])[0]
    assert first["status"] == "amended"
    assert first["valueQuantity"]["value"] == 11.6
    reading = read(prefetch)
    assert reading.used["calcium"].reference == "Observation/ca-20261120"
    prefetch["calcium"]["entry"].reverse()
    assert read(prefetch).used["calcium"].reference == "Observation/ca-20261120"


def test_entered_in_error_result_is_ignored_and_noted_even_when_newer(fixture):
    reading = read(fixture("cds-request-messy.json")["prefetch"])
    assert reading.used["alp"].reference == "Observation/alp-20261120"
    note = next(n for n in reading.notes if n.code == "entered-in-error")
    assert note.field == "alp"
    assert shifted("2026-11-21") in note.message


@pytest.mark.parametrize("status", ["preliminary", "cancelled", "registered"])
def test_results_that_are_not_final_are_not_used_and_are_noted(fixture, status):
    prefetch = fixture("cds-request-complete.json")["prefetch"]
    entries(prefetch["cea"])[0]["status"] = status
    reading = read(prefetch)
    assert "cea" not in reading.used
    assert any(n.field == "cea" for n in reading.notes)


def test_operation_outcome_entry_becomes_a_note_and_is_not_read_as_data(fixture):
    reading = read(fixture("cds-request-messy.json")["prefetch"])
    note = next(n for n in reading.notes if n.code == "ehr_outcome")
    assert "calcium" in note.message
    assert "_sort" in note.message


def test_stale_lab_is_used_with_a_note_giving_its_age(fixture):
    reading = read(fixture("cds-request-messy.json")["prefetch"])
    assert reading.used["albumin"].value == Quantity(3.2, "g/dL")
    stale = [n for n in reading.notes if n.code == "stale"]
    assert [n.field for n in stale] == ["albumin"]
    assert shifted("2025-06-12") in stale[0].message
    assert "531 days" in stale[0].message


def test_age_limit_is_configurable(fixture):
    reading = read(fixture("cds-request-complete.json")["prefetch"], max_age_days=3)
    assert {n.field for n in reading.notes if n.code == "stale"} == {
        "calcium", "albumin", "alp", "cea"}


def test_mixed_units_in_one_bundle_are_each_converted_and_the_latest_is_used(fixture):
    prefetch = fixture("cds-request-complete.json")["prefetch"]
    sparse = fixture("cds-request-sparse.json")["prefetch"]
    mmol = entries(sparse["calcium"])[0]  # 2.30 mmol/L, LOINC 2000-8, 2026-11-18
    mmol["subject"] = {"reference": f"Patient/{PATIENT}"}
    mmol["effectiveDateTime"] = shifted("2026-11-24T08:00:00Z")
    prefetch["calcium"]["entry"].append({"resource": mmol, "search": {"mode": "match"}})
    assert read(prefetch).used["calcium"].value == Quantity(2.3, "mmol/L")
    mmol["effectiveDateTime"] = shifted("2026-11-01T08:00:00Z")
    assert read(prefetch).used["calcium"].value == Quantity(10.9, "mg/dL")


@pytest.mark.parametrize(("quantity", "expected"), [
    ({"value": 2.5, "unit": "mmol/l"}, Quantity(2.5, "mmol/L")),
    ({"value": 9.8, "unit": "mg/dl"}, Quantity(9.8, "mg/dL")),
    ({"value": 2.5, "unit": "whatever", "system": "http://unitsofmeasure.org",
      "code": "mmol/L"}, Quantity(2.5, "mmol/L")),
    ({"value": 9.8, "unit": "mg/dL", "system": "http://local.example/units", "code": "MGDL"},
     Quantity(9.8, "mg/dL")),
])
def test_unit_is_read_from_the_ucum_code_first_then_from_the_unit_text(fixture, quantity,
                                                                       expected):
    prefetch = fixture("cds-request-complete.json")["prefetch"]
    entries(prefetch["calcium"])[0]["valueQuantity"] = quantity
    assert read(prefetch).used["calcium"].value == expected


@pytest.mark.parametrize("unit", ["mEq/L", "IU/L", "mg%", ""])
def test_unknown_unit_leaves_the_input_missing_with_a_note_naming_it(fixture, unit):
    prefetch = fixture("cds-request-complete.json")["prefetch"]
    entries(prefetch["calcium"])[0]["valueQuantity"] = {"value": 5.1, "unit": unit}
    reading = read(prefetch)
    assert "calcium" not in reading.used
    note = next(n for n in reading.notes if n.code == "unknown_unit")
    assert note.field == "calcium"
    assert repr(unit or "(none)") in note.message


def test_a_bound_is_not_taken_as_a_value(fixture):
    prefetch = fixture("cds-request-complete.json")["prefetch"]
    entries(prefetch["cea"])[0]["valueQuantity"]["comparator"] = "<"
    reading = read(prefetch)
    assert "cea" not in reading.used
    assert "bound" in codes_of(reading)


def test_codes_match_on_system_and_code_together(fixture):
    prefetch = fixture("cds-request-complete.json")["prefetch"]
    coding = entries(prefetch["cea"])[0]["code"]["coding"][0]
    coding["system"] = "urn:oid:2.16.840.1.113883.6.238"  # CDC race codes: 2039-6 is Japanese
    assert "cea" not in read(prefetch).used


def test_albumin_is_not_applied_again_to_a_lab_corrected_calcium(fixture):
    prefetch = fixture("cds-request-complete.json")["prefetch"]
    entries(prefetch["calcium"])[0]["code"]["coding"] = [
        {"system": "http://loinc.org", "code": "29265-6"}]
    entries(prefetch["calcium"])[0]["valueQuantity"] = {"value": 2.5, "code": "mmol/L",
                                                        "system": "http://unitsofmeasure.org"}
    reading = read(prefetch)
    assert "albumin" not in reading.used
    assert "corrected_calcium" in codes_of(reading)


def test_results_about_another_patient_are_dropped_with_a_note(fixture):
    reading = read(fixture("cds-request-complete.json")["prefetch"], patient="someone-else")
    assert reading.used == {}
    assert "other_patient" in codes_of(reading)


@pytest.mark.parametrize(("value", "expected"), [
    ({"coding": [{"system": "http://cancerstaging.org", "code": "pT2b"}]}, "T2b"),
    ({"coding": [{"system": "http://snomed.info/sct", "code": "1228931008"}]}, "T2a"),
    ({"coding": [{"system": "http://snomed.info/sct", "code": "1229864001"}]}, "T4"),
    ({"text": "cT1mi"}, "T1mi"),
    ({"coding": [{"system": "http://example.org/x", "code": "z",
                  "display": "American Joint Committee on Cancer cT3 (qualifier value)"}]}, "T3"),
])
def test_t_category_is_read_from_ajcc_snomed_display_or_text(fixture, value, expected):
    prefetch = fixture("cds-request-complete.json")["prefetch"]
    entries(prefetch["tnmT"])[0]["valueCodeableConcept"] = value
    assert read(prefetch).used["t_category"].value == expected


def test_codings_that_disagree_leave_the_input_missing(fixture):
    prefetch = fixture("cds-request-complete.json")["prefetch"]
    entries(prefetch["tnmT"])[0]["valueCodeableConcept"]["coding"][0]["code"] = "cT3"
    reading = read(prefetch)
    assert "t_category" not in reading.used
    assert "conflict" in codes_of(reading)


def test_unreadable_staging_text_is_missing_and_quoted_in_the_note(fixture):
    prefetch = fixture("cds-request-complete.json")["prefetch"]
    entries(prefetch["stage"])[0]["valueCodeableConcept"] = {"text": "locally advanced"}
    reading = read(prefetch)
    assert reading.used["stage"].reference.startswith("Condition/")  # the stage summary
    assert any("locally advanced" in n.message for n in reading.notes)


def test_histology_comes_from_the_mcode_extension_when_the_code_is_generic(fixture):
    prefetch = fixture("cds-request-complete.json")["prefetch"]
    condition = entries(prefetch["cancer"])[0]
    condition["code"] = {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10-cm",
                                     "code": "C34.90"}]}
    condition["extension"][0]["valueCodeableConcept"]["coding"] = [
        {"system": "http://snomed.info/sct", "code": "35917007"}]  # mCODE STU1 adenocarcinoma
    assert read(prefetch).used["histology"].value == "adenocarcinoma"


def test_histology_of_a_non_lung_cancer_is_not_used(fixture):
    prefetch = fixture("cds-request-complete.json")["prefetch"]
    condition = entries(prefetch["cancer"])[0]
    condition["code"] = {"coding": [{"system": "http://snomed.info/sct",
                                     "code": "254837009"}]}  # breast
    condition["bodySite"] = []
    reading = read(prefetch)
    assert "histology" not in reading.used
    assert reading.condition is None
    assert "no_lung_condition" in codes_of(reading)


def test_squamous_histology_of_the_sparse_request(fixture):
    reading = read(fixture("cds-request-sparse.json")["prefetch"], patient="mCODEPatientExample02")
    assert reading.values() == {"calcium": Quantity(2.3, "mmol/L"), "histology": "squamous"}


def test_stage_iv_is_read_so_the_engine_can_refuse_it(fixture):
    prefetch = fixture("cds-request-complete.json")["prefetch"]
    entries(prefetch["stage"])[0]["valueCodeableConcept"] = {
        "coding": [{"system": "http://snomed.info/sct", "code": "1222838008"}]}
    reading = read(prefetch)
    assert reading.used["stage"].value == "IVA"
    with pytest.raises(ValueError, match="out of scope"):
        reading.patient()


def test_impossible_lab_value_is_dropped_with_a_note_and_the_rest_kept(fixture):
    prefetch = fixture("cds-request-complete.json")["prefetch"]
    entries(prefetch["calcium"])[0]["valueQuantity"]["value"] = 109
    reading = read(prefetch)
    patient = fhir_input.patient_of(reading)
    assert patient.calcium is None
    assert patient.alp == Quantity(140.0, "U/L")
    assert "impossible" in codes_of(reading)





# ``fixture`` is a loader returning a fresh copy on each call: safe to share across examples.
@settings(max_examples=100, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_malformed_part_of_the_data_is_skipped_or_refused_never_a_crash(fixture, data):
    prefetch = fixture("cds-request-messy.json")["prefetch"]
    slots = json_slots(prefetch)
    for _ in range(data.draw(st.integers(1, 4))):
        container, key = data.draw(st.sampled_from(slots))
        container[key] = data.draw(MALFORMED_JSON)
    try:
        reading = read({k: v for k, v in prefetch.items() if isinstance(v, dict)})
        fhir_input.patient_of(reading)
    except InvalidInputError:
        pass  # out of scope or contradictory: the card says the model does not apply


def test_an_m1_observation_makes_the_patient_out_of_scope(fixture):
    prefetch = fixture("cds-request-complete.json")["prefetch"]
    m_category = {"resourceType": "Observation", "id": "cm", "status": "final",
                  "code": {"coding": [{"system": "http://loinc.org", "code": "21907-1"}]},
                  "subject": {"reference": f"Patient/{PATIENT}"},
                  "effectiveDateTime": shifted("2026-11-10"),
                  "valueCodeableConcept": {"coding": [
                      {"system": "http://snomed.info/sct", "code": "1229907005"}]}}  # cM1b
    prefetch["stage"]["entry"].append({"resource": m_category})
    reading = read(prefetch)
    assert reading.used["m_category"].value == "M1b"
    with pytest.raises(InvalidInputError, match="m_category"):
        fhir_input.patient_of(reading)
