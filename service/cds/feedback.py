"""Card feedback (CDS Hooks): each accepted or overridden card stored durably, and counted.

Idempotent: an item whose card, outcome and outcome time are already stored (an EHR's retry)
is skipped by the database's unique constraint, so retries never count twice.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, func, select

from service.storage.tables import feedback, insert_once


def store(engine: Engine, service_id: str, items: Sequence[dict[str, Any]],
          caller: str) -> int:
    """Store validated feedback items for ``service_id`` in one transaction; returns how many
    were new (items already stored are skipped)."""
    received = datetime.now(UTC)
    insert = insert_once(engine, feedback, ["card", "outcome", "outcome_timestamp"])
    stored = 0
    with engine.begin() as connection:
        for item in items:
            row = _row(service_id, item, received, caller)
            stored += len(connection.execute(insert, row).all())
    return stored


def _row(service_id: str, item: dict[str, Any], received: datetime,
         caller: str) -> dict[str, Any]:
    override = item.get("overrideReason") or {}
    reason = override.get("reason") or {}
    accepted = [s["id"] for s in item.get("acceptedSuggestions") or ()]
    return {"service_id": service_id, "card": item["card"], "outcome": item["outcome"],
            "accepted_suggestions": json.dumps(accepted), "reason_system": reason.get("system"),
            "reason_code": reason.get("code"), "reason_display": reason.get("display"),
            "user_comment": override.get("userComment"),
            "outcome_timestamp": item["outcomeTimestamp"], "received_at": received,
            "caller": caller}


def summary(engine: Engine, service_id: str) -> dict[str, Any]:
    """Counts of the feedback on ``service_id``: by outcome, and overrides by reason."""
    mine = feedback.c.service_id == service_id
    by_outcome = select(feedback.c.outcome, func.count()).where(mine).group_by(feedback.c.outcome)
    by_reason = (select(feedback.c.reason_system, feedback.c.reason_code,
                        func.max(feedback.c.reason_display), func.count())
                 .where(mine, feedback.c.outcome == "overridden",
                        feedback.c.reason_code.is_not(None))
                 .group_by(feedback.c.reason_system, feedback.c.reason_code)
                 .order_by(func.count().desc()))
    with engine.connect() as connection:
        outcomes = {outcome: count for outcome, count in connection.execute(by_outcome)}
        reasons = [tuple(row) for row in connection.execute(by_reason)]
    counts = {"accepted": outcomes.get("accepted", 0), "overridden": outcomes.get("overridden", 0)}
    return {"service": service_id, "total": sum(counts.values()), "outcomes": counts,
            "overrideReasons": [_reason(*row) for row in reasons]}


def _reason(system: str, code: str, display: str | None, count: int) -> dict[str, Any]:
    found = {"system": system, "code": code, "count": count}
    if display:
        found["display"] = display
    return found
