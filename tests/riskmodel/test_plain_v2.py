"""A second, deliberately plain implementation of model 2.0.0, written from its spec file.

It imports nothing from the engine: it reads the spec JSON and the golden vectors, and redoes
the arithmetic with loops over every combination. Written from the spec and from facts that
are not model parameters: the AJCC 8th stage table (docs/evidence.md#staging-table), unit
factors (calcium 40.078 g/mol; 1 ukat/L = 60 U/L; 1 g/dL = 10 g/L).
"""

from __future__ import annotations

import itertools
import json
import math
from pathlib import Path

import pytest

SPECS = Path(__file__).resolve().parents[2] / "riskmodel" / "specs"
SPEC = json.loads((SPECS / "lung-bm-literature-2.0.0.json").read_text("utf-8"))
GOLDEN = json.loads((SPECS / "golden-lung-bm-literature-2.0.0.json").read_text("utf-8"))
TERMS = {t["name"]: t for t in SPEC["terms"]}

TO_CANONICAL = {"mmol/L": 1.0, "mg/dL": 10 / 40.078, "g/L": 1.0, "g/dL": 10.0, "U/L": 1.0,
                "ukat/L": 60.0, "ng/mL": 1.0, "ug/L": 1.0}
# AJCC 8th, M0: stage group of each T row for N0, N1, N2, N3.
AJCC = {"T1a": ("IA1", "IIB", "IIIA", "IIIB"), "T1b": ("IA2", "IIB", "IIIA", "IIIB"),
        "T1c": ("IA3", "IIB", "IIIA", "IIIB"), "T2a": ("IB", "IIB", "IIIA", "IIIB"),
        "T2b": ("IIA", "IIB", "IIIA", "IIIB"), "T3": ("IIB", "IIIA", "IIIB", "IIIC"),
        "T4": ("IIIA", "IIIA", "IIIB", "IIIC")}
N_CATEGORIES = ("N0", "N1", "N2", "N3")
COARSE_T = {"T1": ("T1a", "T1b", "T1c"), "T2": ("T2a", "T2b"), "T1mi": ("T1a",)}


def sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def coarse(group: str) -> str:
    return group.rstrip("ABC123")


def labels(group: str) -> set[str]:
    """Every way a stage group may be recorded: itself, IA for IA1-IA3, its coarse group."""
    return {group, coarse(group)} | ({"IA"} if group.startswith("IA") else set())


def reference_cells() -> list[tuple[str, str, str, float]]:
    """Each (T, N) cell with its stage group and weight: its group's share split equally."""
    shares = SPEC["tn_reference"]["stage_shares"]
    cells = [(t, n, AJCC[t][i]) for t in AJCC for i, n in enumerate(N_CATEGORIES)]
    count = {g: sum(coarse(c[2]) == g for c in cells) for g in shares}
    raw = [shares[coarse(g)] / count[coarse(g)] for _, _, g in cells]
    return [(*c, w / sum(raw)) for c, w in zip(cells, raw, strict=True)]


def completions(t_cat, n_cat, stage) -> list[tuple[dict[str, float], float]]:
    """Staging terms' values in every (T, N) cell consistent with what is known, and weights."""
    t_cat = None if t_cat == "TX" else SPEC["tn_reference"]["t_equivalent"].get(t_cat, t_cat)
    n_cat = None if n_cat == "NX" else n_cat
    found = []
    for t, n, group, weight in reference_cells():
        if t_cat is not None and t not in COARSE_T.get(t_cat, (t_cat,)):
            continue
        if n_cat is not None and n != n_cat:
            continue
        if stage is not None and stage not in labels(group):
            continue
        found.append(({"t4": float(t in TERMS["t4"]["fires_when"]["t_category"]),
                       "n3": float(n in TERMS["n3"]["fires_when"]["n_category"]),
                       "stage_iii": float(group in TERMS["stage_iii"]["fires_when"]["stage"])},
                      weight))
    total = sum(w for _, w in found)
    return [(x, w / total) for x, w in found]


def quantity_x(term: dict, value: float) -> float:
    if term["kind"] == "continuous":
        return min(max(value, term["floor"]), term["cap"]) - term["centre"]
    return min(value, term["cap"])


def reference_values(term: dict) -> list[tuple[float, float]]:
    ref = term["reference"]
    if "prevalence" in ref:
        return [(0.0, 1 - ref["prevalence"]), (1.0, ref["prevalence"])]
    total = sum(d["weight"] for d in ref["distribution"])
    return [(quantity_x(term, d["value"]), d["weight"] / total) for d in ref["distribution"]]


def known_x(inputs: dict) -> dict[str, float | None]:
    """x of every non-staging term; None where the input is missing."""
    labs = {k: v["value"] * TO_CANONICAL[v["unit"]] for k, v in inputs.items()
            if isinstance(v, dict)}
    if "calcium" in labs and "albumin" in labs:
        c = SPEC["calcium_correction"]
        labs["calcium"] += c["slope_mmol_per_g"] * (c["reference_albumin_g_per_l"]
                                                    - labs["albumin"])
    x: dict[str, float | None] = {}
    for name, term in TERMS.items():
        if term["kind"] == "staging":
            continue
        value = inputs.get(term["input"]) if term["kind"] == "binary" else labs.get(term["input"])
        if term["kind"] == "binary":
            known = value is not None and value != "not_tested"
            x[name] = float(value in term["fires_when"][term["input"]]) if known else None
        else:
            x[name] = None if value is None else quantity_x(term, value)
    return x


def mean_risk(b0: float, x: dict, staging: list) -> float:
    """Mean risk over every combination of the missing values (and the staging completions)."""
    missing = [n for n, v in x.items() if v is None]
    total = 0.0
    for stage_x, stage_w in staging:
        for combo in itertools.product(*(reference_values(TERMS[n]) for n in missing)):
            weight, eta = stage_w, b0
            for name, (value, w) in zip(missing, combo, strict=True):
                weight *= w
                eta += TERMS[name]["beta"] * value
            for name, value in {**x, **stage_x}.items():
                if value is not None:
                    eta += TERMS[name]["beta"] * value
            total += weight * sigmoid(eta)
    return total


def intercept() -> float:
    """beta0 with the mean risk over the reference population equal to the baseline."""
    nobody = {name: None for name, t in TERMS.items() if t["kind"] != "staging"}
    everyone = completions(None, None, None)
    low, high = -20.0, 20.0
    for _ in range(200):
        mid = (low + high) / 2
        if mean_risk(mid, nobody, everyone) < SPEC["baseline"]["probability"]:
            low = mid
        else:
            high = mid
    return (low + high) / 2


B0 = intercept()
SCORED = [c for c in GOLDEN["cases"] if "result" in c]


@pytest.mark.parametrize("case", SCORED, ids=[c["name"] for c in SCORED])
def test_plain_arithmetic_reproduces_the_golden_probability(case):
    inputs = case["inputs"]
    staging = completions(inputs.get("t_category"), inputs.get("n_category"),
                          inputs.get("stage"))
    expected = case["result"]["probability"]
    assert mean_risk(B0, known_x(inputs), staging) == pytest.approx(expected, abs=1e-12)
