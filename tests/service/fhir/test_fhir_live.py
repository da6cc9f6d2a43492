"""FHIR R4 over HTTP: POST /fhir/RiskAssessment/$assess and /v1/risk answering FHIR."""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests

pytestmark = pytest.mark.e2e

FHIR_JSON = "application/fhir+json"
ASSESS = "/fhir/RiskAssessment/$assess"


def post(server: Any, path: str, body: Any, **headers: str) -> requests.Response:
    return requests.post(server.url + path, data=json.dumps(body), timeout=30,
                         headers={"Content-Type": FHIR_JSON, **headers})


def test_assess_answers_a_risk_assessment_for_a_collection_bundle(live_server, fixture,
                                                                  risk_assessment_check):
    response = post(live_server, ASSESS, fixture("fhir-bundle-complete.json"))
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"] == FHIR_JSON
    resource = response.json()
    risk_assessment_check(resource)
    assert resource["subject"] == {"reference": "Patient/mCODEPatientExample01"}
    assert resource["status"] == "final"  # only BSP, a research input, is missing
    assert len(resource["basis"]) == 8
    assert resource["prediction"][0]["outcome"]["coding"][0]["code"] == "94222008"
    assert resource["prediction"][0]["qualitativeRisk"]["coding"][0]["code"] == "high"
    assert resource["method"]["coding"][0]["code"] == "lung-bm-literature@2.0.0"
    assert {"system": "urn:bmrisk:request-id",
            "value": response.headers["X-Request-ID"]} in resource["identifier"]
    assert " in 100" in resource["text"]["div"]
    assert "<table>" in resource["text"]["div"]


def test_assess_takes_the_bundle_as_a_parameter_too(live_server, fixture):
    bundle = fixture("fhir-bundle-complete.json")
    direct = post(live_server, ASSESS, bundle).json()
    wrapped = post(live_server, ASSESS, {"resourceType": "Parameters", "parameter": [
        {"name": "bundle", "resource": bundle}]}).json()
    assert (wrapped["prediction"][0]["probabilityDecimal"]
            == direct["prediction"][0]["probabilityDecimal"])


def test_assess_reads_a_searchset_bundle_with_an_outcome_entry(live_server, fixture,
                                                               risk_assessment_check):
    messy = fixture("cds-request-messy.json")["prefetch"]
    bundle = messy["calcium"]  # amended + final + OperationOutcome entry
    for key in ("alp", "cea", "cancer"):
        bundle["entry"] += messy[key]["entry"]
    response = post(live_server, ASSESS, bundle)
    assert response.status_code == 200, response.text
    resource = response.json()
    risk_assessment_check(resource)
    assert "Observation/ca-20261120" in [b["reference"] for b in resource["basis"]]
    assert any("_sort" in n["text"] for n in resource["note"])


def _two_patients(bundle: dict[str, Any]) -> None:
    bundle["entry"][1]["resource"]["subject"]["reference"] = "Patient/other"


def _stage_iv(bundle: dict[str, Any]) -> None:
    for entry in bundle["entry"]:
        if entry["resource"].get("code", {}).get("coding", [{}])[0].get("code") == "21908-9":
            entry["resource"]["valueCodeableConcept"] = {"text": "Stage IVA"}


def _transaction(bundle: dict[str, Any]) -> None:
    bundle["type"] = "transaction"


@pytest.mark.parametrize(("change", "status", "words"), [
    (_two_patients, 422, "exactly one patient"), (_stage_iv, 422, "out of scope"),
    (_transaction, 422, "collection or searchset"),
])
def test_assess_refuses_what_it_cannot_score_with_an_operation_outcome(
        live_server, fixture, outcome_check, change, status, words):
    bundle = fixture("fhir-bundle-complete.json")
    change(bundle)
    response = post(live_server, ASSESS, bundle)
    assert response.status_code == status
    assert response.headers["Content-Type"] == FHIR_JSON
    outcome_check(response.json())
    assert words in str(response.json())


@pytest.mark.parametrize(("method", "data", "content_type", "status"), [
    ("post", "{", FHIR_JSON, 400), ("post", "<Bundle/>", "application/fhir+xml", 415),
    ("post", '{"resourceType": "Patient"}', FHIR_JSON, 422), ("get", None, None, 405),
])
def test_assess_http_errors_are_fhir_operation_outcomes(live_server, outcome_check, method,
                                                        data, content_type, status):
    headers = {"Content-Type": content_type} if content_type else {}
    response = requests.request(method, live_server.url + ASSESS, data=data, headers=headers,
                                timeout=30)
    assert response.status_code == status
    assert response.headers["Content-Type"] == FHIR_JSON
    outcome_check(response.json())


def test_json_api_answers_a_risk_assessment_when_fhir_is_asked_for(live_server,
                                                                   risk_assessment_check):
    patient = {"patient_ref": "case-7", "histology": "squamous", "t_category": "T1a",
               "n_category": "N0", "stage": "IA1", "bsp": "negative",
               "calcium": {"value": 2.3, "unit": "mmol/L"}, "albumin": {"value": 40, "unit": "g/L"},
               "alp": {"value": 80, "unit": "U/L"}, "cea": {"value": 2, "unit": "ng/mL"}}
    response = requests.post(live_server.url + "/v1/risk", json=patient, timeout=30,
                             headers={"Accept": FHIR_JSON})
    assert response.status_code == 200
    assert response.headers["Content-Type"] == FHIR_JSON
    resource = response.json()
    risk_assessment_check(resource)
    assert resource["status"] == "final"
    assert len(resource["prediction"]) == 2
    assert resource["subject"]["identifier"] == {"value": "case-7"}
    plain = requests.post(live_server.url + "/v1/risk", json=patient, timeout=30).json()
    assert resource["prediction"][0]["probabilityDecimal"] == pytest.approx(
        plain["probability"], abs=1e-6)
