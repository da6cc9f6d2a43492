"""A recalibrated model is a new, self-describing spec and a verified artifact; the parent is
never changed."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest

import riskmodel
from riskmodel.errors import ArtifactError
from riskmodel.model import Model
from riskmodel.persistence import load_artifact, open_model, read_manifest
from riskmodel.research.cohort import load_cohort
from riskmodel.research.provenance import (
    APPARENT_NOTE,
    SYNTHETIC_WARNING,
    recalibrate,
    save_recalibrated,
)
from riskmodel.research.recalibration import METHODS
from riskmodel.research.simulate import simulate
from riskmodel.spec import builtin_spec_dir

OUTCOME = "bone_metastasis"


def _specs_digest() -> str:
    digest = hashlib.sha256()
    for path in sorted(Path(builtin_spec_dir()).iterdir()):
        digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()


@pytest.fixture(scope="module")
def cohort(model):
    return load_cohort(simulate(3000, 8, model, intercept_shift=0.3, slope=0.8,
                                missing={"cea": 0.4}), OUTCOME)


@pytest.fixture(scope="module")
def specs(model, cohort):
    before = _specs_digest()
    found = {m: recalibrate(model, cohort, m, today="2025-06-01") for m in METHODS}
    assert _specs_digest() == before  # the built-in spec files are never touched
    return found


@pytest.mark.parametrize("method", METHODS)
def test_the_new_spec_has_a_new_identity_explicit_intercept_and_covariance(model, cohort,
                                                                           specs, method):
    spec = specs[method]
    assert spec["id"] == f"lung-bm-literature-recal-{method}-{cohort.fingerprint()[:8]}"
    assert spec["version"] == "1.0.0"
    assert spec["kind"] == "recalibrated"
    assert spec["intercept"]["method"] == "explicit"
    cov = np.array(spec["interval"]["covariance"])
    np.testing.assert_array_equal(cov, cov.T)
    assert np.all(np.linalg.eigvalsh(cov) > 0)
    for term, parent in zip(spec["terms"], model.spec["terms"], strict=True):
        assert term["citation"] == parent["citation"]  # same terms, same citations
        assert term["literature"] == {"beta": parent["beta"], "se": parent["se"]}
        assert term["se"] == pytest.approx(np.sqrt(cov[1:, 1:].diagonal())[
            model.names.index(term["name"])])
    json.dumps(spec, allow_nan=False)  # hashable as canonical JSON


def test_the_new_model_scores_with_its_fitted_weights(model, cohort, specs):
    spec = specs["logistic"]
    new = Model(spec)
    slope = spec["provenance"]["estimates"]["calibration_slope"]["estimate"]
    np.testing.assert_allclose(new.beta, slope * model.beta, rtol=1e-12)
    assert new.intercept == spec["intercept"]["value"]
    assert new.ref.id != model.ref.id
    assert new.ref.sha256 != model.ref.sha256


def test_provenance_records_data_method_parent_and_apparent_performance(model, cohort, specs):
    provenance = specs["refit"]["provenance"]
    assert provenance["data"] == {
        "fingerprint": cohort.fingerprint(), "fingerprint_of": provenance["data"][
            "fingerprint_of"], "source": "data frame", "outcome": OUTCOME, "n": 3000,
        "events": cohort.events, "excluded": {}, "synthetic": True}
    assert provenance["date"] == "2025-06-01"
    assert provenance["method"] == "refit"
    assert provenance["parent"] == {"id": model.ref.id, "version": model.ref.version,
                                    "sha256": model.ref.sha256}
    validation = provenance["validation"]
    assert validation["note"] == APPARENT_NOTE
    assert validation["parent"]["model"]["id"] == model.ref.id
    assert validation["recalibrated"]["model"]["id"] == specs["refit"]["id"]
    assert validation["recalibrated"]["oe"]["ratio"] == pytest.approx(1.0, abs=0.02)
    assert "marginalised" in provenance["missing_inputs"]


def test_synthetic_data_is_flagged_in_title_limitations_and_warnings(specs):
    spec = specs["intercept"]
    assert "SYNTHETIC DATA" in spec["title"]
    assert spec["limitations"][0] == SYNTHETIC_WARNING
    assert SYNTHETIC_WARNING in spec["provenance"]["warnings"]


def test_a_small_cohort_is_warned_about_with_the_rule_named(model):
    small = load_cohort(simulate(120, 3, model), OUTCOME)
    refit = recalibrate(model, small, "refit")["provenance"]["warnings"]
    assert any("events per estimated weight" in w and "Peduzzi" in w for w in refit)
    tiny = load_cohort(simulate(60, 3, model), OUTCOME)
    assert tiny.events < 20
    logistic = recalibrate(model, tiny, "logistic")["provenance"]["warnings"]
    assert any("fewer than 20 is too few" in w for w in logistic)


def test_an_artifact_round_trips_and_one_changed_byte_is_refused(specs, cohort, tmp_path):
    path = save_recalibrated(specs["shrink"], tmp_path)
    loaded, manifest = load_artifact(path)
    assert loaded.ref == Model(specs["shrink"]).ref
    assert manifest["training_data"]["fingerprint"] == cohort.fingerprint()
    assert open_model(str(path)).ref == loaded.ref
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    with pytest.raises(ArtifactError, match="does not match its manifest"):
        load_artifact(path)
    assert read_manifest(path)["sha256"] != hashlib.sha256(bytes(data)).hexdigest()


def test_saving_never_overwrites(specs, tmp_path):
    save_recalibrated(specs["intercept"], tmp_path)
    with pytest.raises(FileExistsError, match="exists"):
        save_recalibrated(specs["intercept"], tmp_path)


def test_the_parent_model_object_is_unchanged(model, specs):
    assert model.ref == riskmodel.load_model(version="1.0.0").ref
    assert model.spec["intercept"]["method"] == "exact_mean_risk"
    assert "provenance" not in model.spec
