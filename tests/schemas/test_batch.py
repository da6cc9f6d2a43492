"""A batch loads row by row: bad rows are reported in place, the envelope is checked first."""

from __future__ import annotations

import gc

import pytest
from marshmallow import ValidationError

from riskmodel import Patient
from schemas import MAX_BATCH, RowError, ScoreRequest, flatten_errors, load_batch
from schemas.request import PATIENT_FIELDS


def _envelope_paths(data) -> set[str]:
    with pytest.raises(ValidationError) as caught:
        load_batch(data)
    return {item["path"] for item in flatten_errors(caught.value.messages)}


def test_one_bad_row_does_not_fail_the_others():
    rows = [{"histology": "squamous", "patient_ref": "a"},
            {"calcium": {"value": 2.4, "unit": "mg/L"}, "patient_ref": "b"},
            {"histology": "adenocarcinoma"},
            {"stage": "IV"},
            {"calcium": 2.4, "patient_ref": "e"}]
    loaded = load_batch({"patients": rows})
    assert [type(item) for item in loaded] == [ScoreRequest, RowError, ScoreRequest, RowError,
                                               RowError]
    assert loaded[0] == ScoreRequest(Patient(histology="squamous"), "a", None)
    assert loaded[1] == RowError(1, "b", [{"path": "calcium.unit", "message":
                                          '"mg/L" is not a known unit; use one of mmol/L, mg/dL',
                                          "code": "unknown_unit"}])
    assert [(e.index, e.patient_ref) for e in loaded[3:]] == [(3, None), (4, "e")]
    assert [e["path"] for e in loaded[3].errors] == ["stage"]
    assert [e["path"] for e in loaded[4].errors] == ["calcium"]


def test_row_error_paths_are_relative_and_can_be_prefixed():
    (error,) = load_batch({"patients": [{"t_category": "T4", "n_category": "N3",
                                         "stage": "I"}]})
    assert [e["path"] for e in error.errors] == ["stage"]
    whole = flatten_errors({"patients": {error.index: {e["path"]: [e["message"]]
                                                       for e in error.errors}}})
    assert [e["path"] for e in whole] == ["patients.0.stage"]
    assert [e["path"] for e in flatten_errors({"stage": ["x"]}, prefix="patients.3")] == [
        "patients.3.stage"]


def test_invalid_patient_ref_is_not_echoed():
    (error,) = load_batch({"patients": [{"stage": "IV", "patient_ref": "x" * 129}]})
    assert error.patient_ref is None
    assert {e["path"] for e in error.errors} == {"stage", "patient_ref"}


@pytest.mark.parametrize(("data", "paths"), [
    ([{"histology": "squamous"}], {"_schema"}),
    ("patients", {"_schema"}),
    (None, {"_schema"}),
    ({}, {"patients"}),
    ({"patients": None}, {"patients"}),
    ({"patients": {"histology": "squamous"}}, {"patients"}),
    ({"patients": "[]"}, {"patients"}),
    ({"patients": []}, {"patients"}),
    ({"patients": [{"histology": "squamous"}], "model": "x"}, {"model"}),
    ({"patient": [{"histology": "squamous"}]}, {"patient", "patients"}),
], ids=["array", "string", "null", "no patients", "null patients", "object patients",
        "string patients", "empty", "unknown key", "misspelt key"])
def test_envelope_problems_raise_naming_the_field(data, paths):
    assert _envelope_paths(data) == paths


def test_more_than_the_limit_is_refused_with_the_count():
    rows = [{"histology": "squamous"}] * (MAX_BATCH + 1)
    with pytest.raises(ValidationError) as caught:
        load_batch({"patients": rows})
    assert caught.value.messages == {"patients": ["must hold 1 to 10,000 patients; got 10,001"]}


def test_the_limit_itself_is_accepted():
    rows = [{"histology": "squamous"}] * MAX_BATCH
    loaded = load_batch({"patients": rows})
    assert len(loaded) == MAX_BATCH
    assert all(isinstance(item, ScoreRequest) for item in loaded)


def test_every_row_loads_as_it_would_alone(bad_requests, good_requests, single_outcome):
    rows = [row for pair in zip(bad_requests, good_requests * 10, strict=False) for row in pair]
    for index, (row, item) in enumerate(zip(rows, load_batch({"patients": rows}), strict=True)):
        alone = single_outcome(row)
        if isinstance(alone, ScoreRequest):
            assert item == alone
        else:
            assert isinstance(item, RowError)
            assert item.index == index
            assert sorted(item.errors, key=lambda e: (e["path"], e["message"])) == alone


def test_batch_patients_equal_patients_built_and_checked_by_the_engine(good_requests):
    for item, row in zip(load_batch({"patients": good_requests}), good_requests, strict=True):
        direct = Patient(**{name: getattr(item.patient, name) for name in PATIENT_FIELDS})
        assert item.patient == direct
        assert vars(item.patient) == vars(direct)
        assert item.patient_ref == row.get("patient_ref")


@pytest.mark.parametrize("enabled", [True, False])
def test_loading_leaves_the_garbage_collector_as_it_was(enabled):
    was = gc.isenabled()
    try:
        (gc.enable if enabled else gc.disable)()
        load_batch({"patients": [{"histology": "squamous"}, {"stage": "IV"}]})
        with pytest.raises(ValidationError):
            load_batch({"patients": []})
        assert gc.isenabled() is enabled
    finally:
        (gc.enable if was else gc.disable)()
