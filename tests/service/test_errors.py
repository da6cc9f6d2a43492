"""Every error status of the API, over HTTP: one problem+json envelope, the bad fields named."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any

import pytest
import requests

pytestmark = pytest.mark.e2e

Call = Callable[[str], requests.Response]
JSON_HEADERS = {"Content-Type": "application/json"}


def _post_raw(body: bytes | str, headers: dict[str, str] | None = None,
              path: str = "/v1/risk") -> Call:
    sent = JSON_HEADERS if headers is None else headers
    return lambda url: requests.post(url + path, data=body, headers=sent, timeout=60)


def _too_large(url: str) -> requests.Response:
    # Just over the 8 MiB limit, as one JSON string, so only its size is wrong.
    body = b'{"patients": ["' + b"x" * (8 * 1024 * 1024) + b'"]}'
    return requests.post(url + "/v1/risk/batch", data=body, headers=JSON_HEADERS, timeout=60)


# status, how to provoke it, words the detail must contain
ERROR_CASES: list[tuple[int, Call, str]] = [
    (400, _post_raw("{not json"), "not valid JSON"),
    (400, _post_raw(""), "empty"),
    (400, _post_raw('{"calcium": {"value": NaN, "unit": "mmol/L"}}'), "NaN"),
    (400, _post_raw("[" * 100_000 + "]" * 100_000), "nested too deeply"),
    (400, _post_raw(b'{"histology": "\xff"}'), "UTF-8"),
    (413, _too_large, "larger"),
    (415, _post_raw('{"histology": "squamous"}', {"Content-Type": "text/plain"}),
     "application/json"),
    (415, _post_raw("histology=squamous",
                    {"Content-Type": "application/x-www-form-urlencoded"}), "application/json"),
    (415, _post_raw('{"histology": "squamous"}', {}), "application/json"),
    (404, lambda url: requests.get(url + "/v1/nothing-here", timeout=10), "nothing at this path"),
    (404, lambda url: requests.get(url + "/v1/models/no-such-model", timeout=10), "no such model"),
    (405, lambda url: requests.get(url + "/v1/risk", timeout=10), "method"),
    (405, lambda url: requests.delete(url + "/v1/models", timeout=10), "method"),
    (422, _post_raw('{"histology": "granite"}'), "invalid fields"),
    (422, _post_raw('{"patients": []}', path="/v1/risk/batch"), "invalid fields"),
]


@pytest.mark.parametrize(("status", "call", "words"), ERROR_CASES,
                         ids=[f"{s}-{i}" for i, (s, _, _) in enumerate(ERROR_CASES)])
def test_each_error_is_a_problem_json_envelope_with_the_request_id(live_server, status, call,
                                                                    words):
    response = call(live_server.url)
    assert response.status_code == status, response.text[:500]
    assert response.headers["Content-Type"] == "application/problem+json"
    body = response.json()
    assert set(body) - {"errors"} == {"type", "title", "status", "detail", "request_id"}
    assert body["status"] == status
    assert body["type"] == "about:blank"
    assert body["title"]
    assert words.lower() in body["detail"].lower()
    assert body["request_id"] == response.headers["X-Request-ID"]
    assert ("errors" in body) == (status == 422)


def test_method_not_allowed_names_the_allowed_methods(live_server):
    response = requests.get(live_server.url + "/v1/risk/batch", timeout=10)
    assert response.status_code == 405
    assert "POST" in response.headers["Allow"]


# request body, and the exact {path: code} the 422 must name
BAD_FIELDS: list[tuple[dict[str, Any], dict[str, str]]] = [
    ({"histology": "granite"}, {"histology": "unknown_value"}),
    ({"calcium": 2.4}, {"calcium": "unit_required"}),
    ({"calcium": {"value": 2.4, "unit": "mmol/dL"}}, {"calcium.unit": "unknown_unit"}),
    ({"calcium": {"value": 2.4}}, {"calcium.unit": "required"}),
    ({"alp": {"value": "120", "unit": "U/L"}}, {"alp.value": "wrong_type"}),
    ({"cea": {"value": 5, "unit": "ng/mL", "when": "today"}}, {"cea.when": "unknown_field"}),
    ({"stage": "IV"}, {"stage": "out_of_scope"}),
    ({"histology": "squamous", "shoe_size": 44}, {"shoe_size": "unknown_field"}),
    ({"histology": "squamous", "model": "no-such-model"}, {"model": "unknown_model"}),
    ({"patient_ref": "only-a-reference"}, {"_schema": "no_patient_field"}),
    ({"histology": "granite", "calcium": {"value": -1, "unit": "mmol/L"}, "bsp": True},
     {"bsp": "wrong_type", "calcium.value": "negative", "histology": "unknown_value"}),
]


@pytest.mark.parametrize(("body", "codes"), BAD_FIELDS)
def test_invalid_fields_are_a_422_naming_every_bad_path_with_its_code(live_server, body, codes):
    response = requests.post(live_server.url + "/v1/risk", json=body, timeout=10)
    assert response.status_code == 422, response.text
    errors = response.json()["errors"]
    assert {e["path"]: e["code"] for e in errors} == codes
    assert all(e["message"] for e in errors)


def test_batch_envelope_errors_name_the_patients_field(live_server):
    for body, path in (({"patients": "x"}, "patients"), ({}, "patients"),
                       ({"patients": [{"histology": "squamous"}], "extra": 1}, "extra")):
        response = requests.post(live_server.url + "/v1/risk/batch", json=body, timeout=10)
        assert response.status_code == 422
        assert path in {e["path"] for e in response.json()["errors"]}


def test_batch_over_ten_thousand_rows_is_refused_whole(live_server):
    body = {"patients": [{"histology": "squamous"}] * 10_001}
    response = requests.post(live_server.url + "/v1/risk/batch", json=body, timeout=60)
    assert response.status_code == 422
    assert [e["path"] for e in response.json()["errors"]] == ["patients"]


def test_unexpected_error_is_a_generic_500_that_echoes_nothing_and_logs_only_its_type(
        app, client, caplog):
    marker = f"PATIENT-MARKER-{uuid.uuid4().hex[:8]}"

    @app.post("/v1/explode")
    def explode():
        raise KeyError(marker)

    with caplog.at_level("INFO", logger="bmrisk"):
        response = client.post("/v1/explode", data=json.dumps({"patient_ref": marker}),
                               headers=JSON_HEADERS)
    assert response.status_code == 500
    assert response.content_type == "application/problem+json"
    assert marker not in response.get_data(as_text=True)
    assert response.get_json()["detail"].startswith("The service failed")
    logged = [r for r in caplog.records if r.getMessage() == "unhandled_error"]
    assert logged
    assert logged[0].bmrisk["error_type"] == "KeyError"
    assert marker not in json.dumps([r.__dict__.get("bmrisk") for r in caplog.records])
