"""Explain scores: every term, the interval, what was missing, warnings and alerts.

One patient is scored on Python floats (``one_row``: the same IEEE operations in the same order,
so the same bits; tests/riskmodel/test_one_row.py checks it with hypothesis) and explained by
the same code as a batch, so the two cannot disagree.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple
from weakref import WeakKeyDictionary

import numpy as np
from scipy.special import expit

from .features import BY_NAME, QUANTITIES
from .inputs import Patient, canonical_table, raw_table
from .model import Design, Model, Scores
from .one_row import score_one
from .result import Interval, MissingInput, Notice, Range, Result, TermNote, TermResult
from .staging import derive_stage, describe
from .units import FACTORS


def assess(model: Model, patient: Patient) -> Result:
    """Score one patient with ``model`` and explain the result: scored on Python floats
    (``one_row``, the same bits as the vectorised path), explained as a batch of one row."""
    one = score_one(model, patient)
    if one is None:
        return assess_many(model, [patient])[0]
    x = np.array([one.x])
    narrowing = (_narrowing(model, x, np.array([one.missing_low]),
                            np.array([one.missing_high])).tolist()
                 if one.missing_low == one.missing_low else [[math.nan] * len(one.x)])
    rows = _Rows(
        values={f.name: [one.values[f.name]] for f in QUANTITIES}, narrowing=narrowing,
        probability=[one.probability], logit=[one.logit], low=[one.low], high=[one.high],
        param_low=[one.param_low], param_high=[one.param_high],
        missing_low=[one.missing_low], missing_high=[one.missing_high])
    columns = _Columns([[v] for v in one.x], [[u] for u in one.not_used],
                       [[c] for c in one.contributions], [[w] for w in one.without])
    return _explained(model, rows, columns, [patient])[0]


def assess_many(model: Model, patients: Sequence[Patient]) -> list[Result]:
    """Score and explain many patients at once (vectorised over rows)."""
    if not patients:
        return []
    design = model.design(canonical_table(raw_table(patients)))
    scores = model.score_design(design.X, design.group)
    without = _risks_without(model, design, scores)
    rows = _Rows.of(design, scores, _narrowing(model, design.X, scores.missing_low,
                                                 scores.missing_high))
    # One conversion per array (a single patient would pay for 32 small ones otherwise).
    columns = _Columns(design.X.T.tolist(), design.not_used.T.tolist(),
                       scores.contributions.T.tolist(), without.T.tolist())
    return _explained(model, rows, columns, patients)


def _explained(model: Model, rows: _Rows, columns: _Columns,
               patients: Sequence[Patient]) -> list[Result]:
    terms = _terms(model, columns, rows.values, patients)
    return [_result(model, rows, patient, i, terms[i]) for i, patient in enumerate(patients)]


@dataclass(frozen=True, slots=True)
class _Rows:
    """The outputs of scored rows as Python lists: per-row access without numpy scalars."""

    values: dict[str, list[float]]  # numeric inputs used, canonical units
    narrowing: list[list[float]]
    probability: list[float]
    logit: list[float]
    low: list[float]
    high: list[float]
    param_low: list[float]
    param_high: list[float]
    missing_low: list[float]
    missing_high: list[float]

    @classmethod
    def of(cls, design: Design, scores: Scores, narrowing: np.ndarray) -> _Rows:
        return cls(
            values={k: np.asarray(v, dtype=float).tolist() for k, v in design.values.items()
                    if np.asarray(v).dtype.kind == "f"},
            narrowing=narrowing.tolist(), probability=scores.probability.tolist(),
            logit=scores.logit.tolist(), low=scores.low.tolist(), high=scores.high.tolist(),
            param_low=scores.param_low.tolist(), param_high=scores.param_high.tolist(),
            missing_low=scores.missing_low.tolist(), missing_high=scores.missing_high.tolist())


class _Columns(NamedTuple):
    """Per term (column), the rows' x, not-used flags, contributions and risks without it."""

    x: list[list[float]]
    not_used: list[list[bool]]
    contributions: list[list[float]]
    without: list[list[float]]


def _risks_without(model: Model, design: Design, scores: Scores) -> np.ndarray:
    """(n, k): the risk if each term alone were absent (x = 0), others as they are.

    The k variants of every row are scored in one call.
    """
    n, k = design.X.shape
    variants = np.repeat(design.X[None, :, :], k, axis=0)  # (k, n, k)
    variants[np.arange(k), :, np.arange(k)] = 0.0
    group = None if design.group is None else np.tile(design.group, k)
    # Only the risk is used: the quantile interval of rows with a missing value is skipped.
    out = model.score_design(variants.reshape(k * n, k), group,
                             interval=False).probability.reshape(k, n).T
    return np.where(design.not_used, scores.probability[:, None], out)


def _result(model: Model, rows: _Rows, patient: Patient, i: int,
            terms: tuple[TermResult, ...]) -> Result:
    p = rows.probability[i]
    missing = _missing(model, rows.narrowing[i])
    missing_range = None
    if missing and rows.missing_low[i] == rows.missing_low[i]:
        # A research input not tested sits at its reference mean in the range: keep the
        # marginal risk (the mean over its values) inside it.
        missing_range = Range(min(rows.missing_low[i], p), max(rows.missing_high[i], p))
    return Result(
        probability=p, logit=rows.logit[i],
        percent=round(100 * p, 1), per_100=round(100 * p), band=model.band(p),
        interval=Interval(model.level, rows.low[i], rows.high[i]),
        parameter_interval=Interval(model.level, rows.param_low[i], rows.param_high[i]),
        missing_range=missing_range,
        terms=terms,
        missing=missing,
        not_tested=tuple(dict.fromkeys(t.input for j, t in enumerate(model.terms)
                                       if model.is_research(t.input)
                                       and rows.narrowing[i][j] == rows.narrowing[i][j])),
        warnings=_warnings(model, rows, patient, i),
        alerts=_alerts(model, rows, i),
        model=model.ref,
        stage_derived=describe(derive_stage(patient.t_category, patient.n_category)) or None,
    )


def _terms(model: Model, columns: _Columns, values: dict[str, list[float]],
           patients: Sequence[Patient]) -> list[tuple[TermResult, ...]]:
    """Every row's terms, a row at a time (``_term``), so that a single patient builds each of
    its terms at once. ``values`` holds the numeric inputs used, as lists (``_Rows.values``)."""
    notes = _notes(model)
    xs, not_used, contributions, withouts = columns
    terms = tuple(enumerate(model.terms))
    raws = [values.get(term.input) for term in model.terms]
    albumin = values["albumin"]
    return [tuple([_term(model, term, j, xs[j][i], not_used[j][i], contributions[j][i],
                         withouts[j][i], None if raws[j] is None else raws[j][i],
                         albumin[i] == albumin[i], patient, notes)
                   for j, term in terms])
            for i, patient in enumerate(patients)]


def _term(model: Model, term, j: int, x: float, not_used: bool, contribution: float,
          without: float, raw: float | None, albumin_known: bool, patient: Patient,
          notes: dict) -> TermResult:
    """One term of one row: ``x`` as scored (NaN when missing), ``raw`` the numeric input used
    (canonical units; None for a binary or staging term)."""
    given = getattr(patient, term.input)
    missing = x != x
    if term.kind in ("binary", "staging"):
        used, unit = given, None
        fired = None if missing else x > 0
    else:
        unit = term.unit
        limit = term.threshold if term.kind == "threshold" else term.elevated_above
        used = None if missing else _clipped(term, raw)
        fired = None if used is None else limit is not None and raw > limit
    status = ("not_used" if not_used else "missing" if missing else "fired" if fired
              else "not_fired")
    key = (j, status, albumin_known, status == "not_used" and given is None,
           given if term.value_notes else None)
    note = notes.get(key)
    if note is None:
        note = notes[key] = _term_note(term, status, albumin_known, patient,
                                       model.is_research(term.input))
    return _term_result((term.name, term.label, status, fired, used, unit, term.beta, term.se,
                         contribution, without, term.grade, term.citation_brief, note))


_term_result = TermResult._make


def _notes(model: Model) -> dict:
    """The model's term notes, by term, status, albumin known and input missing (a few
    dozen in all, so they are written once per model and kept while the model lives)."""
    return _NOTES.setdefault(model, {})


_NOTES: WeakKeyDictionary = WeakKeyDictionary()


def _clipped(term, value: float) -> float:
    """The value a quantity term shows: a continuous term shows the value as measured (a
    warning says when it counts as its floor or cap); a linear term its capped value."""
    if term.kind == "continuous":
        return value
    return value if term.cap is None else min(value, term.cap)


def _term_note(term, status: str, albumin_known: bool, patient: Patient,
               research: bool = False) -> TermNote:
    """The note on a term, with the codes of its parts (``result.NOTE_CODES``); it depends on
    the patient only through ``_terms``'s note key."""
    notes = []
    if status == "not_used":
        notes.append(_not_used_note(term, patient))
    if status == "missing" and term.kind == "staging":
        notes.append(("averaged_tn", "not known exactly: averaged over the (T, N) combinations "
                      "consistent with what is known, weighted by an ASSUMED reference T x N "
                      "distribution (docs/evidence.md#tn-reference)"))
    elif status == "missing":
        why = " (a research test: not counted as missing)" if research else ""
        notes.append(("research_missing" if research else "marginalised",
                      f"missing{why}: marginalised over the reference ({term.reference_text})"))
    if term.input == "calcium" and albumin_known and status != "missing":
        notes.append(("albumin_corrected", "calcium corrected for albumin (Payne)"))
    notes.append(("value_note", term.value_note(getattr(patient, term.input))))
    if term.contradicted or (term.caveat and not term.value_notes and term.kind != "binary"):
        notes.append(("contradicted", "contradictory evidence: see the model card"))
    return TermNote(notes)


def _not_used_note(term, patient: Patient) -> tuple[str, str]:
    """Why a rule set the term aside for this patient: (code, words)."""
    labels = [BY_NAME[name].short_name for name in term.used_only_when_missing]
    if getattr(patient, term.input) is None:
        return ("not_used_unknown", f"not used: {BY_NAME[term.input].short_name.lower()} "
                f"unknown (an unknown {' or '.join(labels)} is marginalised instead)")
    return ("not_used_known",
            f"not used: {' and '.join(labels)} are known (they carry the anatomic extent)")


def _narrowing(model: Model, X: np.ndarray, missing_low: np.ndarray,
               missing_high: np.ndarray) -> np.ndarray:
    """(n, k): how much knowing each missing term would surely narrow the missing range."""
    with np.errstate(divide="ignore", invalid="ignore"):
        eta_low = np.log(missing_low / (1 - missing_low))[:, None]
        eta_high = np.log(missing_high / (1 - missing_high))[:, None]
    spans = np.array([abs(t.beta * (t.span()[1] - t.span()[0])) for t in model.terms])
    width = expit(eta_high) - expit(eta_low)
    remaining = np.maximum(expit(eta_high - spans) - expit(eta_low),
                           expit(eta_high) - expit(eta_low + spans))
    return np.where(np.isnan(X), np.maximum(width - remaining, 0.0), np.nan)


def _missing(model: Model, row: list[float]) -> tuple[MissingInput, ...]:
    found = [MissingInput(term.input, (term.name,), _handling(term), float(row[j]))
             for j, term in enumerate(model.terms)
             if row[j] == row[j] and not model.is_research(term.input)]
    return tuple(sorted(found, key=lambda m: -m.narrowing))


def _handling(term) -> str:
    if term.kind == "staging":
        return ("averaged over the (T, N) combinations consistent with what is known, weighted "
                "by an assumed reference T x N distribution (docs/evidence.md#tn-reference)")
    return f"marginalised over the reference ({term.reference_text})"


def _warnings(model: Model, rows: _Rows, patient: Patient, i: int) -> tuple[Notice, ...]:
    found = []
    for feature in QUANTITIES:
        q = getattr(patient, feature.name)
        if q is None:
            continue
        canonical = q.value * FACTORS[feature.name][q.unit]
        low, high = feature.usual
        if not low <= canonical <= high:
            found.append(Notice("outside_usual_range", feature.name,
                                f"{feature.label} {q.value:g} {q.unit} is outside the usual "
                                f"range ({feature.usual_basis}); check the value and unit"))
    if patient.calcium is not None and patient.albumin is None:
        found.append(Notice("calcium_uncorrected", "albumin",
                            "Albumin is missing: calcium was used without albumin correction"))
    if patient.albumin is not None and patient.calcium is None:
        found.append(Notice("albumin_unused", "albumin",
                            "Albumin is used only to correct calcium, and calcium is missing"))
    for term in model.terms:
        if term.input not in rows.values:
            continue
        value = rows.values[term.input][i]
        if term.cap is not None and value > term.cap:
            found.append(Notice("value_capped", term.input,
                                f"{term.label} above {term.cap:g} {term.unit} counts as "
                                f"{term.cap:g} {term.unit} (cap of the model)"))
        if term.floor is not None and value < term.floor:
            found.append(Notice("value_capped", term.input,
                                f"{term.label} below {term.floor:g} {term.unit} counts as "
                                f"{term.floor:g} {term.unit} (floor of the model)"))
    return tuple(found)


def _alerts(model: Model, rows: _Rows, i: int) -> tuple[Notice, ...]:
    found = []
    for alert in model.spec.get("alerts", ()):
        value = rows.values[alert["input"]][i]
        if value >= alert["at_or_above"]:
            label = BY_NAME[alert["input"]].label
            found.append(Notice(alert["code"], alert["input"],
                                f"{alert['message']} ({label} used: {value:.2f} {alert['unit']})"))
    return tuple(found)
