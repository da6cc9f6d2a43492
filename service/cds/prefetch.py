"""Prefetch: the templates the service announces, and getting each one's data for a call.

A key present with a value is used as sent (a resource or a searchset Bundle); present with
null means nothing exists; absent means the EHR could not (or chose not to) fetch it, so the
service fetches it itself when the call lends a FHIR server and token, and otherwise answers
412 Precondition Failed, as the specification requires. The Patient is optional: it is only
checked against the context, never needed for the score, so its absence is not an error.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from service.fhir import codes

from .fetch import FetchError, Policy, fetch

_STATUS = "status=final,amended,corrected"
_RECENT = "_sort=-date&_count=10"  # the newest few; the service still picks by date itself
LAB_KEYS = {"calcium": "calcium", "albumin": "albumin", "alp": "alp", "cea": "cea"}
STAGING_KEYS = {"tnmT": "t_category", "tnmN": "n_category", "stage": "stage"}
OPTIONAL_KEYS = frozenset({"patient"})


class PrefetchMissing(Exception):
    """Required data can be neither prefetched nor fetched (HTTP 412); says which and why."""


def templates(bsp_code: codes.Code | None = None) -> dict[str, str]:
    """Every prefetch template, by key (BSP only when a local code is configured)."""
    found = {"patient": "Patient/{{context.patientId}}"}
    for key, name in LAB_KEYS.items():
        found[key] = _observations(codes.LAB_CODES[name])
    for key, name in STAGING_KEYS.items():
        found[key] = _observations(codes.STAGING_CODES[name])
    found["cancer"] = ("Condition?patient={{context.patientId}}"
                       "&category=problem-list-item,encounter-diagnosis")
    if bsp_code is not None:
        found["bsp"] = _observations((bsp_code,))
    return found


def _observations(wanted: tuple[codes.Code, ...]) -> str:
    tokens = ",".join(f"{system}|{code}" for system, code in wanted)
    return f"Observation?patient={{{{context.patientId}}}}&code={tokens}&{_STATUS}&{_RECENT}"


def fill(template: str, context: Mapping[str, Any]) -> str:
    """A template with each {{context.X}} token replaced by the (URL-quoted) context value."""
    for name, value in context.items():
        if isinstance(value, str):
            template = template.replace(f"{{{{context.{name}}}}}", quote(value, safe=""))
    return template


def gather(call: Mapping[str, Any], wanted: Mapping[str, str],
           policy: Policy) -> dict[str, Any]:
    """The data of every wanted key: prefetched, or fetched from the EHR when absent.

    Every fetch failure is one PrefetchMissing with the same words (the cause, e.g. a refused
    server or a timeout, would make the service a port scanner); the cause is its
    ``__cause__``, for the log.
    """
    prefetch = dict(call.get("prefetch") or {})
    absent = [key for key in wanted if key not in prefetch and key not in OPTIONAL_KEYS]
    if not absent:
        return prefetch
    server, auth = call.get("fhirServer"), call.get("fhirAuthorization")
    if not server or not auth:
        raise PrefetchMissing(f"Prefetch keys {', '.join(absent)} are missing and the call "
                              "gives no fhirServer and fhirAuthorization to fetch them")
    queries = {key: fill(wanted[key], call["context"]) for key in absent}
    try:
        prefetch.update(_fetch_all(server, queries, auth["access_token"], policy))
    except FetchError as exc:
        raise PrefetchMissing(f"Prefetch keys {', '.join(absent)} are missing and could not be "
                              "fetched from the fhirServer") from exc
    return prefetch


def _fetch_all(server: str, queries: Mapping[str, str], token: str,
               policy: Policy) -> dict[str, Any]:
    """Every query, within the call's deadline, holding one of the worker's fetch slots."""
    base = policy.base_of(server)
    if not policy.slots.acquire(blocking=False):
        raise FetchError("too many hook calls fetching at once in this worker")
    try:
        call_deadline = time.monotonic() + policy.call_timeout
        return {key: fetch(base, query, token,
                           min(call_deadline, time.monotonic() + policy.fetch_timeout))
                for key, query in queries.items()}
    finally:
        policy.slots.release()
