"""The research modules' documented examples run, and docs/research.md documents the toolkit."""

from __future__ import annotations

import doctest
import importlib
from pathlib import Path

import pytest

MODULES = ("riskmodel.persistence", *(f"riskmodel.research.{name}" for name in (
    "files", "metrics", "cohort", "provenance", "recalibration", "report", "simulate")))
GUIDE = Path(__file__).resolve().parents[3] / "docs" / "research.md"


@pytest.mark.parametrize("name", MODULES)
def test_examples_in_docstrings_run(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0
    assert result.failed == 0


def test_the_research_guide_documents_every_command_and_both_unit_syntaxes():
    section = GUIDE.read_text("utf-8")
    for command in ("bmrisk score", "bmrisk validate", "bmrisk recalibrate", "bmrisk simulate",
                    "bmrisk card"):
        assert command in section
    assert "calcium[mg/dL]" in section
    assert "#units" in section
    for method in ("`intercept`", "`logistic`", "`refit`", "`shrink`"):
        assert method in section
