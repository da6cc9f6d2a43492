"""Card feedback from the SQLite file of releases before this storage (``feedback.sqlite3``,
``BMRISK_FEEDBACK_DB``), copied into the service's database once: ``bmrisk-admin feedback
import``. Seen JWT ids are not copied: they expire within minutes."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from .tables import feedback, insert_once

_COLUMNS = ("service_id", "card", "outcome", "accepted_suggestions", "reason_system",
            "reason_code", "reason_display", "user_comment", "outcome_timestamp", "received_at")


def import_feedback(engine: Engine, path: Path) -> tuple[int, int]:
    """Copy every feedback row of the old file; (rows read, rows new). Rows already there (the
    same card, outcome and time) are skipped, so running it twice copies nothing twice."""
    if not path.is_file():
        raise ValueError(f"{path}: no such file")
    rows = list(_old_rows(path))
    insert = insert_once(engine, feedback, ["card", "outcome", "outcome_timestamp"])
    new = 0
    with engine.begin() as connection:
        for row in rows:
            new += len(connection.execute(insert, row).all())
    return len(rows), new


def _old_rows(path: Path) -> Iterator[dict[str, Any]]:
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
        for values in db.execute(f"SELECT {', '.join(_COLUMNS)} FROM feedback ORDER BY id"):
            row = dict(zip(_COLUMNS, values, strict=True))
            received = datetime.fromisoformat(row["received_at"])
            row["received_at"] = received if received.tzinfo else received.replace(tzinfo=UTC)
            yield {**row, "caller": "imported"}
