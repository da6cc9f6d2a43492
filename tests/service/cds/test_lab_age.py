"""How old a lab may be before the card warns: exactly at the cut-off it is current, one second
past it stale (reading with a fixed 'now', independent of the wall clock); and the cut-off is
the one BMRISK_CDS_MAX_AGE_DAYS sets (over HTTP, with lab dates relative to today)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests

from service.fhir import inputs as fhir_input
from service.fhir.reading import Options

NOW = datetime(2026, 11, 29, 10, 0, tzinfo=UTC)
SERVICE = "lung-bone-mets-risk"


def calcium(when: datetime) -> dict[str, Any]:
    return {"resourceType": "Observation", "id": "ca", "status": "final",
            "code": {"coding": [{"system": "http://loinc.org", "code": "17861-6"}]},
            "subject": {"reference": "Patient/p1"}, "effectiveDateTime": when.isoformat(),
            "valueQuantity": {"value": 2.3, "unit": "mmol/L", "system": "http://unitsofmeasure.org",
                              "code": "mmol/L"}}


def stale(when: datetime, max_age_days: int = 90) -> bool:
    options = Options(patient_id="p1", now=NOW, max_age_days=max_age_days)
    reading = fhir_input.read([calcium(when)], options)
    assert "calcium" in reading.used  # read and used either way; only the note differs
    return any(note.code == "stale" and note.field == "calcium" for note in reading.notes)


@pytest.mark.parametrize(("age", "expected"), [
    (timedelta(days=90), False),
    (timedelta(days=90, seconds=1), True),
    (timedelta(days=89, hours=23, minutes=59, seconds=59), False),
    (timedelta(days=91), True),
])
def test_the_stale_cut_off_is_exactly_max_age_days(age, expected):
    assert stale(NOW - age) is expected


def test_the_cut_off_follows_max_age_days():
    assert stale(NOW - timedelta(days=10), max_age_days=9)
    assert not stale(NOW - timedelta(days=10), max_age_days=10)


def calcium_note(server: Any, fixture: Any, days_old: int) -> str | None:
    """The card's staleness note on calcium, dated ``days_old`` days before today."""
    request = fixture("cds-request-complete.json")
    entry = request["prefetch"]["calcium"]["entry"][0]["resource"]
    entry["effectiveDateTime"] = (datetime.now(UTC) - timedelta(days=days_old)).isoformat()
    response = requests.post(f"{server.url}/cds-services/{SERVICE}", json=request, timeout=30)
    assert response.status_code == 200, response.text
    lines = response.json()["cards"][0]["detail"].splitlines()
    return next((line for line in lines if line.startswith("- Serum total calcium is from")),
                None)


@pytest.mark.e2e
def test_bmrisk_cds_max_age_days_is_honoured(server_factory, live_server, fixture):
    short = server_factory({"BMRISK_CDS_MAX_AGE_DAYS": "5"})
    assert "older than 5 days" in calcium_note(short, fixture, days_old=10)
    assert calcium_note(short, fixture, days_old=3) is None
    assert calcium_note(live_server, fixture, days_old=10) is None  # the default, 90 days
    assert "older than 90 days" in calcium_note(live_server, fixture, days_old=100)
