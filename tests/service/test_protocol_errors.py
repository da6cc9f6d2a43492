"""Requests gunicorn refuses before the app runs: the same problem+json, nothing echoed or logged.

A malformed request line or an oversized header set never reaches Flask; the service's worker
class (service.gunicorn_worker) answers them like every other error.
"""

from __future__ import annotations

import json
import socket
from typing import Any

import pytest

from service.gunicorn_worker import status_of

pytestmark = pytest.mark.e2e

MARKER = "PatientSmith4711"  # stands for anything identifying a client might send

# what is sent (bytes after the request line's method), the status gunicorn gives it
MALFORMED: list[tuple[str, bytes, int]] = [
    ("bad HTTP version", f"GET /v1/models?ref={MARKER} HTTP/9.9\r\nHost: x\r\n\r\n".encode(), 400),
    ("junk in the request line",
     f"GET /v1/models?ref={MARKER} junk HTTP/1.1\r\nHost: x\r\n\r\n".encode(), 400),
    ("request line too long",
     f"GET /{'a' * 5000}?ref={MARKER} HTTP/1.1\r\nHost: x\r\n\r\n".encode(), 414),
    ("header too large",
     f"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Note: {MARKER}{'b' * 9000}\r\n\r\n".encode(), 431),
    ("too many headers", ("GET /healthz HTTP/1.1\r\nHost: x\r\n"
                          + "".join(f"X-{i}: {MARKER}\r\n" for i in range(60))
                          + "\r\n").encode(), 431),
    ("bad header name", f"GET /healthz HTTP/1.1\r\nHost: x\r\n{MARKER} x: 1\r\n\r\n".encode(), 400),
]


def _exchange(port: int, raw: bytes) -> tuple[int, dict[str, str], dict[str, Any]]:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(raw)
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines[1:])
    return int(lines[0].split()[1]), headers, json.loads(body)


@pytest.mark.parametrize(("case", "raw", "status"), MALFORMED, ids=[c[0] for c in MALFORMED])
def test_a_request_gunicorn_refuses_gets_problem_json_without_echo(live_server, case, raw,
                                                                   status):
    code, headers, body = _exchange(live_server.port, raw)
    assert code == status
    assert headers["Content-Type"] == "application/problem+json"
    assert set(body) == {"type", "title", "status", "detail", "request_id"}
    assert body["status"] == status
    assert headers["X-Request-ID"] == body["request_id"]
    assert MARKER not in json.dumps(body)
    assert MARKER not in json.dumps(headers)
    record = live_server.wait_for_record(lambda r: r.get("request_id") == body["request_id"])
    assert record["event"] == "invalid_request"
    assert record["status"] == status


def test_nothing_a_refused_request_sent_reaches_the_log(live_server):
    for _, raw, _ in MALFORMED:
        _exchange(live_server.port, raw)
    _, _, last = _exchange(live_server.port, MALFORMED[0][1])
    live_server.wait_for_record(lambda r: r.get("request_id") == last["request_id"])
    assert MARKER not in live_server.log_text()


def test_the_service_still_answers_on_the_same_worker_after_refusals(live_server):
    for _, raw, _ in MALFORMED:
        _exchange(live_server.port, raw)
    with socket.create_connection(("127.0.0.1", live_server.port), timeout=10) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        assert sock.recv(100).startswith(b"HTTP/1.1 200")


def test_errors_outside_the_protocol_are_a_500():
    assert status_of(RuntimeError("app bug")) == 500
