"""Fixtures for the researcher's toolkit: the model, synthetic cohorts, the real MSK table."""

from __future__ import annotations

from pathlib import Path

import pytest

import riskmodel
from riskmodel.simulate import simulate, simulate_file

# shared/ sits beside the repository (as CI lays it out), not at a fixed path.
SHARED = Path(__file__).resolve().parents[3] / "shared"

MSK_TSV = SHARED / ("data/luad-met-organotropism-msk2023/"
               "luad_mskcc_2023_met_organotropism_clinical_data.tsv")


@pytest.fixture(scope="session")
def model() -> riskmodel.Model:
    """The literature model."""
    return riskmodel.load_model()


@pytest.fixture
def sim_csv(tmp_path, model):
    """Write a synthetic CSV: ``sim_csv(n, seed, **simulate_options) -> path``."""

    def write(n: int, seed: int, name: str = "cohort.csv", **options) -> Path:
        return simulate_file(tmp_path / name, n, seed, model, **options)

    return write


@pytest.fixture(scope="session")
def big_cohort(model):
    """A large synthetic cohort from a miscalibrated truth: shift -0.5, slope 0.7."""
    from riskmodel.cohort import load_cohort

    return load_cohort(simulate(30_000, 7, model, intercept_shift=-0.5, slope=0.7),
                       "bone_metastasis")


@pytest.fixture(scope="session")
def msk_tsv() -> Path:
    """The real MSK clinical table (skips when ../shared is not mounted)."""
    if not MSK_TSV.exists():
        pytest.skip(f"the MSK cohort is not available at {MSK_TSV}")
    return MSK_TSV
