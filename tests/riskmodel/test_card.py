"""The model card: complete, computed from the spec, honest about what is unknown."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from riskmodel import Model, points
from riskmodel.card import model_card, model_card_markdown

SECTIONS = {"intended_use", "population", "outcome", "baseline", "predictors", "model",
            "missing_data", "output", "bands", "alerts", "evidence", "performance",
            "limitations", "known_gaps", "points", "provenance"}


def _values(node):
    if isinstance(node, dict):
        for value in node.values():
            yield from _values(value)
    elif isinstance(node, list):
        for value in node:
            yield from _values(value)
    else:
        yield node


def test_card_has_every_section_and_identity(model):
    card = model_card(model)
    assert set(card) >= SECTIONS
    assert (card["id"], card["version"], card["sha256"]) == (
        model.ref.id, model.ref.version, model.ref.sha256)
    json.dumps(card, allow_nan=False)


def test_unknowns_are_written_unknown_never_null(model):
    card = model_card(model)
    stage_iii = next(t for t in card["model"]["terms"] if t["name"] == "stage_iii")
    assert stage_iii["citation"]["year"] == "unknown"  # the spec says null: authors not read
    assert card["performance"] == "unknown"
    # null means "not applicable" (e.g. no cap on a binary term); never "not known".
    for section in ("intended_use", "population", "outcome", "baseline", "missing_data",
                    "evidence", "bands", "alerts"):
        assert None not in list(_values(card[section])), section
    assert "null" not in json.dumps(card["model"]["intercept"])
    for term in card["model"]["terms"]:
        assert None not in list(_values(term["citation"]))


def test_terms_carry_odds_ratios_computed_from_beta_and_se(model):
    for entry, term in zip(model_card(model)["model"]["terms"], model.terms, strict=True):
        assert entry["odds_ratio"] == pytest.approx(math.exp(term.beta), rel=1e-15)
        low, high = entry["odds_ratio_95ci"]
        assert low == pytest.approx(math.exp(term.beta - 1.959963984540054 * term.se))
        assert high == pytest.approx(math.exp(term.beta + 1.959963984540054 * term.se))
        assert entry["grade"] == term.grade
        assert entry["citation"]["evidence_ref"]
        assert entry["reference"]["basis"]
    alp = next(t for t in model_card(model)["model"]["terms"] if t["name"] == "alp_high")
    assert alp["odds_ratio_95ci"] == pytest.approx([1.40, 10.6], abs=0.01)


def test_intercept_section_states_the_solution_and_the_approximation(model):
    section = model_card(model)["model"]["intercept"]
    assert section["value"] == model.intercept
    assert section["mean_reference_risk"] == pytest.approx(0.1742, abs=1e-9)
    approx = section["first_order_approximation"]
    assert abs(approx["mean_reference_risk"] - 0.1742) > 0.01


def test_points_figures_in_the_card_are_computed(model):
    card = model_card(model)["points"]
    assert card["rounding_error"] == points.rounding_error(model)
    assert [r["points"] for r in card["rows"]][:7] == [3, 2, 2, 2, 4, 4, 2]


def test_bands_are_marked_not_validated_and_gaps_name_niu(model):
    card = model_card(model)
    assert card["bands"]["validated"] is False
    assert any("Niu" in gap and "unread" in gap for gap in card["known_gaps"])
    assert card["evidence"]["contradicted"] == ["calcium_high"]
    text = model_card_markdown(model)
    assert "**Bands (NOT validated)**" in text
    assert "Niu Y et al. 2019" in text


def test_markdown_covers_the_sections(model):
    text = model_card_markdown(model)
    for heading in ("# Model card:", "## Intended use", "## Population", "## Outcome and timing",
                    "## Predictors", "## Model specification", "## Missing data",
                    "## How the output is produced", "## Evidence grades", "## Limitations",
                    "## Known gaps", "## Points version"):
        assert heading in text
    assert model.ref.sha256 in text
    assert "Measured rounding error" in text
    assert "## Provenance" not in text


@pytest.fixture
def recalibrated(spec) -> Model:
    """A spec as a local recalibration writes it: explicit intercept, covariance, provenance."""
    k = len(spec["terms"])
    cov = np.diag([0.04] + [0.01] * k).tolist()
    spec.update(id="lung-bm-literature-recal-test", version="1.0.0",
                intercept={"method": "explicit", "value": -3.2, "se": 0.2},
                interval={"level": 0.95, "covariance": cov, "method": "fitted covariance"},
                provenance={"method": "logistic", "data": {"n": 812, "events": 140},
                            "validation": {"auc": 0.71}})
    del spec["known_gaps"], spec["points"]
    return Model(spec)


def test_card_works_for_a_recalibrated_model(recalibrated):
    card = model_card(recalibrated)
    assert card["model"]["intercept"]["method"] == "explicit"
    assert "first_order_approximation" not in card["model"]["intercept"]
    assert card["model"]["parameter_covariance"][0][0] == 0.04
    assert card["provenance"]["data"] == {"n": 812, "events": 140}
    assert card["performance"] == {"auc": 0.71}
    assert card["known_gaps"] == ["unknown"]
    assert card["points"] == {"available": False,
                              "reason": "the spec defines no points base unit"}
    text = model_card_markdown(recalibrated)
    assert "## Provenance" in text
    assert '"n": 812' in text
    assert "Not available" in text
    json.dumps(card, allow_nan=False)
