"""Feedback a hostile caller cannot abuse: size-capped per request (with a Content-Length or
chunked) and per field, lone surrogates refused, retries stored once, and a summary that
repeats no caller text (only the service's own reasons, in its own words)."""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests

pytestmark = pytest.mark.e2e

SERVICE = "lung-bone-mets-risk"
OURS = "urn:bmrisk:override-reason"
ITEM = {"card": "9368d37b-283f-44a0-93ea-547cebab93ed", "outcome": "overridden",
        "outcomeTimestamp": "2026-11-26T10:06:00Z"}


@pytest.fixture(scope="module")
def server(module_server_factory) -> Any:
    return module_server_factory({"BMRISK_CDS_FEEDBACK_MAX_BYTES": "4096"})


def post(server: Any, data: Any) -> requests.Response:
    return requests.post(f"{server.url}/cds-services/{SERVICE}/feedback", data=data,
                         headers={"Content-Type": "application/json"}, timeout=30)


def summary(server: Any) -> dict[str, Any]:
    return requests.get(f"{server.url}/cds-services/{SERVICE}/feedback/summary",
                        timeout=30).json()


def test_a_lone_surrogate_in_card_is_a_400_naming_the_field(server, outcome_check):
    raw = json.dumps({"feedback": [{**ITEM, "card": "x\ud800"}]})  # sent as the escape \ud800
    assert "\\ud800" in raw
    response = post(server, raw)
    assert response.status_code == 400
    outcome_check(response.json())
    assert ["feedback.0.card"] in [i.get("expression") for i in response.json()["issue"]]


@pytest.mark.parametrize("chunked", [False, True])
def test_a_body_over_the_feedback_limit_is_413(server, outcome_check, chunked):
    items = [{**ITEM, "outcomeTimestamp": f"2026-11-26T10:06:{i:02d}Z",
              "overrideReason": {"userComment": "c" * 1000}} for i in range(5)]
    raw = json.dumps({"feedback": items}).encode()
    assert len(raw) > 4096
    before = summary(server)["total"]
    response = post(server, iter([raw[:2000], raw[2000:]]) if chunked else raw)
    assert response.status_code == 413
    outcome_check(response.json())
    assert summary(server)["total"] == before


@pytest.mark.parametrize(("change", "path"), [
    ({"overrideReason": {"userComment": "c" * 2001}}, "feedback.0.overrideReason.userComment"),
    ({"outcomeTimestamp": "2026-11-26T10:06:00" + "0" * 60 + "Z"}, "feedback.0.outcomeTimestamp"),
    ({"card": "c" * 129}, "feedback.0.card"),
    ({"outcome": "accepted", "acceptedSuggestions": [{"id": f"s{i}"} for i in range(21)]},
     "feedback.0.acceptedSuggestions"),
])
def test_each_field_has_a_size_cap(server, change, path):
    response = post(server, json.dumps({"feedback": [{**ITEM, **change}]}))
    assert response.status_code == 400
    assert [path] in [i.get("expression") for i in response.json()["issue"]]


def test_a_retried_post_is_stored_once(server):
    item = {**ITEM, "card": "retried-card"}
    assert post(server, json.dumps({"feedback": [item]})).json() == {"stored": 1}
    assert post(server, json.dumps({"feedback": [item, item]})).json() == {"stored": 0}


def test_the_summary_repeats_no_caller_text(server):
    sent = [{**ITEM, "card": "c1", "overrideReason": {"reason": {
                "system": OURS, "code": "imaging-done", "display": "<script>alert(1)</script>"}}},
            {**ITEM, "card": "c2", "overrideReason": {"reason": {
                "system": "urn:evil", "code": "<img src=x onerror=alert(1)>",
                "display": "<b>pwned</b>"}}}]
    assert post(server, json.dumps({"feedback": sent})).json() == {"stored": 2}
    reasons = summary(server)["overrideReasons"]
    assert {"system": OURS, "code": "imaging-done", "count": 1,
            "display": "Bone imaging is already done or planned"} in reasons
    assert {"code": "other", "count": 1} in reasons
    text = json.dumps(reasons)
    assert "<" not in text
    assert "pwned" not in text
    assert "urn:evil" not in text
