"""The fhirServer allow-list: parsed and compared exactly (scheme, host, port, whole path
segments), with user info, queries, fragments, escapes and dot segments refused; over HTTP, a
refused server is never called at all."""

from __future__ import annotations

import threading
from typing import Any

import pytest
import requests

from service import create_app
from service.cds.fetch import FetchError, Policy, parse_bases
from service.config import ConfigError

SERVICE = "lung-bone-mets-risk"
ALLOWED = "https://fhir.example.org/fhir/r4"


def policy(*allowed: str, any_loopback: bool = False) -> Policy:
    return Policy(parse_bases(",".join(allowed)), any_loopback, 1.0, 2.0,
                  threading.BoundedSemaphore(1))


@pytest.mark.parametrize("server", [
    ALLOWED, ALLOWED + "/", "HTTPS://FHIR.example.org/fhir/r4", "https://fhir.example.org:443/fhir/r4",
    ALLOWED + "/tenant-1",
])
def test_the_allowed_base_and_the_bases_below_it_are_fetched(server):
    assert policy(ALLOWED).base_of(server).host == "fhir.example.org"


@pytest.mark.parametrize("server", [
    "https://fhir.example.org.attacker.net/fhir/r4",
    "https://fhir.example.org@attacker.net/fhir/r4",
    "https://user:pw@fhir.example.org/fhir/r4",
    "https://fhir.example.org:8443/fhir/r4",
    "http://fhir.example.org/fhir/r4",
    "https://fhir.example.org/fhir/r4-other",
    "https://fhir.example.org/fhir",
    "https://fhir.example.org/fhir/r4/../admin/delete",
    "https://fhir.example.org/fhir/r4/%2e%2e/admin",
    "https://fhir.example.org/fhir/r4/./Patient",
    "https://fhir.example.org/fhir//r4",
    "https://fhir.example.org/fhir/r4?x=1",
    "https://fhir.example.org/fhir/r4#",
    "https://fhir.example.org/fhir/r4\\..\\admin",
    "https://fhir.example.org/fhir/r4/caf\u00e9",
    "ftp://fhir.example.org/fhir/r4",
    "http://127.0.0.1:8080/r4",  # on this machine, but a list is set: the list decides
])
def test_anything_else_is_refused(server):
    with pytest.raises(FetchError, match="fhirServer refused"):
        policy(ALLOWED).base_of(server)


def test_with_a_list_on_a_loopback_bind_only_the_list_is_fetched(monkeypatch):
    monkeypatch.setenv("BMRISK_CDS_FHIR_SERVERS", ALLOWED)
    app = create_app({"TESTING": True})
    with pytest.raises(FetchError):
        app.extensions["bmrisk.cds.fetch"].base_of("http://127.0.0.1:8080/r4")


def test_without_a_list_only_this_machine_and_only_when_not_on_the_network():
    assert policy(any_loopback=True).base_of("http://127.0.0.1:8080/r4").port == 8080
    assert policy(any_loopback=True).base_of("http://[::1]:8080/r4").host == "::1"
    with pytest.raises(FetchError):
        policy(any_loopback=True).base_of("https://fhir.example.org/r4")
    with pytest.raises(FetchError):
        policy(any_loopback=False).base_of("http://127.0.0.1:8080/r4")


@pytest.mark.parametrize("entry", ["http://fhir.example.org/r4", "https://a.org/r4?x",
                                   "https://u@a.org/r4", "https://a.org/r4/../x", "a.org/r4"])
def test_a_bad_allow_list_entry_stops_the_boot(monkeypatch, entry):
    monkeypatch.setenv("BMRISK_CDS_FHIR_SERVERS", f"https://good.example.org/r4, {entry}")
    with pytest.raises(ConfigError, match="BMRISK_CDS_FHIR_SERVERS"):
        create_app({"TESTING": True})


# -- over HTTP: refused servers are never called -----------------------------------------------

@pytest.fixture(scope="module")
def listed(module_server_factory, listener) -> Any:
    """A server allowed to fetch from the listener's base only."""
    return module_server_factory({"BMRISK_CDS_FHIR_SERVERS": listener.url})


def call(server: Any, fixture: Any, fhir_server: str) -> requests.Response:
    request = fixture("cds-request-complete.json")
    request["fhirServer"] = fhir_server
    del request["prefetch"]["cea"]
    return requests.post(f"{server.url}/cds-services/{SERVICE}", json=request, timeout=30)


@pytest.mark.e2e
def test_over_http_only_the_listed_base_is_ever_called(listed, listener, fhir_server, fixture):
    base = listener.url  # http://127.0.0.1:<port>/r4
    host = base.split("//")[1].split("/")[0]
    refused = [base + "-other", base + "/../admin?all=1#", base + "/%2e%2e/admin",
               f"http://x@{host}/r4", base + "?x=1#", base + "#", f"http://localhost:{host[10:]}/r4",
               fhir_server.url]  # another FHIR server on this machine, not on the list
    before, other = len(listener.seen), len(fhir_server.seen)
    for server in refused:
        response = call(listed, fixture, server)
        assert response.status_code in (400, 412), server
    assert len(listener.seen) == before
    assert len(fhir_server.seen) == other
    assert call(listed, fixture, base).status_code == 200
    assert len(listener.seen) == before + 1
