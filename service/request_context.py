"""Per-request context: the request id (echoed on every response), start time, security headers.

Served over https (the public URL is https, or a trusted proxy forwarded https): HSTS on every
response, and every cookie marked ``Secure``.
"""

from __future__ import annotations

import os
import random
import re
import time

from flask import Flask, Response, current_app, g, request, request_finished

REQUEST_ID_HEADER = "X-Request-ID"
_SANE_ID = re.compile(r"[A-Za-z0-9._-]{1,128}")
# API responses are data, never pages: nothing may load, frame or run from them.
API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
HSTS = "max-age=31536000"  # one year, the usual minimum; subdomains are the site's to decide


def init_app(app: Flask) -> None:
    """Give every request an id and a start time; stamp every response with the id and headers."""
    app.before_request(_start)
    app.after_request(_finish)
    # Sent after the session cookie is written (after_request runs before that).
    request_finished.connect(_secure_cookies, app)


def request_id() -> str:
    """The current request's id: the client's X-Request-ID when sane, else a new one
    (``new_id``)."""
    found = g.get("request_id")
    if found is None:
        given = request.headers.get(REQUEST_ID_HEADER, "")
        found = g.request_id = given if _SANE_ID.fullmatch(given) else new_id()
    return found


# Ids need to be unique, not secret: a generator seeded from os.urandom, reseeded in each forked
# worker, gives the random bits without a system call per id (uuid.uuid4 reads os.urandom each
# time, which under load costs a GIL hand-over per request).
_IDS = random.Random()
os.register_at_fork(after_in_child=_IDS.seed)


def new_id() -> str:
    """A version-7 UUID (RFC 9562: the Unix time in milliseconds, then 74 random bits) for
    request ids, CDS card and suggestion ids and resource ids.

    Ids made later sort later, so the audit table's index on request ids grows at its end: with
    random (version-4) ids every row went to a random page of that index, read and written
    again, and more so as the table grew (benchmarks/README.md, "Audit trail").
    """
    bits = (time.time_ns() // 1_000_000) << 80 | (_IDS.getrandbits(80) & _UUID_CLEAR) | _UUID_SET
    h = f"{bits:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


# Version 7 (bits 76-79 = 0111) and the RFC 9562 variant (bits 62-63 = 10).
_UUID_CLEAR = ~((0xF000 << 64) | (0xC000 << 48))
_UUID_SET = (0x7000 << 64) | (0x8000 << 48)


def _start() -> None:
    g.started = time.perf_counter()
    request_id()


# Set on every response unless a view set its own (one pass over the headers, not one each).
_DEFAULT_HEADERS = (("X-Content-Type-Options", "nosniff"), ("Referrer-Policy", "no-referrer"),
                    ("Content-Security-Policy", API_CSP), ("X-Frame-Options", "DENY"),
                    ("Cache-Control", "no-store"))


def _finish(response: Response) -> Response:
    headers = response.headers
    present = {name.lower() for name, _ in headers.items()}
    if _REQUEST_ID_KEY in present:
        headers[REQUEST_ID_HEADER] = request_id()
    else:
        headers.add(REQUEST_ID_HEADER, request_id())
    defaults = [(name, value) for lower, name, value in _DEFAULTS if lower not in present]
    if "strict-transport-security" not in present and served_over_https():
        defaults.append(("Strict-Transport-Security", HSTS))
    headers.extend(defaults)
    return response


_DEFAULTS = tuple((name.lower(), name, value) for name, value in _DEFAULT_HEADERS)
_REQUEST_ID_KEY = REQUEST_ID_HEADER.lower()


def served_over_https() -> bool:
    """Whether clients reach the service over https: its public URL says so, or the request
    came in on https (as forwarded by a trusted proxy, BMRISK_PROXY_HOPS)."""
    public = current_app.config.get("PUBLIC_URL") or ""
    return request.is_secure or public.lower().startswith("https://")


def _secure_cookies(sender: Flask, response: Response, **_: object) -> None:
    """Mark every cookie ``Secure`` when served over https (the session cookie included)."""
    cookies = response.headers.getlist("Set-Cookie")
    if not cookies or not served_over_https():
        return
    response.headers.remove("Set-Cookie")
    for cookie in cookies:
        flags = {part.strip().lower() for part in cookie.split(";")[1:]}
        response.headers.add("Set-Cookie", cookie if "secure" in flags else f"{cookie}; Secure")
