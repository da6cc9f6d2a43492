"""CDS Hooks client authentication: the EHR's JWT, checked as the specification requires.

Asymmetric algorithms only (never HS*/none); ``iss`` on the allow-list and ``jku`` on that
issuer's list; keys from the JWK Set at ``jku`` (cached) or from a local JWKS file; ``aud`` equal
to the exact endpoint URL; ``exp`` and ``iat`` numbers in range, ``iat`` not in the future and
a short lifetime (``BMRISK_CDS_JWT_MAX_LIFETIME``); ``jti`` required and never accepted twice
(kept in the service's database, so every worker and every replica sees it, across restarts).
Each rejection has a reason for the log only.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jwt
import requests
from sqlalchemy import Engine

from service.storage.tokens import remember_once

ASYMMETRIC = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512",
              "ES256", "ES384", "ES512", "EdDSA")
LEEWAY = 30  # seconds of clock difference tolerated on exp and iat
_JWKS_TTL = 300  # seconds a fetched JWK Set is reused
_JWKS_MIN_AGE = 30  # an unknown kid refetches a set at most this often (no fetch flooding)
_JWKS_MAX_BYTES = 1_000_000
_REQUIRED = ["iss", "aud", "exp", "iat", "jti"]
_LATEST = 2**40  # seconds since 1970 (year 36812): far beyond any real exp, inside SQLite's range
_MAX_JTI = 256


class AuthError(Exception):
    """A request is not authenticated; the message is the reason for the log, never the client."""


def parse_issuers(value: str) -> dict[str, tuple[str, ...]]:
    """Allow-list of issuers and their jku URLs: JSON {"iss": "jku" | [jku, ...]}, or
    'iss=jku,iss2=jku2' (an issuer without '=jku' uses the local JWKS file only)."""
    value = value.strip()
    if not value:
        return {}
    if value.startswith("{"):
        raw = json.loads(value)
        return {str(iss): tuple([jku] if isinstance(jku, str) else jku or ())
                for iss, jku in raw.items()}
    found: dict[str, tuple[str, ...]] = {}
    for pair in filter(None, (p.strip() for p in value.split(","))):
        iss, _, jku = pair.partition("=")
        found[iss.strip()] = found.get(iss.strip(), ()) + ((jku.strip(),) if jku else ())
    return found


def load_jwks(path: str | None) -> dict[str | None, list[dict[str, Any]]]:
    """Public keys from a local file (air-gapped sites, tests), by the issuer they belong to.

    The file is either one JWK Set, whose keys serve every issuer configured without a jku
    (key None), or an object mapping each issuer to its own JWK Set.
    """
    if not path:
        return {}
    raw = json.loads(Path(path).read_text(encoding="utf-8"))
    sets = {None: raw} if isinstance(raw, dict) and "keys" in raw else raw
    if not isinstance(sets, dict) or not sets:
        raise ValueError(f"{path}: expected a JWK Set or an object of issuer -> JWK Set")
    found: dict[str | None, list[dict[str, Any]]] = {}
    for issuer, jwks in sets.items():
        keys = jwks.get("keys") if isinstance(jwks, dict) else None
        if not isinstance(keys, list) or not keys:
            raise ValueError(f"{path}: a JWK Set needs a non-empty 'keys' list")
        found[issuer] = [k for k in keys if isinstance(k, dict)]
    return found


@dataclass
class Trust:
    """Whom to trust and where their keys are; fetched JWK Sets are cached per URL."""

    issuers: Mapping[str, tuple[str, ...]]
    local_keys: Mapping[str | None, list[dict[str, Any]]]
    max_lifetime: int = 300
    _cache: dict[str, tuple[float, list[dict[str, Any]]]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def enabled(self) -> bool:
        return bool(self.issuers)

    def verify(self, authorization: str | None, audiences: Sequence[str],
               seen: Engine) -> dict[str, Any]:
        """The claims of a valid token in an 'Authorization: Bearer' header, else AuthError;
        its jti is recorded in the database ``seen`` and never accepted again."""
        token = _bearer(authorization)
        header, claims = _unverified(token)
        issuer = claims.get("iss")
        if not isinstance(issuer, str) or issuer not in self.issuers:
            raise AuthError("issuer not on the allow-list")
        key = self._key(header, issuer)
        try:
            verified = jwt.decode(token, key, algorithms=[header["alg"]], audience=audiences,
                                  issuer=issuer, leeway=LEEWAY, options={"require": _REQUIRED})
        except jwt.InvalidTokenError as exc:
            raise AuthError(f"token refused: {type(exc).__name__}") from None
        check_claims(verified, self.max_lifetime, time.time())
        if not remember_once(seen, issuer, str(verified["jti"]), int(verified["exp"]),
                             int(time.time()) - LEEWAY):
            raise AuthError("jti replayed")
        return verified

    def _local(self, issuer: str) -> list[dict[str, Any]]:
        """Keys of the local file for ``issuer``: its own, or the shared set if it has no jku."""
        shared = [] if self.issuers[issuer] else self.local_keys.get(None, [])
        return self.local_keys.get(issuer, []) + shared

    def _key(self, header: dict[str, Any], issuer: str) -> Any:
        jku, kid = header.get("jku"), header.get("kid")
        if jku is not None and jku not in self.issuers[issuer]:
            raise AuthError("jku not on the issuer's allow-list")
        sources = [jku] if jku else list(self.issuers[issuer])
        local = [] if jku else self._local(issuer)
        chosen = _pick([k for url in sources for k in self._fetched(url, False)] + local, kid)
        if chosen is None and sources:
            chosen = _pick([k for u in sources for k in self._fetched(u, True)] + local, kid)
        if chosen is None:
            raise AuthError("no key with the token's kid")
        try:
            return jwt.PyJWK(chosen, algorithm=header["alg"]).key
        except (jwt.PyJWKError, jwt.InvalidKeyError):
            raise AuthError("key does not fit the token's algorithm") from None

    def _fetched(self, url: str, refresh: bool) -> list[dict[str, Any]]:
        with self._lock:
            cached = self._cache.get(url)
            age = time.monotonic() - cached[0] if cached else None
            if age is not None and age < (_JWKS_MIN_AGE if refresh else _JWKS_TTL):
                return cached[1]
        keys = _download_jwks(url)
        with self._lock:
            self._cache[url] = (time.monotonic(), keys)
        return keys


def check_claims(claims: Mapping[str, Any], max_lifetime: int, now: float) -> None:
    """exp and iat are numbers in range, the token lives at most ``max_lifetime`` seconds
    (exp - iat, and exp - now), and jti is a short string; AuthError otherwise."""
    exp, iat, jti = claims.get("exp"), claims.get("iat"), claims.get("jti")
    for name, value in (("exp", exp), ("iat", iat)):
        if not isinstance(value, int | float) or isinstance(value, bool) \
                or not 0 <= value < _LATEST:
            raise AuthError(f"{name} is not a number of seconds in range")
    if exp - iat > max_lifetime or exp - now > max_lifetime + LEEWAY:
        raise AuthError(f"token lives longer than {max_lifetime} s")
    if not isinstance(jti, str) or not 0 < len(jti) <= _MAX_JTI:
        raise AuthError(f"jti is not a string of 1 to {_MAX_JTI} characters")


def _bearer(authorization: str | None) -> str:
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthError("no bearer token")
    return token.strip()


def _unverified(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    try:
        header = jwt.get_unverified_header(token)
        claims = jwt.decode(token, options={"verify_signature": False})
    except jwt.InvalidTokenError:
        raise AuthError("malformed token") from None
    if header.get("alg") not in ASYMMETRIC:
        raise AuthError(f"algorithm {str(header.get('alg'))[:10]!r} not allowed")
    if str(header.get("typ", "JWT")).upper() != "JWT":
        raise AuthError("typ is not JWT")
    return header, claims


def _pick(keys: list[dict[str, Any]], kid: str | None) -> dict[str, Any] | None:
    if kid is None:
        return keys[0] if len(keys) == 1 else None
    return next((k for k in keys if k.get("kid") == kid), None)


def _download_jwks(url: str) -> list[dict[str, Any]]:
    try:
        with requests.get(url, timeout=(2, 3), allow_redirects=False, stream=True) as response:
            response.raise_for_status()
            body = response.raw.read(_JWKS_MAX_BYTES + 1, decode_content=True)
        if len(body) > _JWKS_MAX_BYTES:
            raise AuthError("JWK Set too large")
        keys = json.loads(body).get("keys")
    except (requests.RequestException, ValueError, AttributeError):
        raise AuthError("JWK Set could not be fetched") from None
    return [k for k in keys if isinstance(k, dict)] if isinstance(keys, list) else []
