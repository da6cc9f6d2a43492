"""Audit benchmark: /v1/risk throughput with the audit trail on SQLite and on PostgreSQL against
the audit off (wrk, the same gunicorn settings), and what the audit adds to a 10,000-patient
batch.

Run: .venv/bin/python benchmarks/bench_audit.py   (needs wrk: make bench-deps; and Debian's
postgresql: make test-deps; it starts its own PostgreSQL cluster, fsync on, on 127.0.0.1)
Targets: throughput >= 0.85 x (SQLite) and >= 0.75 x (PostgreSQL) the audit-off service's;
batch of 10,000: audit adds < 50 ms. Loads only 127.0.0.1, for a bounded time (about 3 minutes).
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from bench_service import (
    BATCH_ROWS,
    DURATION_S,
    ROOT,
    ROUNDS,
    Server,
    children,
    cpu_seconds,
    lua_script,
    paired_ratio,
    paired_rounds,
    patient,
    patients,
    show,
    wrk_missing,
)

sys.path.insert(0, str(ROOT))  # the tests' PostgreSQL starter, below
from tests.postgres import PostgresServer

TARGETS = {"off": 0.0, "sqlite": 0.85, "postgresql": 0.75}  # minimum ratio to "off"
BATCH_ROUNDS = 5


def start_servers(workdir: Path, postgres_url: str) -> dict[str, Server]:
    """The same service three times: audit off, audit on SQLite, audit on PostgreSQL (plus the
    settings in BENCH_SETTINGS, a JSON object, for all three: e.g. {"BMRISK_THREADS": "16"})."""
    admin = str(Path(sys.executable).parent / "bmrisk-admin")
    subprocess.run([admin, "db", "upgrade"], check=True, capture_output=True,
                   env={"PATH": "/usr/bin:/bin", "BMRISK_DATABASE_URL": postgres_url})
    extra = json.loads(os.environ.get("BENCH_SETTINGS", "{}"))
    return {"off": Server("service:create_app()", workdir, {"BMRISK_AUDIT": "off", **extra}),
            "sqlite": Server("service:create_app()", workdir, extra),
            "postgresql": Server("service:create_app()", workdir,
                                 {"BMRISK_DATABASE_URL": postgres_url, **extra})}


def postgres_cpu(postgres: PostgresServer) -> float:
    """CPU time used so far by the PostgreSQL server (its postmaster and every backend)."""
    postmaster = int((postgres.data / "postmaster.pid").read_text().split()[0])
    return cpu_seconds([postmaster, *children(postmaster)])


def throughput(servers: dict[str, Server], script: Path, postgres: PostgresServer) -> None:
    """Rounds of every target in turn (order rotated); each round's ratio to 'off'; medians.
    Also the CPU per request of the service (gunicorn's processes, SQLite's work included) and
    of the PostgreSQL server, which shares this machine's cores with the service and wrk."""
    names = list(servers)
    print(f"\n== /v1/risk throughput: wrk, {DURATION_S} s per run, {ROUNDS} rounds, each "
          "target once per round (order rotated)")
    runs = paired_rounds({name: (server.url + "/v1/risk", script,
                                 {"cpu_us": server.cpu_seconds,
                                  "db_cpu_us": lambda: postgres_cpu(postgres)})
                          for name, server in servers.items()})
    for name in names:
        show(name, sorted(runs[name], key=lambda r: r["rps"])[ROUNDS // 2])
    for name in names[1:]:
        ratio = paired_ratio(runs, name, "off")
        errors = sum(r["errors"] + r["non_2xx"] for r in runs[name])
        verdict = "met" if ratio >= TARGETS[name] else "NOT met"
        print(f"  audit on {name} / audit off, median of the rounds' ratios: {ratio:.2f} "
              f"(target >= {TARGETS[name]:.2f}: {verdict}); errors and non-2xx: {errors}")
    cpu = {name: statistics.median(r["cpu_us"] for r in runs[name]) for name in names}
    db_cpu = statistics.median(r["db_cpu_us"] for r in runs["postgresql"])
    print("  CPU per request, median of the rounds (ratio = audit off's service CPU / this):")
    for name in names:
        print(f"    {name:<11} service {cpu[name]:5.0f} us  ratio {cpu['off'] / cpu[name]:.2f}")
    print(f"    postgresql  service + PostgreSQL server {cpu['postgresql'] + db_cpu:5.0f} us "
          f"({db_cpu:.0f} us of it PostgreSQL's)  ratio "
          f"{cpu['off'] / (cpu['postgresql'] + db_cpu):.2f}")


def batch_cost(servers: dict[str, Server]) -> None:
    """A 10,000-patient batch end to end on each server, paired by round; added time."""
    rng = random.Random(7)
    body = json.dumps({"patients": [patient(rng) for _ in range(BATCH_ROWS)]}).encode()
    times: dict[str, list[float]] = {name: [] for name in servers}
    for round_ in range(BATCH_ROUNDS):
        names = list(servers)
        for name in names[round_ % len(names):] + names[:round_ % len(names)]:
            times[name].append(_post(servers[name].url + "/v1/risk/batch", body))
    print(f"\n== Batch of {BATCH_ROWS:,} patients, {BATCH_ROUNDS} rounds (order rotated): "
          "median end to end, and the median of each round's difference to 'off'")
    for name, runs in times.items():
        added = "" if name == "off" else "  added {:+.1f} ms (target < 50 ms)".format(
            statistics.median(a - o for a, o in zip(runs, times["off"], strict=True)) * 1e3)
        print(f"  {name:<10} {statistics.median(runs):.3f} s  "
              f"(runs {', '.join(f'{t:.3f}' for t in runs)}){added}")


def audit_step(postgres_url: str, workdir: Path) -> None:
    """The audit's own work for a 10,000-patient answer, in this process (no network noise):
    hashing the body, then writing and committing its row, on each database."""
    from datetime import UTC, datetime

    from service.storage import Storage, schema

    body = _batch_response(workdir)
    row = {"at": datetime.now(UTC), "request_id": "bench", "channel": "batch",
           "caller": "bench", "model_id": "m", "model_version": "1", "model_sha256": "0" * 64,
           "rows": BATCH_ROWS, "status": 200, "probability": None, "band": None,
           "response_sha256": "", "patient_hmac": None, "patient_key_id": None}
    print(f"\n== The audit step for one {BATCH_ROWS:,}-patient answer ({len(body) / 1e6:.1f} MB), "
          "in-process, median of 21")
    for name, url in (("sqlite", f"sqlite:///{workdir / 'step.sqlite3'}"),
                      ("postgresql", postgres_url.replace("postgresql:", "postgresql+psycopg:"))):
        storage = Storage(url, 1)
        schema.upgrade(storage.engine)
        timings = []
        for _ in range(21):
            start = time.perf_counter()
            row["response_sha256"] = hashlib.sha256(body).hexdigest()
            storage.audit_writer.write(row)
            timings.append(time.perf_counter() - start)
        print(f"  {name:<10} {statistics.median(timings) * 1e3:6.1f} ms (target < 50 ms)")


def _batch_response(workdir: Path) -> bytes:
    """A real 10,000-patient answer's body, from the app in this process (audit off)."""
    from service import create_app

    rng = random.Random(7)
    app = create_app({"AUDIT": False, "LOG_LEVEL": "ERROR",
                      "DATABASE_URL": f"sqlite:///{workdir / 'body.sqlite3'}"})
    return app.test_client().post("/v1/risk/batch", json={
        "patients": [patient(rng) for _ in range(BATCH_ROWS)]}).get_data()


def _post(url: str, body: bytes) -> float:
    request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
    start = time.perf_counter()
    with urllib.request.urlopen(request, timeout=120) as response:
        response.read()
        assert response.status == 200
    return time.perf_counter() - start


def main() -> int:
    if wrk_missing():
        return 2
    workdir = Path(tempfile.mkdtemp(prefix="bmrisk-bench-audit-"))
    postgres = PostgresServer()
    postgres.start()
    servers: dict[str, Server] = {}
    try:
        postgres_url = postgres.create_database()
        servers = start_servers(workdir, postgres_url)
        script = lua_script(workdir / "post.lua", [json.dumps(p) for p in patients()])
        print("gunicorn.conf.py settings (2 workers x 8 threads each); PostgreSQL with fsync "
              "on, SQLite WAL with synchronous=FULL; 64 distinct patients per run")
        throughput(servers, script, postgres)
        batch_cost(servers)
        audit_step(postgres_url, workdir)
    finally:
        for server in servers.values():
            server.stop()
        postgres.remove()
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
