"""Models at boot: verified artifacts are served; a changed byte or a bad file stops the boot."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import requests

from riskmodel.persistence import save_artifact
from riskmodel.spec import load_builtin_specs

pytestmark = pytest.mark.e2e

ARTIFACT_ID = "lung-bm-local-test"


def make_artifact(folder: Path, model_id: str = ARTIFACT_ID, version: str = "1.0.1") -> Path:
    """An artifact of a copy of the literature spec under a new id; returns the joblib path."""
    spec = copy.deepcopy(load_builtin_specs()[-1])  # the newest, the default
    spec["id"], spec["version"] = model_id, version
    spec["title"] = "Local copy of the literature model (test)"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{model_id}.joblib"
    save_artifact(spec, path)
    return path


def test_a_verified_artifact_is_listed_and_scorable_by_its_id(server_factory, tmp_path):
    make_artifact(tmp_path / "models")
    server = server_factory({"BMRISK_MODEL_DIR": str(tmp_path / "models")})
    listed = requests.get(server.url + "/v1/models", timeout=10).json()["models"]
    assert [(m["id"], m["version"]) for m in listed] == [
        ("lung-bm-literature", "2.0.0"), ("lung-bm-literature", "1.0.0"), (ARTIFACT_ID, "1.0.1")]
    ready = requests.get(server.url + "/readyz", timeout=10).json()
    assert ARTIFACT_ID in [m["id"] for m in ready["models"]]
    body = {"histology": "squamous", "model": ARTIFACT_ID}
    scored = requests.post(server.url + "/v1/risk", json=body, timeout=10).json()
    assert scored["model"]["id"] == ARTIFACT_ID
    assert scored["model"]["version"] == "1.0.1"
    default = requests.post(server.url + "/v1/risk", json={"histology": "squamous"},
                            timeout=10).json()
    assert scored["probability"] == default["probability"]  # same weights, other identity
    batch = requests.post(server.url + "/v1/risk/batch", timeout=10, json={"patients": [
        body, {"histology": "squamous"}]}).json()["results"]
    assert [r["result"]["model"]["id"] for r in batch] == [ARTIFACT_ID, "lung-bm-literature"]


def test_one_changed_byte_in_an_artifact_stops_the_boot_naming_the_file(server_factory,
                                                                        tmp_path):
    path = make_artifact(tmp_path / "models")
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    refused = server_factory({"BMRISK_MODEL_DIR": str(tmp_path / "models")}, expect_fail=True)
    assert refused.returncode != 0
    log = refused.log_text()
    assert "model artifact refused" in log
    assert path.name in log
    assert "does not match its manifest" in log
    assert "Booting worker" not in log  # refused in the master, before any worker forked


def test_a_missing_model_folder_stops_the_boot(server_factory, tmp_path):
    refused = server_factory({"BMRISK_MODEL_DIR": str(tmp_path / "absent")}, expect_fail=True)
    assert refused.returncode != 0
    assert "does not exist" in refused.log_text()


def test_an_artifact_without_its_manifest_stops_the_boot(server_factory, tmp_path):
    path = make_artifact(tmp_path / "models")
    path.with_name(path.name + ".manifest.json").unlink()
    refused = server_factory({"BMRISK_MODEL_DIR": str(tmp_path / "models")}, expect_fail=True)
    assert refused.returncode != 0
    assert "manifest" in refused.log_text()
    assert path.name in refused.log_text()
