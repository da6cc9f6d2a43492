"""Every citation of docs/evidence.md points at a section that exists; no placeholder reaches
a clinician."""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path

import pytest

import riskmodel
from riskmodel.card import model_card, model_card_markdown
from riskmodel.features import FEATURES
from riskmodel.golden import CASES, outcome
from riskmodel.spec import builtin_spec_dir

ROOT = Path(__file__).resolve().parents[2]
EVIDENCE = (ROOT / "docs" / "evidence.md").read_text("utf-8")
ANCHORS = set(re.findall(r'<a id="([^"]+)"></a>', EVIDENCE))
CITED = re.compile(r"docs/evidence\.md#([A-Za-z0-9-]+)")
PLACEHOLDERS = ("authors not read", "authors unknown", "year unknown", "added source",
                "source of that figure", "evidence.md section")
VERSIONS = ("1.0.0", "2.0.0")


@cache
def _results(version: str) -> str:
    model = riskmodel.load_model(version=version)
    return json.dumps([outcome(model, inputs) for _, inputs in CASES])


def test_the_evidence_file_has_the_sections_its_contents_link_to():
    assert {"histology", "calcium", "alp", "tn-reference", "interval", "plausibility"} <= ANCHORS
    for link in re.findall(r"\]\(#([A-Za-z0-9-]+)\)", EVIDENCE):
        assert link in ANCHORS, link


@pytest.mark.parametrize("version", VERSIONS)
def test_every_cited_anchor_exists_in_results_cards_and_specs(version):
    model = riskmodel.load_model(version=version)
    texts = [_results(version), json.dumps(model_card(model)), model_card_markdown(model),
             json.dumps(model.spec), json.dumps([f.usual_basis for f in FEATURES])]
    cited = {anchor for text in texts for anchor in CITED.findall(text)}
    assert cited, "nothing cites docs/evidence.md"
    assert cited <= ANCHORS, cited - ANCHORS


@pytest.mark.parametrize("version", VERSIONS)
def test_results_carry_no_placeholder_and_cite_only_the_repository_file(version):
    text = _results(version).lower()
    for word in PLACEHOLDERS:
        assert word not in text, word
    refs = re.findall(r'"evidence_ref": "([^"]*)"', _results(version))
    assert refs
    assert all(r.startswith("docs/evidence.md#") for r in refs)


def test_the_2_0_0_spec_and_card_cite_only_the_repository_file():
    spec_text = (builtin_spec_dir() / "lung-bm-literature-2.0.0.json").read_text("utf-8")
    card = model_card_markdown(riskmodel.load_model(version="2.0.0"))
    for text in (spec_text, card):
        assert "evidence.md section" not in text
        for word in ("authors not read", "year unknown", "added source"):
            assert word not in text.lower()
