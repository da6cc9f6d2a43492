"""Validate the literature model on the MSK LUAD met-organotropism cohort, as a researcher would.

Data: data/msk-luad-2023 (cBioPortal, Lengel HB et al., Cancer Cell
2023; ODbL). Read its README first: Groups 1 and 2 were chosen BY OUTCOME (metastasis-free with
two years of follow-up versus metastasised), so rates here are not population risks and
calibration cannot be judged; only discrimination (here, of the stage term) is meaningful.

Mapping (one row per patient: the Group 1-3 primary sample, exactly one per patient):
- stage: ``Clinical Stage`` (Stage I/II/III/IV -> I/II/III/IV); where it is Unknown or NA, the
  ``Pathologic Stage``; ``--stage pathologic`` reverses the order. Stage IV rows are passed on
  and the tool refuses them (stage IV is out of scope), as it would for any user;
- histology: adenocarcinoma for everyone (the whole cohort is LUAD);
- outcome: ``Ever Met to Site: Bone`` (1/0): bone metastasis at presentation or later;
- everything else (T, N, BSP, labs) is missing and is marginalised by the model.

The row-level CSV is written to OUTDIR, which must be outside this repository (never commit
row-level data). Then ``bmrisk validate`` writes the report into OUTDIR/report.

    python examples/msk_validate.py /tmp/msk
    python examples/msk_validate.py /tmp/msk-g12 --groups 1,2
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import pandas as pd

DATA = (Path(__file__).resolve().parents[1] / "data" / "msk-luad-2023"
        / "luad_mskcc_2023_met_organotropism_clinical_data.tsv")
OUTCOME = "bone_met_ever"
_STAGES = {"Stage I": "I", "Stage II": "II", "Stage III": "III", "Stage IV": "IV"}


def msk_cohort(path: Path = DATA, stage_first: str = "clinical",
               groups: tuple[int, ...] = (1, 2, 3)) -> pd.DataFrame:
    """The cohort in the calculator's feature format (no identifiers)."""
    data = pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False)
    wanted = [f"Group{g}" for g in groups]
    rows = data[data["Group Number"].isin(wanted)]
    if rows["Patient ID"].duplicated().any():
        raise ValueError("expected one primary sample per patient in Groups 1-3")
    clinical = rows["Clinical Stage"].map(_STAGES)
    pathologic = rows["Pathologic Stage"].map(_STAGES)
    first, second = (clinical, pathologic) if stage_first == "clinical" else (
        pathologic, clinical)
    outcome = rows["Ever Met to Site: Bone"].map({"1": 1, "0": 0, "1.0": 1, "0.0": 0})
    if outcome.isna().any():
        raise ValueError("every Group 1-3 patient should have 'Ever Met to Site: Bone'")
    return pd.DataFrame({
        "group": rows["Group Number"].to_numpy(),
        "stage_source": [stage_first if isinstance(a, str) else
                         ("other" if isinstance(b, str) else "none")
                         for a, b in zip(first, second, strict=True)],
        "histology": "adenocarcinoma",
        "stage": first.fillna(second).fillna("").to_numpy(),
        OUTCOME: outcome.astype(int).to_numpy(),
    })


def _outside_repository(folder: Path) -> Path:
    repo = Path(__file__).resolve().parents[1]
    folder = folder.resolve()
    if folder == repo or repo in folder.parents:
        raise SystemExit(f"{folder} is inside the repository: choose a folder outside it "
                         "(row-level data must never be committed)")
    return folder


def main() -> int:
    """Write the mapped cohort and run ``bmrisk validate`` on it."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("outdir", type=Path, help="folder outside the repository")
    parser.add_argument("--stage", choices=("clinical", "pathologic"), default="clinical",
                        help="stage read first (the other fills its gaps)")
    parser.add_argument("--groups", default="1,2,3", help="study groups (default 1,2,3)")
    parser.add_argument("--data", type=Path, default=DATA)
    args = parser.parse_args()
    outdir = _outside_repository(args.outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    groups = tuple(int(g) for g in args.groups.split(","))
    cohort = msk_cohort(args.data, args.stage, groups)
    target = outdir / "msk_cohort.csv"
    cohort.to_csv(target, index=False)
    print(f"{target}: {len(cohort)} patients, {int(cohort[OUTCOME].sum())} with bone "
          f"metastasis; stage from {args.stage} first")
    command = [str(Path(sys.executable).with_name("bmrisk")), "validate", str(target),
               "--outcome", OUTCOME, "--out", str(outdir / "report")]
    return subprocess.run(command, check=False).returncode


if __name__ == "__main__":
    sys.exit(main())
