"""The real MSK cohort (stage only): mapping checked against its README, validation by hand.

Selection by outcome (README: Groups 1 and 2 were chosen as metastasis-free vs metastasised)
rules out calibration; these tests check the arithmetic, and that discrimination is that of
the stage term alone.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from riskmodel.research.cohort import load_cohort
from riskmodel.research.report import validation_report

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"


@pytest.fixture(scope="module")
def msk():
    spec = importlib.util.spec_from_file_location("msk_validate", EXAMPLES / "msk_validate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(("first", "expected"), [
    ("clinical", {"I": (46, 403), "II": (16, 91), "III": (26, 75)}),
    ("pathologic", {"I": (27, 347), "II": (17, 104), "III": (47, 124)}),
])
def test_groups_1_and_2_reproduce_the_readme_counts(msk, msk_tsv, first, expected):
    cohort = msk.msk_cohort(msk_tsv, first, groups=(1, 2))
    own = cohort[cohort["stage_source"] == first]
    found = {stage: (int(rows[msk.OUTCOME].sum()), len(rows))
             for stage, rows in own.groupby("stage")}
    assert found == expected
    assert len(cohort) == 576
    assert set(cohort["histology"]) == {"adenocarcinoma"}


def test_validation_discriminates_by_stage_alone_as_the_counts_say(msk, msk_tsv, model):
    frame = msk.msk_cohort(msk_tsv)
    cohort = load_cohort(frame, msk.OUTCOME)
    in_scope = frame[frame["stage"] != "IV"]
    assert cohort.excluded == {"invalid inputs": int((frame["stage"] == "IV").sum())} == {
        "invalid inputs": 169}
    assert (cohort.n, cohort.events) == (len(in_scope), int(in_scope[msk.OUTCOME].sum()))
    report = validation_report(model, cohort)
    # Two predicted risks only (stage III or not; all adenocarcinoma, all else missing), so
    # AUC = (1 + TPR - FPR) / 2 with TPR, FPR the shares of stage III among events, non-events.
    third = in_scope["stage"] == "III"
    events = in_scope[msk.OUTCOME] == 1
    tpr, fpr = third[events].mean(), third[~events].mean()
    assert report["overall"]["auc"]["estimate"] == pytest.approx((1 + tpr - fpr) / 2, abs=1e-12)
    assert len(report["overall"]["deciles"]) == 2
    assert report["data"]["lacking"]["t_category"] == cohort.n


def test_the_script_refuses_to_write_rows_inside_the_repository(msk):
    with pytest.raises(SystemExit, match="inside the repository"):
        msk._outside_repository(EXAMPLES / "out")
