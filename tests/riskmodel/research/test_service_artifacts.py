"""The service boots with a recalibrated artifact, scores with it by name, and refuses a
tampered one at boot (the live gunicorn server of tests/conftest.py)."""

from __future__ import annotations

import pytest
import requests

import riskmodel
from riskmodel.persistence import load_artifact
from riskmodel.research.cohort import load_cohort
from riskmodel.research.provenance import recalibrate, save_recalibrated
from riskmodel.research.simulate import simulate

pytestmark = pytest.mark.e2e


@pytest.fixture
def artifact(model, tmp_path):
    cohort = load_cohort(simulate(1500, 17, model, intercept_shift=-0.3, slope=0.8),
                         "bone_metastasis")
    return save_recalibrated(recalibrate(model, cohort, "logistic"), tmp_path / "models")


def test_a_recalibrated_artifact_is_listed_and_scores_as_the_library_does(server_factory,
                                                                          artifact):
    loaded, _ = load_artifact(artifact)
    server = server_factory({"BMRISK_MODEL_DIR": str(artifact.parent)})
    listed = requests.get(server.url + "/v1/models", timeout=10).json()["models"]
    assert loaded.ref.id in [m["id"] for m in listed]
    body = {"histology": "squamous", "stage": "III"}
    scored = requests.post(server.url + "/v1/risk", json={**body, "model": loaded.ref.id},
                           timeout=10).json()
    expected = riskmodel.score(riskmodel.Patient(**body), loaded)
    assert scored["model"]["id"] == loaded.ref.id
    assert scored["probability"] == pytest.approx(expected.probability, abs=1e-12)
    default = requests.post(server.url + "/v1/risk", json=body, timeout=10).json()
    assert default["model"]["id"] == "lung-bm-literature"
    assert default["probability"] != pytest.approx(scored["probability"], abs=1e-6)


def test_a_tampered_recalibrated_artifact_stops_the_boot(server_factory, artifact):
    data = bytearray(artifact.read_bytes())
    data[-10] ^= 0x01
    artifact.write_bytes(bytes(data))
    refused = server_factory({"BMRISK_MODEL_DIR": str(artifact.parent)}, expect_fail=True)
    assert refused.returncode != 0
    log = refused.log_text()
    assert artifact.name in log
    assert "does not match its manifest" in log
