"""A recalibrated model as a new spec (new id, weights, covariance, provenance), and its artifact.

The parent spec is copied, never changed: same terms, rules and citations, new betas (each
term keeps its literature beta and SE beside the new ones), an explicit intercept, the full
covariance, and a ``provenance`` record: data fingerprint, n, events, date, method, parent
model, the apparent performance of the parent and the new model on the same rows, and
warnings when the cohort is small for the method.
"""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from riskmodel.model import Model
from riskmodel.persistence import save_artifact

from .cohort import Cohort
from .metrics import performance
from .recalibration import Estimate, estimate

SYNTHETIC_WARNING = ("SYNTHETIC DATA: this model was fitted to a synthetic cohort; it and every "
                     "figure about it are for demonstration and tests, not evidence about "
                     "patients.")
APPARENT_NOTE = ("Apparent performance: both models are measured on the same rows the new model "
                 "was fitted to, so the new model's figures are optimistic. Validate it on "
                 "other data before use.")
_DESCRIPTIONS = {
    "intercept": "logistic regression logit p = a + lp (lp = the parent's log-odds, as offset); "
                 "literature weights kept",
    "logistic": "logistic regression logit p = a + b lp (lp = the parent's log-odds); every "
                "weight multiplied by b",
    "refit": "every weight re-estimated by unpenalised scikit-learn LogisticRegression",
    "shrink": "maximum a posteriori logistic regression: normal priors centred on the parent's "
              "weights, SD = the parent's SEs; flat prior on the intercept",
}
_MISSING = {
    "on_log_odds": "Rows with missing inputs were kept (nothing imputed): the regression used "
                   "the parent's log-odds as the engine computes them, marginalised over the "
                   "reference for missing inputs. The new model marginalises with its new "
                   "weights, so for those rows its risks are close to, not exactly, "
                   "sigmoid(a + b lp); its apparent figures below show how close.",
    "marginal": "Rows with missing inputs were kept (nothing imputed): the fit maximised the "
                "likelihood of the engine's own predictions, whose missing terms are "
                "marginalised over the reference exactly as in scoring.",
}


def recalibrate(model: Model, cohort: Cohort, method: str, today: str | None = None
                ) -> dict[str, Any]:
    """Fit ``method`` on the cohort and return the new spec (the parent is not touched).

    Examples
    --------
    >>> from riskmodel import load_model
    >>> from riskmodel.research.cohort import load_cohort
    >>> from riskmodel.research.simulate import simulate
    >>> model = load_model()
    >>> cohort = load_cohort(simulate(500, seed=2, model=model), "bone_metastasis")
    >>> spec = recalibrate(model, cohort, "intercept", today="2025-01-01")
    >>> spec["id"].startswith("lung-bm-literature-recal-intercept-"), spec["version"]
    (True, '1.0.0')
    >>> spec["provenance"]["data"]["synthetic"]
    True
    """
    found = estimate(model, cohort, method)
    fingerprint = cohort.fingerprint()
    spec = _new_spec(model, cohort, method, found, fingerprint)
    spec["provenance"] = _provenance(model, cohort, method, found, fingerprint, today)
    new = Model(spec)
    original = _summary(model, cohort)
    spec["provenance"]["validation"] = {"note": APPARENT_NOTE, "parent": original,
                                        "recalibrated": _summary(new, cohort)}
    return spec


def _new_spec(model: Model, cohort: Cohort, method: str, found: Estimate,
              fingerprint: str) -> dict[str, Any]:
    spec = copy.deepcopy(model.spec)
    spec.pop("alternative_baselines", None)  # they set a literature intercept; this one is fitted
    spec.pop("provenance", None)
    cov = (found.cov + found.cov.T) / 2  # exactly symmetric, as the spec rules demand
    se = np.sqrt(np.diag(cov))
    suffix = ", SYNTHETIC DATA" if cohort.synthetic else ""
    spec.update(
        id=f"{model.ref.id}-recal-{method}-{fingerprint[:8]}", version="1.0.0",
        kind="recalibrated",
        title=f"{spec['title']} (recalibrated: {method}{suffix})",
        intercept={"method": "explicit", "value": float(found.gamma[0]), "se": float(se[0]),
                   "description": f"fitted ({method}: {_DESCRIPTIONS[method]}) on cohort "
                                  f"{fingerprint[:8]}; see provenance"},
        baseline=_baseline(cohort, fingerprint),
        interval={"level": model.level, "covariance": cov.tolist(),
                  "method": "delta method on the log-odds with the fitted covariance over "
                            "[intercept] + terms (inverse observed information; for intercept "
                            "and logistic plus the literature SEs carried through the fit)"},
        limitations=[*_limitations(cohort), *spec["limitations"]])
    for j, term in enumerate(spec["terms"]):
        term["literature"] = {"beta": term["beta"], "se": term["se"]}
        term["beta"], term["se"] = float(found.gamma[j + 1]), float(se[j + 1])
        term["fit"] = found.status[term["name"]]
    return spec


def _baseline(cohort: Cohort, fingerprint: str) -> dict[str, Any]:
    return {"probability": cohort.events / cohort.n, "events": cohort.events, "n": cohort.n,
            "citation": {"locator": f"recalibration cohort {fingerprint[:8]} ({cohort.source})",
                         "derivation": f"{cohort.events} / {cohort.n}",
                         "note": "the cohort's event rate, not a population rate when the "
                                 "cohort was selected by outcome; not used for scoring"}}


def _limitations(cohort: Cohort) -> list[str]:
    found = [APPARENT_NOTE, "Recalibrated on one cohort: it is valid for populations like "
                            "that cohort only."]
    return [SYNTHETIC_WARNING, *found] if cohort.synthetic else found


def _provenance(model: Model, cohort: Cohort, method: str, found: Estimate, fingerprint: str,
                today: str | None) -> dict[str, Any]:
    return {
        "method": method, "description": _DESCRIPTIONS[method], "missing_inputs": _MISSING[
            "on_log_odds" if method in ("intercept", "logistic") else "marginal"],
        "parent": {"id": model.ref.id, "version": model.ref.version,
                   "sha256": model.ref.sha256},
        "data": {"fingerprint": fingerprint, "fingerprint_of": "SHA-256 of the canonical inputs "
                 "(feature order, canonical units) and outcome of the rows used",
                 "source": cohort.source, "outcome": cohort.outcome, "n": cohort.n,
                 "events": cohort.events, "excluded": cohort.excluded,
                 "synthetic": cohort.synthetic},
        "date": today or datetime.now(UTC).date().isoformat(),
        "estimates": found.details,
        "warnings": size_warnings(method, cohort, _parameters(model, method, found)),
    }


def _parameters(model: Model, method: str, found: Estimate) -> int:
    """Weights estimated besides the intercept."""
    if method == "refit":
        return len(found.details["estimated_terms"])
    return {"intercept": 0, "logistic": 1}.get(method, len(model.names))


def size_warnings(method: str, cohort: Cohort, parameters: int) -> list[str]:
    """Warnings when the cohort is small for the method (the rules named in each message).

    Counts use the rarer outcome (events or non-events), as events-per-variable rules do.
    """
    rare = min(cohort.events, cohort.n - cohort.events)
    found = [SYNTHETIC_WARNING] if cohort.synthetic else []
    if method == "intercept" and rare < 10:
        found.append(f"only {cohort.rarer()} (the rarer outcome): fewer than 10 makes even the "
                     "intercept unstable (rule of thumb of this project)")
    if method == "logistic" and rare < 20:
        found.append(f"only {cohort.rarer()} (the rarer outcome): fewer than 20 is too few for an "
                     "intercept and a slope (rule of thumb of this project)")
    if method in ("refit", "shrink") and rare / max(parameters, 1) < 10:
        effect = ("the weights are unstable and overfitted" if method == "refit" else
                  "the data move the literature weights little")
        found.append(f"{rare / max(parameters, 1):.1f} events per estimated weight "
                     f"({rare} / {parameters}): below 10 {effect} (rule of thumb: Peduzzi P "
                     "et al., J Clin Epidemiol 1996;49:1373-9; see Riley RD et al., BMJ "
                     "2020;368:m441 for a full sample-size calculation)")
    return found


def _summary(model: Model, cohort: Cohort) -> dict[str, Any]:
    _, scores = model.score_table(cohort.table)
    figures = performance(cohort.y, scores.probability, scores.logit)
    return {"model": {"id": model.ref.id, "version": model.ref.version}, **figures}


def save_recalibrated(spec: dict[str, Any], directory: str | Path) -> Path:
    """Save a recalibrated spec as ``<id>.joblib`` + manifest in ``directory``; never overwrite.

    Returns the artifact path.
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{spec['id']}.joblib"
    if path.exists():
        raise FileExistsError(f"{path} exists; remove it or choose another folder")
    provenance = spec["provenance"]
    save_artifact(spec, path, manifest_extra={
        "training_data": provenance["data"], "method": provenance["method"],
        "parent": provenance["parent"], "metrics": provenance["validation"],
        "warnings": provenance["warnings"]})
    return path

