"""The form's POST against the bare echo, with a ladder: how far the form gets without its page.

Issue 14 asks the form's POST of a complete patient to serve >= 0.4 x the requests per second of
a bare Flask echo. This runs, in paired rounds (order rotated, wrk as in bench_service.py, audit
trail off as in ``bench_service.py --audit-off``):

- ``/echo``: the bare echo (benchmarks/echo_app.py);
- ``form``: the service's form POST, result page and all;
- ``norender``: the same POST answering ``ok`` instead of rendering the page
  (benchmarks/form_ladder_app.py);
- ``noview``: nor building the page's view: CSRF, session, parsing, the schema, the score, ids,
  logs and metrics only.

``noview`` is the most a form POST can reach while it keeps CSRF protection, the API's schema
and the score; the gaps between the rungs are what the view and the rendering cost.

    .venv/bin/python benchmarks/bench_form.py
"""

from __future__ import annotations

import json
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

from bench_service import (
    ECHO_APP,
    ROUNDS,
    SERVICE_APP,
    THREADS,
    Server,
    form_body,
    form_session,
    lua_script,
    paired_ratio,
    paired_rounds,
    patients,
    wrk,
    wrk_missing,
)

LADDER_APP = "benchmarks.form_ladder_app:create_app('{}')"
NO_AUDIT = {"BMRISK_AUDIT": "off"}


def main() -> int:
    if wrk_missing():
        return 2
    workdir = Path(tempfile.mkdtemp(prefix="bmrisk-bench-form-"))
    chosen = patients()
    servers = {"/echo": Server(ECHO_APP, workdir)}
    try:
        servers["form"] = Server(SERVICE_APP, workdir, NO_AUDIT)
        for skip in ("norender", "noview"):
            servers[skip] = Server(LADDER_APP.format(skip), workdir, NO_AUDIT)
        scripts = {"/echo": lua_script(workdir / "echo.lua", [json.dumps(p) for p in chosen])}
        for name, server in servers.items():
            if name != "/echo":
                scripts[name] = lua_script(
                    workdir / f"{name}.lua", [form_body(p) for p in chosen],
                    "application/x-www-form-urlencoded",
                    [form_session(server.url) for _ in range(THREADS)])
        urls = {name: server.url + ("/echo" if name == "/echo" else "/")
                for name, server in servers.items()}
        compare(servers, urls, scripts)
    finally:
        for server in servers.values():
            server.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


def compare(servers: dict[str, Server], urls: dict[str, str], scripts: dict[str, Path]) -> None:
    """Paired rounds of every target; each round's ratio to that round's /echo, and the median."""
    names = list(servers)
    for name in names:
        wrk(urls[name], scripts[name], 2)  # warm every worker before the first round
    print(f"== Form POST ladder: {ROUNDS} rounds, audit trail off, complete patients")
    runs = paired_rounds({name: (urls[name], scripts[name], {"cpu_us": server.cpu_seconds})
                          for name, server in servers.items()})
    labels = {"/echo": "bare Flask echo",
              "form": "the form's POST, result page rendered (target >= 0.40)",
              "norender": "the same, page view built but not rendered",
              "noview": "the same, neither: CSRF, session, parse, schema, score, ids, logs"}
    print("  median of the rounds' ratios to /echo; server CPU per request (median):")
    for name in names:
        ratio = paired_ratio(runs, name, "/echo")
        cpu = statistics.median(r["cpu_us"] for r in runs[name])
        errors = sum(r["errors"] + r["non_2xx"] for r in runs[name])
        print(f"    {name:<9} ratio {ratio:.3f}  CPU {cpu:6.0f} us  errors {errors}  "
              f"{labels[name]}")


if __name__ == "__main__":
    sys.exit(main())
