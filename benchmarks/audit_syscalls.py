"""Where the audit's cost goes: system calls and context switches per request, audit on and off.

Run: .venv/bin/python benchmarks/audit_syscalls.py   (needs wrk and Linux ``perf`` with the
syscalls tracepoints; run as root or with perf_event_paranoid <= 1)

For each of audit off and audit on SQLite, one gunicorn with the service's settings serves
``POST /v1/risk`` (complete patients) under wrk (16 connections); ``perf stat`` counts the
system calls and context switches of every process of that gunicorn for 8 seconds in the
middle of the run, divided by the requests answered meanwhile. A diagnostic, not a target: it
shows which calls the audit adds (futex: threads handing the GIL and the CPU to each other;
pread and pwrite: SQLite's pages; fdatasync: the commit) and how many per request.
"""

from __future__ import annotations

import json
import random
import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

from bench_service import Server, lua_script, patient, wrk

CALLS = ("futex", "flock", "fcntl", "fdatasync", "fsync", "pread64", "pwrite64", "read",
         "write", "sendto", "recvfrom", "epoll_wait", "getpid")
WINDOW_S, RUN_S = 8, 14


def count(server: Server, script: Path) -> tuple[dict[str, float], float]:
    """Per-request counts of each call (and context switches) over the window, and the rate."""
    events = ",".join([f"syscalls:sys_enter_{c}" for c in CALLS] + ["context-switches"])
    result: dict[str, dict[str, float]] = {}
    load = threading.Thread(target=lambda: result.update(w=wrk(server.url + "/v1/risk",
                                                                 script, RUN_S)))
    load.start()
    threading.Event().wait((RUN_S - WINDOW_S) / 2)
    pids = ",".join(str(p) for p in [server.process.pid, *server.workers()])
    done = subprocess.run(["perf", "stat", "-x", ",", "-e", events, "-p", pids, "--", "sleep",
                           str(WINDOW_S)], capture_output=True, text=True, check=True)
    load.join()
    rate = result["w"]["rps"]
    requests = rate * WINDOW_S
    counts = {}
    for line in done.stderr.splitlines():
        parts = line.split(",")
        if len(parts) > 2 and parts[0].replace(".", "").isdigit():
            name = parts[2].removeprefix("syscalls:sys_enter_")
            counts[name] = float(parts[0]) / requests
    return counts, rate


def main() -> int:
    if shutil.which("perf") is None or shutil.which("wrk") is None:
        print("needs perf and wrk", file=sys.stderr)
        return 1
    workdir = Path(tempfile.mkdtemp(prefix="bmrisk-syscalls-"))
    rng = random.Random(3)
    script = lua_script(workdir / "patients.lua",
                        [json.dumps(patient(rng)) for _ in range(64)])
    rows = {}
    for name, settings in (("audit off", {"BMRISK_AUDIT": "off"}), ("audit on SQLite", {})):
        server = Server("service:create_app()", workdir, settings)
        try:
            wrk(server.url + "/v1/risk", script, 2)  # warm-up
            rows[name] = count(server, script)
        finally:
            server.stop()
    names = [c for c in (*CALLS, "context-switches")
             if any(rows[r][0].get(c, 0) >= 0.01 for r in rows)]
    print(f"{'per request':18}" + "".join(f"{r:>18}" for r in rows))
    print(f"{'req/s':18}" + "".join(f"{rows[r][1]:>18.0f}" for r in rows))
    for c in names:
        print(f"{c:18}" + "".join(f"{rows[r][0].get(c, 0):>18.2f}" for r in rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
