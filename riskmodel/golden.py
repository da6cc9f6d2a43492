"""Golden vectors: for each built-in model version, inputs and every output at full precision.

The files sit next to the specs (``specs/golden-<id>-<version>.json``). A test scores every
case again and requires the very same output, bit for bit; regenerate them only with a new
model version or a deliberate, reviewed change of the engine's arithmetic::

    python -m riskmodel.golden
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .errors import InvalidInputError
from .explain import assess
from .inputs import Patient, Quantity
from .model import Model
from .spec import builtin_spec_dir

G = "g/L"
# Each case: a name and its inputs as the API takes them (labs as {value, unit}).
CASES: tuple[tuple[str, dict[str, Any]], ...] = (
    ("nothing known", {}),
    ("histology only: squamous", {"histology": "squamous"}),
    ("histology only: small cell (no own estimate)", {"histology": "small_cell"}),
    ("histology: large cell", {"histology": "large_cell", "stage": "IB"}),
    ("histology: NSCLC NOS", {"histology": "nsclc_nos", "stage": "IIB"}),
    ("histology: other", {"histology": "other", "stage": "IIIB"}),
    ("stage IA only", {"histology": "adenocarcinoma", "stage": "IA"}),
    ("stage I coarse", {"histology": "adenocarcinoma", "stage": "I"}),
    ("stage II coarse", {"histology": "squamous", "stage": "II"}),
    ("stage III coarse", {"histology": "adenocarcinoma", "stage": "III"}),
    ("stage IIIA only", {"histology": "adenocarcinoma", "stage": "IIIA"}),
    ("stage IIIC with N3, T unknown", {"histology": "adenocarcinoma", "stage": "IIIC",
                                       "n_category": "N3"}),
    ("T1a N0", {"histology": "adenocarcinoma", "t_category": "T1a", "n_category": "N0"}),
    ("T1mi N1", {"histology": "adenocarcinoma", "t_category": "T1mi", "n_category": "N1"}),
    ("coarse T2 with N0", {"histology": "adenocarcinoma", "t_category": "T2",
                           "n_category": "N0"}),
    ("coarse T1, N unknown", {"histology": "squamous", "t_category": "T1"}),
    ("T4 only", {"histology": "adenocarcinoma", "t_category": "T4"}),
    ("TX with N2", {"histology": "adenocarcinoma", "t_category": "TX", "n_category": "N2"}),
    ("N3 only", {"histology": "squamous", "n_category": "N3"}),
    ("T0 with N2", {"histology": "adenocarcinoma", "t_category": "T0", "n_category": "N2"}),
    ("T4 N3 with stage IIIC", {"histology": "adenocarcinoma", "t_category": "T4",
                               "n_category": "N3", "stage": "IIIC", "m_category": "M0"}),
    ("T2a N2 complete, normal labs", {
        "histology": "adenocarcinoma", "t_category": "T2a", "n_category": "N2",
        "bsp": "negative", "calcium": {"value": 2.35, "unit": "mmol/L"},
        "albumin": {"value": 40, "unit": G}, "alp": {"value": 70, "unit": "U/L"},
        "cea": {"value": 2.0, "unit": "ng/mL"}}),
    ("complete, abnormal labs, BSP positive", {
        "histology": "adenocarcinoma", "t_category": "T3", "n_category": "N1",
        "bsp": "positive", "calcium": {"value": 2.62, "unit": "mmol/L"},
        "albumin": {"value": 35, "unit": G}, "alp": {"value": 310, "unit": "U/L"},
        "cea": {"value": 45, "unit": "ng/mL"}}),
    ("BSP not tested (research input)", {"histology": "squamous", "t_category": "T2b",
                                         "n_category": "N0", "bsp": "not_tested"}),
    ("calcium in mg/dL, albumin in g/dL", {"calcium": {"value": 9.6, "unit": "mg/dL"},
                                           "albumin": {"value": 3.2, "unit": "g/dL"}}),
    ("calcium without albumin", {"calcium": {"value": 2.50, "unit": "mmol/L"}}),
    ("calcium below the floor", {"calcium": {"value": 1.95, "unit": "mmol/L"}}),
    ("hypercalcaemia edge 2.59", {"calcium": {"value": 2.59, "unit": "mmol/L"}}),
    ("hypercalcaemia edge 2.60", {"calcium": {"value": 2.60, "unit": "mmol/L"}}),
    ("ALP in ukat/L", {"alp": {"value": 1.9, "unit": "ukat/L"}}),
    ("ALP below the floor", {"alp": {"value": 25, "unit": "U/L"}}),
    ("ALP above the cap", {"alp": {"value": 900, "unit": "U/L"}}),
    ("CEA in ug/L", {"cea": {"value": 4.9, "unit": "ug/L"}}),
    ("CEA above the cap", {"cea": {"value": 350, "unit": "ng/mL"}}),
    ("albumin without calcium", {"albumin": {"value": 30, "unit": G}}),
    ("refused: stage IV", {"histology": "adenocarcinoma", "stage": "IV"}),
    ("refused: M1b", {"m_category": "M1b"}),
    ("refused: stage contradicts T and N", {"t_category": "T1a", "n_category": "N0",
                                            "stage": "IIIA"}),
    ("refused: Tis N0", {"t_category": "Tis", "n_category": "N0"}),
    ("refused: unknown unit and impossible value", {
        "calcium": {"value": 2.4, "unit": "mEq/L"}, "alp": {"value": 90000, "unit": "U/L"}}),
)


def patient_from(inputs: dict[str, Any]) -> Patient:
    """A Patient from API-style inputs (labs as {value, unit})."""
    return Patient(**{k: Quantity(v["value"], v["unit"]) if isinstance(v, dict) else v
                      for k, v in inputs.items()})


def outcome(model: Model, inputs: dict[str, Any]) -> dict[str, Any]:
    """The full result of one case, or the refusal with every problem."""
    try:
        return {"result": assess(model, patient_from(inputs)).to_dict()}
    except InvalidInputError as exc:
        return {"refused": exc.problems}


def golden_path(model: Model, directory: Path | None = None) -> Path:
    """Where the golden vectors of a model version live (next to its spec)."""
    folder = directory or builtin_spec_dir()
    return folder / f"golden-{model.ref.id}-{model.ref.version}.json"


def golden(model: Model) -> dict[str, Any]:
    """The golden vectors of ``model``: its identity and every case's inputs and outcome."""
    return {"model": {"id": model.ref.id, "version": model.ref.version,
                      "sha256": model.ref.sha256},
            "cases": [{"name": name, "inputs": inputs, **outcome(model, inputs)}
                      for name, inputs in CASES]}


def write(model: Model, directory: Path | None = None) -> Path:
    """Write the golden vectors of ``model`` (full precision: JSON floats round-trip)."""
    path = golden_path(model, directory)
    path.write_text(json.dumps(golden(model), indent=1, ensure_ascii=False) + "\n", "utf-8")
    return path


if __name__ == "__main__":  # pragma: no cover - a maintainer's command
    from . import load_model

    for version in ("1.0.0", "2.0.0"):
        print(write(load_model(version=version)))
