"""``bmrisk-admin``: the operator's commands on the service's database.

    bmrisk-admin db upgrade                 bring the schema to this release's (a migration Job)
    bmrisk-admin db check                   exit 1 unless the schema is this release's
    bmrisk-admin audit export --since 2026-01-01 --until 2026-02-01 --format csv|jsonl
    bmrisk-admin audit lookup --patient-ref Patient/123 [--format csv|jsonl]
    bmrisk-admin audit purge [--days N]     delete rows older than N days (BMRISK_AUDIT_DAYS)
    bmrisk-admin feedback import /data/feedback.sqlite3   copy an older release's feedback

Settings come from the same ``BMRISK_*`` variables as the service's (BMRISK_DATABASE_URL,
BMRISK_AUDIT_KEY, BMRISK_AUDIT_DAYS). Errors end with one line on stderr and exit status 1.
"""

from __future__ import annotations

import argparse
import csv
import sys
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

import orjson
from sqlalchemy.exc import SQLAlchemyError

from .config import ConfigError, load
from .storage import Storage, legacy, open_storage, schema
from .storage import audit as audit_rows
from .storage.settings import SETTINGS


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; 0 on success, 1 with one line on stderr on failure."""
    args = _parser().parse_args(argv)
    storage = None
    try:
        storage = open_storage(load(SETTINGS))
        return int(args.run(storage, args, sys.stdout) or 0)
    except (ConfigError, schema.SchemaBehindError, ValueError) as exc:
        print(f"bmrisk-admin: {exc}", file=sys.stderr)
    except SQLAlchemyError as exc:
        print(f"bmrisk-admin: the database failed ({type(exc).__name__}): "
              f"{str(exc).splitlines()[0]}", file=sys.stderr)
    finally:
        if storage is not None:
            storage.engine.dispose()
    return 1


def _upgrade(storage: Storage, _args: argparse.Namespace, out: TextIO) -> None:
    schema.upgrade(storage.engine)
    print(f"schema at revision {schema.revision(storage.engine)} ({storage.shown_url()})",
          file=out)


def _check(storage: Storage, _args: argparse.Namespace, out: TextIO) -> None:
    schema.check(storage.engine)
    print(f"schema up to date at revision {schema.head()}", file=out)


def _export(storage: Storage, args: argparse.Namespace, out: TextIO) -> None:
    _write(audit_rows.rows_between(storage.engine, args.since, args.until), args.format, out)


def _lookup(storage: Storage, args: argparse.Namespace, out: TextIO) -> None:
    key = load(SETTINGS)["AUDIT_KEY"]
    if key is None:
        raise ValueError("BMRISK_AUDIT_KEY is not set: patient references are stored only "
                         "under it (set the key the rows were written with)")
    _write(audit_rows.rows_of_patient(storage.engine, args.patient_ref, key), args.format, out)


def _purge(storage: Storage, args: argparse.Namespace, out: TextIO) -> None:
    days = args.days if args.days is not None else load(SETTINGS)["AUDIT_DAYS"]
    if not days:
        raise ValueError("no retention set: give --days N or set BMRISK_AUDIT_DAYS")
    deleted = audit_rows.purge(storage.engine, days, datetime.now(UTC))
    print(f"deleted {deleted} audit rows older than {days} days", file=out)


def _import_feedback(storage: Storage, args: argparse.Namespace, out: TextIO) -> None:
    read, new = legacy.import_feedback(storage.engine, args.source)
    print(f"read {read} feedback rows from {args.source}; {new} new", file=out)


def _write(rows: Iterable[dict[str, Any]], fmt: str, out: TextIO) -> None:
    """Rows as JSON lines or CSV (header first), times in UTC ISO 8601."""
    writer = csv.DictWriter(out, fieldnames=audit_rows.COLUMNS) if fmt == "csv" else None
    if writer is not None:
        writer.writeheader()
    for row in rows:
        row["at"] = _utc(row["at"]).isoformat()
        if writer is not None:
            writer.writerow(row)
        else:
            out.write(orjson.dumps(row).decode() + "\n")


def _utc(moment: datetime) -> datetime:
    """SQLite returns the stored UTC time without its zone: give it back."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _moment(value: str) -> datetime:
    """An ISO 8601 date or time; without a zone, UTC."""
    try:
        return _utc(datetime.fromisoformat(value))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not an ISO 8601 date or time") from None


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="bmrisk-admin", description=__doc__.splitlines()[0])
    groups = parser.add_subparsers(required=True, metavar="{db,audit,feedback}")
    db = groups.add_parser("db", help="the database schema").add_subparsers(required=True)
    db.add_parser("upgrade", help="migrate to this release's schema").set_defaults(run=_upgrade)
    db.add_parser("check", help="fail unless the schema is current").set_defaults(run=_check)
    audit = groups.add_parser("audit", help="the audit trail").add_subparsers(required=True)
    export = audit.add_parser("export", help="rows with since <= time < until")
    export.add_argument("--since", type=_moment, required=True, help="ISO 8601, UTC if no zone")
    export.add_argument("--until", type=_moment, required=True, help="ISO 8601, UTC if no zone")
    lookup = audit.add_parser("lookup", help="rows of one patient reference")
    lookup.add_argument("--patient-ref", required=True,
                        help="as sent: patient_ref on /v1/risk, Patient/<id> on FHIR channels")
    for command, run in ((export, _export), (lookup, _lookup)):
        command.add_argument("--format", choices=("csv", "jsonl"), default="jsonl")
        command.set_defaults(run=run)
    purge = audit.add_parser("purge", help="delete rows older than the retention")
    purge.add_argument("--days", type=int, help="default: BMRISK_AUDIT_DAYS")
    purge.set_defaults(run=_purge)
    old = groups.add_parser("feedback", help="card feedback").add_subparsers(required=True)
    copy = old.add_parser("import", help="copy feedback from a pre-2.0 feedback.sqlite3")
    copy.add_argument("source", type=Path, help="the old BMRISK_FEEDBACK_DB file")
    copy.set_defaults(run=_import_feedback)
    return parser


if __name__ == "__main__":
    sys.exit(main())
