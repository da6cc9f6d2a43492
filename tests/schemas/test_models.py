"""Model summaries and the model card are dumped in their documented shape."""

from __future__ import annotations

import subprocess
import sys

from riskmodel.card import model_card
from schemas import ModelCardSchema, ModelSummarySchema, model_summary


def test_model_summary_has_exactly_its_keys(model):
    summary = model_summary(model, default=True)
    assert summary == {"id": "lung-bm-literature", "version": model.ref.version,
                       "sha256": model.ref.sha256, "title": model.spec["title"],
                       "kind": "literature", "default": True}
    assert ModelSummarySchema().dump(summary) == summary


def test_model_card_dumps_unchanged_and_every_section_is_documented(model):
    card = model_card(model)
    assert ModelCardSchema().dump(card) == card
    assert set(ModelCardSchema().fields) == set(card)


def test_model_card_section_added_later_passes_through(model):
    card = {**model_card(model), "translations": {"zh": "..."}}
    assert ModelCardSchema().dump(card)["translations"] == {"zh": "..."}


def test_schemas_never_import_flask():
    code = "import sys, schemas, schemas.openapi; print('flask' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
