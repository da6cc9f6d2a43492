"""Term notes carry the codes of their parts, so pages translate codes, not English notes."""

from __future__ import annotations

import pickle

import riskmodel
from riskmodel import Patient, Quantity
from riskmodel.result import NOTE_CODES

V2, V1 = riskmodel.load_model(), riskmodel.load_model(version="1.0.0")


def codes(model, **inputs) -> dict[str, tuple[str, ...]]:
    return {t.name: t.note.codes for t in riskmodel.score(Patient(**inputs), model).terms}


def test_each_part_of_a_2_0_0_note_has_its_code():
    found = codes(V2, t_category="T2a", calcium=Quantity(2.4, "mmol/L"),
                  albumin=Quantity(40.0, "g/L"))
    assert found["stage_iii"] == ("averaged_tn",)
    assert found["calcium"] == ("albumin_corrected", "contradicted")
    assert found["bsp_positive"] == ("research_missing",)
    assert found["alp"] == ("marginalised",)


def test_the_1_0_0_stage_rule_says_which_reason_set_the_term_aside():
    known = codes(V1, t_category="T2a", n_category="N2", stage="IIIA")
    assert known["stage_iii"] == ("not_used_known",)
    assert codes(V1, t_category="T2a")["stage_iii"] == ("not_used_unknown",)


def test_every_code_is_documented_and_a_note_survives_pickling():
    result = riskmodel.score(Patient(histology="small_cell", t_category="T2a"), V2)
    assert {c for t in result.terms for c in t.note.codes} <= set(NOTE_CODES)
    note = next(t.note for t in result.terms if t.note.codes)
    assert pickle.loads(pickle.dumps(note)).codes == note.codes
