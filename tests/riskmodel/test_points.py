"""The points version (Sullivan's method) and its measured rounding error."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from riskmodel import SpecError, points


def test_base_unit_is_the_cea_weight_for_5_ng_per_ml(model):
    value, text = points.base_unit(model)
    assert value == pytest.approx(0.0602 * 5, abs=1e-15)
    assert text == "CEA weight for 5 ng/mL"


def test_rule_terms_score_beta_over_b_rounded(model):
    rows = {r.term: r.points for r in points.points_rows(model) if r.low is None}
    # 1.050/0.301 = 3.49; 0.481/0.301 = 1.60; 0.631/0.301 = 2.10; 0.739/0.301 = 2.46;
    # 1.201/0.301 = 3.99; 1.347/0.301 = 4.48; 0.595/0.301 = 1.98
    assert rows == {"non_squamous": 3, "t4": 2, "n3": 2, "stage_iii": 2, "bsp_positive": 4,
                    "alp_high": 4, "calcium_high": 2}


def test_cea_is_one_point_per_5_ng_per_ml_up_to_the_cap(model):
    cea = [(r.low, r.high, r.points) for r in points.points_rows(model) if r.term == "cea"]
    assert cea == [(0.0, 2.5, 0), (2.5, 7.5, 1), (7.5, 12.5, 2), (12.5, 17.5, 3),
                   (17.5, None, 4)]
    X = np.zeros((5, 8))
    X[:, 7] = [2.4999, 2.5, 7.4999, 17.5, 60.0]
    assert points.term_points(model, X)[:, 7].tolist() == [0, 1, 1, 4, 4]


def test_rounding_is_half_away_from_zero():
    assert points.round_points([0.5, 1.5, 2.5, -0.5, -1.5, 0.49]).tolist() == [
        1, 2, 3, -1, -2, 0]


def test_total_maps_to_risk_through_the_intercept(model, hand):
    table = dict(points.risk_table(model))
    assert min(table) == 0
    assert max(table) == 3 + 2 + 2 + 2 + 4 + 4 + 2 + 4
    assert table[0] == pytest.approx(hand.sigmoid(model.intercept), abs=1e-15)
    assert table[9] == pytest.approx(hand.sigmoid(model.intercept + 9 * 0.301), abs=1e-12)


def test_rounding_error_is_measured_over_the_reference_distribution(model, hand):
    """The error figures recomputed here from the points above and the exact weights."""
    b0, names = model.intercept, list(hand.PREVALENCE)
    point_of = {"non_squamous": 3, "t4": 2, "n3": 2, "bsp_positive": 4, "alp_high": 4,
                "calcium_high": 2}
    diffs, weights = [], []
    for bits in itertools.product((0, 1), repeat=len(names)):
        on = [n for n, b in zip(names, bits, strict=True) if b]
        exact = hand.sigmoid(b0 + sum(hand.BETA[n] for n in on) + 0.0602 * 5)
        approx = hand.sigmoid(b0 + 0.301 * (sum(point_of[n] for n in on) + 1))
        diffs.append(abs(approx - exact))
        weights.append(np.prod([hand.PREVALENCE[n] if b else 1 - hand.PREVALENCE[n]
                                for n, b in zip(names, bits, strict=True)]))
    found = points.rounding_error(model)
    assert found["combinations"] == 64
    assert found["max_abs"] == pytest.approx(max(diffs), abs=1e-12)
    assert found["mean_abs"] == pytest.approx(np.mean(diffs), abs=1e-12)
    assert found["weighted_mean_abs"] == pytest.approx(np.dot(weights, diffs), abs=1e-12)
    assert found["worst_case_max_abs"] >= found["max_abs"]


def test_worst_case_is_not_exceeded_by_a_fine_sweep(model):
    """No input does worse than the worst case found at the ends of the point ranges."""
    X = np.zeros((2 ** 7 * 2001, 8))
    rules = np.array(list(itertools.product((0.0, 1.0), repeat=7)))
    X[:, :7] = np.repeat(rules, 2001, axis=0)
    X[:, 7] = np.tile(np.linspace(0, 25, 2001), 2 ** 7)
    capped = np.column_stack([X[:, :7], np.minimum(X[:, 7], 20.0)])
    exact = 1 / (1 + np.exp(-(model.intercept + capped @ model.beta)))
    approx = points.risk_for_points(model, points.term_points(model, X).sum(axis=1))
    assert np.abs(approx - exact).max() <= points.rounding_error(model)["worst_case_max_abs"]


def test_spec_without_points_says_so(spec):
    from riskmodel import Model
    del spec["points"]
    with pytest.raises(SpecError, match="defines no points base unit"):
        points.base_unit(Model(spec))
