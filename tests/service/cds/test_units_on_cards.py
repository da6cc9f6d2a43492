"""Lab units as laboratories send them reach the CDS card: [IU]/L is U/L, and a unit that cannot
be read is named on the card, never dropped in silence (in-process, the complete fixture)."""

from __future__ import annotations

from typing import Any

import pytest

SERVICE = "/cds-services/lung-bone-mets-risk"


def alp_quantity(request: dict[str, Any]) -> dict[str, Any]:
    (entry,) = request["prefetch"]["alp"]["entry"]
    return entry["resource"]["valueQuantity"]


def card_of(client: Any, request: dict[str, Any]) -> dict[str, Any]:
    response = client.post(SERVICE, json=request)
    assert response.status_code == 200, response.get_data(as_text=True)
    (card,) = response.json["cards"]
    return card


def probability(card: dict[str, Any]) -> float:
    resource = card["suggestions"][0]["actions"][0]["resource"]
    return resource["prediction"][0]["probabilityDecimal"]


@pytest.mark.parametrize(("code", "text"), [("[IU]/L", "[IU]/L"), ("IU/L", "IU/L"),
                                            (None, "iu/l"), ("u/l", "U/l")])
def test_alp_in_international_units_scores_as_in_u_per_l(client, fixture, code, text):
    reference = card_of(client, fixture("cds-request-complete.json"))
    request = fixture("cds-request-complete.json")
    quantity = alp_quantity(request)
    assert quantity["code"] == "U/L"
    quantity.update(unit=text)
    if code is None:
        del quantity["code"]
    else:
        quantity["code"] = code
    card = card_of(client, request)
    assert probability(card) == probability(reference)
    assert card["summary"] == reference["summary"]
    assert "not known" not in card["detail"]


def test_an_alp_unit_that_cannot_be_read_is_named_on_the_card(client, fixture):
    reference = card_of(client, fixture("cds-request-complete.json"))
    request = fixture("cds-request-complete.json")
    alp_quantity(request).update(unit="kat/L", code="kat/L")
    card = card_of(client, request)
    assert probability(card) != probability(reference)
    assert "unit 'kat/L' is not known" in card["detail"]
    assert "treated as missing" in card["detail"]
