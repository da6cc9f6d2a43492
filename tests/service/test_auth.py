"""Access control over HTTP: API keys when configured, loopback-only without them."""

from __future__ import annotations

import hashlib
import socket

import pytest
import requests

from service import create_app
from service.auth import StartupRefused
from service.config import ConfigError

pytestmark = pytest.mark.e2e

KEY = "test-key-6d1f0c"  # a throwaway key for this test server only
OTHER_KEY = "second-key-90ab"


def digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@pytest.fixture(scope="module")
def keyed_server(module_server_factory):
    """A server that accepts two API keys (given as their SHA-256 hashes)."""
    return module_server_factory({"BMRISK_API_KEY_HASHES": f"{digest(KEY)}, {digest(OTHER_KEY)}"})


def _risk(server, headers=None):
    return requests.post(server.url + "/v1/risk", json={"histology": "squamous"},
                         headers=headers or {}, timeout=10)


def test_with_keys_a_request_without_a_key_is_401_with_a_bearer_challenge(keyed_server):
    response = _risk(keyed_server)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert response.headers["Content-Type"] == "application/problem+json"
    assert response.json()["request_id"] == response.headers["X-Request-ID"]


@pytest.mark.parametrize("header", [f"Bearer {KEY}x", "Bearer ", f"Basic {KEY}", KEY,
                                    f"Bearer {digest(KEY)}"])
def test_with_keys_a_wrong_key_or_scheme_is_401(keyed_server, header):
    response = _risk(keyed_server, {"Authorization": header})
    assert response.status_code == 401
    assert response.json()["status"] == 401


def test_with_keys_each_right_key_is_accepted(keyed_server):
    for key in (KEY, OTHER_KEY):
        assert _risk(keyed_server, {"Authorization": f"Bearer {key}"}).status_code == 200
    models = requests.get(keyed_server.url + "/v1/models", timeout=10,
                          headers={"Authorization": f"bearer {KEY}"})
    assert models.status_code == 200


def test_with_keys_health_metrics_and_docs_stay_open(keyed_server):
    for path in ("/healthz", "/readyz", "/metrics", "/openapi.json", "/docs"):
        assert requests.get(keyed_server.url + path, timeout=10).status_code == 200, path


def test_with_keys_the_openapi_document_asks_for_a_bearer_key_on_the_guarded_paths(
        keyed_server):
    document = requests.get(keyed_server.url + "/openapi.json", timeout=10).json()
    assert document["components"]["securitySchemes"]["apiKey"]["scheme"] == "bearer"
    for path, item in document["paths"].items():
        for operation in item.values():
            guarded = path.startswith(("/v1/", "/fhir/"))  # the API-key guard covers both
            assert ("security" in operation) is guarded, path
            assert ("401" in operation["responses"]) is guarded, path


@pytest.mark.parametrize("path", ["/fhir/RiskAssessment/$assess", "/fhir/anything"])
def test_with_keys_the_fhir_paths_need_a_key_too(keyed_server, path):
    bundle = {"resourceType": "Bundle", "type": "collection", "entry": []}
    refused = requests.post(keyed_server.url + path, json=bundle, timeout=10)
    assert refused.status_code == 401
    assert refused.headers["WWW-Authenticate"].startswith("Bearer")
    wrong = requests.post(keyed_server.url + path, json=bundle, timeout=10,
                          headers={"Authorization": f"Bearer {KEY}x"})
    assert wrong.status_code == 401
    admitted = requests.post(keyed_server.url + path, json=bundle, timeout=10,
                             headers={"Authorization": f"Bearer {KEY}"})
    assert admitted.status_code not in (401, 500)


def test_with_keys_the_boot_log_says_authentication_is_on(keyed_server):
    created = keyed_server.wait_for_record(lambda r: r.get("event") == "app_created")
    assert created["auth"] == "on"
    assert KEY not in keyed_server.log_text()


def test_without_keys_on_loopback_the_log_warns_loudly_that_auth_is_off(live_server):
    warning = live_server.wait_for_record(lambda r: r.get("event") == "auth_disabled")
    assert warning["level"] == "warning"
    assert "AUTHENTICATION IS OFF" in warning["detail"]


def test_without_keys_a_public_bind_is_refused_and_nothing_listens(server_factory):
    with socket.socket() as probe:
        probe.bind(("0.0.0.0", 0))
        port = probe.getsockname()[1]
    refused = server_factory({"BMRISK_HOST": "0.0.0.0", "PORT": str(port)}, expect_fail=True)
    assert refused.returncode != 0
    assert "refusing to start" in refused.log_text()
    assert "BMRISK_API_KEY_HASHES" in refused.log_text()
    with pytest.raises(requests.ConnectionError):
        requests.get(f"http://127.0.0.1:{port}/healthz", timeout=2)


def test_a_key_instead_of_its_hash_in_the_config_stops_the_boot(server_factory):
    refused = server_factory({"BMRISK_API_KEY_HASHES": KEY}, expect_fail=True)
    assert refused.returncode != 0
    assert "SHA-256 hex digest" in refused.log_text()
    assert KEY not in refused.log_text()


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "10.1.2.3", "risk.example.org"])
def test_create_app_refuses_a_public_host_without_keys(monkeypatch, host):
    monkeypatch.delenv("BMRISK_API_KEY_HASHES", raising=False)
    with pytest.raises(StartupRefused, match="refusing to start"):
        create_app({"HOST": host})


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.2", "::1", "[::1]", "localhost"])
def test_create_app_allows_loopback_without_keys(monkeypatch, host):
    monkeypatch.delenv("BMRISK_API_KEY_HASHES", raising=False)
    assert create_app({"HOST": host}).config["HOST"] == host


def test_create_app_allows_a_public_host_with_keys(monkeypatch):
    monkeypatch.setenv("BMRISK_API_KEY_HASHES", digest(KEY))
    cds = {"CDS_JWT_ISSUERS": {"https://ehr.example.org/": ()},
           "PUBLIC_URL": "https://risk.example.org"}  # CDS Hooks secured too (tests/service/cds)
    assert create_app({"HOST": "0.0.0.0", **cds}).config["API_KEY_HASHES"] == (digest(KEY),)


def test_in_process_the_key_check_guards_v1_only(monkeypatch):
    app = create_app({"API_KEY_HASHES": (digest(KEY),), "TESTING": True})
    client = app.test_client()
    assert client.get("/v1/models").status_code == 401
    assert client.get("/v1/models", headers={"Authorization": f"Bearer {KEY}"}).status_code == 200
    assert client.get("/healthz").status_code == 200


def test_a_malformed_hash_in_the_environment_names_the_variable(monkeypatch):
    monkeypatch.setenv("BMRISK_API_KEY_HASHES", "abc")
    with pytest.raises(ConfigError, match="BMRISK_API_KEY_HASHES"):
        create_app()
