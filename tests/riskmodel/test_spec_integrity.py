"""The model is data: a spec is hashed canonically, verified, and refused when malformed."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

import riskmodel
from riskmodel import Model, SpecError
from riskmodel.spec import builtin_spec_dir, load_spec_file, parse_spec, spec_sha256

SPEC_FILE = "lung-bm-literature-1.0.0.json"


@pytest.fixture
def spec_dir(tmp_path: Path) -> Path:
    """A copy of the built-in specs folder (spec files and manifest)."""
    target = tmp_path / "specs"
    shutil.copytree(builtin_spec_dir(), target)
    return target


def test_builtin_spec_matches_its_manifest():
    manifest = json.loads((builtin_spec_dir() / "manifest.json").read_text("utf-8"))
    spec = load_spec_file(builtin_spec_dir() / SPEC_FILE)
    assert spec_sha256(spec) == manifest["specs"][SPEC_FILE]


def test_spec_with_one_weight_changed_is_refused(spec_dir):
    path = spec_dir / SPEC_FILE
    text = path.read_text("utf-8")
    assert text.count('"beta": 1.347') == 1
    path.write_text(text.replace('"beta": 1.347', '"beta": 1.348'), "utf-8")
    with pytest.raises(SpecError, match=r"lung-bm-literature@1\.0\.0 does not match its "
                                        r"manifest: sha256 [0-9a-f]{64} != [0-9a-f]{64}"):
        load_spec_file(path)


def test_spec_not_listed_in_the_manifest_is_refused(spec_dir):
    shutil.copy(spec_dir / SPEC_FILE, spec_dir / "other.json")
    with pytest.raises(SpecError, match="not listed in its manifest"):
        load_spec_file(spec_dir / "other.json")


def test_hash_ignores_layout_and_key_order(spec):
    reordered = json.loads(json.dumps(spec, indent=4, sort_keys=False))
    reordered = dict(reversed(list(reordered.items())))
    text = json.dumps(reordered, indent=1)
    assert spec_sha256(parse_spec(text)) == spec_sha256(spec)
    assert spec_sha256(json.loads(json.dumps(spec, separators=(",", ":")))) == spec_sha256(spec)


def test_every_result_carries_the_model_identity(model):
    result = riskmodel.score(riskmodel.Patient(histology="squamous"), model)
    assert result.model == model.ref
    assert (result.model.id, result.model.version) == ("lung-bm-literature", "1.0.0")
    assert result.model.sha256 == spec_sha256(model.spec)
    assert result.to_dict()["model"] == {"id": "lung-bm-literature", "version": "1.0.0",
                                         "sha256": model.ref.sha256}


def test_changing_a_weight_is_a_data_change_only(spec, model):
    patient = riskmodel.Patient(alp=riskmodel.Quantity(150, "U/L"))
    spec["terms"][5]["beta"] = 2.0  # alp_high
    spec["version"] = "1.1.0"
    changed = Model(spec)
    assert changed.ref.sha256 != model.ref.sha256
    assert changed.ref.version == "1.1.0"
    assert riskmodel.score(patient, changed).probability != riskmodel.score(patient).probability
    assert changed.mean_reference_risk() == pytest.approx(0.1742, abs=1e-9)


def test_the_model_keeps_its_own_copy_of_the_spec(spec):
    model = Model(spec)
    spec["terms"][0]["beta"] = 9.0
    assert model.terms[0].beta == 1.050
    assert model.ref.sha256 == spec_sha256(model.spec)


def _drop(path):
    def change(spec):
        target = spec
        for key in path[:-1]:
            target = target[key]
        del target[path[-1]]
    return change


def _set(path, value):
    def change(spec):
        target = spec
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
    return change


MALFORMED = [
    (_drop(["baseline"]), r"spec: missing 'baseline'"),
    (_drop(["terms", 2, "se"]), r"terms\[2\]: missing 'se'"),
    (_set(["terms", 0, "beta"], "1.05"), r"terms\[0\]\.beta: must be a finite number"),
    (_set(["terms", 0, "beta"], True), r"terms\[0\]\.beta: must be a finite number"),
    (_set(["terms", 1, "se"], -0.2), r"terms\[1\]\.se: must be between 0 and inf"),
    (_set(["terms", 1, "fires_when"], {"t_category": ["T5"]}),
     r"terms\[1\]\.fires_when: 'T5' is not a known t_category value"),
    (_set(["terms", 1, "input"], "age"), r"terms\[1\]\.input: 'age' is not a known feature"),
    (_set(["terms", 5, "kind"], "binary"), r"terms\[5\]\.kind: a binary term needs a category"),
    (_set(["terms", 7, "cap"], None), r"terms\[7\]\.cap: must be a finite number"),
    (_set(["terms", 4, "reference", "prevalence"], 1.4),
     r"terms\[4\]\.reference\.prevalence: must be between 0 and 1"),
    (_set(["terms", 6, "threshold", "unit"], "mg/dL"),
     r"terms\[6\]\.threshold\.unit: must be 'mmol/L'"),
    (_set(["baseline", "probability"], 1.0), r"baseline\.probability: must be strictly"),
    (_set(["version"], "1.0"), r"version: must be a semantic version"),
    (_set(["intercept"], {"method": "explicit"}), r"intercept\.value: must be a finite number"),
    (_set(["intercept", "method"], "guess"), r"intercept\.method: must be one of"),
    (_set(["bands", "cutoffs", 1, "below"], 0.05), r"bands\.cutoffs\[1\]\.below: cut-offs must"),
    (_set(["bands", "cutoffs", 2, "below"], 0.9), r"the last band must be open"),
    (_set(["interval", "covariance"], [[1.0]]), r"interval\.covariance: must be a 9 x 9"),
    (_set(["points", "base_unit", "term"], "psa"), r"points\.base_unit\.term: must name a term"),
    (_set(["alerts", 0, "input"], "histology"), r"alerts\[0\]\.input: must name a laboratory"),
    (_set(["terms", 3, "used_only_when_missing"], "t_category"),
     r"terms\[3\]\.used_only_when_missing: must be a list of feature names"),
]


@pytest.mark.parametrize(("change", "message"), MALFORMED)
def test_malformed_spec_is_refused_naming_the_field(spec, change, message):
    change(spec)
    with pytest.raises(SpecError, match=message):
        Model(spec)


def test_duplicate_term_names_are_refused(spec):
    spec["terms"][1]["name"] = "non_squamous"
    with pytest.raises(SpecError, match="term names must be unique"):
        Model(spec)


def test_asymmetric_covariance_is_refused(spec):
    cov = [[0.0] * 9 for _ in range(9)]
    cov[0][1] = 0.01
    spec["interval"]["covariance"] = cov
    with pytest.raises(SpecError, match="must be symmetric"):
        Model(spec)


@pytest.mark.parametrize("text", ["{", "[1, 2]", '{"format": "bmrisk-spec/1"}', b"\xff\xfe",
                                  '{"terms": NaN}'])
def test_bad_json_is_refused(text):
    with pytest.raises(SpecError, match=r"model spec is (not valid JSON|malformed)"):
        parse_spec(text)


def test_spec_errors_are_value_errors_of_the_library():
    assert issubclass(SpecError, riskmodel.RiskModelError)
    assert issubclass(SpecError, ValueError)
