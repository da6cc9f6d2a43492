"""Validation reports: a model's performance on a labelled cohort, as JSON, HTML and PNG figures.

Missing inputs are handled as the model handles them (marginalised), and the report counts how
many rows lacked each input. Subgroups by histology and by stage group (I, II, III) get the same
figures; a subgroup with too few events or non-events is listed as skipped, with the reason.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from riskmodel.errors import ArgumentError
from riskmodel.model import Model

from .cohort import Cohort
from .metrics import deciles, decision_curve, performance, smoothed_curve

SYNTHETIC_BANNER = ("SYNTHETIC DATA: these figures were computed on a synthetic cohort. They "
                    "test the software; they are not evidence about patients.")
MIN_SUBGROUP_EVENTS = 10  # rule of thumb of this project: fewer events or non-events, no figures
VALIDATION_EVENTS = 100  # Vergouwe 2005; Collins 2016 (see _warnings)
METHODS_TEXT = {
    "auc": "AUC (c statistic) with DeLong's variance; 95% CI on the logit scale.",
    "oe": "Observed/expected events; 95% CI from SE(ln O/E) = sqrt((1 - O/n) / O).",
    "calibration_intercept": "Logistic regression of the outcome on an intercept with the "
                             "model's log-odds as offset (0 is ideal); Wald 95% CI.",
    "calibration_slope": "Logistic regression of the outcome on the model's log-odds "
                         "(1 is ideal); Wald 95% CI.",
    "brier": "Mean squared difference between predicted risk and outcome; 'null' is the Brier "
             "score of predicting the observed prevalence for everyone.",
    "calibration_plot": "Lowess (statsmodels, frac 2/3, no robustness iterations) of outcome on "
                        "predicted risk, with the observed rate in tenths of predicted risk "
                        "(tied predictions kept together, so there may be fewer than ten).",
    "decision_curve": "Net benefit = TP/n - FP/n x t/(1 - t) of imaging when risk >= t, against "
                      "imaging everyone and no one (Vickers and Elkin 2006).",
    "missing_inputs": "Missing inputs are marginalised over the model's reference, as in "
                      "scoring; rows are not dropped for a missing input.",
}


def validation_report(model: Model, cohort: Cohort,
                      min_events: int = MIN_SUBGROUP_EVENTS) -> dict[str, Any]:
    """Every figure of a validation, as a JSON-ready dict.

    Examples
    --------
    >>> from riskmodel import load_model
    >>> from riskmodel.research.cohort import load_cohort
    >>> from riskmodel.research.simulate import simulate
    >>> model = load_model()
    >>> report = validation_report(model, load_cohort(simulate(800, 3, model), "bone_metastasis"))
    >>> report["synthetic"], report["overall"]["n"], report["banner"][:14]
    (True, 800, 'SYNTHETIC DATA')
    """
    if cohort.n == 0:
        raise ArgumentError("no usable rows: nothing to validate (see the excluded rows)")
    _, scores = model.score_table(cohort.table)
    p, lp = scores.probability, scores.logit
    return {
        "title": f"Validation of {model.ref.id} {model.ref.version} on {cohort.source}",
        "synthetic": cohort.synthetic,
        "banner": SYNTHETIC_BANNER if cohort.synthetic else None,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "model": {"id": model.ref.id, "version": model.ref.version, "sha256": model.ref.sha256,
                  "title": model.spec["title"]},
        "data": {"source": cohort.source, "outcome": cohort.outcome, "n": cohort.n,
                 "events": cohort.events, "excluded": cohort.excluded,
                 "excluded_examples": list(cohort.examples), "lacking": cohort.lacking(),
                 "fingerprint": cohort.fingerprint()},
        "overall": _figures(cohort.y, p, lp),
        "subgroups": {kind: _subgroups(cohort.y, p, lp, labels, min_events)
                      for kind, labels in _labels(cohort).items()},
        "warnings": _warnings(cohort),
        "methods": METHODS_TEXT,
    }


def _figures(y: np.ndarray, p: np.ndarray, lp: np.ndarray) -> dict[str, Any]:
    return {**performance(y, p, lp), "deciles": deciles(y, p),
            "smoothed": smoothed_curve(y, p), "decision_curve": decision_curve(y, p)}


def _labels(cohort: Cohort) -> dict[str, np.ndarray]:
    histology = np.array([v or "missing" for v in cohort.table["histology"]], dtype=object)
    stage = np.array([_stage_group(v) for v in cohort.table["stage"]], dtype=object)
    return {"histology": histology, "stage": stage}


def _stage_group(stage: str | None) -> str:
    match = re.match(r"^(III|II|I)", stage or "")
    return match[1] if match else "missing"


def _subgroups(y, p, lp, labels: np.ndarray, min_events: int) -> list[dict[str, Any]]:
    found = []
    for value in sorted(set(labels)):
        inside = labels == value
        events, n = int(y[inside].sum()), int(inside.sum())
        entry: dict[str, Any] = {"value": value, "n": n, "events": events}
        if min(events, n - events) < min_events:
            entry["skipped"] = (f"too small: {events} events and {n - events} non-events; "
                                f"figures need at least {min_events} of each")
        else:
            entry.update(_figures(y[inside], p[inside], lp[inside]))
        found.append(entry)
    return found


def _warnings(cohort: Cohort) -> list[str]:
    found = [SYNTHETIC_BANNER] if cohort.synthetic else []
    if min(cohort.events, cohort.n - cohort.events) < VALIDATION_EVENTS:
        found.append(f"Only {cohort.rarer()} (the rarer outcome): external validation "
                     f"needs at least {VALIDATION_EVENTS} events and {VALIDATION_EVENTS} "
                     "non-events for stable figures (Vergouwe Y et al., J Clin Epidemiol "
                     "2005;58:475-83; Collins GS et al., Stat Med 2016;35:214-26). "
                     "Read the intervals.")
    return found


def write_report(report: dict[str, Any], directory: str | Path, figures: bool = True) -> Path:
    """Write report.json, report.html and the PNG figures into ``directory``; return the HTML."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    images = _draw(report, directory) if figures else {}
    report = {**report, "figures": images}
    (directory / "report.json").write_text(
        json.dumps(report, indent=2, allow_nan=False), "utf-8")
    target = directory / "report.html"
    target.write_text(render_html(report), "utf-8")
    return target


def render_html(report: dict[str, Any]) -> str:
    """The report as one HTML page, from the package's Jinja2 template (autoescaped)."""
    from jinja2 import Environment, PackageLoader

    environment = Environment(loader=PackageLoader("riskmodel.research", "templates"),
                              autoescape=True, keep_trailing_newline=True)
    environment.globals.update(figure_key=figure_key, estimate=estimate_text, number=number)
    return environment.get_template("report.html.j2").render(report=report)


def _draw(report: dict[str, Any], directory: Path) -> dict[str, dict[str, str]]:
    from .figures import calibration_figure, decision_figure

    banner = "SYNTHETIC DATA" if report["synthetic"] else ""
    panels = [("overall", "All rows", report["overall"])]
    for kind, entries in report["subgroups"].items():
        panels += [(figure_key(kind, e["value"]), f"{kind.title()}: {e['value']}", e)
                   for e in entries if "skipped" not in e]
    images = {}
    for key, title, figures in panels:
        images[key] = {
            "calibration": calibration_figure(figures, title, banner,
                                              directory / f"calibration-{key}.png").name,
            "decision_curve": decision_figure(figures, title, banner,
                                              directory / f"decision-{key}.png").name}
    return images


def number(value: float, digits: int = 3) -> str:
    """A number with a true minus sign (U+2212), never read as a dash or a range."""
    return f"{value:.{digits}f}".replace("-", "\u2212")


def estimate_text(entry: dict[str, Any], key: str = "estimate") -> str:
    """An estimate with its interval in words: "0.512 (minus 0.954 to 1.610)", minus as U+2212.

    Examples
    --------
    >>> estimate_text({"estimate": 0.5, "low": -0.954, "high": 1.61}) == (
    ...     "0.500 (\N{MINUS SIGN}0.954 to 1.610)")
    True
    >>> estimate_text({"estimate": None, "reason": "no events"})
    'no events'
    """
    value = entry.get(key)
    if value is None:
        return str(entry.get("reason", "not available"))
    if entry.get("low") is None:
        return number(value)
    return f"{number(value)} ({number(entry['low'])} to {number(entry['high'])})"


def figure_key(kind: str, value: str) -> str:
    """The name of a subgroup's figures: ``stage-iii``, ``histology-adenocarcinoma``."""
    slug = re.sub(r"[^A-Za-z0-9]+", "-", str(value)).strip("-").lower() or "value"
    return f"{kind}-{slug}"
