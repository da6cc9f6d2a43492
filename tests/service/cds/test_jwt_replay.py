"""A JWT id is accepted once across every worker, every server sharing the store, and restarts:
a token used on one server is refused on another, and still refused after a restart."""

from __future__ import annotations

import json
import sys
from typing import Any

import pytest
import requests

pytestmark = pytest.mark.e2e

SERVICE = "lung-bone-mets-risk"
EHR = "https://ehr.example.org/"
PUBLIC = "https://risk.example.org"  # both servers answer to this URL (the tokens' audience)
AUD = f"{PUBLIC}/cds-services/{SERVICE}"


@pytest.fixture
def setup(server_factory, fhir_server, tmp_path) -> dict[str, Any]:
    signer = sys.modules[type(fhir_server).__module__].Signer("ehr-1", "ES384")
    (tmp_path / "jwks.json").write_text(json.dumps({"keys": [signer.jwk]}))
    env = {"BMRISK_PUBLIC_URL": PUBLIC, "BMRISK_CDS_JWT_ISSUERS": EHR,
           "BMRISK_CDS_JWKS_FILE": str(tmp_path / "jwks.json"),
           "BMRISK_DATABASE_URL": f"sqlite:///{tmp_path / 'shared.sqlite3'}"}
    return {"signer": signer, "env": env, "start": server_factory}


def call(server: Any, token: str, fixture: Any) -> int:
    response = requests.post(f"{server.url}/cds-services/{SERVICE}", timeout=30,
                             json=fixture("cds-request-sparse.json"),
                             headers={"Authorization": f"Bearer {token}"})
    return response.status_code


def test_a_token_used_on_one_server_is_refused_on_another_sharing_the_store(setup, fixture):
    first, second = setup["start"](setup["env"]), setup["start"](setup["env"])
    token = setup["signer"].token(EHR, AUD)
    assert call(first, token, fixture) == 200
    assert call(second, token, fixture) == 401
    second.wait_for_record(lambda r: r.get("detail") == "jti replayed")
    assert call(second, setup["signer"].token(EHR, AUD), fixture) == 200  # a fresh one is fine


def test_a_token_is_still_refused_after_a_restart(setup, fixture):
    server = setup["start"](setup["env"])
    token = setup["signer"].token(EHR, AUD)
    assert call(server, token, fixture) == 200
    server.stop()
    again = setup["start"](setup["env"])
    assert call(again, token, fixture) == 401
    again.wait_for_record(lambda r: r.get("detail") == "jti replayed")
