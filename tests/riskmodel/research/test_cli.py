"""The `bmrisk` command line: each command end to end, and one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from riskmodel.research.cli import main

BMRISK = str(Path(sys.executable).with_name("bmrisk"))


def _run(*args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([BMRISK, *args], capture_output=True, text=True, timeout=120,
                          check=False, **kwargs)


def test_simulate_score_validate_recalibrate_and_card_chain(tmp_path, capsys):
    cohort, scored = tmp_path / "sim.csv", tmp_path / "scored.parquet"
    assert main(["simulate", "1500", "--seed", "3", "--out", str(cohort), "--slope", "0.8"]) == 0
    assert main(["score", str(cohort), str(scored)]) == 0
    assert "1,500 rows: 1,500 scored, 0 with errors" in capsys.readouterr().out
    assert len(pd.read_parquet(scored)) == 1500
    assert main(["validate", str(cohort), "--outcome", "bone_metastasis", "--no-figures",
                 "--out", str(tmp_path / "report")]) == 0
    out = capsys.readouterr().out
    assert out.startswith("SYNTHETIC DATA")
    assert "AUC 0." in out
    assert json.loads((tmp_path / "report" / "report.json").read_text())["synthetic"]
    assert main(["recalibrate", str(cohort), "--outcome", "bone_metastasis", "--method",
                 "logistic", "--out", str(tmp_path / "models")]) == 0
    artifact = next((tmp_path / "models").glob("*.joblib"))
    assert f"artifact: {artifact}" in capsys.readouterr().out
    assert main(["score", str(cohort), str(tmp_path / "local.csv"), "--model",
                 str(artifact)]) == 0
    capsys.readouterr()
    local = pd.read_csv(tmp_path / "local.csv", skiprows=1)
    assert (local["model_id"] == artifact.stem).all()
    assert main(["card", str(artifact)]) == 0
    assert capsys.readouterr().out.startswith("# Model card: ")


def test_simulate_writes_csv_to_standard_output_by_default():
    done = _run("simulate", "3", "--seed", "1")
    lines = done.stdout.splitlines()
    assert done.returncode == 0
    assert lines[0].startswith("# SYNTHETIC: ")
    assert len(lines) == 5
    assert lines[2].endswith(",true")


@pytest.mark.parametrize(("args", "message"), [
    (["score", "missing.csv", "out.csv"], "bmrisk: error: cannot read missing.csv"),
    (["score", "in.csv", "out.xlsx"], "bmrisk: error: out.xlsx: unknown table format"),
    (["validate", "in.csv", "--outcome", "nope"], "bmrisk: error: in.csv: no outcome column"),
    (["card", "no-such-model"], "bmrisk: error: no built-in model 'no-such-model'"),
    (["simulate", "5", "--seed", "1", "--missing", "cea"], "bmrisk: error: --missing 'cea'"),
])
def test_errors_are_one_line_without_a_traceback(tmp_path, monkeypatch, capsys, args, message):
    (tmp_path / "in.csv").write_text("stage,bm\nI,0\n")
    monkeypatch.chdir(tmp_path)
    assert main(args) == 1
    err = capsys.readouterr().err
    assert err.startswith(message), err
    assert err.count("\n") == 1, err


def test_an_unknown_unit_stops_the_file_at_the_start_in_one_line(tmp_path):
    (tmp_path / "in.csv").write_text("calcium[mg/L]\n9.1\n")
    done = _run("score", "in.csv", "out.csv", cwd=tmp_path)
    assert done.returncode == 1
    assert not (tmp_path / "out.csv").exists()
    assert done.stderr == ("bmrisk: error: column 'calcium[mg/L]': 'mg/L' is not a known unit "
                           "of calcium; use one of mmol/L, mg/dL\n")


def test_laboratory_spellings_of_units_score_as_their_ucum_code_and_are_echoed(tmp_path):
    (tmp_path / "in.csv").write_text(
        "alp[IU/L],cea[\u00b5g/l],calcium[mg/dl]\n130,8.5,9.6\n")
    (tmp_path / "ref.csv").write_text("alp[U/L],cea[ug/L],calcium[mg/dL]\n130,8.5,9.6\n")
    assert main(["score", str(tmp_path / "in.csv"), str(tmp_path / "out.csv")]) == 0
    assert main(["score", str(tmp_path / "ref.csv"), str(tmp_path / "ref-out.csv")]) == 0
    out, ref = (pd.read_csv(tmp_path / name) for name in ("out.csv", "ref-out.csv"))
    assert out["probability"][0] == ref["probability"][0]
    assert list(out.columns[:3]) == ["alp[U/L]", "cea[ug/L]", "calcium[mg/dL]"]


def test_no_progress_bar_when_stderr_is_not_a_terminal(tmp_path):
    (tmp_path / "in.csv").write_text("stage\nI\nII\n")
    done = _run("score", "in.csv", "out.csv", cwd=tmp_path)
    assert done.returncode == 0
    assert done.stderr == ""
    assert done.stdout.startswith("out.csv: 2 rows: 2 scored")


def test_a_bug_raises_with_its_traceback_while_a_users_mistake_is_one_line(monkeypatch, capsys):
    def broken(*args, **kwargs):
        raise ZeroDivisionError("a bug in bmrisk")

    monkeypatch.setattr("riskmodel.card.model_card_markdown", broken)
    with pytest.raises(ZeroDivisionError):
        main(["card", "lung-bm-literature"])
    assert main(["card", "no-such-model"]) == 1
    assert capsys.readouterr().err == "bmrisk: error: no built-in model 'no-such-model'\n"


def test_score_by_version_keeps_1_0_0_scorable_beside_the_default(tmp_path):
    cohort = tmp_path / "two.csv"
    cohort.write_text("histology,stage\nadenocarcinoma,IIIA\nsquamous,IA\n")
    outputs = {}
    for version in ("1.0.0", "2.0.0"):
        target = tmp_path / f"scored-{version}.csv"
        assert main(["score", str(cohort), str(target), "--model",
                     f"lung-bm-literature@{version}"]) == 0
        outputs[version] = pd.read_csv(target)
    assert set(outputs["1.0.0"]["model_version"]) == {"1.0.0"}
    assert set(outputs["2.0.0"]["model_version"]) == {"2.0.0"}
    # stage IA rules out T4, N3 and stage III in 2.0.0 only
    assert outputs["2.0.0"]["probability"][1] < outputs["1.0.0"]["probability"][1]
