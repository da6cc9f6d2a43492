"""Fixtures for the engine's tests, and the hand-worked arithmetic of the known-answer tests.

The arithmetic does not use the engine: weights, SEs and reference prevalences are copied from
evidence.md Part 1 (sections 1.2 and 1.3) and the spec's reference entries. Tests reach it
through the ``hand`` fixture (test modules cannot import each other under importlib mode).
"""

from __future__ import annotations

import copy
import itertools
import math
import sys
from types import ModuleType
from typing import Any

import pytest
from scipy.optimize import brentq

import riskmodel

BASELINE = 0.1742  # 2738 / 15716, Guo 2021
BASELINE_N = 15716
BETA = {"non_squamous": 1.050, "t4": 0.481, "n3": 0.631, "stage_iii": 0.739,
        "bsp_positive": 1.201, "alp_high": 1.347, "calcium_high": 0.595, "cea": 0.0602}
SE = {"non_squamous": 0.310, "t4": 0.213, "n3": 0.192, "stage_iii": 0.318,
      "bsp_positive": 0.405, "alp_high": 0.517, "calcium_high": 0.595, "cea": 0.0151}
CEA_CAP = 20.0
# Reference distribution: P(x = 1) of each binary term; CEA sits at 5 ng/mL; stage III is not
# part of the reference population (T and N are known there).
PREVALENCE = {"non_squamous": 0.779, "t4": 0.0548, "n3": 0.10, "bsp_positive": 0.40,
              "alp_high": 0.27, "calcium_high": 0.19}
CEA_REFERENCE = 5.0


def sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def reference_mean_risk(b0: float, beta: dict[str, float] = BETA,
                        prevalence: dict[str, float] = PREVALENCE) -> float:
    """Mean risk over every combination of the reference values, written as a loop."""
    names = list(prevalence)
    total = 0.0
    for bits in itertools.product((0, 1), repeat=len(names)):
        weight, eta = 1.0, b0 + beta["cea"] * CEA_REFERENCE
        for name, bit in zip(names, bits, strict=True):
            weight *= prevalence[name] if bit else 1 - prevalence[name]
            eta += beta[name] * bit
        total += weight * sigmoid(eta)
    return total


def intercept(beta: dict[str, float] = BETA, baseline: float = BASELINE) -> float:
    """beta0 solving mean risk = baseline, by Brent's method on the loop above."""
    return brentq(lambda b0: reference_mean_risk(b0, beta) - baseline, -20, 20, xtol=1e-14)


def marginal(eta_known: float, missing: list[str]) -> float:
    """Marginal risk over the reference prevalences of the missing binary terms."""
    total = 0.0
    for bits in itertools.product((0, 1), repeat=len(missing)):
        weight, eta = 1.0, eta_known
        for name, bit in zip(missing, bits, strict=True):
            weight *= PREVALENCE[name] if bit else 1 - PREVALENCE[name]
            eta += BETA[name] * bit
        total += weight * sigmoid(eta)
    return total


@pytest.fixture(scope="session")
def hand() -> ModuleType:
    """This module: the hand-worked constants and arithmetic."""
    return sys.modules[__name__]


@pytest.fixture(scope="session")
def model() -> riskmodel.Model:
    return riskmodel.load_model(version="1.0.0")


@pytest.fixture
def spec(model: riskmodel.Model) -> dict[str, Any]:
    """A deep copy of the literature spec, free to modify."""
    return copy.deepcopy(model.spec)
