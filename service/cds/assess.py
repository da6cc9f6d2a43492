"""One CDS Hooks call answered: read the prefetched data, score, and build the card.

No card at all (``{"cards": []}``) when the patient has no primary lung-cancer Condition: the
patient-view hook fires for every chart, and this advice concerns lung cancer only. Impossible
lab values are set aside as missing (with a note); out-of-scope or contradictory data (stage IV,
M1, a stage that contradicts T and N) give an info card saying the model does not apply.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import riskmodel
from riskmodel import InvalidInputError, Model, Result
from service.fhir import dates as fhir_dates
from service.fhir import inputs as fhir_input
from service.fhir import output as fhir_output
from service.fhir.inputs import patient_of
from service.fhir.reading import Reading
from service.summary import summarise

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
    card_id = str(uuid.uuid4())
    try:
        engine_patient = patient_of(reading)
    except InvalidInputError as exc:
        card = cards.not_applicable_card(exc.problems, model, reading, card_id=card_id,
                                         links=links)
        return Answer({"cards": [card]}, "not_applicable")
    result = riskmodel.score(engine_patient, model)
    summary = summarise(result, model, [n.message for n in reading.notes])
    resource = fhir_output.risk_assessment(
        result, model, summary, score_id=card_id, subject={"reference": reading.subject},
        occurred=fhir_dates.now(), basis=reading.basis(), condition=reading.condition,
        encounter=context.get("encounterId"))
    card = cards.risk_card(result, model, summary, reading, card_id=card_id,
                           suggestion_id=str(uuid.uuid4()), resource=resource, links=links)
    return Answer({"cards": [card]}, "card", model, result)


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
