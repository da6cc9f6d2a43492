"""Alerts only from results recent enough to act on; an older value still feeds the risk, and
its age is on the card's summary line (issue: a 212-day-old calcium fired a critical card)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from service import create_app

SERVICE = "/cds-services/lung-bone-mets-risk"


def days_ago(days: int) -> str:
    """Midnight UTC ``days`` calendar days ago: its age in whole days is exactly ``days``."""
    day = datetime.now(UTC).date() - timedelta(days=days)
    return f"{day.isoformat()}T00:00:00Z"


def card_with_calcium_from(fixture, days: int, **config: Any) -> dict[str, Any]:
    request = fixture("cds-request-complete.json")
    calcium = request["prefetch"]["calcium"]["entry"][0]["resource"]  # 10.9 mg/dL: high
    calcium["effectiveDateTime"] = days_ago(days)
    app = create_app({"TESTING": True, **config})
    response = app.test_client().post(SERVICE, json=request)
    assert response.status_code == 200, response.get_data(as_text=True)
    (card,) = response.get_json()["cards"]
    return card


@pytest.mark.parametrize(("days", "alerted"), [(0, True), (14, True), (15, False)])
def test_the_hypercalcaemia_alert_needs_a_calcium_of_the_last_14_days(fixture, days, alerted):
    card = card_with_calcium_from(fixture, days)
    assert (card["indicator"] == "critical") is alerted
    assert ("hypercalcaemia" in card["summary"]) is alerted
    assert ("**Alert:**" in card["detail"]) is alerted
    assert (f"calcium {days} days old" in card["summary"]) is not alerted


def test_a_212_day_old_calcium_still_feeds_the_risk_and_says_why_it_raised_no_alert(fixture):
    old, recent = card_with_calcium_from(fixture, 212), card_with_calcium_from(fixture, 1)
    assert old["indicator"] != "critical"
    assert "calcium 212 days old" in old["summary"]
    assert "212 days ago: too old for the hypercalcaemia alert" in old["detail"]
    risk = old["summary"].split(";")[0]
    assert risk == recent["summary"].split(";")[0]  # the same value, the same risk
    resource = old["suggestions"][0]["actions"][0]["resource"]
    assert "Alert:" not in resource["text"]["div"]


def test_the_alert_window_is_a_setting(fixture):
    assert card_with_calcium_from(fixture, 5)["indicator"] == "critical"
    card = card_with_calcium_from(fixture, 5, CDS_ALERT_MAX_AGE_DAYS=3)
    assert card["indicator"] != "critical"
    assert "calcium 5 days old" in card["summary"]
