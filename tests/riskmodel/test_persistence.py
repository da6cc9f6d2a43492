"""A joblib artifact is hashed before it is unpickled: a harmful pickle whose hash does not match
its manifest is refused without ever running (it would create a marker folder if loaded)."""

from __future__ import annotations

import json
import os

import joblib
import pytest

import riskmodel
from riskmodel import ArtifactError
from riskmodel.persistence import load_artifact, load_artifact_dir, manifest_path, save_artifact


class Harmful:
    """Unpickling this calls os.mkdir(marker): the marker proves the pickle ran."""

    def __init__(self, marker: str):
        self.marker = marker

    def __reduce__(self):
        return (os.mkdir, (self.marker,))


@pytest.fixture
def harmful(tmp_path):
    """A harmful artifact beside the manifest of a genuine one (so only the hash is wrong)."""
    folder = tmp_path / "models"
    folder.mkdir()
    artifact = folder / "model.joblib"
    save_artifact(riskmodel.load_model().spec, artifact)
    marker = tmp_path / "marker"
    joblib.dump({"format": "bmrisk-artifact/1", "spec": Harmful(str(marker))}, artifact)
    return artifact, marker


def test_the_harmful_pickle_really_runs_code_when_unpickled(harmful, tmp_path):
    artifact, marker = harmful
    copy = tmp_path / "copy.joblib"
    copy.write_bytes(artifact.read_bytes())
    joblib.load(copy)  # what load_artifact must never do before checking the hash
    assert marker.exists()


def test_a_harmful_pickle_with_a_wrong_hash_is_refused_and_never_runs(harmful):
    artifact, marker = harmful
    with pytest.raises(ArtifactError, match="does not match its manifest"):
        load_artifact(artifact)
    with pytest.raises(ArtifactError, match="does not match its manifest"):
        load_artifact_dir(artifact.parent)
    assert not marker.exists()
    assert json.loads(manifest_path(artifact).read_text())["sha256"]  # the manifest is intact
