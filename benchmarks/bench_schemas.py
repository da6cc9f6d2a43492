"""Time loading and dumping a full batch (10,000 rows) against plain json.loads + json.dumps.

Run: .venv/bin/python benchmarks/bench_schemas.py [rows]. Prints best-of-5 times and ratios;
the per-row marshmallow load and dump are timed on a sample to show why the batch uses fast paths.
"""

from __future__ import annotations

import gc
import json
import random
import sys
import time
from collections.abc import Callable
from typing import Any

from marshmallow import ValidationError

import riskmodel
from schemas import PatientSchema, ResultSchema, RowError, batch_payload, load_batch


def best_of(runs: int, action: Callable[[], Any]) -> float:
    """Fastest of ``runs`` timings, each after a full collection (so garbage is not billed)."""
    times = []
    for _ in range(runs):
        gc.collect()
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return min(times)


def make_rows(n: int, seed: int = 7) -> list[dict[str, Any]]:
    """Varied, mostly valid rows: some inputs missing, other units, one bad row in 100."""
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        row: dict[str, Any] = {
            "patient_ref": f"case-{i}",
            "histology": rng.choice(["adenocarcinoma", "squamous", "small_cell"]),
            "t_category": rng.choice(["T1a", "T2", "T3", "T4", "TX"]),
            "n_category": rng.choice(["N0", "N1", "N2", "N3"]),
        }
        if rng.random() < 0.7:
            row["calcium"] = {"value": round(rng.uniform(2.0, 2.8), 2), "unit": "mmol/L"}
        if rng.random() < 0.5:
            row["alp"] = {"value": round(rng.uniform(0.8, 4.0), 2), "unit": "ukat/L"}
        if rng.random() < 0.6:
            row["cea"] = {"value": round(rng.uniform(0.5, 40), 1), "unit": "ng/mL"}
        if i % 100 == 99:
            row["stage"] = "IV"
        rows.append(row)
    return rows


def measure(n: int) -> tuple[str, list[tuple[str, float]]]:
    """Best-of timings of each step for ``n`` rows, and a line describing the data."""
    body = json.dumps({"patients": make_rows(n)})
    model = riskmodel.load_model()
    loaded = load_batch(json.loads(body))
    patients = [item.patient for item in loaded if not isinstance(item, RowError)]
    results = iter(riskmodel.score_many(patients, model))
    outcomes = [item if isinstance(item, RowError) else (item, next(results)) for item in loaded]
    sample = json.loads(body)["patients"][:500]
    payloads = [p["result"] for p in batch_payload(outcomes[:500], model=model)["results"]
                if p["ok"]]
    size = len(json.dumps(batch_payload(outcomes, model=model))) / 1e6
    about = (f"rows: {n:,}  request: {len(body) / 1e6:.1f} MB  ({len(patients):,} valid)  "
             f"response: {size:.1f} MB")
    return about, [
        ("json.loads + json.dumps of the request (baseline)",
         best_of(5, lambda: json.dumps(json.loads(body)))),
        ("json.loads + load_batch", best_of(5, lambda: load_batch(json.loads(body)))),
        ("batch_payload (dicts)", best_of(5, lambda: batch_payload(outcomes, model=model))),
        ("batch_payload + json.dumps",
         best_of(3, lambda: json.dumps(batch_payload(outcomes, model=model)))),
        ("riskmodel.score_many (engine, for reference)",
         best_of(1, lambda: riskmodel.score_many(patients, model))),
        ("marshmallow PatientSchema.load per row (extrapolated)",
         best_of(3, lambda: [_try_load(row) for row in sample]) * n / len(sample)),
        ("marshmallow ResultSchema.dump (extrapolated)",
         best_of(3, lambda: ResultSchema(many=True).dump(payloads)) * n / len(payloads)),
    ]


def main(n: int = 10_000) -> None:
    about, timings = measure(n)
    print(about)
    baseline = timings[0][1]
    for label, seconds in timings:
        print(f"{label:<56} {seconds:7.3f} s   x{seconds / baseline:5.2f} baseline")


def _try_load(row: dict[str, Any]) -> Any:
    try:
        return PatientSchema().load(row)
    except ValidationError as error:  # a refused row is part of what is timed
        return error


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000)
