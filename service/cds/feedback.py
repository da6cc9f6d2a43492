"""Card feedback (CDS Hooks): each accepted or overridden card stored durably, and counted."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .store import connection


def store(path: str | Path, service_id: str, items: Sequence[dict[str, Any]]) -> int:
    """Store validated feedback items for ``service_id``; returns how many were new (an item
    already stored, same card, outcome and outcome time, is a retry and is not stored again)."""
    received = datetime.now(UTC).isoformat(timespec="seconds")
    rows = [_row(service_id, item, received) for item in items]
    with connection(path) as db:
        db.execute("BEGIN IMMEDIATE")
        stored = db.executemany(
            "INSERT OR IGNORE INTO feedback (service_id, card, outcome, accepted_suggestions, "
            "reason_system, reason_code, reason_display, user_comment, outcome_timestamp, "
            "received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows).rowcount
        db.execute("COMMIT")
    return stored


def _row(service_id: str, item: dict[str, Any], received: str) -> tuple[Any, ...]:
    override = item.get("overrideReason") or {}
    reason = override.get("reason") or {}
    accepted = [s["id"] for s in item.get("acceptedSuggestions") or ()]
    return (service_id, item["card"], item["outcome"], json.dumps(accepted),
            reason.get("system"), reason.get("code"), reason.get("display"),
            override.get("userComment"), item["outcomeTimestamp"], received)


def summary(path: str | Path, service_id: str) -> dict[str, Any]:
    """Counts of the feedback on ``service_id``: by outcome, and overrides by reason."""
    with connection(path) as db:
        outcomes = dict(db.execute(
            "SELECT outcome, COUNT(*) FROM feedback WHERE service_id = ? GROUP BY outcome",
            (service_id,)).fetchall())
        reasons = db.execute(
            "SELECT reason_system, reason_code, MAX(reason_display), COUNT(*) FROM feedback "
            "WHERE service_id = ? AND outcome = 'overridden' AND reason_code IS NOT NULL "
            "GROUP BY reason_system, reason_code ORDER BY COUNT(*) DESC",
            (service_id,)).fetchall()
    counts = {"accepted": outcomes.get("accepted", 0), "overridden": outcomes.get("overridden", 0)}
    return {"service": service_id, "total": sum(counts.values()), "outcomes": counts,
            "overrideReasons": [_reason(*row) for row in reasons]}


def _reason(system: str, code: str, display: str | None, count: int) -> dict[str, Any]:
    found = {"system": system, "code": code, "count": count}
    if display:
        found["display"] = display
    return found
