"""Fetching over https, the production path: the FHIR server's certificate is verified against
the trusted authorities (here a test authority given by SSL_CERT_FILE), and a server whose
certificate is not trusted is never sent the token's request."""

from __future__ import annotations

import datetime
import ipaddress
import ssl
import sys
from pathlib import Path
from typing import Any

import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

pytestmark = pytest.mark.e2e

SERVICE = "lung-bone-mets-risk"


def self_signed(folder: Path, name: str) -> ssl.SSLContext:
    """A server context with a new self-signed certificate for 127.0.0.1 (saved as name.pem)."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    (folder / f"{name}.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (folder / f"{name}.key").write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(folder / f"{name}.pem", folder / f"{name}.key")
    return context


@pytest.fixture(scope="module")
def tls(tmp_path_factory, fhir_server) -> Any:
    folder = tmp_path_factory.mktemp("tls")
    fhir_type = type(fhir_server)
    resources = sys.modules[fhir_type.__module__].fixture_resources()
    trusted = fhir_type(resources, self_signed(folder, "trusted"))
    untrusted = fhir_type(resources, self_signed(folder, "untrusted"))
    yield {"trusted": trusted, "untrusted": untrusted, "ca": folder / "trusted.pem"}
    trusted.stop()
    untrusted.stop()


def call(server: Any, fixture: Any, fhir_server: str) -> requests.Response:
    request = fixture("cds-request-complete.json")
    request["fhirServer"] = fhir_server
    del request["prefetch"]["cea"]
    return requests.post(f"{server.url}/cds-services/{SERVICE}", json=request, timeout=30)


def test_https_fetch_verifies_the_certificate(module_server_factory, tls, fixture):
    server = module_server_factory({
        "SSL_CERT_FILE": str(tls["ca"]),
        "BMRISK_CDS_FHIR_SERVERS": f"{tls['trusted'].url},{tls['untrusted'].url}"})
    assert call(server, fixture, tls["trusted"].url).status_code == 200
    assert [s["path"] for s in tls["trusted"].seen] == ["/r4/Observation"]
    assert tls["trusted"].seen[0]["authorization"] == "Bearer some-opaque-fhir-access-token"
    refused = call(server, fixture, tls["untrusted"].url)
    assert refused.status_code == 412
    assert tls["untrusted"].seen == []  # the handshake failed: no request, no token
    server.wait_for_record(lambda r: r.get("event") == "cds_fetch_failed"
                           and r["request_id"] == refused.headers["X-Request-ID"]
                           and "SSL" in r["detail"])
