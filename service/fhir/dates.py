"""FHIR dates and times: parse the partial forms FHIR allows, and find when a resource applies."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any


def parse(value: Any) -> datetime | None:
    """A FHIR date, dateTime or instant ('2026', '2026-11', '2026-11-20', with time) as UTC."""
    if not isinstance(value, str) or not value:
        return None
    text = value.strip()
    try:
        if len(text) == 4:
            return datetime(int(text), 1, 1, tzinfo=UTC)
        if len(text) == 7:
            return datetime(int(text[:4]), int(text[5:7]), 1, tzinfo=UTC)
        if len(text) == 10:
            return datetime.combine(date.fromisoformat(text), datetime.min.time(), UTC)
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def effective(resource: dict[str, Any]) -> datetime | None:
    """When an Observation applies: effective[x] (a period's end, else start), else issued."""
    period = resource.get("effectivePeriod") or {}
    for value in (resource.get("effectiveDateTime"), resource.get("effectiveInstant"),
                  period.get("end") if isinstance(period, dict) else None,
                  period.get("start") if isinstance(period, dict) else None,
                  resource.get("issued")):
        moment = parse(value)
        if moment is not None:
            return moment
    return None


def recorded(resource: dict[str, Any]) -> datetime | None:
    """When a Condition was diagnosed or recorded: onsetDateTime, else recordedDate."""
    return parse(resource.get("onsetDateTime")) or parse(resource.get("recordedDate"))


def day(moment: datetime | None) -> str:
    """The calendar day of ``moment`` as written in the source (YYYY-MM-DD), or 'undated'."""
    return moment.date().isoformat() if moment else "undated"


def now() -> datetime:
    """The current time in UTC."""
    return datetime.now(UTC)
