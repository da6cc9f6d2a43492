"""Two service instances (two gunicorn masters) on one database, over HTTP, as a hospital runs
them behind a load balancer: JWT replay protection and feedback are shared, concurrent load
loses no audit row, a PostgreSQL outage under load gives 503s (never a 500, never a 200
without its row) and the service recovers by itself, and no patient marker is stored or logged.
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests

from .conftest import AUDIT_KEY, MARKER_REF, MARKER_VALUE, audit_rows, every_stored_text, migrate

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

SERVICE = "lung-bone-mets-risk"
PUBLIC = "https://risk.example.org"  # both instances sit behind one address
EHR = "https://ehr.example.org/"
PATIENT = {"histology": "adenocarcinoma", "t_category": "T3", "n_category": "N1",
           "calcium": {"value": MARKER_VALUE, "unit": "mmol/L"}, "patient_ref": MARKER_REF}


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def shared_url(request, tmp_path_factory) -> str:
    """One database for the module's two instances: an SQLite file, or one on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path_factory.mktemp('shared') / 'bmrisk.sqlite3'}"
    url = str(request.getfixturevalue("postgres").create_database())
    migrate(url)  # the migration Job, before any instance starts
    return url


@pytest.fixture(scope="module")
def replicas(shared_url, module_server_factory, tmp_path_factory) -> dict[str, Any]:
    """Two gunicorn masters on ``shared_url``, trusting one EHR's JWTs (local key file)."""
    from tests.service.conftest import Signer

    ehr = Signer("ehr-1", "ES384")
    folder = tmp_path_factory.mktemp("jwks")
    (folder / "jwks.json").write_text(json.dumps({"keys": [ehr.jwk]}))
    env = {"BMRISK_DATABASE_URL": shared_url, "BMRISK_AUDIT_KEY": AUDIT_KEY,
           "BMRISK_PUBLIC_URL": PUBLIC, "BMRISK_CDS_JWT_ISSUERS": json.dumps({EHR: []}),
           "BMRISK_CDS_JWKS_FILE": str(folder / "jwks.json"), "BMRISK_DATABASE_POOL_SIZE": "4"}
    servers = [module_server_factory(env), module_server_factory(env)]
    return {"servers": servers, "ehr": ehr, "url": shared_url}


def cds_post(server: Any, path: str, token: str, body: Any) -> requests.Response:
    return requests.post(f"{server.url}/cds-services/{SERVICE}{path}", json=body, timeout=30,
                         headers={"Authorization": f"Bearer {token}"})


def test_a_jwt_accepted_by_one_instance_is_refused_by_the_other(replicas, fixture):
    one, two = replicas["servers"]
    token = replicas["ehr"].token(EHR, f"{PUBLIC}/cds-services/{SERVICE}")
    assert cds_post(one, "", token, fixture("cds-request-complete.json")).status_code == 200
    assert cds_post(two, "", token, fixture("cds-request-complete.json")).status_code == 401
    assert cds_post(one, "", token, fixture("cds-request-complete.json")).status_code == 401


def test_feedback_given_to_one_instance_is_counted_by_the_other_once(replicas):
    one, two = replicas["servers"]
    item = {"card": "0f5b8a2c-shared-card", "outcome": "accepted",
            "acceptedSuggestions": [{"id": "s-1"}], "outcomeTimestamp": "2026-11-28T08:00:00Z"}

    def send(server: Any) -> Any:
        token = replicas["ehr"].token(EHR, f"{PUBLIC}/cds-services/{SERVICE}/feedback")
        return cds_post(server, "/feedback", token, {"feedback": [item]}).json()

    assert send(one) == {"stored": 1}
    assert send(two) == {"stored": 0}  # the EHR's retry, through the other instance
    token = replicas["ehr"].token(EHR, f"{PUBLIC}/cds-services/{SERVICE}/feedback/summary")
    summary = requests.get(f"{two.url}/cds-services/{SERVICE}/feedback/summary", timeout=30,
                           headers={"Authorization": f"Bearer {token}"}).json()
    assert summary["outcomes"]["accepted"] == 1


def load(servers: list[Any], seconds: float, threads: int = 8,
         limit: int = 4000) -> list[tuple[int, str | None]]:
    """POST /v1/risk to the servers in turn from ``threads`` threads for ``seconds`` (at most
    ``limit`` requests); (status, request id) of each answer, 0 for a failed connection."""
    answers: list[tuple[int, str | None]] = []
    lock, stop = threading.Lock(), time.monotonic() + seconds

    def worker(index: int) -> None:
        session = requests.Session()
        sent = 0
        while time.monotonic() < stop and len(answers) < limit:
            server = servers[(index + sent) % len(servers)]
            sent += 1
            try:
                response = session.post(f"{server.url}/v1/risk", json=PATIENT, timeout=30)
                answer = (response.status_code, response.headers.get("X-Request-ID"))
            except requests.RequestException:
                answer = (0, None)
            with lock:
                answers.append(answer)

    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(worker, range(threads)))
    return answers


def assert_every_200_has_one_row(answers: list[tuple[int, str | None]], url: str) -> None:
    rows = Counter(row["request_id"] for row in audit_rows(url))
    ok = [ident for status, ident in answers if status == 200]
    assert ok, "no request was answered 200"
    assert all(rows[ident] == 1 for ident in ok), "a 200 without exactly one audit row"


def test_concurrent_load_on_both_instances_loses_no_audit_row(replicas):
    before = len(audit_rows(replicas["url"]))
    answers = load(replicas["servers"], seconds=6)
    assert Counter(status for status, _ in answers) == {200: len(answers)}
    assert_every_200_has_one_row(answers, replicas["url"])
    assert len(audit_rows(replicas["url"])) == before + len(answers)


def test_no_patient_marker_reaches_any_table_or_either_log(replicas):
    load(replicas["servers"], seconds=1, threads=2)
    stored = every_stored_text(replicas["url"])
    assert "api" in stored  # the tables were read
    for server in replicas["servers"]:
        logged = server.log_text()
        assert '"channel":"api"' in logged
        for marker in (MARKER_REF, str(MARKER_VALUE)):
            assert marker not in logged
    for marker in (MARKER_REF, str(MARKER_VALUE)):
        assert marker not in stored


# PostgreSQL only: an embedded SQLite file has no server to stop.
@pytest.mark.parametrize("shared_url", ["postgresql"], indirect=True)
def test_postgresql_stopped_under_load_gives_503_then_recovers_without_restart(
        replicas, request):
    postgres = request.getfixturevalue("postgres")
    result: list[tuple[int, str | None]] = []
    runner = threading.Thread(target=lambda: result.extend(load(replicas["servers"], 9)))
    runner.start()
    time.sleep(2)
    postgres.stop("fast")  # every session ended, new ones refused
    time.sleep(3)
    postgres.start()
    runner.join()
    statuses = Counter(status for status, _ in result)
    assert set(statuses) <= {200, 503}, statuses  # no 500, no dropped connection
    assert statuses[503] > 0, statuses
    assert_every_200_has_one_row(result, replicas["url"])
    for server in replicas["servers"]:  # the same processes, back by themselves
        assert requests.post(f"{server.url}/v1/risk", json=PATIENT, timeout=30).status_code \
            == 200
        assert requests.get(f"{server.url}/readyz", timeout=30).status_code == 200
