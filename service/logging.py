"""Structured logs: JSON lines on stderr through the ``bmrisk`` logger, allow-listed fields only.

Nothing a patient could be identified by, and no input value, may reach a log line: events go
through ``log_event``, which keeps only the field names below and drops the rest (naming them).
"""

from __future__ import annotations

import logging
import sys
import time
import traceback
from datetime import UTC, datetime
from types import TracebackType
from typing import Any

import orjson
from flask import Flask, g, request

LOGGER = "bmrisk"
ALLOWED_FIELDS = frozenset({
    # request line
    "request_id", "method", "endpoint", "status", "latency_ms",
    # what was scored (never with what)
    "model_id", "model_version", "model_sha256", "rows", "rows_failed", "channel",
    # errors: the exception's type and our own message, never input
    "error_type", "detail", "frames",
    # boot and workers
    "service_version", "host", "port", "auth", "models", "worker_pid", "workers", "path_prefix",
    # CDS Hooks / FHIR (ids of EHR systems and hooks, not of patients)
    "hook", "hook_instance", "service_id", "issuer", "outcome", "cards",
})
_MAX_TEXT = 300
_SCALARS = (str, int, float, bool, type(None))


def logger() -> logging.Logger:
    """The service's logger."""
    return logging.getLogger(LOGGER)


def log_event(event: str, level: int = logging.INFO, **fields: Any) -> None:
    """Log one event with allow-listed fields; other fields are dropped and named."""
    log = logger()
    if not log.isEnabledFor(level):
        return
    kept = {k: _scalar(v) for k, v in fields.items() if k in ALLOWED_FIELDS}
    dropped = sorted(k for k in fields if k not in ALLOWED_FIELDS)
    if dropped:
        kept["dropped_fields"] = dropped
    log.log(level, event, extra={"bmrisk": kept})


def _scalar(value: Any) -> Any:
    if isinstance(value, list | tuple):
        return [_scalar(v) for v in value][:50]
    if not isinstance(value, _SCALARS):
        value = str(value)
    if isinstance(value, str) and len(value) > _MAX_TEXT:
        return value[:_MAX_TEXT] + "..."
    return value


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ts, level, event, pid, then the event's fields.

    An exception attached to the record (gunicorn's own errors) is reduced to its type and
    frames: its message could hold input values.
    """

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "event": record.getMessage(),
            "pid": record.process,
            **getattr(record, "bmrisk", {}),
        }
        if record.exc_info and record.exc_info[0] is not None:
            line["error_type"] = record.exc_info[0].__name__
            line["frames"] = frames(record.exc_info[2])
        return orjson.dumps(line, default=str).decode()


def frames(tb: TracebackType | None) -> list[str]:
    """Where an exception went, as file:line:function, without its message or locals."""
    return [f"{f.filename.rsplit('/', 1)[-1]}:{f.lineno}:{f.name}"
            for f in traceback.extract_tb(tb)]


def configure(level: str) -> None:
    """Send the ``bmrisk`` logger to stderr as JSON lines (once per process)."""
    log = logger()
    log.setLevel(level)
    log.propagate = False
    if not any(getattr(h, "_bmrisk", False) for h in log.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(JsonFormatter())
        handler._bmrisk = True  # type: ignore[attr-defined]
        log.addHandler(handler)


def init_app(app: Flask) -> None:
    """Log one line per request: id, method, url rule, status, latency, model used."""
    configure(app.config["LOG_LEVEL"])
    app.after_request(_log_request)


def _log_request(response: Any) -> Any:
    rule = request.url_rule.rule if request.url_rule is not None else None
    started = g.get("started", time.perf_counter())
    model = g.get("model_ref")
    log_event(
        "request", request_id=g.get("request_id"), method=request.method, endpoint=rule,
        status=response.status_code, latency_ms=round((time.perf_counter() - started) * 1e3, 2),
        model_id=model and model.id, model_version=model and model.version,
        rows=g.get("rows"), channel=g.get("channel"),
    )
    return response
