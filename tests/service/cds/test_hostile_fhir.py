"""A hostile FHIR server over HTTP against gunicorn: every way it fails is one 412 with the same
words (the cause only in the log), a slow server costs one deadline and never starves the API,
and redirects are never followed."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests

pytestmark = pytest.mark.e2e

SERVICE = "lung-bone-mets-risk"
FETCH_TIMEOUT, CALL_TIMEOUT = 1.0, 2.0
MODES = {"drip-head": "deadline passed", "drip-body": "deadline passed",
         "truncated": "truncated", "bad-gzip": "not valid gzip", "deep": "nested too deeply",
         "redirect": "HTTP 302"}
GENERIC = "Prefetch keys cea are missing and could not be fetched from the fhirServer"


@pytest.fixture(scope="module")
def server(module_server_factory) -> Any:
    """Loopback, no allow-list (so any FHIR server on this machine), short deadlines."""
    return module_server_factory({"BMRISK_CDS_FETCH_TIMEOUT": str(FETCH_TIMEOUT),
                                  "BMRISK_CDS_CALL_TIMEOUT": str(CALL_TIMEOUT)})


def hook_call(server: Any, fixture: Any, fhir_server: str, *absent: str) -> requests.Response:
    request = fixture("cds-request-complete.json")
    request["fhirServer"] = fhir_server
    for key in absent or ("cea",):
        del request["prefetch"][key]
    return requests.post(f"{server.url}/cds-services/{SERVICE}", json=request, timeout=60)


@pytest.mark.parametrize("mode", list(MODES))
def test_each_failure_is_one_generic_412_and_the_cause_is_logged(
        server, hostile, listener, fixture, outcome_check, mode):
    called = len(listener.seen)
    started = time.monotonic()
    response = hook_call(server, fixture, f"{hostile.url}/{mode}")
    took = time.monotonic() - started
    assert response.status_code == 412, response.text
    outcome_check(response.json())
    detail = response.json()["issue"][0]["diagnostics"]
    assert detail == f"{GENERIC} (request id {response.headers['X-Request-ID']})"
    assert hostile.url.split("//")[1] not in response.text
    record = server.wait_for_record(lambda r: r.get("event") == "cds_fetch_failed"
                                    and r["request_id"] == response.headers["X-Request-ID"])
    assert MODES[mode] in record["detail"]
    assert hostile.url.split("//")[1] not in record["detail"]
    assert len(listener.seen) == called  # a redirect is never followed
    assert took < FETCH_TIMEOUT + 3  # one deadline (a drip would otherwise last 30 s)


def test_a_drip_is_cut_at_the_deadline(server, hostile, fixture):
    before = len(hostile.held)
    assert hook_call(server, fixture, f"{hostile.url}/drip-body").status_code == 412
    deadline = time.monotonic() + 10
    while len(hostile.held) == before and time.monotonic() < deadline:
        time.sleep(0.1)
    assert hostile.held[before:], "the service never hung up"
    assert hostile.held[before] < FETCH_TIMEOUT + 2


def test_all_fetches_of_a_call_share_one_deadline(server, hostile, fixture):
    # Eight keys from a server taking 0.7 s each: each fetch is within its own deadline (1 s),
    # but all eight would take 5.6 s; the call's deadline (2 s) ends them.
    before = len(hostile.paths)
    started = time.monotonic()
    response = hook_call(server, fixture, f"{hostile.url}/slow", "calcium", "albumin",
                         "alp", "cea", "tnmT", "tnmN", "stage", "cancer")
    took = time.monotonic() - started
    assert response.status_code == 412
    server.wait_for_record(lambda r: r.get("event") == "cds_fetch_failed"
                           and r["request_id"] == response.headers["X-Request-ID"]
                           and r["detail"] == "deadline passed")
    assert 2 <= len(hostile.paths) - before <= 3  # 0.7 s, 1.4 s, and the third cut at 2 s
    assert took < CALL_TIMEOUT + 1.5


@pytest.fixture(scope="module")
def slow_server(module_server_factory) -> Any:
    """Long deadlines, so a starved API would show: each dripping call holds a thread 6 s."""
    return module_server_factory({"BMRISK_CDS_FETCH_TIMEOUT": "6",
                                  "BMRISK_CDS_CALL_TIMEOUT": "6",
                                  "BMRISK_WORKERS": "2", "BMRISK_THREADS": "4",
                                  "BMRISK_CDS_FETCH_CONCURRENCY": "2"})


def test_a_dripping_server_never_starves_the_api(slow_server, hostile, fixture):
    risk = {"histology": "squamous", "t_category": "T2a"}
    hostile.most_at_once = 0
    with ThreadPoolExecutor(12) as pool:
        calls = [pool.submit(hook_call, slow_server, fixture, f"{hostile.url}/drip-body")
                 for _ in range(12)]
        time.sleep(1.0)  # the dripping calls hold their threads now
        answers = []
        for _ in range(10):
            started = time.monotonic()
            answered = requests.post(f"{slow_server.url}/v1/risk", json=risk, timeout=30)
            answers.append((answered.status_code, time.monotonic() - started))
            time.sleep(0.2)
        statuses = [c.result().status_code for c in calls]
    assert statuses == [412] * 12
    assert [status for status, _ in answers] == [200] * 10
    # Answered while every dripping call was still held (6 s), not after a deadline.
    assert max(took for _, took in answers) < 3
    assert hostile.most_at_once <= 4  # two workers x BMRISK_CDS_FETCH_CONCURRENCY (2)
    slow_server.wait_for_record(lambda r: r.get("event") == "cds_fetch_failed"
                                and "too many hook calls" in r["detail"])
