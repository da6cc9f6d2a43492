"""Explain one patient's score: every term, the interval, what was missing, warnings, alerts."""

from __future__ import annotations

import numpy as np
from scipy.special import expit

from .features import BY_NAME, QUANTITIES
from .inputs import Patient, canonical_table, raw_table
from .model import Design, Model, Scores
from .result import Interval, MissingInput, Notice, Range, Result, TermResult
from .staging import derive_stage, describe


def assess(model: Model, patient: Patient) -> Result:
    """Score one patient with ``model`` and explain the result (the batch path, one row)."""
    raw = raw_table([patient])
    design, scores = model.score_table(canonical_table(raw))
    p = float(scores.probability[0])
    missing_range = None
    if not np.isnan(scores.missing_low[0]):
        missing_range = Range(float(scores.missing_low[0]), float(scores.missing_high[0]))
    return Result(
        probability=p, logit=float(scores.logit[0]),
        percent=round(100 * p, 1), per_100=int(round(100 * p)), band=model.band(p),
        interval=Interval(model.level, float(scores.low[0]), float(scores.high[0])),
        missing_range=missing_range,
        terms=tuple(_term(model, design, scores, patient, j) for j in range(len(model.terms))),
        missing=_missing(model, design, scores, patient),
        warnings=_warnings(model, design, patient),
        alerts=_alerts(model, design),
        model=model.ref,
        stage_derived=describe(derive_stage(patient.t_category, patient.n_category)) or None,
    )


def _term(model: Model, design: Design, scores: Scores, patient: Patient, j: int) -> TermResult:
    term = model.terms[j]
    x = design.X[0, j]
    not_used = bool(design.not_used[0, j])
    missing = bool(np.isnan(x))
    if term.kind == "binary":
        value, unit = getattr(patient, term.input), None
        fired = None if missing else bool(x > 0)
    else:
        used = float(design.values[term.input][0])
        value = None if missing else (min(used, term.cap) if term.cap is not None else used)
        unit = term.unit
        limit = term.elevated_above if term.kind == "linear" else term.threshold
        fired = None if missing else bool(value > limit)
    status = "not_used" if not_used else "missing" if missing else (
        "fired" if fired else "not_fired")
    without = design.X[:1].copy()
    without[0, j] = 0.0
    risk_without = float(scores.probability[0]) if not_used else float(
        model.score_design(without).probability[0])
    return TermResult(
        name=term.name, label=term.label, status=status, fired=fired, value=value, unit=unit,
        beta=term.beta, se=term.se, contribution=float(scores.contributions[0, j]),
        risk_without=risk_without, grade=term.grade, citation=term.citation,
        note=_term_note(model, design, term, status),
    )


def _term_note(model: Model, design: Design, term, status: str) -> str:
    notes = []
    if status == "not_used":
        notes.append("not used: T and N are known (they carry the anatomic extent), or the "
                     "stage is unknown (T and N are then marginalised)")
    if status == "missing":
        notes.append(f"missing: marginalised over the reference ({_reference_text(term)})")
    if term.input == "calcium" and not np.isnan(design.values["albumin"][0]) and status != "missing":
        notes.append("calcium corrected for albumin (Payne)")
    if term.caveat:
        notes.append(term.caveat)
    return " ".join(notes)


def _reference_text(term) -> str:
    ref = term.reference
    if "prevalence" in ref:
        return f"prevalence {ref['prevalence']:g}, {ref['basis']}"
    values = ", ".join(f"{d['value']:g}" for d in ref["distribution"])
    return f"value {values} {term.unit}, {ref['basis']}"


def _missing(model: Model, design: Design, scores: Scores, patient: Patient):
    row = design.X[0]
    idx = [j for j in range(len(row)) if np.isnan(row[j])]
    if not idx:
        return ()
    eta_low = float(np.log(scores.missing_low[0] / (1 - scores.missing_low[0])))
    eta_high = float(np.log(scores.missing_high[0] / (1 - scores.missing_high[0])))
    width = expit(eta_high) - expit(eta_low)
    found = []
    for j in idx:
        term = model.terms[j]
        lo, hi = (term.beta * v for v in term.span())
        span = abs(hi - lo)
        remaining = max(expit(eta_high - span) - expit(eta_low),
                        expit(eta_high) - expit(eta_low + span))
        found.append(MissingInput(
            name=term.input, terms=(term.name,),
            handling=f"marginalised over the reference ({_reference_text(term)})",
            narrowing=float(width - remaining)))
    return tuple(sorted(found, key=lambda m: -m.narrowing))


def _warnings(model: Model, design: Design, patient: Patient) -> tuple[Notice, ...]:
    found = []
    for feature in QUANTITIES:
        q = getattr(patient, feature.name)
        value = design.values[feature.name][0] if feature.name != "calcium" else None
        if q is None:
            continue
        canonical = q.value * _factor(feature.name, q.unit)
        low, high = feature.usual
        if not low <= canonical <= high:
            found.append(Notice("outside_usual_range", feature.name,
                                f"{feature.label} {q.value:g} {q.unit} is outside the usual "
                                f"range ({feature.usual_basis}); check the value and unit"))
        del value
    if patient.calcium is not None and patient.albumin is None:
        found.append(Notice("calcium_uncorrected", "albumin",
                            "Albumin is missing: calcium was used without albumin correction"))
    if patient.albumin is not None and patient.calcium is None:
        found.append(Notice("albumin_unused", "albumin",
                            "Albumin is used only to correct calcium, and calcium is missing"))
    for term in model.terms:
        if term.cap is None or np.isnan(design.values[term.input][0]):
            continue
        if design.values[term.input][0] > term.cap:
            found.append(Notice("value_capped", term.input,
                                f"{term.label} above {term.cap:g} {term.unit} counts as "
                                f"{term.cap:g} {term.unit} (cap of the model)"))
    return tuple(found)


def _factor(name: str, unit: str) -> float:
    from .units import FACTORS
    return FACTORS[name][unit]


def _alerts(model: Model, design: Design) -> tuple[Notice, ...]:
    found = []
    for alert in model.spec.get("alerts", ()):
        value = design.values[alert["input"]][0]
        if not np.isnan(value) and value >= alert["at_or_above"]:
            label = BY_NAME[alert["input"]].label
            found.append(Notice(alert["code"], alert["input"],
                                f"{alert['message']} ({label} used: {value:.2f} {alert['unit']})"))
    return tuple(found)
