"""`bmrisk score` and score_frame: units in headers or a units row, per-row errors, chunks."""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import riskmodel
from riskmodel import Patient, Quantity
from riskmodel.research.files import output_columns, score_file, score_frame
from riskmodel.research.tables import TableError, make_layout, read_chunks

ROW = {"histology": "adenocarcinoma", "t_category": "T2a", "n_category": "N3", "stage": "IIIB",
       "bsp": "positive"}


def _csv(path, text: str):
    path.write_text(text, "utf-8")
    return path


def _single(model, **inputs) -> riskmodel.Result:
    return riskmodel.score(Patient(**inputs), model)


def test_header_units_convert_like_the_engine_and_equal_single_scoring(model, tmp_path):
    source = _csv(tmp_path / "in.csv", "id,histology,calcium[mg/dL],alp[ukat/L],cea[ug/L]\n"
                                       "a,squamous,9.6,2.0,12\n")
    score_file(source, tmp_path / "out.csv", model)
    out = pd.read_csv(tmp_path / "out.csv")
    single = _single(model, histology="squamous", calcium=Quantity(9.6, "mg/dL"),
                     alp=Quantity(2.0, "ukat/L"), cea=Quantity(12, "ug/L"))
    assert out["probability"][0] == pytest.approx(single.probability, abs=1e-12)
    assert out["interval_low"][0] == pytest.approx(single.interval.low, abs=1e-12)
    assert out["interval_high"][0] == pytest.approx(single.interval.high, abs=1e-12)
    assert out["band"][0] == single.band
    for term in single.terms:
        assert out[f"contrib_{term.name}"][0] == pytest.approx(term.contribution, abs=1e-12)


def test_a_units_row_gives_the_same_scores_and_the_output_names_the_units(model, tmp_path):
    by_header = _csv(tmp_path / "a.csv", "histology,calcium[mg/dL],cea[ng/mL]\n"
                                         "squamous,9.6,3\nadenocarcinoma,,30\n")
    by_row = _csv(tmp_path / "b.csv", "histology,calcium,cea\n#units,mg/dL,ng/mL\n"
                                      "squamous,9.6,3\nadenocarcinoma,,30\n")
    score_file(by_header, tmp_path / "a-out.csv", model)
    score_file(by_row, tmp_path / "b-out.csv", model)
    a, b = pd.read_csv(tmp_path / "a-out.csv"), pd.read_csv(tmp_path / "b-out.csv")
    pd.testing.assert_frame_equal(a, b)
    assert list(b.columns[:3]) == ["histology", "calcium[mg/dL]", "cea[ng/mL]"]


@pytest.mark.parametrize(("header", "units_row", "message"), [
    ("calcium[mg/L]", None, "'mg/L' is not a known unit of calcium"),
    ("calcium", None, "no unit; name it calcium[mmol/L]"),
    ("calcium[mmol/L]", "mmol/L", "unit given both in the name and the units row"),
    ("stage[x]", None, "stage is a category and has no unit"),
    ("Calcium[mmol/L]", None, "did you mean 'calcium'? Input columns are lower case"),
])
def test_a_bad_unit_is_one_clear_error_before_any_row(header, units_row, message):
    with pytest.raises(TableError, match=re.escape(message)):
        make_layout(["id", header], {header: units_row} if units_row else None)


def test_bad_rows_get_their_own_errors_and_never_stop_the_file(model):
    frame = pd.DataFrame({
        "histology": ["squamous", "giant", "adenocarcinoma", None, "squamous"],
        "stage": ["I", "IV", "III", None, "IIIA"],
        "t_category": [None, None, None, None, "T1a"],
        "n_category": [None, None, None, None, "N0"],
        "alp[U/L]": ["80", "90", "abc", "-3", "50000"],
    })
    out = score_frame(frame, model)
    errors = out["errors"].tolist()
    assert pd.isna(errors[0])
    assert not math.isnan(out["probability"][0])
    assert "histology: 'giant' is not a known value" in errors[1]
    assert "stage: 'IV' is out of scope" in errors[1]  # every problem of the row, at once
    assert errors[2] == "alp.value: 'abc' is not a number"
    assert errors[3] == "alp.value: must not be negative"
    assert "is not a possible serum alkaline phosphatase" in errors[4]
    assert "stage IIIA contradicts T1a and N0" in errors[4]
    assert out["probability"][1:].isna().all()
    assert out["band"][1:].isna().all()


def test_output_columns_are_the_input_then_scores_terms_model_and_errors(model):
    out = score_frame(pd.DataFrame({"id": ["x"], **{k: [v] for k, v in ROW.items()}}), model)
    expected = ["id", *ROW, "probability", "interval_low", "interval_high", "band",
                "missing_low", "missing_high", *(f"contrib_{n}" for n in model.names),
                "model_id", "model_version", "model_sha256", "errors"]
    assert list(out.columns) == expected == ["id", *ROW, *output_columns(model)]
    assert (out["model_id"][0], out["model_version"][0], out["model_sha256"][0]) == (
        model.ref.id, model.ref.version, model.ref.sha256)


def test_an_input_that_already_has_an_output_column_is_refused(model):
    with pytest.raises(TableError, match="already has output column"):
        score_frame(pd.DataFrame({"stage": ["I"], "probability": [0.5]}), model)


def test_chunked_csv_equals_one_chunk_and_parquet_equals_csv(model, sim_csv, tmp_path):
    source = sim_csv(3000, 11, missing={"cea": 0.3, "bsp": 0.5, "t_category": 0.2})
    assert [len(c) for c in read_chunks(source, 250)[1]] == [250] * 12
    score_file(source, tmp_path / "one.csv", model, chunksize=100_000)
    summary = score_file(source, tmp_path / "many.csv", model, chunksize=250)
    score_file(source, tmp_path / "out.parquet", model, chunksize=500)
    one = pd.read_csv(tmp_path / "one.csv", comment=None, skiprows=1)
    many = pd.read_csv(tmp_path / "many.csv", skiprows=1)
    parquet = pd.read_parquet(tmp_path / "out.parquet")
    pd.testing.assert_frame_equal(one, many)
    np.testing.assert_allclose(parquet["probability"], one["probability"], rtol=0, atol=0)
    assert (summary.rows, summary.scored, summary.errors) == (3000, 3000, 0)
    assert str(summary).startswith("3,000 rows: 3,000 scored, 0 with errors")


def test_a_synthetic_input_stays_marked_synthetic_in_csv_and_parquet(model, sim_csv, tmp_path):
    source = sim_csv(50, 1)
    score_file(source, tmp_path / "out.csv", model)
    score_file(source, tmp_path / "out.parquet", model)
    assert (tmp_path / "out.csv").read_text().startswith("# SYNTHETIC: synthetic cohort")
    metadata = pq.read_schema(tmp_path / "out.parquet").metadata
    assert metadata[b"bmrisk.synthetic"] == b"true"


def test_a_byte_order_mark_and_crlf_are_read_and_absent_inputs_are_named(model, tmp_path):
    source = tmp_path / "in.csv"
    source.write_bytes(b"\xef\xbb\xbfhistology,stage\r\nsquamous,I\r\n")
    summary = score_file(source, tmp_path / "out.csv", model)
    out = pd.read_csv(tmp_path / "out.csv")
    assert list(out.columns[:2]) == ["histology", "stage"]
    assert out["contrib_non_squamous"][0] == 0.0  # histology was read: squamous
    assert summary.absent == ("t_category", "n_category", "bsp", "calcium", "albumin", "alp",
                              "cea")
    assert str(summary).endswith("; no column for t_category, n_category, bsp, calcium, "
                                 "albumin, alp, cea (missing in every row)")


def test_a_header_only_file_gives_a_header_only_output(model, tmp_path):
    source = _csv(tmp_path / "in.csv", "id,stage\n")
    summary = score_file(source, tmp_path / "out.csv", model)
    assert summary.rows == 0
    assert (tmp_path / "out.csv").read_text().splitlines()[0].startswith('"id","stage",'
                                                                         '"probability"')


_category = st.sampled_from
PATIENTS = st.fixed_dictionaries({}, optional={
    "histology": _category(["adenocarcinoma", "squamous", "small_cell"]),
    "t_category": _category(["T1a", "T2b", "T3", "T4", "TX"]),
    "n_category": _category(["N0", "N1", "N3", "NX"]),
    "bsp": _category(["positive", "negative", "not_tested"]),
    "calcium": st.floats(1.8, 3.2).map(lambda v: Quantity(round(v, 2), "mmol/L")),
    "cea": st.floats(0, 60).map(lambda v: Quantity(round(v, 1), "ng/mL")),
})


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(PATIENTS, min_size=1, max_size=6))
def test_batch_scoring_equals_single_scoring_row_by_row(model, patients):
    frame = pd.DataFrame([{k: (v.value if isinstance(v, Quantity) else v)
                           for k, v in p.items()} for p in patients],
                         columns=["histology", "t_category", "n_category", "bsp", "calcium",
                                  "cea"]).rename(columns={"calcium": "calcium[mmol/L]",
                                                          "cea": "cea[ng/mL]"})
    out = score_frame(frame, model)
    for i, inputs in enumerate(patients):
        single = _single(model, **inputs)
        assert out["probability"][i] == pytest.approx(single.probability, abs=1e-12)
        if single.missing_range is None:
            assert math.isnan(out["missing_low"][i])
        else:
            assert out["missing_low"][i] == pytest.approx(single.missing_range.low, abs=1e-12)
