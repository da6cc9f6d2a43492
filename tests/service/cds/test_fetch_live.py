"""The fetch path: prefetch keys the EHR left out are fetched from its FHIR server (a real HTTP
server on 127.0.0.1 serving the fixtures' resources) with the token the call lends."""

from __future__ import annotations

from typing import Any

import pytest
import requests

pytestmark = pytest.mark.e2e

SERVICE = "lung-bone-mets-risk"


def call(server: Any, body: Any) -> requests.Response:
    return requests.post(f"{server.url}/cds-services/{SERVICE}", json=body, timeout=30)


def risk_of(response: requests.Response) -> float:
    assert response.status_code == 200, response.text
    resource = response.json()["cards"][0]["suggestions"][0]["actions"][0]["resource"]
    return resource["prediction"][0]["probabilityDecimal"]


def test_absent_keys_are_fetched_with_the_bearer_token_and_give_the_same_card(
        live_server, fixture, fhir_server):
    prefetched = fixture("cds-request-complete.json")
    request = fixture("cds-request-complete.json")
    request["fhirServer"] = fhir_server.url
    del request["prefetch"]
    before = len(fhir_server.seen)
    assert risk_of(call(live_server, request)) == risk_of(call(live_server, prefetched))
    seen = fhir_server.seen[before:]
    assert {s["authorization"] for s in seen} == {"Bearer some-opaque-fhir-access-token"}
    paths = sorted(s["path"] for s in seen)
    assert paths.count("/r4/Observation") == 7
    assert paths.count("/r4/Condition") == 1
    assert len(paths) == 8  # the Patient is not needed for the score: not fetched
    calcium = next(s["query"] for s in seen if "17861-6" in s["query"])
    assert "patient=mCODEPatientExample01" in calcium
    assert "status=final" in calcium


def test_only_the_absent_keys_are_fetched(live_server, fixture, fhir_server):
    request = fixture("cds-request-sparse.json")
    request["fhirServer"] = fhir_server.url
    del request["prefetch"]["calcium"]
    before = len(fhir_server.seen)
    assert call(live_server, request).status_code == 200
    assert [s["query"] for s in fhir_server.seen[before:]] == [
        s["query"] for s in fhir_server.seen[before:] if "17861-6" in s["query"]]
    assert len(fhir_server.seen) == before + 1


def test_fhir_server_failure_is_412_with_an_operation_outcome(live_server, fixture, fhir_server,
                                                              outcome_check):
    request = fixture("cds-request-complete.json")
    request["fhirServer"] = fhir_server.url
    del request["prefetch"]["cea"]
    fhir_server.fail_with = 503
    try:
        response = call(live_server, request)
    finally:
        fhir_server.fail_with = None
    assert response.status_code == 412
    outcome_check(response.json())
    detail = response.json()["issue"][0]["diagnostics"]
    assert "cea" in detail
    assert "503" not in detail  # the cause is for the log only
    live_server.wait_for_record(lambda r: r.get("event") == "cds_fetch_failed"
                                and r["request_id"] == response.headers["X-Request-ID"]
                                and r["detail"] == "HTTP 503")


def test_unreachable_fhir_server_is_412(live_server, fixture, outcome_check):
    request = fixture("cds-request-complete.json")  # fhirServer is *.invalid: never resolves
    del request["prefetch"]["tnmT"]
    response = call(live_server, request)
    assert response.status_code == 412
    outcome_check(response.json())
