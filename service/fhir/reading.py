"""What reading FHIR data produces: the inputs used (with their sources) and the data notes.

Also the one rule for choosing among several results: the most recent usable one by its
effective date (final, amended or corrected), never the first in the Bundle.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from riskmodel import Patient
from service.summary import label_of

from . import codes, dates

USABLE = ("final", "amended", "corrected")
SET_ASIDE = ("entered-in-error", "cancelled")
_UNDATED = datetime.min.replace(tzinfo=UTC)


MAX_AGE_DAYS = 90  # default age limit of a lab value, in days (BMRISK_CDS_MAX_AGE_DAYS)


@dataclass(frozen=True)
class Note:
    """Something about the data the clinician should know (shown on the card, never logged)."""

    code: str
    field: str | None
    message: str


@dataclass(frozen=True)
class Used:
    """One input as read: its value, its display text, when it was measured, where from."""

    name: str
    value: Any
    text: str
    when: datetime | None
    reference: str


@dataclass
class Reading:
    """Inputs read from a set of FHIR resources, with their sources and data notes."""

    used: dict[str, Used] = field(default_factory=dict)
    notes: list[Note] = field(default_factory=list)
    subject: str | None = None
    condition: str | None = None

    def values(self) -> dict[str, Any]:
        """The inputs as riskmodel.Patient keyword arguments."""
        return {name: used.value for name, used in self.used.items()}

    def patient(self) -> Patient:
        """The engine's patient (raises riskmodel.InvalidInputError when out of scope)."""
        return Patient(**self.values())

    def basis(self) -> list[Used]:
        """The resources used, each once, in input order."""
        seen: dict[str, Used] = {}
        for used in self.used.values():
            seen.setdefault(used.reference, used)
        return list(seen.values())

    def note(self, code: str, name: str | None, message: str) -> None:
        """Add a data note."""
        self.notes.append(Note(code, name, message))


@dataclass(frozen=True)
class Options:
    """How to read: whose data, when is now, how old a lab may be before a warning, BSP code."""

    patient_id: str | None
    now: datetime
    max_age_days: int = MAX_AGE_DAYS
    bsp_code: codes.Code | None = None


def reference(resource: dict[str, Any]) -> str:
    """A relative reference 'Type/id' to ``resource`` (or its type alone when it has no id)."""
    kind, rid = resource.get("resourceType"), resource.get("id")
    kind = kind if isinstance(kind, str) else "Resource"
    return f"{kind}/{rid}" if isinstance(rid, str) and rid else kind


def latest(found: Sequence[dict[str, Any]], name: str, reading: Reading) -> dict | None:
    """The most recent usable result (final, amended, corrected), noting what was set aside."""
    usable = []
    label = label_of(name)
    for obs in found:
        status = obs.get("status")
        when = dates.day(dates.effective(obs))
        if status in SET_ASIDE:
            reading.note(status, name, f"{label} result of {when} is marked {status}: ignored")
        elif status == "preliminary":
            reading.note("preliminary", name, f"{label} result of {when} is preliminary: "
                                              "not used until final")
        elif status not in USABLE:
            reading.note("status", name, f"{label} result of {when} has status "
                                         f"{status!r}: not used")
        else:
            usable.append(obs)
    if not usable:
        return None
    return max(usable, key=lambda o: dates.effective(o) or _UNDATED)


def dedupe(resources: Iterable[Any]) -> list[dict[str, Any]]:
    """The resources, each (type, id) once, in order."""
    seen: dict[Any, dict[str, Any]] = {}
    for i, resource in enumerate(resources):
        if isinstance(resource, dict):
            rid = resource.get("id")
            key = (str(resource.get("resourceType")), rid) if isinstance(rid, str) and rid else i
            seen.setdefault(key, resource)
    return list(seen.values())


def subject_id(resource: dict[str, Any]) -> str | None:
    """The id of the Patient a resource is about, when its subject says so."""
    subject = resource.get("subject") or resource.get("patient") or {}
    ref = subject.get("reference") if isinstance(subject, dict) else None
    if not isinstance(ref, str) or "Patient/" not in ref:
        return None
    return ref.rsplit("Patient/", 1)[1].split("/")[0] or None


def same_patient(resource: dict[str, Any], patient_id: str | None, reading: Reading) -> bool:
    """Whether ``resource`` may be about the patient (a different subject is noted, dropped)."""
    found = subject_id(resource)
    if not patient_id or found is None or found == patient_id:
        return True
    reading.note("other_patient", None, f"A {resource.get('resourceType')} about another "
                                        "patient was ignored")
    return False
