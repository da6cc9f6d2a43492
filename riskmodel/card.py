"""The model card: the spec, and what the engine computes from it, as JSON and Markdown.

It covers the TRIPOD+AI items a calculator can answer: intended use and users, population,
outcome and timing, predictors and how they are measured, the full model specification,
missing-data handling, how the output is produced, the evidence behind each weight,
limitations and known gaps, the points version with its measured rounding error, and the
model's id, version and SHA-256. Every entry comes from the spec or is computed from it;
what neither says is written "unknown".
"""

from __future__ import annotations

import math
from dataclasses import asdict
from statistics import NormalDist
from typing import Any

from . import intercept as _intercept
from . import points as _points
from .card_markdown import render
from .features import BY_NAME
from .model import Model
from .terms import Term

UNKNOWN = "unknown"
CARD_FORMAT = "bmrisk-model-card/1"
# The grading scale the spec's grades use (docs/evidence.md#grades).
GRADE_SCALE = {
    "A": "pooled estimate of a meta-analysis read in full",
    "B": "adjusted estimate from a large cohort for this very outcome",
    "C": "adjusted estimate from a small cohort, or a univariable estimate consistent across "
         "several cohorts",
    "D": "derived or proxy (another effect measure, another outcome timing, or computed from "
         "sensitivity and specificity)",
}
MISSING_DATA = (
    "A missing input is never replaced silently. Each missing term is marginalised over its "
    "reference distribution (below): the risk is the mean of the model's risk over every "
    "combination of the missing terms' reference values, weighted by their probabilities. The "
    "result names every missing input, reports the range of risk over all values the missing "
    "terms can take (binary terms 0 or 1, linear terms 0 to their cap), and ranks the missing "
    "inputs by how much knowing each would at least narrow that range. 'TX', 'NX' and BSP "
    "'not tested' count as missing. Missing-input uncertainty is reported apart from "
    "parameter uncertainty.")


def model_card(model: Model) -> dict[str, Any]:
    """The model card as a JSON-ready dict.

    Examples
    --------
    >>> from riskmodel import load_model
    >>> card = model_card(load_model())
    >>> card["id"], card["model"]["intercept"]["method"], card["bands"]["validated"]
    ('lung-bm-literature', 'exact_mean_risk', False)
    """
    spec = model.spec
    return {
        "card_format": CARD_FORMAT,
        "id": model.ref.id, "version": model.ref.version, "sha256": model.ref.sha256,
        "title": spec["title"], "kind": spec.get("kind", "literature"),
        "intended_use": _intended_use(spec),
        "population": _population(spec),
        "outcome": _known(spec["outcome"]),
        "baseline": _baseline(spec),
        "predictors": _predictors(model),
        "model": _specification(model),
        "missing_data": {"handling": MISSING_DATA,
                         "reference": [_reference(t) for t in model.terms]},
        "output": _output(model),
        "bands": _known(spec["bands"]),
        "alerts": _known(spec.get("alerts", [])),
        "evidence": _evidence(model),
        "performance": _performance(spec),
        "limitations": list(spec["limitations"]),
        "known_gaps": list(spec.get("known_gaps", [UNKNOWN])),
        "points": _points_section(model),
        "provenance": _known(spec.get("provenance")),
        "evidence_file": spec.get("evidence", "docs/evidence.md"),
        "changes_from_previous": spec.get("changes_from"),
        "plausibility": _plausibility(model),
        "tn_reference": _tn_reference(model),
    }


def _plausibility(model: Model) -> dict[str, Any] | None:
    """The model's mean risk over the reference population by histology, beside SEER's."""
    found = model.spec.get("plausibility")
    if not found:
        return None
    rows = []
    for row in found["rows"]:
        mean = model.mean_reference_risk(row["terms"])
        rows.append({"histology": row.get("label", row["histology"]), "model_mean_risk": mean,
                     "seer_prevalence": row["prevalence"],
                     "difference": mean - row["prevalence"],
                     "within_tolerance": abs(mean - row["prevalence"]) <= found["tolerance"]})
    source = found["source"]
    how = (f"Mean predicted risk over the reference population with histology set for "
           f"everyone, beside the prevalence of bone metastasis at diagnosis in "
           f"{source['locator']} ({source['authors']} {source['year']}, doi:{source['doi']}; "
           f"{source['evidence_ref']}).")
    return {"how": how, "tolerance": found["tolerance"], "rows": rows}


def _tn_reference(model: Model) -> dict[str, Any] | None:
    """The assumed joint T x N reference: every cell of the AJCC table with its weight."""
    tn = model.completions
    if tn is None:
        return None
    ref = tn.reference
    cells = [{"t": t, "n": n, "stage_group": g, "weight": float(w)}
             for (t, n, g), w in zip(tn.cells, tn.weights, strict=True)]
    return {"basis": ref["basis"], "assumption": ref["assumption"], "citation": ref["citation"],
            "evidence_ref": ref["evidence_ref"], "stage_shares": ref["stage_shares"],
            "t4_share": tn.share(lambda t, n, g: t == "T4"),
            "n3_share": tn.share(lambda t, n, g: n == "N3"),
            "stage_iii_share": tn.share(lambda t, n, g: g.startswith("III")), "cells": cells}


def model_card_markdown(model: Model) -> str:
    """The model card as Markdown (the same content as :func:`model_card`).

    Examples
    --------
    >>> from riskmodel import load_model
    >>> model_card_markdown(load_model()).splitlines()[0]
    '# Model card: Bone metastasis risk in lung cancer: literature model'
    """
    return render(model_card(model))


def _known(value: Any) -> Any:
    """The value, with every missing (None or empty) entry written as 'unknown'."""
    if isinstance(value, dict):
        return {key: _known(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_known(item) for item in value]
    return UNKNOWN if value is None or value == "" else value


def _performance(spec: dict[str, Any]) -> Any:
    """Validation figures when the spec or its provenance carries them."""
    provenance = spec.get("provenance")
    found = spec.get("performance") or (
        provenance.get("validation") if isinstance(provenance, dict) else None)
    return _known(found) if found else UNKNOWN


def _intended_use(spec: dict[str, Any]) -> dict[str, Any]:
    return {"question": spec["question"], "statement": spec["intended_use"],
            "users": _known(spec.get("intended_users")),
            "not_for": _known(spec.get("not_for"))}


def _population(spec: dict[str, Any]) -> dict[str, Any]:
    studies = [{"term": t["name"], "study": _known(t["citation"].get("locator"))}
               for t in spec["terms"]]
    return {"target": spec["question"], "staging_edition": _known(spec.get("edition")),
            "weights_from": "see provenance" if spec.get("provenance") else
                            "published estimates, one study per term (below)",
            "study_populations": studies}


def _baseline(spec: dict[str, Any]) -> dict[str, Any]:
    return {"chosen": _known(spec["baseline"]),
            "alternatives": _known(spec.get("alternative_baselines", []))}


def _predictors(model: Model) -> list[dict[str, Any]]:
    used = list(dict.fromkeys(t.input for t in model.terms))
    if model.spec.get("calcium_correction") and "calcium" in used:
        used.append("albumin")
    return [_predictor(model, BY_NAME[name]) for name in used]


def _predictor(model: Model, feature) -> dict[str, Any]:
    terms = [t for t in model.terms if t.input == feature.name]
    return {
        "name": feature.name, "label": feature.label, "measured_as": feature.description,
        "kind": feature.kind, "categories": list(feature.categories) or None,
        "units": list(feature.units) or None,
        "canonical_unit": feature.canonical_unit or None,
        "counts_as_missing": list(feature.missing_codes),
        "plausible_limits": list(feature.plausible) if feature.plausible else None,
        "usual_range": list(feature.usual) if feature.usual else None,
        "terms": [{"term": t.name, "rule": t.rule, "cut_off": _cut_off(t)} for t in terms]
        or [{"term": None, "rule": "corrects calcium only", "cut_off": None}],
    }


def _cut_off(term: Term) -> Any:
    if term.kind == "binary":
        return {"fires_when": list(term.fires_when)}
    if term.kind == "threshold":
        return {"above": term.threshold, "unit": term.unit}
    if term.kind == "staging":
        return {"fires_when": list(term.fires_when), "from": "the (T, N) cell or its completions"}
    if term.kind == "continuous":
        return {"per": term.unit, "floor": term.floor, "cap": term.cap, "centre": term.centre,
                "shown_above_reference_interval_above": term.elevated_above}
    return {"per": term.unit, "cap": term.cap, "shown_elevated_above": term.elevated_above}


def _specification(model: Model) -> dict[str, Any]:
    cov = model.spec["interval"].get("covariance")
    return {
        "type": "logistic regression: logit(p) = beta0 + sum_i beta_i x_i",
        "intercept": _intercept_section(model),
        "terms": [_term(t, model.terms) for t in model.terms],
        "parameter_covariance": cov if cov is not None else
        "not given: SEs treated as independent; beta0 depends on the betas and the baseline",
    }


def _intercept_section(model: Model) -> dict[str, Any]:
    solution, spec = model.intercept_solution, model.spec["intercept"]
    section = {"value": solution.value, "method": solution.method,
               "how": _known(spec.get("description")),
               "se_from_baseline": math.sqrt(solution.variance) if solution.variance else UNKNOWN,
               "mean_reference_risk": model.mean_reference_risk()}
    if solution.method == "exact_mean_risk":
        approx = _intercept.first_order(model.baseline, model.terms)
        section["first_order_approximation"] = {
            "formula": "logit(baseline) - sum_i beta_i E[x_i]", "value": approx,
            "mean_reference_risk": _intercept.mean_risk(approx, model.beta, model.terms),
            "note": "not used: it ignores the curvature of the sigmoid and misses the baseline"}
    return section


def _term(term: Term, terms: tuple[Term, ...]) -> dict[str, Any]:
    z = NormalDist().inv_cdf(0.975)
    return {
        "name": term.name, "label": term.label, "input": term.input, "kind": term.kind,
        "rule": term.rule, "beta": term.beta, "se": term.se,
        "odds_ratio": math.exp(term.beta),
        "per": term.unit if term.kind in ("linear", "continuous") else None,
        "odds_ratio_95ci": [math.exp(term.beta - z * term.se), math.exp(term.beta + z * term.se)],
        "grade": term.grade, "contradicted": term.contradicted or "CONTRADICT" in term.caveat,
        "caveat": term.caveat or None,
        "citation": _known(term.citation), "derivation": _known(term.citation.get("derivation")),
        "reference": _reference(term),
        "used_only_when_missing": list(term.used_only_when_missing) or None,
    }


def _reference(term: Term) -> dict[str, Any]:
    values, weights = term.support()
    return {"term": term.name, **_known(term.reference), "mean_x": term.mean(),
            "in_intercept": _intercept.in_reference(term),
            "values": values.tolist(), "probabilities": weights.tolist()}


def _output(model: Model) -> dict[str, Any]:
    interval = model.spec["interval"]
    return {
        "risk": "probability of the outcome, also as a percent and as 'X in 100'",
        "explanation": "per term: value used (after unit conversion), whether it fired, beta, "
                       "contribution to the log-odds, risk if that factor alone were absent, "
                       "grade and citation",
        "parameter_interval": {"level": model.level, "method": _known(interval.get("method"))},
        "calcium_correction": _known(model.spec.get("calcium_correction")),
    }


def _evidence(model: Model) -> dict[str, Any]:
    grades: dict[str, list[str]] = {}
    for term in model.terms:
        grades.setdefault(term.grade, []).append(term.name)
    return {"grades": grades, "scale": GRADE_SCALE,
            "contradicted": [t.name for t in model.terms
                             if t.contradicted or "CONTRADICT" in t.caveat]}


def _points_section(model: Model) -> dict[str, Any]:
    if not model.spec.get("points"):
        return {"available": False, "reason": "the spec defines no points base unit"}
    base, text = _points.base_unit(model)
    return {
        "available": True, "method": _known(model.spec["points"].get("method")),
        "base_unit": {"value": base, "is": text},
        "rows": [asdict(row) for row in _points.points_rows(model)],
        "risk_by_total": [{"total": t, "risk": r} for t, r in _points.risk_table(model)],
        "rounding_error": _points.rounding_error(model),
    }
