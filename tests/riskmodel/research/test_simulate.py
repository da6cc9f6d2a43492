"""Synthetic cohorts: drawn from the spec's references, reproducible, and marked SYNTHETIC."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from riskmodel.research.files import score_frame
from riskmodel.research.simulate import simulate, simulate_file


def test_the_same_n_and_seed_give_the_same_cohort_and_another_seed_does_not(model):
    a, b = simulate(500, 4, model), simulate(500, 4, model)
    pd.testing.assert_frame_equal(a, b)
    assert not a.equals(simulate(500, 5, model))


def test_inputs_follow_the_reference_prevalences_and_the_outcome_the_baseline(model):
    cohort = simulate(20_000, 1, model)
    x = model.design(_table(cohort)).X
    for j, term in enumerate(model.terms):
        if term.used_only_when_missing:
            continue
        expected = term.mean()
        se = np.sqrt(max(expected * (1 - expected), 1e-12) / len(cohort))
        if term.kind == "linear":
            assert np.all(x[:, j] == expected)  # CEA: the spec's point mass at 5 ng/mL
        else:
            assert abs(x[:, j].mean() - expected) < 4 * se, term.name
    # The intercept makes the mean risk over the reference equal the baseline.
    se = np.sqrt(model.baseline * (1 - model.baseline) / len(cohort))
    assert abs(cohort["bone_metastasis"].mean() - model.baseline) < 4 * se


def _table(cohort):
    from riskmodel.research.cohort import load_cohort

    return load_cohort(cohort, "bone_metastasis").table


def test_every_row_is_valid_and_marked_synthetic(model):
    cohort = simulate(2000, 2, model, missing={"cea": 0.5})
    out = score_frame(cohort, model)
    assert out["errors"].isna().all()
    assert cohort["synthetic"].all()
    assert cohort["cea[ng/mL]"].isna().mean() == pytest.approx(0.5, abs=0.05)


def test_files_say_synthetic_in_csv_and_parquet(model, tmp_path):
    simulate_file(tmp_path / "s.csv", 10, 1, model)
    simulate_file(tmp_path / "s.parquet", 10, 1, model)
    first = (tmp_path / "s.csv").read_text().splitlines()[0]
    assert first.startswith("# SYNTHETIC: synthetic cohort drawn from model lung-bm-literature")
    assert "not patient data: no figure computed on it is evidence about patients" in first
    assert pq.read_schema(tmp_path / "s.parquet").metadata[b"bmrisk.synthetic"] == b"true"
    assert pd.read_parquet(tmp_path / "s.parquet")["synthetic"].all()


def test_a_bad_missing_fraction_is_refused(model):
    with pytest.raises(ValueError, match="give a known input and a fraction"):
        simulate(10, 1, model, missing={"cea": 1.5})
