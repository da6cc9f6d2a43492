"""Every endpoint of the REST service, over HTTP against the real gunicorn server."""

from __future__ import annotations

import re
from typing import Any

import pytest
import requests
from openapi_spec_validator import validate

pytestmark = pytest.mark.e2e

PATIENT: dict[str, Any] = {
    "patient_ref": "case-0042", "histology": "adenocarcinoma", "t_category": "T4",
    "n_category": "N3", "stage": "IIIC", "bsp": "positive",
    "calcium": {"value": 2.41, "unit": "mmol/L"}, "albumin": {"value": 38, "unit": "g/L"},
    "alp": {"value": 120, "unit": "U/L"}, "cea": {"value": 7.5, "unit": "ng/mL"},
}
SHA256 = re.compile(r"[0-9a-f]{64}")


def get(server: Any, path: str, **kwargs: Any) -> requests.Response:
    return requests.get(server.url + path, timeout=30, **kwargs)


def post(server: Any, path: str, body: Any, **kwargs: Any) -> requests.Response:
    return requests.post(server.url + path, json=body, timeout=60, **kwargs)


def test_healthz_says_alive_with_the_service_version(live_server):
    response = get(live_server, "/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "service_version": "1.0.0"}


def test_readyz_names_each_verified_model_with_version_and_sha256(live_server):
    body = get(live_server, "/readyz").json()
    assert body["status"] == "ready"
    ids = [m["id"] for m in body["models"]]
    assert ids[0] == "lung-bm-literature"
    assert all(SHA256.fullmatch(m["sha256"]) and m["version"] for m in body["models"])


def test_risk_returns_terms_interval_missing_model_identity_and_echoes_patient_ref(live_server):
    response = post(live_server, "/v1/risk", PATIENT)
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"] == "application/json"
    assert response.headers["Cache-Control"] == "no-store"
    body = response.json()
    assert 0 < body["probability"] < 1
    assert body["interval"]["low"] <= body["probability"] <= body["interval"]["high"]
    assert {t["name"] for t in body["terms"]}
    assert all("citation" in t for t in body["terms"])
    assert body["missing"] == []
    assert body["missing_range"] is None
    assert body["model"]["id"] == "lung-bm-literature"
    assert SHA256.fullmatch(body["model"]["sha256"])
    assert body["service_version"] == "1.0.0"
    assert body["patient_ref"] == "case-0042"


def test_risk_with_missing_inputs_names_them_and_gives_their_range(live_server):
    body = post(live_server, "/v1/risk", {"histology": "squamous"}).json()
    assert {m["name"] for m in body["missing"]} >= {"calcium", "alp", "cea"}
    assert body["missing_range"]["low"] < body["probability"] < body["missing_range"]["high"]
    assert "patient_ref" not in body


def test_batch_answers_every_row_in_order_with_a_result_or_the_errors(live_server):
    rows = [PATIENT, {"histology": "not-a-histology", "patient_ref": "bad-1"},
            {"histology": "squamous", "patient_ref": "ok-2"},
            {"histology": "squamous", "model": "no-such-model"}]
    response = post(live_server, "/v1/risk/batch", {"patients": rows})
    assert response.status_code == 200, response.text
    body = response.json()
    assert [r["index"] for r in body["results"]] == [0, 1, 2, 3]
    assert [r["ok"] for r in body["results"]] == [True, False, True, False]
    assert body["results"][0]["result"]["patient_ref"] == "case-0042"
    assert body["results"][1]["patient_ref"] == "bad-1"
    assert [e["path"] for e in body["results"][1]["errors"]] == ["histology"]
    assert [e["path"] for e in body["results"][3]["errors"]] == ["model"]
    assert body["summary"] == {"n": 4, "ok": 2, "errors": 2}


def leaves(value: Any, path: str = "") -> dict[str, Any]:
    """Every leaf of a JSON value by its path, floats rounded to 12 significant digits (a
    vectorised batch may differ from a single row in the last bit)."""
    items = value.items() if isinstance(value, dict) else enumerate(value) \
        if isinstance(value, list) else None
    if items is not None:
        return {k: v for key, item in items for k, v in leaves(item, f"{path}.{key}").items()}
    return {path: float(f"{value:.12g}") if isinstance(value, float) else value}


def test_batch_result_rows_equal_single_scores(live_server):
    rows = [PATIENT, {"histology": "squamous", "cea": {"value": 12, "unit": "ug/L"}}]
    batch = post(live_server, "/v1/risk/batch", {"patients": rows}).json()["results"]
    for row, scored in zip(rows, batch, strict=True):
        assert leaves(scored["result"]) == leaves(post(live_server, "/v1/risk", row).json())


def test_models_lists_the_default_literature_model_first(live_server):
    body = get(live_server, "/v1/models").json()
    first = body["models"][0]
    assert first["id"] == "lung-bm-literature"
    assert first["default"] is True
    assert SHA256.fullmatch(first["sha256"])


def test_model_card_shows_identity_of_the_model(live_server):
    response = get(live_server, "/v1/models/lung-bm-literature")
    assert response.status_code == 200
    card = response.json()
    listed = get(live_server, "/v1/models").json()["models"][0]
    assert {k: card[k] for k in ("id", "version", "sha256")} == {
        k: listed[k] for k in ("id", "version", "sha256")}


def test_model_card_by_id_and_version_is_the_same_card(live_server):
    listed = get(live_server, "/v1/models").json()["models"][0]
    exact = get(live_server, f"/v1/models/{listed['id']}@{listed['version']}")
    assert exact.json() == get(live_server, f"/v1/models/{listed['id']}").json()


def test_openapi_is_valid_3_1_with_servers_and_problem_envelope(live_server):
    document = get(live_server, "/openapi.json").json()
    validate(document)
    assert document["openapi"].startswith("3.1")
    assert document["servers"] == [{"url": live_server.url, "description": "This service"}]
    # This server runs without API keys: the document asks for none and promises no 401.
    assert "securitySchemes" not in document["components"]
    operations = [op for path in document["paths"].values() for op in path.values()]
    assert not [op for op in operations if "security" in op or "401" in op["responses"]]
    risk = document["paths"]["/v1/risk"]["post"]["responses"]
    assert set(risk) == {"200", "400", "413", "415", "422", "500", "503"}
    assert risk["422"]["content"]["application/problem+json"]["schema"] == {
        "$ref": "#/components/schemas/Problem"}


def test_docs_page_loads_swagger_ui_from_local_files_without_inline_script(live_server):
    response = get(live_server, "/docs")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/html")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self';" in csp
    assert "unsafe" not in csp
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", response.text, re.S)
    assert scripts
    assert all('src="/static/' in attrs and not body.strip() for attrs, body in scripts)
    assert "http://" not in response.text
    assert "https://" not in response.text
    for asset in re.findall(r'(?:src|href)="(/static/[^"]+)"', response.text):
        assert get(live_server, asset).status_code == 200, asset


def test_docs_initialiser_points_swagger_ui_at_the_openapi_document(live_server):
    page = get(live_server, "/docs").text
    assert 'data-spec-url="/openapi.json"' in page
    script = get(live_server, "/static/swagger/init.js").text
    assert "SwaggerUIBundle(" in script
    assert "root.dataset.specUrl" in script


def test_metrics_count_requests_by_endpoint_and_status_across_workers(live_server):
    for _ in range(6):
        get(live_server, "/healthz")
    get(live_server, "/no-such-path")
    text = get(live_server, "/metrics").text
    counts = dict(re.findall(
        r'bmrisk_http_requests_total\{endpoint="([^"]+)",method="GET",status="(?:200|404)"\} '
        r"([0-9.]+)", text))
    assert float(counts["/healthz"]) >= 6
    assert float(counts["<unmatched>"]) >= 1
    assert 'bmrisk_http_request_duration_seconds_bucket{endpoint="/healthz"' in text


def test_security_headers_are_on_every_response(live_server):
    for response in (get(live_server, "/healthz"), get(live_server, "/nope"),
                     post(live_server, "/v1/risk", {"histology": "squamous"})):
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "no-referrer"
        assert response.headers["Content-Security-Policy"].startswith("default-src 'none'")


def test_every_route_of_the_rest_service_is_in_the_openapi_document(app):
    document = app.test_client().get("/openapi.json").get_json()
    ours = {"health", "api", "models", "docs", "metrics"}
    for rule in app.url_map.iter_rules():
        if rule.endpoint.split(".")[0] not in ours:
            continue
        path = re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule.rule)
        documented = document["paths"].get(path, {})
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert method.lower() in documented, f"{method} {path} is not documented"


def test_the_openapi_document_describes_cds_hooks_fhir_assess_and_the_fhir_answer(live_server):
    document = requests.get(live_server.url + "/openapi.json", timeout=10).json()
    validate(document)
    for path in ("/cds-services", "/cds-services/{service_id}",
                 "/cds-services/{service_id}/feedback", "/fhir/RiskAssessment/$assess"):
        assert path in document["paths"], path
    answers = document["paths"]["/v1/risk"]["post"]["responses"]["200"]["content"]
    assert answers["application/fhir+json"]["schema"]["properties"]["resourceType"] == {
        "const": "RiskAssessment"}
    call = document["paths"]["/cds-services/{service_id}"]["post"]
    assert "412" in call["responses"]
    assert "security" not in call  # this server trusts no EHR issuer: nothing to send


def test_with_an_ehr_issuer_the_cds_operations_ask_for_its_jwt():
    from service import create_app

    app = create_app({"TESTING": True, "CDS_JWT_ISSUERS": {"https://ehr.example.org/": []}})
    document = app.test_client().get("/openapi.json").get_json()
    assert document["components"]["securitySchemes"]["ehrJwt"]["bearerFormat"] == "JWT"
    assert document["paths"]["/cds-services/{service_id}"]["post"]["security"] == [
        {"ehrJwt": []}]
    assert "security" not in document["paths"]["/cds-services"]["get"]  # discovery is open
