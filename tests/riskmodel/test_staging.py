"""AJCC 8th edition stage groups for M0 lung cancer (evidence.md section 5.3)."""

from __future__ import annotations

import pytest

from riskmodel import InvalidInputError, Patient
from riskmodel.staging import derive_stage, possible_stages, stage_matches

# The AJCC 8th table, typed from evidence.md section 5.3: T row -> stage for N0, N1, N2, N3.
AJCC8 = {
    "T1mi": ("IA1", "IIB", "IIIA", "IIIB"),
    "T1a": ("IA1", "IIB", "IIIA", "IIIB"),
    "T1b": ("IA2", "IIB", "IIIA", "IIIB"),
    "T1c": ("IA3", "IIB", "IIIA", "IIIB"),
    "T2a": ("IB", "IIB", "IIIA", "IIIB"),
    "T2b": ("IIA", "IIB", "IIIA", "IIIB"),
    "T3": ("IIB", "IIIA", "IIIB", "IIIC"),
    "T4": ("IIIA", "IIIA", "IIIB", "IIIC"),
}
CELLS = [(t, n, stage) for t, row in AJCC8.items()
         for n, stage in zip(("N0", "N1", "N2", "N3"), row, strict=True)]


@pytest.mark.parametrize(("t", "n", "stage"), CELLS)
def test_every_cell_of_the_table(t, n, stage):
    assert derive_stage(t, n) == (stage,)


@pytest.mark.parametrize(("t", "n", "stage"), CELLS)
def test_every_cell_accepts_its_stage_and_its_coarse_group(t, n, stage):
    coarse = stage.rstrip("ABC123") or stage
    Patient(t_category=t, n_category=n, stage=stage)
    Patient(t_category=t, n_category=n, stage=coarse)


@pytest.mark.parametrize(("t", "n", "expected"), [
    ("T1", "N0", ("IA1", "IA2", "IA3")),
    ("T1", "N1", ("IIB",)),
    ("T2", "N0", ("IB", "IIA")),
    ("T2", "N3", ("IIIB",)),
])
def test_coarse_t_gives_every_group_its_subcategories_can(t, n, expected):
    assert derive_stage(t, n) == expected


def test_tis_n0_is_stage_0_and_unknowns_give_nothing():
    assert derive_stage("Tis", "N0") == ("0",)
    assert derive_stage("TX", "N1") == ()
    assert derive_stage("T2a", "NX") == ()
    assert derive_stage(None, None) == ()


def test_possible_stages_range_over_what_is_unknown():
    assert possible_stages("T4", None) == ("IIIA", "IIIB", "IIIC")
    assert possible_stages("TX", "N3") == ("IIIB", "IIIC")
    assert possible_stages("T1a", "N0") == ("IA1",)


def test_coarse_and_fine_labels_match():
    assert stage_matches("III", ("IIIC",))
    assert stage_matches("IA", ("IA2",))
    assert stage_matches("I", ("IB", "IIA"))
    assert not stage_matches("II", ("IB",))


@pytest.mark.parametrize(("t", "n", "stage", "gives"), [
    ("T2a", "N0", "IIIA", "IB"),
    ("T4", "N3", "IIA", "IIIC"),
    ("T1", "N0", "IB", "IA1, IA2 or IA3"),
    ("T3", "N1", "IIB", "IIIA"),
])
def test_contradiction_names_the_stage_t_and_n(t, n, stage, gives):
    with pytest.raises(InvalidInputError) as caught:
        Patient(t_category=t, n_category=n, stage=stage)
    message = caught.value.problems["stage"][0]
    assert message == (f"stage {stage} contradicts {t} and {n}: AJCC 8th gives {gives}; "
                       "correct the stage, T or N")


@pytest.mark.parametrize(("inputs", "named"), [
    ({"t_category": "T4", "stage": "IB"}, "contradicts T4: AJCC 8th gives IIIA, IIIB or IIIC"),
    ({"n_category": "N3", "stage": "II"}, "contradicts N3: AJCC 8th gives IIIB or IIIC"),
    ({"t_category": "TX", "n_category": "N2", "stage": "IA"},
     "contradicts TX and N2: AJCC 8th gives IIIA or IIIB"),
])
def test_contradiction_is_found_with_t_or_n_unknown(inputs, named):
    with pytest.raises(InvalidInputError, match=named):
        Patient(**inputs)


def test_stage_with_t_and_n_unknown_is_accepted():
    assert Patient(t_category="TX", n_category="NX", stage="IIIB").stage == "IIIB"
