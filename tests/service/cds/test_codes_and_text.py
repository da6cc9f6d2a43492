"""Code tables and wording: staging text, UCUM spelling, the card summary and indicator."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import riskmodel
from riskmodel import Patient, Quantity
from service.cds import cards
from service.fhir import codes as fhir_codes
from service.fhir import output as fhir_output
from service.fhir.reading import Reading, Used
from service.summary import summarise


@pytest.mark.parametrize(("kind", "text", "expected"), [
    ("t_category", "cT4", "T4"), ("t_category", "pT1a", "T1a"), ("t_category", "ypT2", "T2"),
    ("t_category", "Tis", "Tis"), ("t_category", "TX", "TX"), ("t_category", "T4a", None),
    ("n_category", "cN3", "N3"), ("n_category", "pN2b", "N2"), ("n_category", "N4", None),
    ("stage", "3C", "IIIC"), ("stage", "IIIC", "IIIC"), ("stage", "Stage IIIC", "IIIC"),
    ("stage", "stage 1a2", "IA2"), ("stage", "IV", "IV"), ("stage", "4B", "IVB"),
    ("stage", "Clinical stage IIB", "IIB"), ("stage", "IIC", None), ("stage", "C", None),
    ("m_category", "cM1b", "M1b"), ("m_category", "M0", "M0"),
])
def test_staging_text_is_read_as_ajcc_8th_categories(kind, text, expected):
    assert fhir_codes.text_value(kind, text) == expected


@pytest.mark.parametrize(("lab", "quantity", "unit"), [
    ("cea", {"unit": "\u00b5g/L"}, "ug/L"), ("cea", {"unit": "\u03bcg/l"}, "ug/L"),
    ("calcium", {"unit": "mg/dl"}, "mg/dL"), ("cea", {"unit": "ng/ml"}, "ng/mL"),
    ("alp", {"unit": "IU/L"}, "U/L"), ("alp", {"system": fhir_codes.UCUM, "code": "[IU]/L"}, "U/L"),
    ("alp", {"code": "U/L", "unit": "units per litre"}, "U/L"), ("alp", {}, None),
    ("calcium", {"unit": "IU/L"}, None), ("alp", {"unit": "kat/L"}, None),
])
def test_units_are_read_as_the_labs_ucum_code_and_unknown_ones_stay_unknown(lab, quantity,
                                                                           unit):
    assert fhir_codes.ucum_unit(lab, quantity) == unit


def test_bsp_code_setting_needs_system_and_code():
    assert fhir_codes.parse_code("http://example.org/local|bsp-ihc") == (
        "http://example.org/local", "bsp-ihc")
    with pytest.raises(ValueError, match="system\\|code"):
        fhir_codes.parse_code("bsp-ihc")


LABS = st.one_of(st.none(), st.floats(0.6, 5.0).map(lambda v: Quantity(round(v, 2), "mmol/L")))


@settings(max_examples=60, deadline=None)
@given(histology=st.sampled_from([None, "adenocarcinoma", "squamous"]),
       t=st.sampled_from([None, "T1a", "T4"]), n=st.sampled_from([None, "N0", "N3"]),
       calcium=LABS, alp=st.one_of(st.none(), st.floats(20, 900).map(
           lambda v: Quantity(round(v), "U/L"))))
def test_summary_is_one_line_under_140_characters_and_names_band_and_missing(
        histology, t, n, calcium, alp):
    result = riskmodel.score(Patient(histology=histology, t_category=t, n_category=n,
                                     calcium=calcium, alp=alp))
    text = summarise(result, riskmodel.load_model()).line
    assert len(text) < 140
    assert "\n" not in text
    assert text.startswith("Bone-metastasis risk ")
    assert f"({result.band})" in text
    assert ("missing" in text) == bool(result.missing)


@pytest.mark.parametrize(("patient", "indicator"), [
    (Patient(histology="squamous", t_category="T1a", n_category="N0"), "info"),
    (Patient(histology="adenocarcinoma", t_category="T4", n_category="N3"), "warning"),
    (Patient(histology="squamous", calcium=Quantity(2.9, "mmol/L")), "critical"),
])
def test_indicator_follows_band_and_alerts(patient, indicator):
    result = riskmodel.score(patient)
    assert cards.indicator(result) == indicator
    assert (indicator == "critical") == bool(result.alerts)


def test_risk_assessment_states_the_scale_and_carries_point_interval_and_range(
        risk_assessment_check):
    model = riskmodel.load_model()
    result = riskmodel.score(Patient(histology="adenocarcinoma"), model)
    resource = fhir_output.risk_assessment(
        result, model, summarise(result, model), score_id=str(uuid.uuid4()),
        subject={"reference": "Patient/p1"}, occurred=datetime(2026, 11, 26, tzinfo=UTC))
    risk_assessment_check(resource)
    point, interval, missing = resource["prediction"]
    assert point["probabilityDecimal"] == pytest.approx(result.probability, abs=1e-6)
    assert interval["probabilityRange"]["low"]["value"] <= point["probabilityDecimal"]
    assert missing["probabilityRange"]["high"]["code"] == "1"  # UCUM: a 0-1 ratio
    assert "0-1 scale" in resource["method"]["text"]
    assert "0-1 scale" in resource["text"]["div"]
    assert resource["status"] == "preliminary"
    assert "basis" not in resource


def test_card_links_the_form_prefilled_with_feature_names_and_units():
    reading = Reading()
    reading.used["calcium"] = Used("calcium", Quantity(2.41, "mmol/L"), "2.41 mmol/L", None,
                                   "Observation/1")
    reading.used["histology"] = Used("histology", "squamous", "squamous", None, "Condition/1")
    url = cards.prefill_url("https://risk.example.org/", reading)
    assert url == ("https://risk.example.org/?calcium=2.41&calcium_unit=mmol%2FL"
                   "&histology=squamous")


@pytest.mark.parametrize(("status", "code"), [(400, "invalid"), (401, "login"),
                                              (404, "not-found"), (412, "incomplete"),
                                              (415, "not-supported"), (500, "exception")])
def test_operation_outcome_for_each_status_is_valid_fhir(outcome_check, status, code):
    resource = fhir_output.operation_outcome(status, "Plain words <b>.", [
        {"path": "context.patientId", "message": "is required"}, {"path": "_schema",
                                                                  "message": "whole"}])
    outcome_check(resource)
    assert [i["code"] for i in resource["issue"]] == [code] * 3
    assert resource["issue"][1]["expression"] == ["context.patientId"]
    assert "expression" not in resource["issue"][2]
    assert "&lt;b&gt;" in resource["text"]["div"]


def test_the_card_and_the_narrative_say_the_risk_in_the_same_words_from_one_summary():
    model = riskmodel.load_model()
    result = riskmodel.score(Patient(histology="adenocarcinoma", alp=Quantity(140, "U/L")), model)
    summary = summarise(result, model, ["a note about the data"])
    resource = fhir_output.risk_assessment(
        result, model, summary, score_id=str(uuid.uuid4()), subject={"reference": "Patient/p1"},
        occurred=datetime(2026, 11, 26, tzinfo=UTC))
    card = cards.risk_card(result, model, summary, Reading(), card_id="c", suggestion_id="s",
                           resource=resource, links=cards.Links("/model-card", "/", True))
    assert f"{summary.in_100} ({summary.risk}, {summary.band})" in card["detail"]
    assert f"{summary.in_100} ({summary.risk}), band {summary.band}" in resource["text"]["div"]
    for shown in (card["detail"], resource["text"]["div"]):
        for part in (summary.interval_text, "a note about the data"):
            assert part in shown
    assert card["summary"] == summary.line


_CODE_PARTS = st.one_of(st.sampled_from([fhir_codes.LOINC, fhir_codes.SNOMED, "17861-6",
                                         "2000-8", "1751-7"]), st.none(), st.integers(),
                        st.text(max_size=4))
_CONCEPTS = st.one_of(
    st.none(), st.integers(), st.text(max_size=3),
    st.fixed_dictionaries({}, optional={"text": st.text(max_size=3), "coding": st.one_of(
        st.none(), st.text(max_size=3), st.lists(st.one_of(st.integers(), st.none(),
            st.fixed_dictionaries({}, optional={"system": _CODE_PARTS, "code": _CODE_PARTS,
                                                "display": _CODE_PARTS})), max_size=4))}))


@settings(max_examples=300, deadline=None)
@given(_CONCEPTS, st.lists(st.tuples(_CODE_PARTS, _CODE_PARTS), max_size=3))
def test_concept_matches_is_any_coding_matching_by_system_and_code(concept, wanted):
    codes = (*wanted, (fhir_codes.LOINC, "17861-6"), (None, None))
    expected = any(fhir_codes.matches(c, codes) for c in fhir_codes.codings(concept))
    assert fhir_codes.concept_matches(concept, codes) is expected


@settings(max_examples=300, deadline=None)
@given(st.lists(st.fixed_dictionaries({}, optional={"code": _CONCEPTS}), max_size=5),
       st.lists(st.tuples(_CODE_PARTS, _CODE_PARTS), max_size=3))
def test_coded_observations_are_those_whose_concept_matches(observations, wanted):
    codes = (*wanted, (fhir_codes.LOINC, "17861-6"), (None, None))
    expected = [o for o in observations if fhir_codes.concept_matches(o.get("code"), codes)]
    found = fhir_codes.Coded(observations).having(codes)
    assert [id(o) for o in found] == [id(o) for o in expected]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.tuples(st.text(max_size=12), st.text(max_size=12)), max_size=12))
def test_the_prefill_query_equals_urlencode(params):
    from urllib.parse import urlencode

    from service.cds.cards import _urlencode

    assert _urlencode(params) == urlencode(params)
