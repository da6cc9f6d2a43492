"""CDS Hooks authentication on a server configured for it: the EHR's JWT (asymmetric, issuer and
jku allow-listed, aud the exact endpoint, exp, jti once), and a locally mapped BSP code."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Callable
from typing import Any

import jwt
import pytest
import requests

from ..conftest import shifted

pytestmark = pytest.mark.e2e

SERVICE = "lung-bone-mets-risk"
EHR = "https://ehr.example.org/"  # keys at its jku (served by the local FHIR server)
GAPPED = "https://gapped.example.org/"  # keys only in the local JWKS file
BSP = ("http://example.org/local", "bsp-ihc")


def _port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def setup(module_server_factory, fhir_server, tmp_path_factory) -> dict[str, Any]:
    signer_type = fhir_server.__class__.__module__  # the conftest module
    import sys

    Signer = sys.modules[signer_type].Signer
    ehr, gapped = Signer("ehr-1", "RS384"), Signer("gapped-1", "ES384")
    jku = fhir_server.url.removesuffix("/r4") + "/jwks.json"
    fhir_server.extra["/jwks.json"] = {"keys": [ehr.jwk]}
    folder = tmp_path_factory.mktemp("jwt")
    (folder / "jwks.json").write_text(json.dumps({"keys": [gapped.jwk]}))
    port = _port()
    url = f"http://127.0.0.1:{port}"
    server = module_server_factory({
        "PORT": str(port), "BMRISK_PUBLIC_URL": url,
        "BMRISK_CDS_JWT_ISSUERS": json.dumps({EHR: [jku], GAPPED: []}),
        "BMRISK_CDS_JWKS_FILE": str(folder / "jwks.json"),
        "BMRISK_DATABASE_URL": f"sqlite:///{folder / 'bmrisk.sqlite3'}",
        "BMRISK_BSP_CODE": "|".join(BSP)})
    return {"server": server, "ehr": ehr, "gapped": gapped, "jku": jku,
            "aud": f"{url}/cds-services/{SERVICE}"}


def call(setup: dict[str, Any], token: str | None, body: Any) -> requests.Response:
    """POST a CDS request; with a BSP code configured, the key is prefetched (null: none)."""
    body["prefetch"].setdefault("bsp", None)
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return requests.post(setup["aud"], json=body, headers=headers, timeout=30)


def test_boot_log_says_jwt_auth_is_on_with_the_issuers(setup):
    record = setup["server"].wait_for_record(lambda r: r.get("event") == "cds_auth")
    assert record["auth"] == "jwt"
    assert record["issuer"] == [EHR, GAPPED]


def test_good_rs384_token_with_allowed_jku_is_served(setup, fixture):
    token = setup["ehr"].token(EHR, setup["aud"], jku=setup["jku"])
    response = call(setup, token, fixture("cds-request-complete.json"))
    assert response.status_code == 200, response.text
    assert len(response.json()["cards"]) == 1


def test_good_es384_token_with_keys_from_the_local_jwks_file_is_served(setup, fixture):
    token = setup["gapped"].token(GAPPED, setup["aud"])
    assert call(setup, token, fixture("cds-request-sparse.json")).status_code == 200


def test_discovery_needs_a_token_for_the_discovery_url(setup):
    url = setup["aud"].removesuffix(f"/{SERVICE}")
    token = setup["ehr"].token(EHR, url, jku=setup["jku"])
    assert requests.get(url, timeout=30).status_code == 401
    answer = requests.get(url, headers={"Authorization": f"Bearer {token}"}, timeout=30)
    assert answer.status_code == 200
    assert "bsp" in answer.json()["services"][0]["prefetch"]


def _hmac(setup: dict[str, Any]) -> str:
    now = int(time.time())
    return jwt.encode({"iss": EHR, "aud": setup["aud"], "iat": now, "exp": now + 300,
                       "jti": "h1"}, "a-shared-secret-of-thirty-two-bytes!!", algorithm="HS256",
                      headers={"kid": "ehr-1"})


def _none(setup: dict[str, Any]) -> str:
    now = int(time.time())
    return jwt.encode({"iss": EHR, "aud": setup["aud"], "iat": now, "exp": now + 300,
                       "jti": "n1"}, None, algorithm="none")


REFUSED: dict[str, Callable[[dict[str, Any]], str | None]] = {
    "no token": lambda s: None,
    "wrong audience": lambda s: s["ehr"].token(EHR, s["aud"] + "-other", jku=s["jku"]),
    "expired": lambda s: s["ehr"].token(EHR, s["aud"], jku=s["jku"], lifetime=-120),
    "issuer not on the list": lambda s: s["ehr"].token("https://evil.example/", s["aud"],
                                                       jku=s["jku"]),
    "jku not on the list": lambda s: s["ehr"].token(EHR, s["aud"], jku="https://evil.example/k"),
    "key of another issuer": lambda s: s["gapped"].token(EHR, s["aud"]),
    "HMAC-signed": _hmac,
    "unsigned": _none,
    "exp above 2^63": lambda s: s["ehr"].token(EHR, s["aud"], jku=s["jku"], exp=2**63 + 5),
    "exp a century away": lambda s: s["ehr"].token(EHR, s["aud"], jku=s["jku"],
                                                   lifetime=100 * 365 * 86400),
    "exp as a numeric string": lambda s: s["ehr"].token(
        EHR, s["aud"], jku=s["jku"], exp=str(int(time.time()) + 60)),
    "iat as a float string": lambda s: s["ehr"].token(EHR, s["aud"], jku=s["jku"],
                                                      iat="1e3"),
    "lifetime over the maximum": lambda s: s["ehr"].token(
        EHR, s["aud"], jku=s["jku"], iat=int(time.time()) - 200, exp=int(time.time()) + 200),
    "iat in the future": lambda s: s["ehr"].token(
        EHR, s["aud"], jku=s["jku"], iat=int(time.time()) + 3600,
        exp=int(time.time()) + 3700),
    "no jti": lambda s: s["ehr"].token(EHR, s["aud"], jku=s["jku"], omit=("jti",)),
    "jti too long": lambda s: s["ehr"].token(EHR, s["aud"], jku=s["jku"], jti="j" * 300),
}
REASONS = {"no token": "no bearer token", "wrong audience": "InvalidAudienceError",
           "expired": "ExpiredSignatureError", "issuer not on the list": "issuer not on",
           "jku not on the list": "jku not on", "key of another issuer": "no key",
           "HMAC-signed": "'HS256' not allowed", "unsigned": "'none' not allowed",
           "exp above 2^63": "exp is not a number of seconds in range",
           "exp a century away": "token lives longer than 300 s",
           "exp as a numeric string": "exp is not a number",
           "iat as a float string": "InvalidIssuedAtError",
           "lifetime over the maximum": "token lives longer than 300 s",
           "iat in the future": "ImmatureSignatureError",
           "no jti": "MissingRequiredClaimError",
           "jti too long": "jti is not a string of 1 to 256 characters"}


@pytest.mark.parametrize("case", list(REFUSED))
def test_bad_tokens_are_401_with_the_reason_in_the_log_only(setup, fixture, outcome_check, case):
    response = call(setup, REFUSED[case](setup), fixture("cds-request-complete.json"))
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    outcome_check(response.json())
    assert response.json()["issue"][0]["diagnostics"].startswith("Authentication failed.")
    assert REASONS[case] not in response.text
    setup["server"].wait_for_record(lambda r: r.get("event") == "cds_auth_rejected"
                                    and REASONS[case] in r.get("detail", ""))


def test_replayed_jti_is_refused(setup, fixture):
    token = setup["ehr"].token(EHR, setup["aud"], jku=setup["jku"])
    assert call(setup, token, fixture("cds-request-sparse.json")).status_code == 200
    assert call(setup, token, fixture("cds-request-sparse.json")).status_code == 401
    setup["server"].wait_for_record(lambda r: r.get("detail") == "jti replayed")


@pytest.mark.parametrize("path", ["/feedback", "/feedback/summary"])
def test_feedback_and_its_summary_need_a_token(setup, path):
    url = setup["aud"] + path
    body = {"feedback": [{"card": "c", "outcome": "overridden",
                          "outcomeTimestamp": "2026-11-26T10:00:00Z"}]}
    method, sent = ("POST", body) if path == "/feedback" else ("GET", None)
    assert requests.request(method, url, json=sent, timeout=30).status_code == 401
    token = setup["ehr"].token(EHR, setup["aud"] + "-other", jku=setup["jku"])
    wrong = requests.request(method, url, json=sent, timeout=30,
                             headers={"Authorization": f"Bearer {token}"})
    assert wrong.status_code == 401


def test_feedback_accepts_a_token_for_the_feedback_url(setup):
    url = setup["aud"] + "/feedback"
    body = {"feedback": [{"card": "4e0a3a1e-3283-4575-ab82-028d55fe2719",
                          "outcome": "overridden", "outcomeTimestamp": "2026-11-26T10:00:00Z"}]}
    token = setup["ehr"].token(EHR, url, jku=setup["jku"])
    response = requests.post(url, json=body, timeout=30,
                             headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    assert response.json() == {"stored": 1}


def test_mapped_bsp_code_is_read_from_the_record(setup, fixture):
    request = fixture("cds-request-complete.json")
    request["prefetch"]["bsp"] = {
        "resourceType": "Observation", "id": "bsp-1", "status": "final",
        "code": {"coding": [{"system": BSP[0], "code": BSP[1]}]},
        "subject": {"reference": "Patient/mCODEPatientExample01"},
        "effectiveDateTime": shifted("2026-11-12"),
        "valueCodeableConcept": {"coding": [{"system": "http://snomed.info/sct",
                                             "code": "10828004", "display": "Positive"}]}}
    token = setup["ehr"].token(EHR, setup["aud"], jku=setup["jku"])
    card = call(setup, token, request).json()["cards"][0]
    assert f"| Bone sialoprotein (IHC) | positive | {shifted('2026-11-12')} |" in card[
        "detail"]
    assert "BSP missing" not in card["summary"]
    assert "must map" not in card["detail"]
    assert card["suggestions"][0]["actions"][0]["resource"]["status"] == "final"
