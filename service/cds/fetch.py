"""Fetching FHIR data from the EHR's server with the bearer token the call lends.

Short timeouts, no redirects (the token must not follow one), a size cap, and only servers the
site allows: https, or http on this machine for tests; BMRISK_CDS_FHIR_SERVERS narrows this
to listed base URLs.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

import requests

from service.auth import is_loopback
from service.bodies import FHIR_JSON

MAX_BYTES = 5_000_000


class FetchError(Exception):
    """The FHIR server did not give a usable answer; the message says why (no data in it)."""


def refuse_server(server: str, allowed: tuple[str, ...]) -> str | None:
    """Why the service will not call ``server`` with a token, or None when it may."""
    parts = urlsplit(server)
    if allowed and not any(server.rstrip("/").startswith(a.rstrip("/")) for a in allowed):
        return "the fhirServer is not on this site's list (BMRISK_CDS_FHIR_SERVERS)"
    if parts.scheme == "https" or (parts.scheme == "http" and is_loopback(parts.hostname or "")):
        return None
    return "the fhirServer must use https (a token is never sent in clear text)"


def fetch(server: str, query: str, token: str, timeout: float) -> dict[str, Any] | None:
    """GET ``query`` (relative to ``server``): the resource or Bundle, None for a missing read."""
    url = f"{server.rstrip('/')}/{query}"
    headers = {"Authorization": f"Bearer {token}", "Accept": FHIR_JSON}
    try:
        with requests.get(url, headers=headers, timeout=timeout, allow_redirects=False,
                          stream=True) as response:
            if response.status_code in (404, 410) and "?" not in query:
                return None
            if response.status_code != 200:
                raise FetchError(f"HTTP {response.status_code}")
            body = response.raw.read(MAX_BYTES + 1, decode_content=True)
    except requests.RequestException as exc:
        raise FetchError(type(exc).__name__) from None
    if len(body) > MAX_BYTES:
        raise FetchError("answer too large")
    try:
        resource = json.loads(body)
    except ValueError:
        raise FetchError("answer is not JSON") from None
    if not isinstance(resource, dict) or "resourceType" not in resource:
        raise FetchError("answer is not a FHIR resource")
    return resource
