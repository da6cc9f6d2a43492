"""Transport over HTTP against gunicorn: HSTS and Secure cookies whenever clients come over https
(the public URL, or a trusted proxy's forwarded protocol), never over plain http; and a body
over the limit is a 413 whether it is sent with a Content-Length or chunked."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests

pytestmark = pytest.mark.e2e

LIMIT = 2000
HSTS = "Strict-Transport-Security"


@pytest.fixture(scope="module")
def https_public(module_server_factory) -> Any:
    return module_server_factory({"BMRISK_PUBLIC_URL": "https://risk.example.org",
                                  "BMRISK_MAX_CONTENT_LENGTH": str(LIMIT)})


@pytest.fixture(scope="module")
def proxied(module_server_factory) -> Any:
    return module_server_factory({"BMRISK_PROXY_HOPS": "1",
                                  "BMRISK_CDS_ALLOW_UNAUTHENTICATED": "true"})


def cookies_of(response: requests.Response) -> list[str]:
    return [v for k, v in response.raw.headers.items() if k.lower() == "set-cookie"]


def test_with_an_https_public_url_every_response_has_hsts_and_secure_cookies(https_public):
    for path in ("/healthz", "/openapi.json", "/nope", "/"):
        response = requests.get(https_public.url + path, timeout=10)
        assert response.headers[HSTS] == "max-age=31536000", path
    page = requests.get(https_public.url + "/?lang=zh-Hans", timeout=10)
    cookies = cookies_of(page)
    assert {c.split("=")[0] for c in cookies} == {"session", "lang"}
    assert all("; Secure" in c for c in cookies)


def test_behind_a_proxy_only_a_forwarded_https_request_gets_hsts_and_secure_cookies(proxied):
    secure = requests.get(proxied.url + "/", headers={"X-Forwarded-Proto": "https"}, timeout=10)
    assert HSTS in secure.headers
    assert all("; Secure" in c for c in cookies_of(secure))
    plain = requests.get(proxied.url + "/", headers={"X-Forwarded-Proto": "http"}, timeout=10)
    assert HSTS not in plain.headers
    assert cookies_of(plain)
    assert not [c for c in cookies_of(plain) if "secure" in c.lower()]


def test_plain_http_without_a_public_url_has_no_hsts(live_server):
    assert HSTS not in requests.get(live_server.url + "/healthz", timeout=10).headers


def _chunks(size: int) -> Iterator[bytes]:
    body = b'{"histology": "squamous", "pad": "' + b"x" * size + b'"}'
    for start in range(0, len(body), 500):
        yield body[start:start + 500]


@pytest.mark.parametrize("chunked", [True, False])
def test_a_body_over_the_limit_is_413_chunked_or_not(https_public, chunked):
    body = _chunks(LIMIT * 2) if chunked else b"".join(_chunks(LIMIT * 2))
    response = requests.post(https_public.url + "/v1/risk", data=body, timeout=10,
                             headers={"Content-Type": "application/json"})
    assert response.status_code == 413
    assert response.json()["status"] == 413


def test_a_chunked_body_under_the_limit_is_read_whole(https_public):
    body = iter([b'{"histology": ', b'"squamous"}'])
    response = requests.post(https_public.url + "/v1/risk", data=body, timeout=10,
                             headers={"Content-Type": "application/json"})
    assert response.status_code == 200, response.text
