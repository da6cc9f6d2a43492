"""FHIR resources in, model inputs out: which resource gives each input, and notes on the data.

Pure functions over parsed JSON (no Flask). Labs: matched by system and code, the latest usable
result by effective date, units read as UCUM (code first, then unit text); an unknown unit leaves
the input missing with a note naming the unit, never guessed. A lab older than the configured age
is used, with a note. Staging, histology and BSP are read in ``fhir_staging``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import timedelta
from typing import Any

from riskmodel import InvalidInputError, Patient, Quantity
from riskmodel.features import BY_NAME, QUANTITIES
from riskmodel.inputs import is_number
from service.summary import label_of

from . import codes, dates
from .reading import (
    MAX_AGE_DAYS,
    Options,
    Reading,
    Used,
    dedupe,
    latest,
    reference,
    same_patient,
)
from .staging import read_bsp, read_histology, read_staging

__all__ = ["Options", "Reading", "options_from", "outcome_texts", "patient_of", "read",
           "unpack"]
_LABS = frozenset(f.name for f in QUANTITIES)


def unpack(value: Any, label: str, reading: Reading) -> list[dict[str, Any]]:
    """The resources in a resource or Bundle; OperationOutcomes become notes about ``label``."""
    if not isinstance(value, dict):
        return []
    if value.get("resourceType") == "Bundle":
        entries = codes.items(value.get("entry"))
        resources = [e["resource"] for e in entries if isinstance(e.get("resource"), dict)]
    else:
        resources = [value]
    for outcome in (r for r in resources if r.get("resourceType") == "OperationOutcome"):
        for text in outcome_texts(outcome):
            reading.note("ehr_outcome", None, f"The EHR reported for {label}: {text}")
    return [r for r in resources if r.get("resourceType") != "OperationOutcome"]


def outcome_texts(outcome: dict[str, Any]) -> list[str]:
    """Each issue of an OperationOutcome as '<severity>: <text>'."""
    texts = []
    for issue in codes.items(outcome.get("issue")):
        text = (codes.concept_text(issue.get("details")) or _text(issue.get("diagnostics"))
                or _text(issue.get("code")) or "no details")
        texts.append(f"{_text(issue.get('severity')) or 'issue'}: {text}")
    return texts


def read(resources: Iterable[Any], options: Options, reading: Reading | None = None) -> Reading:
    """Read every model input from ``resources`` (Observations, Conditions, a Patient)."""
    reading = reading or Reading()
    if options.patient_id:
        reading.subject = f"Patient/{options.patient_id}"
    pool = [r for r in dedupe(resources) if same_patient(r, options.patient_id, reading)]
    observations = [r for r in pool if r.get("resourceType") == "Observation"]
    conditions = [r for r in pool if r.get("resourceType") == "Condition"]
    coded = codes.Coded(observations)
    chosen: dict[str, dict[str, Any]] = {}
    for name, wanted in codes.LAB_CODES.items():
        obs = latest(coded.having(wanted), name, reading)
        if obs is not None:
            chosen[name] = obs
            _read_lab(name, obs, reading)
    _apply_corrected_calcium(chosen.get("calcium"), reading)
    _note_stale_labs(reading, options)
    condition = read_histology(conditions, reading)
    read_staging(coded, condition, reading)
    read_bsp(coded, options.bsp_code, reading)
    return reading


def _read_lab(name: str, obs: dict[str, Any], reading: Reading) -> None:
    label, when = label_of(name), dates.effective(obs)
    quantity = obs.get("valueQuantity")
    if not isinstance(quantity, dict) or not is_number(quantity.get("value")):
        reading.note("no_value", name, f"{label} result of {dates.day(when)} has no numeric "
                                       "value: treated as missing")
        return
    written, unit, value = codes.unit_text(quantity), codes.ucum_unit(name, quantity), \
        quantity["value"]
    if quantity.get("comparator") is not None:
        reading.note("bound", name, f"{label} is reported as {_text(quantity['comparator'])}"
                                    f"{value:g} {written or ''}: a bound, not a value; treated "
                                    "as missing")
    elif unit is None:
        reading.note("unknown_unit", name, f"{label} unit {written or '(none)'!r} is not known "
                     f"(accepted: {', '.join(BY_NAME[name].units)}): treated as missing")
    else:
        reading.used[name] = Used(name, Quantity(float(value), unit), f"{value:g} {unit}",
                                  when, reference(obs))


def _apply_corrected_calcium(obs: dict[str, Any] | None, reading: Reading) -> None:
    """A lab-corrected calcium (LOINC 29265-6) must not be corrected for albumin again."""
    if obs is None or "calcium" not in reading.used or not codes.concept_matches(
            obs.get("code"), (codes.CORRECTED_CALCIUM,)):
        return
    reading.used.pop("albumin", None)
    reading.note("corrected_calcium", "calcium", "Calcium is already corrected for albumin by "
                                                 "the laboratory: albumin is not applied again")


def _note_stale_labs(reading: Reading, options: Options) -> None:
    limit = options.now - timedelta(days=options.max_age_days)
    for used in reading.used.values():
        if used.when is not None and used.when < limit:
            age = (options.now - used.when).days
            reading.note("stale", used.name, f"{label_of(used.name)} is from "
                         f"{dates.day(used.when)}, {age} days ago (older than "
                         f"{options.max_age_days} days): used; check it is still current")


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def options_from(patient_id: str | None, config: Mapping[str, Any]) -> Options:
    """Reading options from the app's configuration."""
    return Options(patient_id=patient_id, now=dates.now(),
                   max_age_days=config.get("CDS_MAX_AGE_DAYS", MAX_AGE_DAYS),
                   bsp_code=config.get("BSP_CODE"))


def patient_of(reading: Reading) -> Patient:
    """The engine's patient; impossible lab values are dropped (noted) and the rest kept."""
    try:
        return reading.patient()
    except InvalidInputError as exc:
        labs = {path.split(".")[0] for path in exc.problems} & _LABS
        other = [p for p in exc.problems if p.split(".")[0] not in _LABS]
        if not labs or other:
            raise
        for name in sorted(labs):
            message = "; ".join(m for p, ms in exc.problems.items()
                                if p.split(".")[0] == name for m in ms)
            reading.used.pop(name)
            reading.note("impossible", name, f"{label_of(name)}: {message}: treated as missing")
        return reading.patient()
