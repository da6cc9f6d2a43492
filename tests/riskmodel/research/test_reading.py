"""What the researcher reads: exclusions in words, intervals with true minus signs, the rarer
outcome named, calibration points inside the axes, the decision curve's legend off the lines."""

from __future__ import annotations

import numpy as np
import pytest

from riskmodel.research.cli import main
from riskmodel.research.cohort import Cohort, load_cohort
from riskmodel.research.figures import _pyplot, calibration_plot, decision_plot
from riskmodel.research.provenance import size_warnings
from riskmodel.research.report import _warnings, estimate_text, validation_report
from riskmodel.research.simulate import simulate

OUTCOME = "bone_metastasis"


def cohort_of(y: list[int]) -> Cohort:
    return Cohort({}, np.array(y), "test", OUTCOME, False)


def test_intervals_read_low_to_high_with_true_minus_signs():
    entry = {"estimate": -0.2, "low": -0.954, "high": 1.61}
    assert estimate_text(entry) == "\u22120.200 (\u22120.954 to 1.610)"


@pytest.mark.parametrize(("y", "said"), [
    ([1] * 20 + [0], "Only 1 non-event (the rarer outcome)"),
    ([0] * 20 + [1, 1], "Only 2 events (the rarer outcome)"),
    ([0] * 20 + [1], "Only 1 event (the rarer outcome)"),
])
def test_the_small_sample_warning_names_the_rarer_class(y, said):
    assert any(w.startswith(said) for w in _warnings(cohort_of(y)))
    assert any(w.startswith(said.lower()) for w in size_warnings("intercept", cohort_of(y), 1))


def test_validate_prints_exclusions_as_words_and_intervals_with_to(tmp_path, model, capsys):
    data = simulate(400, 5, model).astype({OUTCOME: object})
    data.loc[:2, OUTCOME] = ["", "", "x"]
    path = tmp_path / "cohort.csv"
    data.to_csv(path, index=False)
    assert main(["validate", str(path), "--outcome", OUTCOME, "--no-figures", "--out",
                 str(tmp_path / "report")]) == 0
    out = capsys.readouterr().out
    assert "excluded: 2 outcome missing, 1 outcome not 0/1" in out
    assert "{" not in out
    auc = next(line for line in out.splitlines() if line.startswith("AUC"))
    assert " to " in auc
    assert "-" not in auc.replace("O/E", "")  # negatives use U+2212, ranges the word 'to'


@pytest.fixture(scope="module")
def figures(model):
    frame = simulate(600, 8, model)
    report = validation_report(model, load_cohort(frame, OUTCOME))
    overall = report["overall"]
    # A group observed at 0 and one at 1: the points a plain 0..top axis cuts in half.
    overall["deciles"] = [*overall["deciles"][:-2],
                          {"n": 10, "events": 0, "mean_predicted": 0.0, "observed": 0.0},
                          {"n": 10, "events": 10, "mean_predicted": 0.95, "observed": 1.0}]
    return overall


def test_calibration_points_at_zero_and_one_lie_inside_the_axes(figures):
    plt = _pyplot()
    fig = calibration_plot(plt, figures, "All rows", "")
    ax = fig.axes[0]
    (x_low, x_high), (y_low, y_high) = ax.get_xlim(), ax.get_ylim()
    for point in figures["deciles"]:
        assert x_low < point["mean_predicted"] < x_high
        assert y_low < point["observed"] < y_high
    plt.close(fig)


def test_the_decision_curve_legend_covers_none_of_the_axes(figures):
    plt = _pyplot()
    fig = decision_plot(plt, figures, "All rows", "")
    fig.tight_layout()
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    ax = fig.axes[0]
    legend = ax.get_legend().get_window_extent(renderer)
    assert not legend.overlaps(ax.get_window_extent(renderer))
    assert fig.bbox.contains(legend.x0, legend.y0)  # and it is still on the image
    plt.close(fig)
