"""Result payloads have exactly the documented shape, and the output schemas dump them unchanged."""

from __future__ import annotations

import json

import pytest

import riskmodel
from riskmodel import Patient, Quantity
from schemas import (
    SERVICE_VERSION,
    BatchResultSchema,
    PatientSchema,
    ResultSchema,
    RowError,
    batch_payload,
    load_batch,
    result_payload,
)

RESULT_KEYS = {"probability", "percent", "per_100", "band", "band_validated", "interval",
               "parameter_interval", "not_tested", "missing_range", "terms", "missing",
               "warnings", "alerts", "stage_derived",
               "model", "service_version"}
TERM_KEYS = {"name", "label", "status", "fired", "value", "unit", "beta", "se", "contribution",
             "risk_without", "grade", "citation", "note"}
CITATION_KEYS = {"text", "doi", "pmid", "url", "evidence_ref"}


@pytest.fixture
def partial_result():
    """A patient with missing inputs, a warning and an alert (calcium 2.9 mmol/L)."""
    return riskmodel.score(Patient(histology="adenocarcinoma", t_category="T3",
                                   calcium=Quantity(2.9, "mmol/L")))


def test_payload_has_exactly_the_documented_keys(partial_result, model):
    payload = result_payload(partial_result, model=model)
    assert set(payload) == RESULT_KEYS
    assert set(payload["interval"]) == {"level", "low", "high"}
    assert set(payload["missing_range"]) == {"low", "high"}
    assert set(payload["model"]) == {"id", "version", "sha256"}
    for term in payload["terms"]:
        assert set(term) == TERM_KEYS
        assert set(term["citation"]) == CITATION_KEYS
    for item in payload["missing"]:
        assert set(item) == {"name", "terms", "handling", "narrowing"}
    for notice in payload["warnings"] + payload["alerts"]:
        assert set(notice) == {"code", "field", "message"}


def test_payload_carries_the_warnings_alerts_and_missing_inputs(partial_result, model):
    payload = result_payload(partial_result, model=model)
    assert [a["code"] for a in payload["alerts"]] == ["hypercalcaemia"]
    assert "calcium_uncorrected" in [w["code"] for w in payload["warnings"]]
    narrowing = [m["narrowing"] for m in payload["missing"]]
    assert narrowing == sorted(narrowing, reverse=True)
    assert {m["name"] for m in payload["missing"]} >= {"n_category", "alp", "cea"}
    assert payload["not_tested"] == ["bsp"]  # a research input: never counted as missing


def test_result_schema_dumps_the_payload_unchanged(partial_result, model):
    payload = result_payload(partial_result, "case-1", model=model)
    assert ResultSchema().dump(payload) == payload


def test_patient_ref_is_echoed_only_when_given(partial_result):
    assert "patient_ref" not in result_payload(partial_result)
    assert result_payload(partial_result, "case-1")["patient_ref"] == "case-1"


def test_payload_names_the_model_and_service_version(partial_result, model):
    payload = result_payload(partial_result, service_version="9.9.9")
    assert payload["model"] == {"id": model.ref.id, "version": model.ref.version,
                                "sha256": model.ref.sha256}
    assert payload["service_version"] == "9.9.9"
    assert result_payload(partial_result)["service_version"] == SERVICE_VERSION


def test_bands_are_not_validated_as_the_spec_says(partial_result, model):
    assert model.spec["bands"]["validated"] is False
    assert result_payload(partial_result)["band_validated"] is False


def test_citations_link_to_the_spec_source(partial_result, model):
    payload = result_payload(partial_result, model=model)
    for term, spec_term in zip(payload["terms"], model.spec["terms"], strict=True):
        cited = spec_term["citation"]
        assert term["citation"]["doi"] == cited.get("doi")
        assert term["citation"]["evidence_ref"] == cited["evidence_ref"]
        assert cited["journal"] in term["citation"]["text"]
        if cited.get("doi"):
            assert term["citation"]["url"] == f"https://doi.org/{cited['doi']}"


def test_nothing_missing_gives_a_null_missing_range(full_request, model):
    result = riskmodel.score(PatientSchema().load(full_request).patient)
    payload = result_payload(result, model=model)
    assert payload["missing_range"] is None
    assert payload["missing"] == []


def test_payload_is_strict_json(partial_result, model):
    payload = result_payload(partial_result, "case-1", model=model)
    assert json.loads(json.dumps(payload, allow_nan=False)) == payload


def test_payload_of_another_model_is_refused(partial_result, model):
    other = riskmodel.Model(dict(model.spec, version="0.0.1"))
    with pytest.raises(ValueError, match="not of"):
        result_payload(partial_result, model=other)


def _batch(model):
    rows = [{"histology": "squamous", "patient_ref": "a"}, {"stage": "IV", "patient_ref": "b"},
            {"cea": {"value": 4, "unit": "ug/L"}}, {"calcium": 2.4}]
    loaded = load_batch({"patients": rows})
    outcomes = [item if isinstance(item, RowError) else (item, riskmodel.score(item.patient))
                for item in loaded]
    return batch_payload(outcomes, model=model, service_version="1.2.3")


def test_batch_payload_keeps_rows_in_order_with_counts(model):
    payload = _batch(model)
    assert set(payload) == {"results", "summary", "model"}
    assert [(r["index"], r["ok"]) for r in payload["results"]] == [
        (0, True), (1, False), (2, True), (3, False)]
    assert payload["summary"] == {"n": 4, "ok": 2, "errors": 2}
    assert payload["model"]["sha256"] == model.ref.sha256


def test_batch_rows_have_the_single_shapes(model):
    scored, refused, anonymous, bare = _batch(model)["results"]
    assert set(scored) == {"index", "ok", "result"}
    assert set(scored["result"]) == RESULT_KEYS | {"patient_ref"}
    assert set(anonymous["result"]) == RESULT_KEYS
    assert set(refused) == {"index", "ok", "patient_ref", "errors"}
    assert refused["patient_ref"] == "b"
    assert [e["path"] for e in refused["errors"]] == ["stage"]
    assert set(bare) == {"index", "ok", "errors"}


def test_batch_result_schema_dumps_the_payload_unchanged(model):
    payload = _batch(model)
    assert BatchResultSchema().dump(payload) == payload


def test_good_request_round_trips_to_the_documented_shape(good_request, model):
    loaded = PatientSchema().load(good_request)
    payload = result_payload(riskmodel.score(loaded.patient), loaded.patient_ref, model=model)
    expected = RESULT_KEYS | ({"patient_ref"} if loaded.patient_ref else set())
    assert set(payload) == expected
    assert all(set(term) == TERM_KEYS for term in payload["terms"])
    assert 0 <= payload["interval"]["low"] <= payload["probability"] <= payload["interval"]["high"]
    assert ResultSchema().dump(payload) == payload
