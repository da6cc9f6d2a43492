"""Secure by default on a network: reachable from it (a non-loopback bind, or a proxy in front),
the service refuses to serve CDS Hooks without the EHR's JWT issuer and a fixed public URL,
unless the site opts out explicitly, and then it says so loudly at every boot."""

from __future__ import annotations

import hashlib
import logging
import socket

import pytest
import requests

from service import create_app
from service.auth import StartupRefused

KEYED = {"API_KEY_HASHES": (hashlib.sha256(b"k").hexdigest(),)}
JWT = {"CDS_JWT_ISSUERS": {"https://ehr.example.org/": ()},
       "PUBLIC_URL": "https://risk.example.org"}


@pytest.mark.parametrize(("settings", "names"), [
    ({}, ["BMRISK_CDS_JWT_ISSUERS", "BMRISK_PUBLIC_URL"]),
    ({"PUBLIC_URL": "https://risk.example.org"}, ["BMRISK_CDS_JWT_ISSUERS"]),
    ({"CDS_JWT_ISSUERS": JWT["CDS_JWT_ISSUERS"]}, ["BMRISK_PUBLIC_URL"]),
])
def test_a_network_bind_without_jwt_or_public_url_is_refused_naming_what_to_set(settings,
                                                                                 names):
    with pytest.raises(StartupRefused) as refused:
        create_app({"HOST": "0.0.0.0", **KEYED, **settings})
    for name in [*names, "BMRISK_CDS_ALLOW_UNAUTHENTICATED"]:
        assert name in str(refused.value)


def test_a_proxy_in_front_counts_as_the_network():
    with pytest.raises(StartupRefused, match="BMRISK_PROXY_HOPS=1"):
        create_app({"PROXY_HOPS": 1})


def test_with_jwt_and_a_public_url_a_network_bind_starts():
    app = create_app({"HOST": "0.0.0.0", **KEYED, **JWT})
    assert app.extensions["bmrisk.cds"].enabled


def test_the_opt_out_starts_and_says_so_loudly(caplog):
    with caplog.at_level(logging.WARNING, logger="bmrisk"):
        create_app({"HOST": "0.0.0.0", **KEYED, "CDS_ALLOW_UNAUTHENTICATED": True})
    events = {r.getMessage(): r for r in caplog.records}
    assert events["cds_auth_disabled"].levelno == logging.WARNING
    assert "BMRISK_CDS_ALLOW_UNAUTHENTICATED" in events["cds_auth_disabled"].bmrisk["detail"]
    # With no allow-list, a service on the network fetches from no FHIR server at all.
    assert "cds_fetch_disabled" in events


@pytest.mark.e2e
def test_over_gunicorn_the_keyed_public_bind_of_the_old_readme_is_refused(server_factory):
    with socket.socket() as probe:
        probe.bind(("0.0.0.0", 0))
        port = probe.getsockname()[1]
    refused = server_factory({"BMRISK_HOST": "0.0.0.0", "PORT": str(port),
                              "BMRISK_API_KEY_HASHES": KEYED["API_KEY_HASHES"][0]},
                             expect_fail=True)
    assert refused.returncode != 0
    assert "BMRISK_CDS_JWT_ISSUERS and BMRISK_PUBLIC_URL" in refused.log_text()
    with pytest.raises(requests.ConnectionError):
        requests.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
