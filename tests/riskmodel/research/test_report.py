"""Validation reports: figures, subgroups, lacking inputs, exclusions, synthetic banner, files."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from riskmodel.research.cohort import load_cohort
from riskmodel.research.report import SYNTHETIC_BANNER, validation_report, write_report
from riskmodel.research.simulate import simulate

OUTCOME = "bone_metastasis"


@pytest.fixture(scope="module")
def frame(model):
    data = simulate(1500, 31, model, missing={"cea": 0.25, "alp": 0.1})
    data = data.astype({OUTCOME: object})
    data.loc[:1, OUTCOME] = ["", "x"]  # one missing, one invalid outcome
    data.loc[5, "stage"] = "IV"  # an invalid input
    return data


@pytest.fixture(scope="module")
def report(model, frame):
    return validation_report(model, load_cohort(frame, OUTCOME))


def test_the_overall_figures_are_those_of_the_scored_rows(model, frame, report):
    kept = frame.drop(index=[0, 1, 5])
    _, scores = model.score_table(load_cohort(kept, OUTCOME).table)
    y = kept[OUTCOME].astype(int).to_numpy()
    assert report["overall"]["n"] == 1497
    assert report["overall"]["events"] == y.sum()
    assert report["overall"]["auc"]["estimate"] == pytest.approx(
        roc_auc_score(y, scores.probability), abs=1e-12)


def test_exclusions_are_counted_with_their_first_messages(report):
    data = report["data"]
    assert data["excluded"] == {"invalid inputs": 1, "outcome missing": 1, "outcome not 0/1": 1}
    assert data["excluded_examples"][0] == "row 1: outcome missing"
    assert data["excluded_examples"][1] == "row 2: outcome bone_metastasis='x' is not 0/1"
    assert data["excluded_examples"][2].startswith("row 6: stage: 'IV' is out of scope")


def test_the_report_counts_the_rows_lacking_each_input(frame, report):
    kept = frame.drop(index=[0, 1, 5])
    lacking = report["data"]["lacking"]
    assert lacking["cea"] == kept["cea[ng/mL]"].isna().sum() > 0
    assert lacking["alp"] == kept["alp[U/L]"].isna().sum() > 0
    assert lacking["albumin"] == 1497
    assert lacking["histology"] == 0


def test_subgroups_by_histology_and_stage_with_small_ones_skipped_and_said_why(model):
    data = simulate(1200, 5, model)
    data.loc[:39, "histology"] = "small_cell"  # 40 rows: too few events for figures
    found = validation_report(model, load_cohort(data, OUTCOME))["subgroups"]
    histology = {e["value"]: e for e in found["histology"]}
    assert set(histology) == {"adenocarcinoma", "small_cell", "squamous"}
    assert histology["small_cell"]["skipped"].startswith("too small: ")
    assert "auc" in histology["adenocarcinoma"]
    assert "decision_curve" in histology["squamous"]
    assert {e["value"] for e in found["stage"]} == {"I", "II", "III"}


def test_files_json_html_and_png_with_the_synthetic_banner(report, tmp_path):
    html = write_report(report, tmp_path)
    saved = json.loads((tmp_path / "report.json").read_text())
    assert saved["banner"] == SYNTHETIC_BANNER
    assert saved["synthetic"] is True
    text = html.read_text()
    assert f'<p class="banner" role="alert">{SYNTHETIC_BANNER}</p>' in text
    images = re.findall(r'<img src="([^"]+)"', text)
    assert "calibration-overall.png" in images
    assert "decision-stage-iii.png" in images
    for name in images:
        assert (tmp_path / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_real_data_gets_no_banner(model):
    data = simulate(400, 2, model).drop(columns=["synthetic"])
    cohort = load_cohort(data, OUTCOME)
    assert cohort.synthetic is False
    found = validation_report(model, cohort)
    assert found["banner"] is None
    assert SYNTHETIC_BANNER not in found["warnings"]
    assert any("at least 100 events" in w for w in found["warnings"])  # < 100 events


def test_decile_points_and_the_smoothed_curve_cover_the_predictions(report):
    overall = report["overall"]
    assert sum(d["n"] for d in overall["deciles"]) == overall["n"]
    assert len(overall["smoothed"]["predicted"]) > 10
    assert np.all(np.diff(overall["smoothed"]["predicted"]) >= 0)


def test_a_cohort_without_usable_rows_is_refused(model):
    data = pd.DataFrame({"stage": ["IV"], OUTCOME: [1]})
    with pytest.raises(ValueError, match="no usable rows"):
        validation_report(model, load_cohort(data, OUTCOME))
