"""The hypercalcaemia alert sits exactly on its published cut-off (corrected calcium >= 2.60
mmol/L), with the default model: 2.60 fires, 2.59 does not, measured or albumin-corrected."""

from __future__ import annotations

import pytest

import riskmodel
from riskmodel import Patient, Quantity


def alert_codes(**inputs) -> set[str]:
    return {alert.code for alert in riskmodel.score(Patient(**inputs)).alerts}


@pytest.mark.parametrize(("calcium", "fires"), [(2.60, True), (2.59, False), (2.61, True)])
def test_hypercalcaemia_alert_fires_from_2_60_mmol_per_l(calcium, fires):
    assert ("hypercalcaemia" in alert_codes(calcium=Quantity(calcium, "mmol/L"))) is fires


@pytest.mark.parametrize(("calcium", "fires"), [(2.40, True), (2.39, False)])
def test_the_alert_uses_the_albumin_corrected_calcium(calcium, fires):
    # Albumin 30 g/L, 10 g/L below the spec's reference: Payne adds 0.02 x 10 = 0.20 mmol/L.
    correction = riskmodel.load_model().spec["calcium_correction"]
    albumin = correction["reference_albumin_g_per_l"] - 10
    assert correction["slope_mmol_per_g"] * 10 == pytest.approx(0.20)
    found = alert_codes(calcium=Quantity(calcium, "mmol/L"), albumin=Quantity(albumin, "g/L"))
    assert ("hypercalcaemia" in found) is fires
