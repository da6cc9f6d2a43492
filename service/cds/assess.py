"""One CDS Hooks call answered: read the prefetched data, score, and build the card.

No card at all (``{"cards": []}``) when there is nothing to act on, as the CDS Hooks guidance
asks: the patient has no primary lung-cancer Condition (the hook fires for every chart), or the
disease is already metastatic (stage IV, M1: the question is answered). Impossible lab values
are set aside as missing (with a note); contradictory data (a stage that contradicts T and N)
give an info card saying the model does not apply, since the record needs correcting.

Alerts (hypercalcaemia) come only from results recent enough to act on
(``BMRISK_CDS_ALERT_MAX_AGE_DAYS``); an older value still feeds the risk, and its age is on the
card's summary line.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import riskmodel
from riskmodel import InvalidInputError, Model, Quantity, Result
from service.fhir import dates as fhir_dates
from service.fhir import inputs as fhir_input
from service.fhir import output as fhir_output
from service.fhir.inputs import patient_of
from service.fhir.reading import Reading
from service.request_context import new_id
from service.summary import label_of, short_name, summarise

from . import cards


class WrongPatient(ValueError):
    """The prefetched Patient is not the patient of the call's context."""


@dataclass(frozen=True)
class Answer:
    """The response body, what happened (for the log), and the model and result if scored."""

    body: dict[str, Any]
    outcome: str
    model: Model | None = None
    result: Result | None = None


def answer(call: Mapping[str, Any], data: Mapping[str, Any], model: Model,
           config: Mapping[str, Any], links: cards.Links) -> Answer:
    """The cards for one patient-view call, given the data of every prefetch key."""
    context = call["context"]
    reading = read_prefetch(data, context["patientId"], config)
    if reading.condition is None:
        return Answer({"cards": []}, "no_lung_cancer")
    card_id = new_id()
    try:
        engine_patient = patient_of(reading)
    except InvalidInputError as exc:
        if _only_out_of_scope(exc):
            return Answer({"cards": []}, "out_of_scope")
        card = cards.not_applicable_card(exc.problems, model, reading, card_id=card_id,
                                         links=links)
        return Answer({"cards": [card]}, "not_applicable")
    scored = riskmodel.score(engine_patient, model)
    result, withheld = _recent_alerts(scored, reading, config["CDS_ALERT_MAX_AGE_DAYS"])
    summary = summarise(result, model, [n.message for n in reading.notes] + withheld,
                        _ages(reading, {a.field for a in scored.alerts} - {
                            a.field for a in result.alerts}, config["CDS_MAX_AGE_DAYS"]))
    resource = fhir_output.risk_assessment(
        result, model, summary, score_id=card_id, subject={"reference": reading.subject},
        occurred=fhir_dates.now(), basis=reading.basis(), condition=reading.condition,
        encounter=context.get("encounterId"))
    card = cards.risk_card(result, model, summary, reading, card_id=card_id,
                           suggestion_id=new_id(), resource=resource, links=links)
    return Answer({"cards": [card]}, "card", model, result)


def _only_out_of_scope(error: InvalidInputError) -> bool:
    """Whether every problem is stage IV or M1 (metastatic disease: nothing to act on)."""
    messages = [m for ms in error.problems.values() for m in ms]
    return bool(messages) and all(getattr(m, "code", None) == "out_of_scope" for m in messages)


def _recent_alerts(result: Result, reading: Reading, days: int) -> tuple[Result, list[str]]:
    """``result`` without the alerts whose value is older than ``days``, and a note for each:
    a six-month-old calcium says nothing about the hypercalcaemia of today."""
    now, kept, withheld = fhir_dates.now(), [], []
    for alert in result.alerts:
        used = reading.used.get(alert.field or "")
        age = _age(used.when, now) if used is not None else None
        if age is None or age <= days:
            kept.append(alert)
        else:
            withheld.append(f"{label_of(used.name)} is from {fhir_dates.day(used.when)}, {age} "
                            f"days ago: too old for the {alert.code} alert (results older than "
                            f"{days} days raise none); repeat it if the question matters")
    return (replace(result, alerts=tuple(kept)) if withheld else result), withheld


def _ages(reading: Reading, withheld: set[str | None], max_age: int) -> list[str]:
    """'calcium 212 days old' for each lab whose alert was withheld or that is past the age
    limit, for the summary line: a clinician sees the value is old before opening the card."""
    now, found = fhir_dates.now(), []
    for used in reading.used.values():
        age = _age(used.when, now) if isinstance(used.value, Quantity) else None
        if age is not None and (age > max_age or used.name in withheld):
            found.append(f"{short_name(used.name)} {age} days old")
    return found


def _age(when: datetime | None, now: datetime) -> int | None:
    return None if when is None else (now - when).days


def read_prefetch(data: Mapping[str, Any], patient_id: str,
                  config: Mapping[str, Any]) -> Reading:
    """Every input in the prefetched data of one patient (the Patient itself is only checked)."""
    patient = data.get("patient")
    if isinstance(patient, dict) and patient.get("id") not in (None, patient_id):
        raise WrongPatient("prefetch 'patient' is not the patient named by context.patientId")
    reading = Reading()
    resources = [r for key, value in data.items() if key != "patient"
                 for r in fhir_input.unpack(value, key, reading)]
    return fhir_input.read(resources, fhir_input.options_from(patient_id, config), reading)
