"""Access control: bearer API keys stored only as SHA-256 hashes; no open public binds.

Keys guard ``/v1/`` and ``/fhir/``. Without keys the service runs only on a loopback address,
and says loudly that authentication is off; on any other address it refuses to start.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import logging
from collections.abc import Sequence

from flask import Flask, current_app, request

from .audit import set_caller
from .errors import Problem
from .logging import log_event

GUARDED_PREFIXES = ("/v1/", "/fhir/")
_CHALLENGE = 'Bearer realm="bmrisk"'
KEY_ID_CHARS = 12  # an API key's id in the audit: this many hex of its SHA-256 (not secret)


class StartupRefused(RuntimeError):
    """The configuration is unsafe to serve; gunicorn prints the message and exits non-zero."""


def is_loopback(host: str) -> bool:
    """Whether ``host`` (an address or ``localhost``) only accepts connections from this machine."""
    host = host.strip().strip("[]")
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a host name could resolve to anything: treat it as public


def check_bind(host: str, key_hashes: Sequence[str]) -> None:
    """Refuse a non-loopback bind without API keys; warn loudly when auth is off on loopback."""
    if key_hashes:
        return
    if not is_loopback(host):
        raise StartupRefused(
            f"refusing to start: BMRISK_HOST={host} is not a loopback address and no API keys "
            "are configured. Set BMRISK_API_KEY_HASHES (SHA-256 hex of each key) or bind to "
            "127.0.0.1.")
    log_event("auth_disabled", level=logging.WARNING, host=host, auth="off",
              detail="AUTHENTICATION IS OFF: no API keys configured (BMRISK_API_KEY_HASHES); "
                     "allowed only because the bind address is loopback. Anyone on this machine "
                     "can call the API.")


def key_hash(key: str) -> str:
    """The SHA-256 hex digest stored in configuration for ``key``."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def init_app(app: Flask) -> None:
    """Check the bind address at app creation, then guard the API paths on every request."""
    check_bind(app.config["HOST"], app.config["API_KEY_HASHES"])
    app.before_request(_require_key)


def _require_key() -> None:
    hashes = current_app.config["API_KEY_HASHES"]
    if not hashes or not request.path.startswith(GUARDED_PREFIXES):
        return
    scheme, _, key = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not key.strip():
        raise Problem(401, headers={"WWW-Authenticate": _CHALLENGE})
    digest = key_hash(key.strip())
    if not _matches(digest, hashes):
        raise Problem(401, "The API key is not valid.",
                      headers={"WWW-Authenticate": f'{_CHALLENGE}, error="invalid_token"'})
    set_caller(f"key:{digest[:KEY_ID_CHARS]}")


def _matches(digest: str, hashes: Sequence[str]) -> bool:
    """Compare with every stored hash in constant time (no early exit on a match)."""
    found = False
    for stored in hashes:
        found |= hmac.compare_digest(digest.encode(), stored.encode())
    return found
