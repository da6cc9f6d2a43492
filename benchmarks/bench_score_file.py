"""Score 1,000,000 then 2,000,000 synthetic rows end to end with ``bmrisk score``.

Each file is a SYNTHETIC cohort (``riskmodel.research.simulate``) written to a temporary folder; the
command runs as a child process and its own peak memory (ru_maxrss from wait4) is printed with
the time and rows per second. Streaming means the peak must not grow with the file: the
last line prints the ratio of the two peaks (about 1 when memory is flat).

    .venv/bin/python benchmarks/bench_score_file.py [--rows 1000000 2000000]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from riskmodel import load_model
from riskmodel.research.simulate import simulate_file

SEED = 20240601


def run(rows: int, folder: Path) -> tuple[float, float]:
    """Simulate ``rows`` rows, score them with the CLI; return (seconds, peak MiB)."""
    source, target = folder / f"cohort-{rows}.csv", folder / f"scored-{rows}.csv"
    simulate_file(source, rows, SEED, load_model(), missing={"cea": 0.3, "bsp": 0.2})
    command = [str(Path(sys.executable).with_name("bmrisk")), "score", str(source), str(target)]
    start = time.perf_counter()
    child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(child.pid, 0)  # this child's own rusage, not all children's
    seconds = time.perf_counter() - start
    child.returncode = os.waitstatus_to_exitcode(status)
    out, err = child.stdout.read().decode(), child.stderr.read().decode()
    if child.returncode != 0:
        raise SystemExit(f"bmrisk score failed: {err.strip()}")
    peak_mib = usage.ru_maxrss / 1024  # Linux reports KiB
    print(f"{rows:>9,} rows: {seconds:6.1f} s, {rows / seconds:9,.0f} rows/s, "
          f"peak memory {peak_mib:6.0f} MiB | {out.strip()}")
    source.unlink()
    target.unlink()
    return seconds, peak_mib


def main() -> int:
    """Run the benchmark for each size and print the memory ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000_000, 2_000_000])
    args = parser.parse_args()
    print("SYNTHETIC input (simulated from the literature model); timings only.")
    with tempfile.TemporaryDirectory(prefix="bmrisk-bench-") as folder:
        peaks = [run(rows, Path(folder))[1] for rows in args.rows]
    if len(peaks) > 1:
        print(f"peak memory ratio, {args.rows[-1]:,} vs {args.rows[0]:,} rows: "
              f"{peaks[-1] / peaks[0]:.2f} (flat memory: about 1)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
