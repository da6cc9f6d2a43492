"""Every score on every channel leaves exactly one audit row, committed before the answer,
with the model, the caller, the body's SHA-256 and, for one patient, its probability and band;
patient references only as HMAC under the site key, and no feature value anywhere."""

from __future__ import annotations

import hashlib
import hmac
import re
from typing import Any

import pytest

from service.logging import JsonFormatter

from .conftest import AUDIT_KEY, MARKER_REF, MARKER_VALUE, audit_rows, every_stored_text

PATIENT = {"histology": "adenocarcinoma", "t_category": "T2a", "n_category": "N2",
           "calcium": {"value": MARKER_VALUE, "unit": "mmol/L"},
           "alp": {"value": 180, "unit": "U/L"}}
FORM = {"histology": "adenocarcinoma", "t_category": "T2a", "n_category": "N2",
        "calcium": str(MARKER_VALUE), "calcium_unit": "mmol/L"}


def _api(client: Any, fixture: Any) -> Any:
    return client.post("/v1/risk", json={**PATIENT, "patient_ref": MARKER_REF})


def _api_fhir(client: Any, fixture: Any) -> Any:
    return client.post("/v1/risk", json={**PATIENT, "patient_ref": MARKER_REF},
                       headers={"Accept": "application/fhir+json"})


def _batch(client: Any, fixture: Any) -> Any:
    rows = [{**PATIENT, "patient_ref": MARKER_REF}, {"histology": "squamous"}, {"oops": 1}]
    return client.post("/v1/risk/batch", json={"patients": rows})


def _form(client: Any, fixture: Any) -> Any:
    page = client.get("/").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    return client.post("/", data={**FORM, "patient_identifier": MARKER_REF, "csrf_token": token})


def _fhir(client: Any, fixture: Any) -> Any:
    return client.post("/fhir/RiskAssessment/$assess", json=fixture("fhir-bundle-complete.json"),
                       headers={"Content-Type": "application/fhir+json"})


def _cds(client: Any, fixture: Any) -> Any:
    return client.post("/cds-services/lung-bone-mets-risk",
                       json=fixture("cds-request-complete.json"))


# channel name -> (request, rows scored, the patient reference it carries)
CHANNELS = {
    "api": (_api, 1, MARKER_REF),
    "api-fhir+json": (_api_fhir, 1, MARKER_REF),
    "batch": (_batch, 2, None),
    "form": (_form, 1, MARKER_REF),  # the identifier typed for the printed record
    "fhir": (_fhir, 1, "Patient/mCODEPatientExample01"),
    "cds": (_cds, 1, "Patient/mCODEPatientExample01"),
}


@pytest.mark.parametrize("channel", CHANNELS)
def test_each_channel_writes_one_audit_row_with_the_answer_s_hash(
        make_app, database_url, fixture, channel):
    send, rows, reference = CHANNELS[channel]
    response = send(make_app().test_client(), fixture)
    assert response.status_code == 200, response.get_data(as_text=True)
    [row] = audit_rows(database_url)
    assert row["channel"] == channel
    assert row["request_id"] == response.headers["X-Request-ID"]
    assert row["response_sha256"] == hashlib.sha256(response.get_data()).hexdigest()
    assert (row["rows"], row["status"]) == (rows, 200)
    assert row["model_id"] == "lung-bm-literature"
    assert len(row["model_sha256"]) == 64
    assert row["caller"] == ("form" if channel == "form" else "unauthenticated")
    if rows == 1:
        assert 0 < row["probability"] < 1
        assert row["band"] in {"low", "moderate", "high"}
    else:
        assert row["probability"] is None
        assert row["band"] is None
    expected = reference and hmac.new(AUDIT_KEY.encode(), reference.encode(),
                                      hashlib.sha256).hexdigest()
    assert row["patient_hmac"] == expected


def test_the_api_single_row_holds_the_probability_the_client_received(make_app, database_url):
    body = make_app().test_client().post("/v1/risk", json=PATIENT).get_json()
    [row] = audit_rows(database_url)
    assert (row["probability"], row["band"]) == (body["probability"], body["band"])


def test_the_caller_is_the_api_key_id_never_the_key(make_app, database_url):
    key = "a-long-api-key-for-the-audit-test"
    digest = hashlib.sha256(key.encode()).hexdigest()
    client = make_app(API_KEY_HASHES=(digest,)).test_client()
    assert client.post("/v1/risk", json=PATIENT,
                       headers={"Authorization": f"Bearer {key}"}).status_code == 200
    [row] = audit_rows(database_url)
    assert row["caller"] == f"key:{digest[:12]}"
    assert key not in every_stored_text(database_url)


def test_requests_that_score_nothing_leave_no_row(make_app, database_url):
    client = make_app().test_client()
    assert client.post("/v1/risk", json={"histology": "nope"}).status_code == 422
    assert client.get("/readyz").status_code == 200
    assert client.get("/").status_code == 200
    assert audit_rows(database_url) == []


def logged(caplog: pytest.LogCaptureFixture) -> str:
    """The service's log lines of this test, as the JSON lines it writes."""
    return "\n".join(JsonFormatter().format(r) for r in caplog.records)


def test_no_marker_of_a_patient_reaches_any_table_or_log(make_app, database_url, fixture,
                                                          caplog):
    client = make_app().test_client()
    for send, _rows, _ref in CHANNELS.values():
        assert send(client, fixture).status_code == 200
    stored = every_stored_text(database_url)
    lines = logged(caplog)
    assert len(audit_rows(database_url)) == len(CHANNELS)
    assert lines.count('"event":"request"') > len(CHANNELS)  # the log was read
    for marker in (MARKER_REF, str(MARKER_VALUE), "mCODEPatientExample01"):
        assert marker not in stored
        assert marker not in lines


def test_without_an_audit_key_no_patient_reference_is_stored(make_app, database_url):
    make_app(AUDIT_KEY=None).test_client().post("/v1/risk",
                                                json={**PATIENT, "patient_ref": MARKER_REF})
    [row] = audit_rows(database_url)
    assert row["patient_hmac"] is None
    assert row["patient_key_id"] is None


def test_audit_off_writes_nothing_and_says_so(make_app, database_url, caplog):
    client = make_app(AUDIT=False).test_client()
    assert client.post("/v1/risk", json=PATIENT).status_code == 200
    assert audit_rows(database_url) == []
    assert "THE AUDIT TRAIL IS OFF" in logged(caplog)
