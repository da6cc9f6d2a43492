"""The engine reproduces the published golden vectors of every model version, bit for bit."""

from __future__ import annotations

import json

import pytest

import riskmodel
from riskmodel.golden import CASES, golden_path, outcome
from riskmodel.spec import builtin_spec_dir

VERSIONS = ("1.0.0", "2.0.0")


def _golden(version: str) -> dict:
    model = riskmodel.load_model(version=version)
    return json.loads(golden_path(model).read_text("utf-8"))


@pytest.mark.parametrize("version", VERSIONS)
def test_golden_vectors_name_the_model_they_were_made_with(version):
    model = riskmodel.load_model(version=version)
    assert _golden(version)["model"] == {"id": model.ref.id, "version": version,
                                         "sha256": model.ref.sha256}


@pytest.mark.parametrize("version", VERSIONS)
def test_engine_reproduces_every_golden_output_exactly(version):
    model = riskmodel.load_model(version=version)
    cases = _golden(version)["cases"]
    assert [c["name"] for c in cases] == [name for name, _ in CASES]
    for case in cases:
        found = json.loads(json.dumps(outcome(model, case["inputs"])))
        expected = {k: v for k, v in case.items() if k in ("result", "refused")}
        assert found == expected, case["name"]


def test_golden_cases_cover_every_term_state_unit_and_refusal():
    states, units, refused = set(), set(), 0
    for case in _golden("2.0.0")["cases"]:
        refused += "refused" in case
        units |= {v["unit"] for v in case["inputs"].values() if isinstance(v, dict)}
        for term in case.get("result", {}).get("terms", []):
            states.add((term["name"], term["status"]))
    names = [t["name"] for t in riskmodel.load_model(version="2.0.0").spec["terms"]]
    for name in names:
        assert {(name, "fired"), (name, "not_fired"), (name, "missing")} <= states, name
    assert units >= {"mmol/L", "mg/dL", "g/L", "g/dL", "U/L", "ukat/L", "ng/mL", "ug/L"}
    assert refused >= 4


def test_golden_files_sit_next_to_the_specs():
    assert {p.name for p in builtin_spec_dir().glob("golden-*.json")} == {
        f"golden-lung-bm-literature-{v}.json" for v in VERSIONS}
