"""Fixtures of the storage tests: an app on each database, and everything its tables hold."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import create_engine, inspect, select

from service.storage import schema
from service.storage.settings import database_url as normalised
from service.storage.tables import audit

AUDIT_KEY = "k" * 16 + "site-secret-for-tests-only"
# Planted where a patient's identity and values go: none may reach a table or a log line.
MARKER_REF = "MARKER-REF-7f3a9c"
MARKER_VALUE = 2.4187356  # calcium, mmol/L: a plausible value with unlikely digits


def migrate(url: str) -> None:
    """What an operator runs before the first boot on a server database: the migrations."""
    engine = create_engine(normalised(url))
    try:
        schema.upgrade(engine)
    finally:
        engine.dispose()


@pytest.fixture
def make_app(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., Any]]:
    """``make_app(**config)``: an app on this test's (migrated) database, audit key set."""
    from service import create_app
    from service.storage import EXTENSION

    for name in list(os.environ):
        if name.startswith("BMRISK_"):
            monkeypatch.delenv(name)
    migrate(database_url)
    made = []

    def make(**config: Any) -> Any:
        made.append(create_app({"TESTING": True, "DATABASE_URL": normalised(database_url),
                                "AUDIT_KEY": AUDIT_KEY, **config}))
        return made[-1]

    yield make
    for app in made:
        app.extensions[EXTENSION].engine.dispose()


def audit_rows(url: str) -> list[dict[str, Any]]:
    """Every audit row, oldest first."""
    engine = create_engine(normalised(url))
    try:
        with engine.connect() as connection:
            return [dict(r) for r in connection.execute(
                select(audit).order_by(audit.c.id)).mappings()]
    finally:
        engine.dispose()


def every_stored_text(url: str) -> str:
    """Every value of every table in the database, as one text (to search for markers)."""
    engine = create_engine(normalised(url))
    try:
        with engine.connect() as connection:
            tables = inspect(connection).get_table_names()
            return "\n".join(repr(row) for table in tables for row in connection.exec_driver_sql(
                f'SELECT * FROM "{table}"'))
    finally:
        engine.dispose()
