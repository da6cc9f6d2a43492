"""Fixtures for the researcher's toolkit: the model, synthetic cohorts, the real MSK table."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

import riskmodel
from riskmodel.research.simulate import simulate, simulate_file

# The real MSK cohort, vendored unchanged under data/ (attribution and licence in its README).
MSK_TSV = (Path(__file__).resolve().parents[3] / "data" / "msk-luad-2023"
           / "luad_mskcc_2023_met_organotropism_clinical_data.tsv")
MSK_SHA256 = "2afdad0b6ac6a53fabb72ed11fbd8cec5030d1c488d816236de8d1a9fc483afd"


@pytest.fixture(scope="session")
def model() -> riskmodel.Model:
    """The literature model."""
    return riskmodel.load_model(version="1.0.0")


@pytest.fixture
def sim_csv(tmp_path, model):
    """Write a synthetic CSV: ``sim_csv(n, seed, **simulate_options) -> path``."""

    def write(n: int, seed: int, name: str = "cohort.csv", **options) -> Path:
        return simulate_file(tmp_path / name, n, seed, model, **options)

    return write


@pytest.fixture(scope="session")
def big_cohort(model):
    """A large synthetic cohort from a miscalibrated truth: shift -0.5, slope 0.7."""
    from riskmodel.research.cohort import load_cohort

    return load_cohort(simulate(30_000, 7, model, intercept_shift=-0.5, slope=0.7),
                       "bone_metastasis")


@pytest.fixture(scope="session")
def msk_tsv() -> Path:
    """The real MSK clinical table, checked against the hash its README records."""
    assert hashlib.sha256(MSK_TSV.read_bytes()).hexdigest() == MSK_SHA256
    return MSK_TSV
