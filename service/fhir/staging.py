"""Staging, histology and BSP from FHIR: TNM and stage Observations, the lung-cancer Condition.

Values are read from SNOMED CT or AJCC codes first, then from the codings' display and the text
('cT4', '3C', 'Stage IIIC'); codings that disagree leave the input missing with a note. Histology
comes from the primary lung-cancer Condition: its code, or mCODE's histology extension.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from service.summary import label_of

from . import codes, dates
from .reading import Reading, Used, latest, reference

_UNDATED = datetime.min.replace(tzinfo=UTC)
_NOT_A_DIAGNOSIS = ("entered-in-error", "refuted")


def read_staging(observations: codes.Coded, condition: dict | None, reading: Reading) -> None:
    """T, N, M and stage group from staging Observations (stage also from the Condition)."""
    for name, wanted in codes.STAGING_CODES.items():
        obs = latest(observations.having(wanted), name, reading)
        if obs is None:
            continue
        value = _value_of(name, obs.get("valueCodeableConcept"), obs.get("valueString"), reading)
        if value is not None:
            reading.used[name] = Used(name, value, value, dates.effective(obs), reference(obs))
    if "stage" not in reading.used and condition is not None:
        _stage_from_condition(condition, reading)


def _stage_from_condition(condition: dict, reading: Reading) -> None:
    for stage in codes.items(condition.get("stage")):
        summary = stage.get("summary")
        value = _value_of("stage", summary, None, reading) if summary else None
        if value is not None:
            reading.used["stage"] = Used("stage", value, value, dates.recorded(condition),
                                         reference(condition))
            reading.note("stage_from_condition", "stage", "Stage group taken from the "
                         "lung-cancer Condition's stage summary (no staging Observation)")
            return


def _value_of(name: str, concept: Any, text: Any, reading: Reading) -> str | None:
    """The category of a CodeableConcept (codes, then display and text) or a string."""
    codings = codes.codings(concept)
    coded = {codes.coded_value(name, c["system"], c["code"]) for c in codings} - {None}
    if len(coded) > 1:
        reading.note("conflict", name, f"{label_of(name)} codings disagree "
                                       f"({', '.join(sorted(coded))}): treated as missing")
        return None
    if coded:
        return coded.pop()
    for candidate in [c["display"] for c in codings] + [codes.concept_text(concept), text]:
        value = codes.text_value(name, candidate)
        if value is not None:
            return value
    shown = codes.concept_text(concept) or text or next((c["code"] for c in codings), None)
    reading.note("unreadable", name, f"{label_of(name)} value {str(shown)[:40]!r} could not "
                                     "be read: treated as missing")
    return None


def read_histology(conditions: Sequence[dict], reading: Reading) -> dict | None:
    """Histology from the most recent primary lung-cancer Condition; returns that Condition."""
    lung = [c for c in conditions if _is_lung(c) and _verification(c) not in _NOT_A_DIAGNOSIS]
    if not lung:
        if conditions:
            reading.note("no_lung_condition", "histology", f"None of the {len(conditions)} "
                         "Conditions is a primary lung cancer: histology is missing")
        return None
    chosen = max(lung, key=lambda c: dates.recorded(c) or _UNDATED)
    if len(lung) > 1:
        reading.note("several_conditions", "histology", f"{len(lung)} lung-cancer Conditions: "
                     f"the most recent ({dates.day(dates.recorded(chosen))}) is used")
    reading.condition = reference(chosen)
    histology = _histology(chosen, reading)
    if histology is not None:
        reading.used["histology"] = Used("histology", histology, histology.replace("_", " "),
                                         dates.recorded(chosen), reference(chosen))
    return chosen


def _is_lung(condition: dict) -> bool:
    if any(codes.is_lung_code(c) for c in codes.codings(condition.get("code"))):
        return True
    return any(codes.concept_matches(site, ((codes.SNOMED, codes.LUNG_STRUCTURE),))
               for site in codes.items(condition.get("bodySite")))


def _verification(condition: dict) -> str | None:
    found = codes.codings(condition.get("verificationStatus"))
    return found[0]["code"] if found else None


def _histology(condition: dict, reading: Reading) -> str | None:
    by_code = {codes.LUNG_DISORDERS.get(c["code"] or "") for c in
               codes.codings(condition.get("code")) if c["system"] == codes.SNOMED} - {None}
    by_morphology = {codes.morphology(c["system"], c["code"])
                     for c in _morphology_codings(condition)} - {None}
    specific = by_code - {"nsclc_nos"}
    found = by_morphology or by_code
    if len(found) > 1 or (by_morphology and specific and specific != by_morphology):
        reading.note("conflict", "histology", "The lung-cancer Condition's histology codes "
                     f"disagree ({', '.join(sorted(by_code | by_morphology))}): treated as "
                     "missing")
        return None
    if not found:
        reading.note("unreadable", "histology", "The lung-cancer Condition has no histology "
                     "code this service reads: histology is missing")
        return None
    return found.pop()


def _morphology_codings(condition: dict) -> list[dict]:
    return [c for extension in codes.items(condition.get("extension"))
            if extension.get("url") == codes.HISTOLOGY_EXTENSION
            for c in codes.codings(extension.get("valueCodeableConcept"))]


def read_bsp(observations: codes.Coded, bsp_code: codes.Code | None,
             reading: Reading) -> None:
    """BSP from Observations with the locally configured code (none configured: not read)."""
    if bsp_code is None:
        return
    obs = latest(observations.having((bsp_code,)), "bsp", reading)
    if obs is None:
        return
    value = _bsp_value(obs)
    if value is None:
        reading.note("unreadable", "bsp", "The BSP result could not be read as positive or "
                                          "negative: treated as missing")
        return
    reading.used["bsp"] = Used("bsp", value, value, dates.effective(obs), reference(obs))


def _bsp_value(obs: dict) -> str | None:
    concept = obs.get("valueCodeableConcept")
    parts = [concept, *codes.items(obs.get("interpretation"))]
    for coding in (c for part in parts for c in codes.codings(part)):
        value = codes.bsp_result(coding["system"], coding["code"], coding["display"])
        if value is not None:
            return value
    if isinstance(obs.get("valueBoolean"), bool):
        return "positive" if obs["valueBoolean"] else "negative"
    text = codes.concept_text(concept) or obs.get("valueString")
    return codes.bsp_result(None, None, text if isinstance(text, str) else None)
