"""Fixtures of the EHR-integration tests (FHIR and CDS Hooks): the fixture files, a FHIR R4
validator that is not our code (fhir.resources' R4B models, plus the enumerations it does not
check), a tiny real FHIR server on 127.0.0.1 serving the fixtures' resources as searchset
Bundles, and EHR keys."""

from __future__ import annotations

import copy
import json
import re
import socket
import socketserver
import ssl
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from datetime import time as datetime_time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from fhir.resources.R4B.operationoutcome import OperationOutcome
from fhir.resources.R4B.riskassessment import RiskAssessment
from hypothesis import strategies as st

# CDS Hooks and FHIR fixtures kept in the repository (sources and licences in its README).
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
SERVICE = "lung-bone-mets-risk"
# Value sets the model library does not enforce (checked here by value).
RISK_STATUS = {"registered", "preliminary", "final", "amended", "corrected", "cancelled",
               "entered-in-error", "unknown"}
SEVERITIES = {"fatal", "error", "warning", "information"}
ISSUE_TYPES = {
    "invalid", "structure", "required", "value", "invariant", "security", "login", "unknown",
    "expired", "forbidden", "suppressed", "processing", "not-supported", "duplicate",
    "multiple-matches", "not-found", "deleted", "too-long", "code-invalid", "extension",
    "too-costly", "business-rule", "conflict", "transient", "lock-error", "no-store",
    "exception", "timeout", "incomplete", "throttled", "informational"}
RISK_PROBABILITY = {"negligible", "low", "moderate", "high", "certain"}


# The fixtures' dates were chosen to be recent on this day (labs six days old, staging 16).
# Loaded fixtures move every date by the days since, so "recent" stays recent whatever day the
# tests run on; assertions name dates through ``shifted`` and "now" through ``FIXTURE_NOW``.
FIXTURE_DAY = date(2026, 11, 26)
SHIFT = date.today() - FIXTURE_DAY
FIXTURE_NOW = datetime.combine(FIXTURE_DAY + SHIFT, datetime_time(12), UTC)
_ISO_DATE = re.compile(r"^(\d{4}-\d{2}-\d{2})(T.*)?$")


def shifted(text: str) -> str:
    """A date (or date-time) of a fixture file as the loaded fixture holds it."""
    match = _ISO_DATE.match(text)
    if match is None:
        return text
    moved = date.fromisoformat(match.group(1)) + SHIFT
    return moved.isoformat() + (match.group(2) or "")


def _shift_dates(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _shift_dates(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_shift_dates(v) for v in value]
    return shifted(value) if isinstance(value, str) else value


def load_fixture(name: str) -> Any:
    """A fixture file, parsed, its dates moved to today's clock (``shifted``); composed CDS
    requests are unwrapped to the request itself."""
    data = _shift_dates(json.loads((FIXTURES / name).read_text("utf-8")))
    return data["request"] if "service_path_placeholder" in data else data


@pytest.fixture
def fixture() -> Callable[[str], Any]:
    """Load a fixture file (a fresh copy each time, safe to change)."""
    return lambda name: copy.deepcopy(load_fixture(name))


def check_risk_assessment(resource: dict[str, Any]) -> RiskAssessment:
    """Validate a RiskAssessment with the R4B models, then the codes they leave unchecked."""
    model = RiskAssessment.model_validate(resource)
    assert resource["status"] in RISK_STATUS
    assert resource["subject"]
    for prediction in resource["prediction"]:
        for coding in (prediction.get("qualitativeRisk") or {}).get("coding", []):
            assert coding["code"] in RISK_PROBABILITY
        if "probabilityDecimal" in prediction:
            assert 0 <= prediction["probabilityDecimal"] <= 1
    assert resource["text"]["status"] == "generated"
    assert resource["text"]["div"].startswith('<div xmlns="http://www.w3.org/1999/xhtml">')
    return model


def check_outcome(resource: dict[str, Any]) -> OperationOutcome:
    """Validate an OperationOutcome with the R4B models, then severity and code by value."""
    model = OperationOutcome.model_validate(resource)
    for issue in resource["issue"]:
        assert issue["severity"] in SEVERITIES
        assert issue["code"] in ISSUE_TYPES
    return model


@pytest.fixture
def risk_assessment_check() -> Callable[[dict[str, Any]], RiskAssessment]:
    return check_risk_assessment


@pytest.fixture
def outcome_check() -> Callable[[dict[str, Any]], OperationOutcome]:
    return check_outcome


# -- a tiny FHIR server ------------------------------------------------------------------------

def fixture_resources() -> list[dict[str, Any]]:
    """Every resource of the composed complete and sparse requests (two patients)."""
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for name in ("cds-request-complete.json", "cds-request-sparse.json"):
        for value in load_fixture(name)["prefetch"].values():
            if not value:
                continue
            entries = value.get("entry", []) if value["resourceType"] == "Bundle" else [
                {"resource": value}]
            for entry in entries:
                resource = entry["resource"]
                found[(resource["resourceType"], resource["id"])] = resource
    return list(found.values())


class FhirServer:
    """A real HTTP FHIR endpoint on 127.0.0.1: reads, and searches by patient/code/status."""

    def __init__(self, resources: list[dict[str, Any]], tls: ssl.SSLContext | None = None):
        """Serve ``resources``; with ``tls`` (a server context), over https."""
        self.resources = resources
        self.seen: list[dict[str, str]] = []
        self.extra: dict[str, Any] = {}  # path -> JSON body (e.g. a JWK Set)
        self.fail_with: int | None = None
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        if tls is not None:
            self._server.socket = tls.wrap_socket(self._server.socket, server_side=True)
        scheme = "https" if tls is not None else "http"
        self.url = f"{scheme}://127.0.0.1:{self._server.server_address[1]}/r4"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def answer(self, path: str, query: dict[str, list[str]]) -> tuple[int, Any]:
        if path in self.extra:
            return 200, self.extra[path]
        if self.fail_with:
            return self.fail_with, {"resourceType": "OperationOutcome", "issue": [
                {"severity": "error", "code": "exception"}]}
        kind, _, rid = path.removeprefix("/r4/").partition("/")
        if rid:
            found = [r for r in self.resources if r["resourceType"] == kind and r["id"] == rid]
            return (200, found[0]) if found else (404, {"resourceType": "OperationOutcome",
                                                        "issue": [{"severity": "error",
                                                                   "code": "not-found"}]})
        return 200, self._search(kind, query)

    def _search(self, kind: str, query: dict[str, list[str]]) -> dict[str, Any]:
        patient = query.get("patient", [""])[0]
        codes = {tuple(t.split("|", 1)) for t in ",".join(query.get("code", [])).split(",") if t}
        statuses = set(",".join(query.get("status", [])).split(",")) - {""}
        matches = []
        for r in self.resources:
            if r["resourceType"] != kind or r.get("subject", {}).get(
                    "reference") != f"Patient/{patient}":
                continue
            if codes and not {(c["system"], c["code"]) for c in r["code"]["coding"]} & codes:
                continue
            if statuses and r.get("status") not in statuses:
                continue
            matches.append(r)
        return {"resourceType": "Bundle", "type": "searchset", "total": len(matches),
                "entry": [{"fullUrl": f"{self.url}/{kind}/{r['id']}", "resource": r,
                           "search": {"mode": "match"}} for r in matches]}

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                owner.seen.append({"path": parts.path, "query": parts.query,
                                   "authorization": self.headers.get("Authorization", "")})
                status, body = owner.answer(parts.path, parse_qs(parts.query))
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/fhir+json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                return

        return Handler


@pytest.fixture(scope="session")
def fhir_server() -> Iterator[FhirServer]:
    """The local FHIR server, with the fixtures' Patients, Observations and Conditions."""
    server = FhirServer(fixture_resources())
    yield server
    server.stop()


# -- a hostile FHIR server --------------------------------------------------------------------

class HostileServer:
    """A FHIR server on 127.0.0.1 that fails on purpose; the first path segment picks how:

    drip-head  the status line, then one header byte every ``DRIP`` seconds, without end
    drip-body  headers promising a large body, then one body byte every ``DRIP`` seconds
    truncated  a Content-Length of 1,000 bytes, then 10 bytes and the connection closed
    bad-gzip   Content-Encoding gzip over bytes that are not gzip
    deep       valid JSON nested 200,000 arrays deep
    redirect   302 to ``redirect_to`` (a listener that records whether it is ever called)
    slow       an empty searchset Bundle, after ``SLOW`` seconds (each fetch fine, many too slow)

    ``paths`` records every request's path; ``held`` how long each drip lasted before the
    client hung up; ``most_at_once`` the most connections open together.
    """

    DRIP = 0.2
    SLOW = 0.7
    LONGEST = 30.0  # a drip stops by itself after this (never reached when the client cuts it)

    def __init__(self, redirect_to: str = "http://127.0.0.1:9/r4") -> None:
        self.redirect_to = redirect_to
        self.paths: list[str] = []
        self.held: list[float] = []
        self.most_at_once = 0
        self._open = 0
        self._lock = threading.Lock()
        owner = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                owner._serve(self.request)

        self._server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _serve(self, sock: socket.socket) -> None:
        head = b""
        while b"\r\n\r\n" not in head and len(head) < 65536:
            chunk = sock.recv(4096)
            if not chunk:
                return
            head += chunk
        path = head.split(b" ", 2)[1].decode("latin-1")
        with self._lock:
            self.paths.append(path)
            self._open += 1
            self.most_at_once = max(self.most_at_once, self._open)
        try:
            self._answer(sock, path.split("/")[1])
        finally:
            with self._lock:
                self._open -= 1

    def _answer(self, sock: socket.socket, mode: str) -> None:
        if mode == "drip-head":
            sock.sendall(b"HTTP/1.1 200 OK\r\n")
            self._drip(sock, b"X-Slow: " + b"x" * 100_000)
        elif mode == "drip-body":
            sock.sendall(_head(200, b"Content-Length: 1000000\r\n"))
            self._drip(sock, b" " * 1_000_000)
        elif mode == "truncated":
            sock.sendall(_head(200, b"Content-Length: 1000\r\n") + b'{"resource')
        elif mode == "bad-gzip":
            body = b"\x1f\x8b this is not gzip"
            sock.sendall(_head(200, b"Content-Encoding: gzip\r\nContent-Length: "
                               + str(len(body)).encode() + b"\r\n") + body)
        elif mode == "deep":
            body = b"[" * 200_000 + b"]" * 200_000
            sock.sendall(_head(200, b"Content-Length: " + str(len(body)).encode() + b"\r\n")
                         + body)
        elif mode == "slow":
            time.sleep(self.SLOW)
            body = b'{"resourceType": "Bundle", "type": "searchset", "total": 0}'
            sock.sendall(_head(200, b"Content-Length: " + str(len(body)).encode() + b"\r\n")
                         + body)
        elif mode == "redirect":
            location = f"Location: {self.redirect_to}/Observation\r\nContent-Length: 0\r\n"
            sock.sendall(_head(302, location.encode()))

    def _drip(self, sock: socket.socket, data: bytes) -> None:
        started = time.monotonic()
        try:
            for byte in data:
                if time.monotonic() - started > self.LONGEST:
                    break
                sock.sendall(bytes([byte]))
                time.sleep(self.DRIP)
        except OSError:
            pass  # the client hung up: what the service should do at its deadline
        with self._lock:
            self.held.append(time.monotonic() - started)


def _head(status: int, headers: bytes) -> bytes:
    return (f"HTTP/1.1 {status} X\r\nContent-Type: application/fhir+json\r\n".encode()
            + headers + b"Connection: close\r\n\r\n")


@pytest.fixture(scope="module")
def listener() -> Iterator[FhirServer]:
    """A FHIR server whose ``seen`` says whether the service ever called it."""
    server = FhirServer(fixture_resources())
    yield server
    server.stop()


@pytest.fixture(scope="module")
def hostile(listener: FhirServer) -> Iterator[HostileServer]:
    """The hostile FHIR server; its redirects point at ``listener``."""
    server = HostileServer(redirect_to=listener.url)
    yield server
    server.stop()


# -- the EHR's signing keys --------------------------------------------------------------------

class Signer:
    """An EHR's key pair: signs CDS Hooks JWTs; publishes its public JWK."""

    def __init__(self, kid: str, algorithm: str = "RS384"):
        self.kid, self.algorithm = kid, algorithm
        if algorithm.startswith("ES"):
            self.private = ec.generate_private_key(ec.SECP384R1())
            jwk = jwt.algorithms.ECAlgorithm.to_jwk(self.private.public_key(), as_dict=True)
        else:
            self.private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            jwk = jwt.algorithms.RSAAlgorithm.to_jwk(self.private.public_key(), as_dict=True)
        self.jwk = {**jwk, "kid": kid, "use": "sig", "alg": algorithm}

    def token(self, iss: str, aud: str, *, jku: str | None = None, lifetime: int = 300,
              jti: str | None = None, omit: tuple[str, ...] = (), **claims: Any) -> str:
        """A signed token; ``claims`` replace the usual ones, ``omit`` leaves some out."""
        now = int(time.time())
        payload = {"iss": iss, "aud": aud, "iat": now, "exp": now + lifetime,
                   "jti": jti or str(uuid.uuid4()), **claims}
        payload = {k: v for k, v in payload.items() if k not in omit}
        headers = {"kid": self.kid, "typ": "JWT", **({"jku": jku} if jku else {})}
        return jwt.encode(payload, self.private, algorithm=self.algorithm, headers=headers)


# Malformed JSON to drop into any slot of a request (shared by the robustness tests).
MALFORMED_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3)
    | st.dictionaries(st.text(max_size=6), inner, max_size=3), max_leaves=8)


def json_slots(value: Any, found: list[tuple[Any, Any]] | None = None) -> list[tuple[Any, Any]]:
    """Every (container, key) inside ``value``: the places a malformed value can go."""
    found = [] if found is None else found
    pairs = value.items() if isinstance(value, dict) else enumerate(value) \
        if isinstance(value, list) else ()
    for key, item in pairs:
        found.append((value, key))
        json_slots(item, found)
    return found
