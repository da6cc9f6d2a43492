"""Structured logs: JSON lines on stderr through the ``bmrisk`` logger, allow-listed fields only.

Nothing a patient could be identified by, and no input value, may reach a log line: events go
through ``log_event``, which keeps only the field names below and drops the rest (naming them).
"""

from __future__ import annotations

import atexit
import logging
import os
import sys
import threading
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
    return _LOGGER


_LOGGER = logging.getLogger(LOGGER)  # getLogger takes logging's module lock at every call


def log_event(event: str, level: int = logging.INFO, **fields: Any) -> None:
    """Log one event with allow-listed fields; other fields are dropped and named."""
    log = logger()
    if not log.isEnabledFor(level):
        return
    kept = {k: _scalar(v) for k, v in fields.items() if k in ALLOWED_FIELDS}
    dropped = sorted(k for k in fields if k not in ALLOWED_FIELDS)
    if dropped:
        kept["dropped_fields"] = dropped
    handler = _sole_handler(log, level)
    if handler is None:
        log.log(level, event, extra={"bmrisk": kept})
    else:  # the line logging would write, without building a LogRecord for it
        handler.emit_line(json_line(time.time(), logging.getLevelName(level), event,
                                    os.getpid(), kept))


def _sole_handler(log: logging.Logger, level: int) -> BufferedHandler | None:
    """The service's handler when it alone would see an INFO line at ``level`` (no other
    handler, no filter, no propagation): logging's own path then only adds a LogRecord and
    two lock hand-overs per line."""
    handlers = log.handlers
    if (level >= logging.WARNING or len(handlers) != 1 or log.propagate or log.filters
            or not getattr(handlers[0], "_bmrisk", False)):
        return None
    handler = handlers[0]
    if handler.filters or level < handler.level or type(handler.formatter) is not JsonFormatter:
        return None
    return handler


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
        fields = dict(getattr(record, "bmrisk", {}))
        if record.exc_info and record.exc_info[0] is not None:
            fields["error_type"] = record.exc_info[0].__name__
            fields["frames"] = frames(record.exc_info[2])
        return json_line(record.created, record.levelname, record.getMessage(), record.process,
                         fields)


def json_line(created: float, level_name: str, event: str, pid: int | None,
              fields: dict[str, Any]) -> str:
    """One log line: ts, level, event, pid, then the event's fields."""
    return orjson.dumps({
        "ts": datetime.fromtimestamp(created, UTC).isoformat(timespec="milliseconds"),
        "level": level_name.lower(), "event": event, "pid": pid, **fields,
    }, default=str).decode()


def frames(tb: TracebackType | None) -> list[str]:
    """Where an exception went, as file:line:function, without its message or locals."""
    return [f"{f.filename.rsplit('/', 1)[-1]}:{f.lineno}:{f.name}"
            for f in traceback.extract_tb(tb)]


class BufferedHandler(logging.StreamHandler):
    """A stream handler whose INFO lines are written in batches by a flusher thread.

    Writing each request's line as it comes (a write and a flush, under the handler's lock)
    was the largest cost of a single-patient request under gunicorn: the threads of a worker
    queued on the lock while its holder waited in the system call. Lines are kept in memory
    and written together at most ``interval`` seconds later (or at once past ``limit``
    bytes); a WARNING or worse is written at once, with every line before it, and everything
    left is written when the process exits. A process killed outright (SIGKILL) loses at
    most ``interval`` seconds of INFO lines.
    """

    def __init__(self, stream: Any, interval: float = 0.1, limit: int = 1 << 16):
        super().__init__(stream)
        self.interval, self.limit = interval, limit
        self._pending: list[str] = []
        self._size = 0
        self._due = threading.Event()
        self._flushing = False  # a flusher thread runs in this process
        # logging.Handler.handle holds self.lock around emit, so the pending lines have their
        # own lock, taken last: writer lock, then pending lock, never the other way round.
        self._pending_lock = threading.Lock()
        self._write_lock = threading.Lock()  # one writer at a time, so lines stay in order
        atexit.register(self.drain)
        os.register_at_fork(after_in_child=self._after_fork)

    def _after_fork(self) -> None:
        """In a forked worker: fresh locks (another thread may have held them at the fork),
        no copy of the parent's pending lines (the parent writes them), a flusher of its own."""
        self._pending_lock, self._write_lock = threading.Lock(), threading.Lock()
        self._due = threading.Event()
        self._pending, self._size, self._flushing = [], 0, False

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = self.format(record)
        except Exception:  # logging's own contract: report, never raise
            self.handleError(record)
            return
        self.emit_line(line, record.levelno >= logging.WARNING)

    def emit_line(self, line: str, urgent: bool = False) -> None:
        """Queue one formatted line (written at once, with every line before it, if
        ``urgent``)."""
        line += self.terminator
        with self._pending_lock:
            self._pending.append(line)
            self._size += len(line)
            full = self._size >= self.limit
        if urgent:
            self.drain()
            return
        if not self._flushing:  # not started yet in this (forked) process
            self._start_flusher()
        if full:
            self._due.set()

    def drain(self) -> None:
        """Write every pending line now."""
        with self._write_lock:
            with self._pending_lock:
                lines, self._pending, self._size = self._pending, [], 0
            if lines:
                try:
                    self.stream.write("".join(lines))
                    self.stream.flush()
                except (OSError, ValueError):  # stream closed at exit: nothing left to tell
                    pass

    def _start_flusher(self) -> None:
        with self._pending_lock:
            if self._flushing:
                return
            self._flushing = True
        threading.Thread(target=self._flush_forever, name="log-flusher", daemon=True).start()

    def _flush_forever(self) -> None:
        while True:
            self._due.wait(self.interval)
            self._due.clear()
            self.drain()


def configure(level: str) -> None:
    """Send the ``bmrisk`` logger to stderr as JSON lines (once per process)."""
    # What the JSON lines never show is not gathered for each record: the caller's file and
    # line (a walk up the stack), the thread and the multiprocessing names (the logging
    # HOWTO's "Optimization" section). The process id is kept: every line shows it.
    logging._srcfile = None  # type: ignore[attr-defined]
    logging.logThreads = logging.logMultiprocessing = False
    log = logger()
    log.setLevel(level)
    log.propagate = False
    if not any(getattr(h, "_bmrisk", False) for h in log.handlers):
        handler = BufferedHandler(sys.stderr)
        handler.setFormatter(JsonFormatter())
        handler._bmrisk = True  # type: ignore[attr-defined]
        log.addHandler(handler)


def init_app(app: Flask) -> None:
    """Log one line per request: id, method, url rule, status, latency, model used."""
    configure(app.config["LOG_LEVEL"])
    app.after_request(_log_request)


def _log_request(response: Any) -> Any:
    current, state = request._get_current_object(), g._get_current_object()  # one lookup each
    rule = current.url_rule.rule if current.url_rule is not None else None
    started = state.get("started", time.perf_counter())
    model = state.get("model_ref")
    log_event(
        "request", request_id=state.get("request_id"), method=current.method, endpoint=rule,
        status=response.status_code, latency_ms=round((time.perf_counter() - started) * 1e3, 2),
        model_id=model and model.id, model_version=model and model.version,
        rows=state.get("rows"), channel=state.get("channel"),
    )
    return response
