"""People-facing numbers: one percent format for the page, the CDS card and the narrative."""

from __future__ import annotations

import pytest

from service.summary import percent


@pytest.mark.parametrize(("probability", "shown"), [
    (0.2345, "23%"), (0.235, "24%"), (0.0996, "10%"), (0.0949, "9%"), (0.0100, "1%"),
    (0.00951, "1%"), (0.00949, "0.9%"), (0.004, "0.4%"), (0.0005, "0.1%"), (0.00049, "<0.1%"),
    (1.0, "100%"),
])
def test_risks_show_in_whole_percents_with_one_decimal_only_below_one_percent(probability, shown):
    assert percent(probability) == shown
