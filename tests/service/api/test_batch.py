"""The batch endpoint: 10,000 rows fit, rows keep their order, one vectorised call per model."""

from __future__ import annotations

import copy
import json

import pytest
import requests

import riskmodel
from riskmodel.persistence import save_artifact
from riskmodel.spec import load_builtin_specs
from service import create_app

FULL = {"patient_ref": "case-0000000042", "histology": "adenocarcinoma", "t_category": "T2a",
        "n_category": "N2", "stage": "IIIA", "bsp": "positive", "m_category": "M0",
        "calcium": {"value": 2.41, "unit": "mmol/L"}, "albumin": {"value": 38, "unit": "g/L"},
        "alp": {"value": 120, "unit": "U/L"}, "cea": {"value": 7.5, "unit": "ng/mL"},
        "model": "lung-bm-literature"}


@pytest.mark.e2e
@pytest.mark.slow
def test_ten_thousand_full_rows_fit_the_body_limit_and_are_all_scored(live_server):
    body = json.dumps({"patients": [FULL] * 10_000}).encode()
    assert len(body) < 8 * 1024 * 1024
    response = requests.post(live_server.url + "/v1/risk/batch", data=body, timeout=120,
                             headers={"Content-Type": "application/json"})
    assert response.status_code == 200
    payload = response.json()
    assert payload["summary"] == {"n": 10_000, "ok": 10_000, "errors": 0}
    assert [r["index"] for r in payload["results"]] == list(range(10_000))


@pytest.fixture
def two_model_app(tmp_path, monkeypatch):
    """An app offering the literature model and a copy of it under another id."""
    spec = copy.deepcopy(load_builtin_specs()[0])
    spec["id"] = "lung-bm-copy"
    save_artifact(spec, tmp_path / "copy.joblib")
    monkeypatch.delenv("BMRISK_API_KEY_HASHES", raising=False)
    return create_app({"TESTING": True, "MODEL_DIR": str(tmp_path)})


def test_rows_are_scored_in_one_vectorised_call_per_model(two_model_app, monkeypatch):
    calls = []
    score_many = riskmodel.score_many

    def counting(patients, model):
        calls.append((model.ref.id, len(patients)))
        return score_many(patients, model)

    monkeypatch.setattr(riskmodel, "score_many", counting)
    rows = [{"histology": "squamous"}, {"histology": "squamous", "model": "lung-bm-copy"},
            {"histology": "granite"}, {"cea": {"value": 3, "unit": "ng/mL"}},
            {"histology": "other", "model": "lung-bm-copy"}]
    response = two_model_app.test_client().post("/v1/risk/batch", json={"patients": rows})
    assert response.status_code == 200
    assert sorted(calls) == [("lung-bm-copy", 2), ("lung-bm-literature", 2)]
    results = response.get_json()["results"]
    assert [r["index"] for r in results] == [0, 1, 2, 3, 4]
    assert [r["ok"] and r["result"]["model"]["id"] for r in results] == [
        "lung-bm-literature", "lung-bm-copy", False, "lung-bm-literature", "lung-bm-copy"]
    assert response.get_json()["model"]["id"] == "lung-bm-literature"


def test_a_batch_of_one_model_names_that_model_at_the_top(two_model_app):
    rows = [{"histology": "squamous", "model": "lung-bm-copy"}]
    body = two_model_app.test_client().post("/v1/risk/batch", json={"patients": rows}).get_json()
    assert body["model"]["id"] == "lung-bm-copy"
    assert body["summary"] == {"n": 1, "ok": 1, "errors": 0}


def test_a_mixed_batch_counts_rows_like_a_single_model_batch(two_model_app):
    rows = [{"histology": "squamous", "model": "lung-bm-copy"}, {"histology": "squamous"},
            {"histology": "squamous", "model": "nope"}]
    body = two_model_app.test_client().post("/v1/risk/batch", json={"patients": rows}).get_json()
    assert body["summary"] == {"n": 3, "ok": 2, "errors": 1}
    assert body["results"][2]["errors"][0]["path"] == "model"
