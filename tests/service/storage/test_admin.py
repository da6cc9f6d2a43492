"""``bmrisk-admin audit``: export a time window as CSV or JSON lines, find a patient's rows by
the reference a site knows, and purge rows past the retention."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import create_engine, update

from service.admin import main as admin
from service.storage.settings import database_url as normalised
from service.storage.tables import audit

from .conftest import AUDIT_KEY, MARKER_REF, audit_rows


@pytest.fixture
def scored(make_app, database_url, monkeypatch):
    """Three scores (two of MARKER_REF); the first row made 40 days old. The admin's env."""
    client = make_app().test_client()
    for ref in (MARKER_REF, "someone-else", MARKER_REF):
        assert client.post("/v1/risk", json={"histology": "squamous",
                                             "patient_ref": ref}).status_code == 200
    engine = create_engine(normalised(database_url))
    with engine.begin() as connection:
        connection.execute(update(audit).where(audit.c.id == audit_rows(database_url)[0]["id"])
                           .values(at=datetime.now(UTC) - timedelta(days=40)))
    engine.dispose()
    monkeypatch.setenv("BMRISK_DATABASE_URL", database_url)
    monkeypatch.setenv("BMRISK_AUDIT_KEY", AUDIT_KEY)
    return audit_rows(database_url)


def run(capsys, *argv: str) -> str:
    assert admin(list(argv)) == 0, capsys.readouterr().err
    return capsys.readouterr().out


def test_export_as_json_lines_gives_the_rows_of_the_window(scored, capsys):
    since = (datetime.now(UTC) - timedelta(days=1)).isoformat()
    until = (datetime.now(UTC) + timedelta(minutes=1)).isoformat()
    lines = run(capsys, "audit", "export", "--since", since, "--until", until,
                "--format", "jsonl").splitlines()
    exported = [json.loads(line) for line in lines]
    assert [r["request_id"] for r in exported] == [r["request_id"] for r in scored[1:]]
    assert all(r["at"].endswith("+00:00") for r in exported)


def test_export_as_csv_has_a_header_and_every_row(scored, capsys):
    text = run(capsys, "audit", "export", "--since", "2000-01-01", "--until", "2999-01-01",
               "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 3
    assert rows[0]["channel"] == "api"
    assert "id" not in rows[0]
    assert len(rows[0]["response_sha256"]) == 64


def test_lookup_finds_the_rows_of_a_known_reference_only(scored, capsys):
    found = [json.loads(line) for line in run(
        capsys, "audit", "lookup", "--patient-ref", MARKER_REF).splitlines()]
    assert [r["request_id"] for r in found] == [scored[0]["request_id"], scored[2]["request_id"]]


def test_lookup_without_the_key_says_which_setting_is_missing(scored, capsys, monkeypatch):
    monkeypatch.delenv("BMRISK_AUDIT_KEY")
    assert admin(["audit", "lookup", "--patient-ref", MARKER_REF]) == 1
    assert "BMRISK_AUDIT_KEY" in capsys.readouterr().err


def test_purge_deletes_only_rows_older_than_the_retention(scored, capsys, database_url,
                                                          monkeypatch):
    assert admin(["audit", "purge"]) == 1  # no retention set: nothing is guessed
    monkeypatch.setenv("BMRISK_AUDIT_DAYS", "30")
    assert "deleted 1 audit rows" in run(capsys, "audit", "purge")
    assert [r["id"] for r in audit_rows(database_url)] == [r["id"] for r in scored[1:]]


# The feedback table of the releases before this storage (service/cds/store.py, removed).
OLD_SCHEMA = """CREATE TABLE feedback (id INTEGER PRIMARY KEY, service_id TEXT NOT NULL,
    card TEXT NOT NULL, outcome TEXT NOT NULL, accepted_suggestions TEXT NOT NULL,
    reason_system TEXT, reason_code TEXT, reason_display TEXT, user_comment TEXT,
    outcome_timestamp TEXT NOT NULL, received_at TEXT NOT NULL)"""


def test_feedback_of_an_older_release_is_imported_once(make_app, database_url, tmp_path,
                                                       monkeypatch, capsys):
    import sqlite3

    old = tmp_path / "feedback.sqlite3"
    with sqlite3.connect(old) as db:
        db.execute(OLD_SCHEMA)
        db.executemany("INSERT INTO feedback VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", [
            (1, "lung-bone-mets-risk", "c1", "accepted", '["s1"]', None, None, None, None,
             "2026-11-01T10:00:00Z", "2026-11-01T10:00:01+00:00"),
            (2, "lung-bone-mets-risk", "c2", "overridden", "[]", "urn:x", "imaging-done",
             "Imaging done", None, "2026-11-02T10:00:00Z", "2026-11-02T10:00:01+00:00")])
    db.close()
    client = make_app().test_client()
    monkeypatch.setenv("BMRISK_DATABASE_URL", database_url)
    assert "read 2 feedback rows" in run(capsys, "feedback", "import", str(old))
    assert "; 0 new" in run(capsys, "feedback", "import", str(old))  # a second run copies nothing
    counts = client.get("/cds-services/lung-bone-mets-risk/feedback/summary").get_json()
    assert counts["outcomes"] == {"accepted": 1, "overridden": 1}
    assert admin(["feedback", "import", str(tmp_path / "absent.sqlite3")]) == 1
