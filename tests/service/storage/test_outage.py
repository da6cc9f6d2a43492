"""The database out of reach: scores answer 503 problem+json with Retry-After (never a score
without its row), /readyz is not ready, and both recover by themselves when it returns."""

from __future__ import annotations

import psycopg
import pytest
from sqlalchemy.engine import make_url

from .conftest import audit_rows


def set_reachable(server_url: str, database: str, reachable: bool) -> None:
    """Open or close ``database`` to new connections, ending the open ones when closing."""
    with psycopg.connect(server_url, autocommit=True) as connection:
        connection.execute(f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS {reachable}')
        if not reachable:
            connection.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                               "WHERE datname = %s", (database,))


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_scores_answer_503_while_the_database_is_away_and_200_when_it_returns(
        make_app, database_url, postgres):
    client = make_app().test_client()
    patient = {"histology": "squamous"}
    assert client.post("/v1/risk", json=patient).status_code == 200
    database = make_url(database_url).database
    set_reachable(postgres.url(), database, False)
    try:
        refused = client.post("/v1/risk", json=patient)
        ready = client.get("/readyz")
    finally:
        set_reachable(postgres.url(), database, True)
    assert refused.status_code == 503
    assert refused.mimetype == "application/problem+json"
    assert refused.headers["Retry-After"] == "5"
    assert "probability" not in refused.get_json()
    assert ready.status_code == 503
    assert ready.headers["Retry-After"] == "5"
    back = client.post("/v1/risk", json=patient)
    assert back.status_code == 200
    assert client.get("/readyz").status_code == 200
    assert [r["request_id"] for r in audit_rows(database_url)][-1] == \
        back.headers["X-Request-ID"]
    assert len(audit_rows(database_url)) == 2


def test_the_openapi_document_lists_the_503_of_every_operation_that_can_give_it(client):
    paths = client.get("/openapi.json").get_json()["paths"]
    for path, method in (("/v1/risk", "post"), ("/v1/risk/batch", "post"),
                         ("/readyz", "get"), ("/fhir/RiskAssessment/$assess", "post"),
                         ("/cds-services/{service_id}", "post"),
                         ("/cds-services/{service_id}/feedback", "post")):
        assert "503" in paths[path][method]["responses"], path
    assert "Retry-After" in paths["/v1/risk"]["post"]["responses"]["503"]["headers"]
