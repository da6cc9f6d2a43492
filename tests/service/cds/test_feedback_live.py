"""Card feedback: validated, stored by both workers at once, counted once however often an EHR
retries it, and still there after the server restarts with the same database."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests

pytestmark = pytest.mark.e2e

SERVICE = "lung-bone-mets-risk"
ACCEPTED = {"card": "4e0a3a1e-3283-4575-ab82-028d55fe2719", "outcome": "accepted",
            "acceptedSuggestions": [{"id": "e56e1945-20b3-4393-8503-a1a20fd73152"}],
            "outcomeTimestamp": "2026-11-26T10:05:31Z"}
OVERRIDDEN = {"card": "9368d37b-283f-44a0-93ea-547cebab93ed", "outcome": "overridden",
              "overrideReason": {"reason": {"code": "imaging-done",
                                            "system": "urn:bmrisk:override-reason",
                                            "display": "Bone imaging is already done or planned"},
                                 "userComment": "PET-CT booked"},
              "outcomeTimestamp": "2026-11-26T10:06:00Z"}


def send(server: Any, items: list[dict[str, Any]]) -> requests.Response:
    return requests.post(f"{server.url}/cds-services/{SERVICE}/feedback",
                         json={"feedback": items}, timeout=30)


def at_second(item: dict[str, Any], second: int) -> dict[str, Any]:
    """``item`` with its outcome time moved to another second (a distinct outcome)."""
    return {**item, "outcomeTimestamp": f"2026-11-26T10:06:{second:02d}Z"}


def summary(server: Any) -> dict[str, Any]:
    response = requests.get(f"{server.url}/cds-services/{SERVICE}/feedback/summary", timeout=30)
    assert response.status_code == 200
    return response.json()


def test_feedback_is_counted_across_workers_and_survives_a_restart(server_factory, tmp_path):
    env = {"BMRISK_DATABASE_URL": f"sqlite:///{tmp_path / 'cds' / 'bmrisk.sqlite3'}"}
    server = server_factory(env)
    assert send(server, [ACCEPTED, OVERRIDDEN]).json() == {"stored": 2}
    with ThreadPoolExecutor(8) as pool:  # both gunicorn workers write at once
        answers = list(pool.map(lambda i: send(server, [at_second(OVERRIDDEN, i)]).json(),
                                range(1, 17)))
    assert answers == [{"stored": 1}] * 16
    before = summary(server)
    assert before["outcomes"] == {"accepted": 1, "overridden": 17}
    assert before["total"] == 18
    assert before["overrideReasons"] == [{**OVERRIDDEN["overrideReason"]["reason"], "count": 17}]
    server.stop()
    again = server_factory(env)
    assert summary(again) == before
    assert send(again, [ACCEPTED]).json() == {"stored": 0}  # a retry: already stored
    assert send(again, [at_second(ACCEPTED, 59)]).json() == {"stored": 1}
    assert summary(again)["outcomes"]["accepted"] == 2


def test_an_ehr_retrying_the_same_feedback_at_once_stores_it_once(live_server):
    item = {**ACCEPTED, "card": "b1f0c7d2-retry-at-once",
            "outcomeTimestamp": "2026-11-27T09:00:00Z"}
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda _: send(live_server, [item]).json()["stored"], range(8)))
    assert sorted(answers) == [0] * 7 + [1]


@pytest.mark.parametrize(("item", "path"), [
    ({**ACCEPTED, "acceptedSuggestions": []}, "feedback.1.acceptedSuggestions"),
    ({**ACCEPTED, "outcome": "ignored"}, "feedback.1.outcome"),
    ({**OVERRIDDEN, "outcomeTimestamp": "2026-11-26T10:06:00+02:00"},
     "feedback.1.outcomeTimestamp"),
    ({k: v for k, v in OVERRIDDEN.items() if k != "card"}, "feedback.1.card"),
    ({**OVERRIDDEN, "overrideReason": {"reason": {"code": "x"}}},
     "feedback.1.overrideReason.reason.system"),
])
def test_invalid_feedback_is_400_naming_the_field_and_nothing_is_stored(
        live_server, outcome_check, item, path):
    before = summary(live_server)
    response = send(live_server, [ACCEPTED, item])
    assert response.status_code == 400
    assert summary(live_server) == before
    outcome_check(response.json())
    assert [path] in [i.get("expression") for i in response.json()["issue"]]


def test_feedback_for_an_unknown_service_is_404(live_server, outcome_check):
    response = requests.post(f"{live_server.url}/cds-services/other/feedback",
                             json={"feedback": [ACCEPTED]}, timeout=30)
    assert response.status_code == 404
    outcome_check(response.json())
