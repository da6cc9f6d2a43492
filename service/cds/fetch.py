"""Fetching FHIR data from the EHR's server with the bearer token the call lends.

Only from a FHIR base on the site's allow-list, compared after parsing (scheme, host and port
exactly; the path on segment boundaries); a base with user info, a query, a fragment, dot or
empty segments or percent-escapes is refused. One wall-clock deadline per fetch, enforced by
cutting the socket (a server dripping bytes cannot hold a thread longer); no redirects (the
token must not follow one); a size cap on the answer, after gzip. Every failure is a
``FetchError`` whose message is a short cause for the log, never a URL.
"""

from __future__ import annotations

import http.client
import json
import socket
import ssl
import threading
import time
import zlib
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

from service.auth import is_loopback
from service.bodies import FHIR_JSON

MAX_BYTES = 5_000_000
_DEFAULT_PORTS = {"http": 80, "https": 443}
_QUERY_SAFE = "/?&=,:%+-._~"  # templates are already quoted; '|' and the rest get escaped


class FetchError(Exception):
    """The FHIR server did not give a usable answer; the message says why (no URL, no data)."""


@dataclass(frozen=True)
class Base:
    """A FHIR base URL, parsed: what the allow-list compares and what a fetch connects to."""

    scheme: str
    host: str
    port: int
    segments: tuple[str, ...]

    def within(self, allowed: Base) -> bool:
        """Whether this base is ``allowed`` or below it (whole path segments only)."""
        return ((self.scheme, self.host, self.port) == (allowed.scheme, allowed.host, allowed.port)
                and self.segments[:len(allowed.segments)] == allowed.segments)

    def path(self, query: str) -> str:
        """The request target of ``query`` (a FHIR read or search) under this base."""
        return "/" + "/".join((*self.segments, quote(query, safe=_QUERY_SAFE)))


def parse_base(url: str) -> Base:
    """``url`` as a FHIR base, or ValueError saying what makes it unacceptable."""
    if any(c in url for c in "?#%\\@") or not url.isascii() or not url.isprintable() \
            or " " in url:
        raise ValueError("a FHIR base must not contain a query, a fragment, user info, "
                         "percent-escapes, backslashes, spaces or non-ASCII characters")
    parts = urlsplit(url)
    if parts.scheme not in _DEFAULT_PORTS or not parts.hostname:
        raise ValueError("a FHIR base must be an http(s) URL with a host")
    port = parts.port or _DEFAULT_PORTS[parts.scheme]  # parts.port raises on a bad port
    inner = parts.path.strip("/")
    segments = tuple(inner.split("/")) if inner else ()
    if any(s in ("", ".", "..") for s in segments):
        raise ValueError("a FHIR base must not have empty, '.' or '..' path segments")
    if parts.scheme == "http" and not is_loopback(parts.hostname):
        raise ValueError("a FHIR base must use https (a token is never sent in clear text); "
                         "http only on this machine")
    return Base(parts.scheme, parts.hostname.lower(), port, segments)


def parse_bases(value: str) -> tuple[Base, ...]:
    """Comma-separated FHIR base URLs (the allow-list setting), each parsed."""
    return tuple(parse_base(u.strip()) for u in value.split(",") if u.strip())


@dataclass(frozen=True)
class Policy:
    """Where and how long the service may fetch: the allow-list, deadlines, concurrency."""

    allowed: tuple[Base, ...]
    any_loopback: bool  # no list on a loopback-only bind: any FHIR server on this machine
    fetch_timeout: float  # seconds, wall clock, per fetch
    call_timeout: float  # seconds, wall clock, for all the fetches of one hook call
    slots: threading.BoundedSemaphore  # hook calls fetching at once in this worker

    def base_of(self, server: str) -> Base:
        """The parsed ``server`` if the service may send it a token, else FetchError."""
        try:
            base = parse_base(server)
        except ValueError as exc:
            raise FetchError(f"fhirServer refused: {exc}") from None
        if any(base.within(a) for a in self.allowed) or (
                self.any_loopback and is_loopback(base.host)):
            return base
        raise FetchError("fhirServer refused: not on the allow-list (BMRISK_CDS_FHIR_SERVERS)")


def fetch(base: Base, query: str, token: str, deadline: float) -> dict[str, Any] | None:
    """GET ``query`` under ``base`` by ``deadline`` (time.monotonic): the resource or Bundle,
    None for a read the server does not have."""
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise FetchError("deadline passed before the fetch")
    connection = _connection(base, remaining)
    watchdog = _Watchdog(connection, remaining)
    try:
        connection.connect()
        watchdog.sock = connection.sock  # http.client lets go of it when the answer closes
        status, body = _exchange(connection, base.path(query), token)
    except (OSError, http.client.HTTPException, FetchError) as exc:
        cause = str(exc) if isinstance(exc, FetchError) else type(exc).__name__
        # The socket's own timeout is the time left, so it may fire just before the watchdog.
        late = watchdog.fired or isinstance(exc, TimeoutError)
        raise FetchError("deadline passed" if late else cause) from None
    finally:
        watchdog.stop()
        connection.close()
    if watchdog.fired:
        raise FetchError("deadline passed")
    if status in (404, 410) and "?" not in query:
        return None
    if status != 200:
        raise FetchError(f"HTTP {status}")
    return _resource(body)


def _connection(base: Base, timeout: float) -> http.client.HTTPConnection:
    if base.scheme == "https":
        return http.client.HTTPSConnection(base.host, base.port, timeout=timeout,
                                           context=ssl.create_default_context())
    return http.client.HTTPConnection(base.host, base.port, timeout=timeout)


def _exchange(connection: http.client.HTTPConnection, target: str,
              token: str) -> tuple[int, bytes]:
    """The status and, for a 200, the body of one GET."""
    connection.request("GET", target, headers={
        "Authorization": f"Bearer {token}", "Accept": FHIR_JSON, "Accept-Encoding": "gzip"})
    response = connection.getresponse()
    return response.status, _body(response) if response.status == 200 else b""


class _Watchdog:
    """Cuts a fetch's socket at its deadline: a blocked connect, handshake or read returns at
    once, however slowly the server drips bytes (socket timeouts only bound each read)."""

    def __init__(self, connection: http.client.HTTPConnection, seconds: float) -> None:
        self.connection, self.sock, self.fired = connection, None, False
        self._timer = threading.Timer(seconds, self._cut)
        self._timer.daemon = True
        self._timer.start()

    def stop(self) -> None:
        self._timer.cancel()

    def _cut(self) -> None:
        self.fired = True
        sock = self.connection.sock or self.sock
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                return  # already closed: nothing left to stop


def _body(response: http.client.HTTPResponse) -> bytes:
    """The answer's bytes (gzip undone), refusing more than MAX_BYTES either way."""
    raw = response.read(MAX_BYTES + 1)
    if len(raw) > MAX_BYTES:
        raise FetchError("answer too large")
    if response.length:  # bytes the Content-Length promised and the server never sent
        raise FetchError("answer truncated")
    encoding = (response.getheader("Content-Encoding") or "identity").strip().lower()
    if encoding == "identity":
        return raw
    if encoding != "gzip":
        raise FetchError("answer has an unknown content encoding")
    inflate = zlib.decompressobj(wbits=31)
    try:
        body = inflate.decompress(raw, MAX_BYTES + 1)
    except zlib.error:
        raise FetchError("answer is not valid gzip") from None
    if len(body) > MAX_BYTES:
        raise FetchError("answer too large")
    if not inflate.eof:
        raise FetchError("answer is not valid gzip")
    return body


def _resource(body: bytes) -> dict[str, Any]:
    try:
        resource = json.loads(body)
    except (ValueError, RecursionError):
        raise FetchError("answer is not JSON (or is nested too deeply)") from None
    if not isinstance(resource, dict) or "resourceType" not in resource:
        raise FetchError("answer is not a FHIR resource")
    return resource
