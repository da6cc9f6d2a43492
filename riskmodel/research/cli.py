"""The ``bmrisk`` command line: thin argparse glue over the library's public functions.

Every error ends the command with one line on stderr and a non-zero exit status.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from riskmodel import DEFAULT_MODEL
from riskmodel.errors import ArgumentError, RiskModelError
from riskmodel.persistence import open_model

from .cohort import load_cohort
from .recalibration import METHODS

DEFAULT_MODEL_REF = DEFAULT_MODEL
_UNITS_HELP = ("Lab columns carry their unit in the name (calcium[mg/dL]) or in a units row "
               "right after the header whose first cell is #units. Laboratory spellings are "
               "read as the UCUM code (mg/dl, \u00b5g/L, IU/L for ALP); output columns name "
               "the code used.")


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``bmrisk``; return the exit status."""
    args = _parser().parse_args(argv)
    try:
        return args.run(args)
    except KeyboardInterrupt:
        print("bmrisk: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # the reader (e.g. `head`) left: stop quietly, as Unix tools do
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except (RiskModelError, OSError) as exc:  # the user's mistake: one line, no traceback
        # Anything else is a bug in bmrisk: it raises with its traceback, to be reported.
        message = " ".join(str(exc).split()) or type(exc).__name__
        print(f"bmrisk: error: {message}", file=sys.stderr)
        return 1


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="bmrisk", description=(
        "Bone-metastasis risk in lung cancer: score files, validate, recalibrate, simulate."))
    commands = parser.add_subparsers(required=True, metavar="COMMAND")
    _score_parser(commands)
    _validate_parser(commands)
    _recalibrate_parser(commands)
    _simulate_parser(commands)
    card = commands.add_parser("card", help="print a model card (Markdown)")
    card.add_argument("model", metavar="MODEL", help="built-in id[@version] or artifact path")
    card.set_defaults(run=_card)
    return parser


def _model_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", default=DEFAULT_MODEL_REF,
                        help="built-in id[@version] or a .joblib artifact (default: %(default)s)")


def _score_parser(commands) -> None:
    score = commands.add_parser("score", help="score a CSV/Parquet file", epilog=_UNITS_HELP)
    score.add_argument("source", metavar="IN", help="input .csv, .tsv or .parquet")
    score.add_argument("target", metavar="OUT", help="output .csv, .tsv or .parquet")
    _model_option(score)
    score.add_argument("--chunksize", type=int, default=50_000, help="rows per chunk")
    score.set_defaults(run=_score)


def _score(args: argparse.Namespace) -> int:
    from .files import score_file

    summary = score_file(args.source, args.target, open_model(args.model), args.chunksize)
    print(f"{args.target}: {summary}")
    return 0


def _cohort_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("cohort", metavar="COHORT", help="labelled .csv, .tsv or .parquet")
    parser.add_argument("--outcome", required=True, metavar="COLUMN", help="0/1 outcome column")
    _model_option(parser)


def _validate_parser(commands) -> None:
    validate = commands.add_parser("validate", help="validate a model on a labelled cohort",
                                   epilog=_UNITS_HELP)
    _cohort_arguments(validate)
    validate.add_argument("--out", type=Path, help="report folder (default: <COHORT>-validation)")
    validate.add_argument("--min-subgroup-events", type=int, default=10,
                          help="skip subgroups with fewer events or non-events (default 10)")
    validate.add_argument("--no-figures", action="store_true", help="JSON and HTML only")
    validate.set_defaults(run=_validate)


def _validate(args: argparse.Namespace) -> int:
    from .report import validation_report, write_report

    model = open_model(args.model)
    cohort = load_cohort(args.cohort, args.outcome)
    report = validation_report(model, cohort, args.min_subgroup_events)
    out = args.out or Path(args.cohort).with_name(Path(args.cohort).stem + "-validation")
    html = write_report(report, out, figures=not args.no_figures)
    overall = report["overall"]
    for line in [*report["warnings"], f"{cohort.n} rows used ({cohort.events} events), "
                 f"excluded: {cohort.excluded_text()}", _figure_line(overall),
                 f"report: {html} (and report.json)"]:
        print(line)
    return 0


def _figure_line(f: dict) -> str:
    from .report import estimate_text as show

    return (f"AUC {show(f['auc'])}; O/E {show(f['oe'], 'ratio')}; calibration intercept "
            f"{show(f['calibration_intercept'])}, slope {show(f['calibration_slope'])}; "
            f"Brier {f['brier']['value']:.4f}")


def _recalibrate_parser(commands) -> None:
    recal = commands.add_parser("recalibrate", help="fit a new local model (new id, artifact)",
                                epilog=_UNITS_HELP)
    _cohort_arguments(recal)
    recal.add_argument("--method", required=True, choices=METHODS)
    recal.add_argument("--out", type=Path, default=Path("models"),
                       help="folder for the artifact (default: %(default)s)")
    recal.set_defaults(run=_recalibrate)


def _recalibrate(args: argparse.Namespace) -> int:
    from .provenance import recalibrate, save_recalibrated
    from .report import estimate_text

    cohort = load_cohort(args.cohort, args.outcome)
    spec = recalibrate(open_model(args.model), cohort, args.method)
    path = save_recalibrated(spec, args.out)
    provenance = spec["provenance"]
    lines = [*provenance["warnings"], f"new model {spec['id']} {spec['version']} "
             f"({args.method}) from {cohort.n} rows, {cohort.events} events"]
    for name, entry in provenance["estimates"].items():
        if isinstance(entry, dict):
            lines.append(f"  {name}: {estimate_text(entry)}")
    for key in ("parent", "recalibrated"):
        lines.append(f"  {key} (apparent): " + _figure_line(provenance["validation"][key]))
    lines.append(f"artifact: {path} (+ manifest with its SHA-256)")
    print("\n".join(lines))
    return 0


def _simulate_parser(commands) -> None:
    sim = commands.add_parser("simulate", help="write a SYNTHETIC cohort (demos and tests)")
    sim.add_argument("n", metavar="N", type=int, help="rows")
    sim.add_argument("--seed", type=int, required=True)
    sim.add_argument("--out", default="-", help="file (.csv/.tsv/.parquet); default stdout")
    _model_option(sim)
    sim.add_argument("--intercept-shift", type=float, default=0.0,
                     help="true log-odds = shift + slope x the model's log-odds")
    sim.add_argument("--slope", type=float, default=1.0)
    sim.add_argument("--missing", action="append", default=[], metavar="INPUT=FRACTION",
                     help="drop an input at random in this fraction of rows (repeatable)")
    sim.set_defaults(run=_simulate)


def _simulate(args: argparse.Namespace) -> int:
    from .simulate import simulate_file

    missing = {}
    for item in args.missing:
        name, sep, fraction = item.partition("=")
        if not sep:
            raise ArgumentError(f"--missing {item!r}: write INPUT=FRACTION, e.g. cea=0.3")
        missing[name.strip()] = float(fraction)
    simulate_file(args.out, args.n, args.seed, open_model(args.model), args.intercept_shift,
                  args.slope, missing)
    if args.out != "-":
        print(f"{args.out}: {args.n:,} SYNTHETIC rows (seed {args.seed})", file=sys.stderr)
    return 0


def _card(args: argparse.Namespace) -> int:
    from riskmodel.card import model_card_markdown

    print(model_card_markdown(open_model(args.model)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
