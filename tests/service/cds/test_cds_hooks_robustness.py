"""Whatever part of a CDS Hooks request is malformed, the answer is a card, no card, or an
OperationOutcome with a 4xx status: never a 500 (in-process, many generated requests)."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ..conftest import MALFORMED_JSON, json_slots


# ``client`` serves requests independently and ``fixture`` returns fresh copies: safe to share;
# too_slow: each example is a full request, and CI shares two cores with the other suites.
@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_malformed_request_never_gets_a_500(client, fixture, outcome_check, data):
    request = fixture("cds-request-messy.json")
    slots = json_slots(request)
    for _ in range(data.draw(st.integers(1, 3))):
        container, key = data.draw(st.sampled_from(slots))
        container[key] = data.draw(MALFORMED_JSON)
    response = client.post("/cds-services/lung-bone-mets-risk", json=request)
    assert response.status_code in (200, 400, 412), response.get_data(as_text=True)
    if response.status_code == 200:
        assert set(response.json) == {"cards"}
    else:
        outcome_check(response.json)
