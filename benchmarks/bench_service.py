"""Service benchmark: /v1/risk against a bare Flask echo under the same gunicorn settings (wrk),
with the stages between them (schema only, then scoring without the service's middleware), the
CDS Hooks patient-view call and the form's POST in the same paired rounds, a 10,000-patient
batch end to end, and a worker killed under load.

Run: .venv/bin/python benchmarks/bench_service.py [--throughput-only] [--audit-off]
(needs /usr/bin/wrk: make bench-deps). Targets (issue 14), as ratios within one run:
/v1/risk (complete patient, full explanation) >= 0.5 x the echo's throughput with zero errors;
the CDS Hooks call with the complete prefetch of tests/fixtures/cds-request-complete.json:
p99 < 50 ms at 16 connections; the form's POST of a complete patient >= 0.4 x the echo's;
batch of 10,000 under 1 s. Loads only 127.0.0.1, for a bounded time (about 4 minutes in all).

The CDS Hooks server needs nothing configured: on a loopback bind (the default BMRISK_HOST)
CDS Hooks runs without JWT, and a complete prefetch fetches from no FHIR server. The form needs
a CSRF token and its session cookie: before each run the benchmark GETs the form once per wrk
thread and gives each thread its own token and cookie (the token is valid for an hour).
"""

from __future__ import annotations

import gc
import html
import json
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
GUNICORN = str(Path(sys.executable).parent / "gunicorn")
SERVICE_APP = "service:create_app()"
ECHO_APP = "benchmarks.echo_app:create_app()"
DURATION_S, ROUNDS, THREADS, CONNECTIONS = 5, 5, 2, 16
BATCH_ROWS = 10_000
LUA = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "@TYPE@"
local bodies = {@BODIES@}
local sessions = {@SESSIONS@}
local made = 0
setup = function(thread)  -- each thread its own form session (none for JSON)
  made = made + 1
  if #sessions > 0 then
    local s = sessions[(made - 1) % #sessions + 1]
    thread:set("cookie", s[1])
    thread:set("token", s[2])
  end
end
init = function(args)
  if cookie then wrk.headers["Cookie"] = cookie end
end
local i = 0
request = function()
  i = i % #bodies + 1
  local body = bodies[i]
  if token then body = body .. "&csrf_token=" .. token end
  return wrk.format(nil, nil, nil, body)
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('RESULT {"requests": %d, "duration_us": %d, "p50_us": %d, '
    .. '"p99_us": %d, "connect": %d, "read": %d, "write": %d, "timeout": %d, '
    .. '"non_2xx": %d}\\n', summary.requests, summary.duration, latency:percentile(50),
    latency:percentile(99), e.connect, e.read, e.write, e.timeout, e.status))
end
"""


def patient(rng: random.Random) -> dict[str, Any]:
    """A plausible, varied, complete patient (so nothing can be served from a cache): every
    input known, BSP tested (the issue's "complete patient"; runs before 2026-11-30 drew BSP
    "not_tested" for a third of them, which 2.0.0 marginalises)."""
    return {
        "histology": rng.choice(["adenocarcinoma", "squamous", "large_cell", "nsclc_nos"]),
        "t_category": rng.choice(["T1a", "T1c", "T2a", "T2b", "T3", "T4"]),
        "n_category": rng.choice(["N0", "N1", "N2", "N3"]),
        "bsp": rng.choice(["positive", "negative"]),
        "calcium": {"value": round(rng.uniform(2.0, 2.9), 2), "unit": "mmol/L"},
        "albumin": {"value": rng.randint(28, 48), "unit": "g/L"},
        "alp": {"value": rng.randint(40, 400), "unit": "U/L"},
        "cea": {"value": round(rng.uniform(0.5, 40), 1), "unit": "ng/mL"},
    }


def patients() -> list[dict[str, Any]]:
    """The benchmarks' 64 patients (the same in every run and every benchmark)."""
    rng = random.Random(42)
    return [patient(rng) for _ in range(64)]


def wrk_missing() -> bool:
    """Whether wrk is missing (then say how to install it)."""
    if shutil.which("wrk") is None:
        print("wrk is not installed: run `make bench-deps`", file=sys.stderr)
        return True
    return False


def cpu_seconds(pids: list[int]) -> float:
    """CPU time (user + system) used so far by the processes ``pids`` (from /proc)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:  # a process replaced meanwhile
            continue
        total += (int(fields[11]) + int(fields[12])) / ticks  # utime, stime
    return total


def children(pid: int) -> list[int]:
    """The child processes of ``pid``."""
    found = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in found.read_text().split()] if found.exists() else []


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    """A gunicorn started with gunicorn.conf.py (the service's settings) on a free port."""

    def __init__(self, app: str, workdir: Path, settings: dict[str, str] | None = None):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {k: v for k, v in os.environ.items() if not k.startswith("BMRISK_")}
        env.update(PORT=str(self.port), BMRISK_HOST="127.0.0.1",
                   PROMETHEUS_MULTIPROC_DIR=tempfile.mkdtemp(dir=workdir),
                   BMRISK_DATABASE_URL=f"sqlite:///{workdir / f'{self.port}.sqlite3'}")
        env.update(settings or {})
        self.log = (workdir / f"{self.port}.log").open("wb")
        self.process = subprocess.Popen([GUNICORN, "-c", "gunicorn.conf.py", app], cwd=ROOT,
                                        env=env, stdout=self.log, stderr=self.log)
        self.wait_until_up()

    def wait_until_up(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(self.workers()) > 0 and _answers(self.url):
                return
            time.sleep(0.2)
        raise RuntimeError(f"server {self.port} did not start")

    def workers(self) -> list[int]:
        return children(self.process.pid)

    def cpu_seconds(self) -> float:
        """CPU time (user + system) used so far by the workers (and the master)."""
        return cpu_seconds([self.process.pid, *self.workers()])

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=30)
        self.log.close()


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url + "/healthz", timeout=2):
            return True
    except OSError as error:  # the echo app has no /healthz: a 404 still means "up"
        return getattr(error, "code", None) == 404


def wrk(url: str, script: Path, duration: int = DURATION_S) -> dict[str, float]:
    """One wrk run; its summary as numbers (throughput in requests per second)."""
    out = subprocess.run(["wrk", f"-t{THREADS}", f"-c{CONNECTIONS}", f"-d{duration}s",
                          "--timeout", "10s", "-s", str(script), url],
                         capture_output=True, text=True, timeout=duration + 60, check=True)
    line = next(ln for ln in out.stdout.splitlines() if ln.startswith("RESULT "))
    result = json.loads(line.removeprefix("RESULT "))
    result["rps"] = result["requests"] / (result["duration_us"] / 1e6)
    result["errors"] = sum(result[k] for k in ("connect", "read", "write", "timeout"))
    return result


def lua_script(path: Path, bodies: list[str], content_type: str = "application/json",
               sessions: list[tuple[str, str]] = ()) -> Path:
    """A wrk script posting ``bodies`` in turn; with ``sessions`` (cookie, CSRF token), each
    wrk thread sends its own cookie and appends its own token to the (form) body."""
    def quoted(items: list[str]) -> str:
        return ", ".join(json.dumps(item) for item in items)
    text = (LUA.replace("@TYPE@", content_type).replace("@BODIES@", quoted(bodies))
            .replace("@SESSIONS@", ", ".join(f"{{{quoted(list(s))}}}" for s in sessions)))
    path.write_text(text, "utf-8")
    return path


def form_body(data: dict[str, Any]) -> str:
    """The form's urlencoded fields for a patient of ``patient()`` (without the token)."""
    fields: dict[str, str] = {}
    for name, value in data.items():
        if isinstance(value, dict):
            fields[name], fields[name + "_unit"] = str(value["value"]), value["unit"]
        else:
            fields[name] = value
    return urllib.parse.urlencode(fields)


def form_session(url: str) -> tuple[str, str]:
    """A session cookie and its CSRF token, as a browser gets them: by GETting the form."""
    with urllib.request.urlopen(url + "/", timeout=10) as response:
        cookie = response.headers["Set-Cookie"].split(";", 1)[0]
        page = response.read().decode()
    token = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    return cookie, urllib.parse.quote(html.unescape(token), safe="")


def cds_request() -> str:
    """The CDS Hooks patient-view call with the complete prefetch (the tests' fixture)."""
    fixture = ROOT / "tests" / "fixtures" / "cds-request-complete.json"
    return json.dumps(json.loads(fixture.read_text("utf-8"))["request"])


def show(name: str, r: dict[str, float]) -> None:
    print(f"  {name:<10} {r['rps']:8.0f} req/s   p50 {r['p50_us'] / 1e3:6.2f} ms   "
          f"p99 {r['p99_us'] / 1e3:6.2f} ms   non-2xx {r['non_2xx']}   "
          f"socket errors {r['errors']}")


CDS_PATH = "/cds-services/lung-bone-mets-risk"


def compare(service: Server, bare: Server, scripts: dict[str, Path]) -> None:
    """Rounds of every target in turn (order rotated each round); medians and paired ratios.

    The machine is shared and its speed drifts within a minute, so each round's ratio to the
    /echo run of the same round is taken, and the median over rounds is reported. The bare
    app's /validate and /score add the schema, then scoring and rendering, to /echo: the ladder
    shows what each stage costs a request, and so the highest ratio such a service can reach.
    The CDS Hooks call and the form's POST run in the same rounds (their own bodies).
    """
    targets = {"/echo": (bare.url + "/echo", scripts["json"]),
               "/validate": (bare.url + "/validate", scripts["json"]),
               "/score": (bare.url + "/score", scripts["json"]),
               "/v1/risk": (service.url + "/v1/risk", scripts["json"]),
               "cds": (service.url + CDS_PATH, scripts["cds"]),
               "form": (service.url + "/", scripts["form"])}
    server_of = {name: bare if name in ("/echo", "/validate", "/score") else service
                 for name in targets}
    names = list(targets)
    print(f"\n== Throughput: wrk {THREADS} threads, {CONNECTIONS} connections, {DURATION_S} s "
          f"per run, {ROUNDS} rounds, each target once per round (order rotated)")
    runs = paired_rounds({name: (url, script, {"cpu_us": server_of[name].cpu_seconds})
                          for name, (url, script) in targets.items()})
    for name in names:
        show(name, _median_run(runs[name]))
    paired = {name: paired_ratio(runs, name, "/echo") for name in names}
    errors = {name: sum(r["errors"] + r["non_2xx"] for r in rs) for name, rs in runs.items()}
    p99 = [r["p99_us"] / 1e3 for r in runs["cds"]]
    print(f"  /v1/risk / /echo, median of the rounds' ratios: {paired['/v1/risk']:.2f} "
          f"(target >= 0.50); errors and non-2xx: {errors['/v1/risk']}")
    print(f"  form POST / /echo, median of the rounds' ratios: {paired['form']:.2f} "
          f"(target >= 0.40); errors and non-2xx: {errors['form']}")
    print(f"  CDS Hooks call p99: median {statistics.median(p99):.1f} ms, worst "
          f"{max(p99):.1f} ms over the rounds (target < 50 ms); ratio to /echo "
          f"{paired['cds']:.2f}; errors and non-2xx: {errors['cds']}")
    print(f"    each round's p99: {', '.join(f'{v:.1f}' for v in p99)} ms")
    print(f"  errors and non-2xx in all runs: {sum(errors.values())}")
    ladder(runs, paired)
    server_cpu(runs)


# A target of paired rounds: its URL, its wrk script, and clocks (seconds used so far) whose
# difference over a run is reported per request, in microseconds, under each clock's name.
Target = tuple[str, Path, dict[str, Callable[[], float]]]


def paired_rounds(targets: dict[str, Target]) -> dict[str, list[dict[str, float]]]:
    """``ROUNDS`` rounds of every target in turn (the order rotated each round, so none is
    always first): each target's wrk runs, with its clocks' use per request added to each."""
    names = list(targets)
    runs: dict[str, list[dict[str, float]]] = {name: [] for name in names}
    for round_ in range(ROUNDS):
        for name in names[round_ % len(names):] + names[:round_ % len(names)]:
            url, script, clocks = targets[name]
            before = {field: clock() for field, clock in clocks.items()}
            run = wrk(url, script)
            done = max(run["requests"], 1)
            for field, clock in clocks.items():
                run[field] = (clock() - before[field]) * 1e6 / done
            runs[name].append(run)
        print(f"  round {round_ + 1}: " + "  ".join(
            f"{name} {runs[name][-1]['rps']:.0f}" for name in names) + " req/s")
    return runs


def paired_ratio(runs: dict[str, list[dict[str, float]]], name: str, base: str) -> float:
    """The median over the rounds of ``name``'s throughput over ``base``'s in the same round
    (the machine's speed drifts within a minute: only runs of one round are compared)."""
    return statistics.median(r["rps"] / b["rps"]
                             for r, b in zip(runs[name], runs[base], strict=True))


def server_cpu(runs: dict[str, list[dict[str, float]]]) -> None:
    """The servers' own CPU time per request (gunicorn master and workers, user + system,
    from /proc): what a request costs the server whatever else runs on the machine (wrk,
    other processes). Its ratio to /echo's is the throughput ratio on cores of its own."""
    cpu = {name: statistics.median(r["cpu_us"] for r in rs) for name, rs in runs.items()}
    print("  server CPU per request (median of the rounds; ratio = /echo's CPU / this one's):")
    for name, value in cpu.items():
        print(f"    {name:<10} {value:7.0f} us   ratio {cpu['/echo'] / value:.2f}")


def ladder(runs: dict[str, list[dict[str, float]]], paired: dict[str, float]) -> None:
    """Machine time per request (cores / throughput; wrk shares the cores, equally for every
    target): what each stage adds on top of the last, from the paired ratios."""
    cores = os.cpu_count() or 1
    echo_cost = cores / statistics.median(r["rps"] for r in runs["/echo"]) * 1e6
    cost = {name: echo_cost / paired[name] for name in paired}
    print(f"  ladder (core-microseconds per request = {cores} cores / throughput, scaled to the "
          "median /echo; ratio to /echo):")
    previous = None
    for name, label in (("/echo", "bare Flask echo"),
                        ("/validate", "+ schema load (marshmallow and the engine's rules)"),
                        ("/score", "+ score, explain, render (orjson)"),
                        ("/v1/risk", "+ the service: ids, logs, metrics, auth, envelope")):
        added = "" if previous is None else f"  ({cost[name] - cost[previous]:+.0f})"
        print(f"    {name:<10} {cost[name]:7.0f} us{added:<10} ratio {paired[name]:.2f}  {label}")
        previous = name
    for name, label in (("cds", "CDS Hooks patient-view, complete prefetch (other body)"),
                        ("form", "form POST, complete patient, HTML result page")):
        print(f"    {name:<10} {cost[name]:7.0f} us{'':<10} ratio {paired[name]:.2f}  {label}")


def _median_run(runs: list[dict[str, float]]) -> dict[str, float]:
    """The run of median throughput (its latencies are shown with it)."""
    return sorted(runs, key=lambda r: r["rps"])[len(runs) // 2]


def time_batch(service: Server) -> None:
    """A 10,000-patient batch end to end (send, score, receive every byte): median of 3."""
    rng = random.Random(7)
    body = json.dumps({"patients": [patient(rng) for _ in range(BATCH_ROWS)]}).encode()
    timings, size = [], 0
    for _ in range(3):
        request = urllib.request.Request(service.url + "/v1/risk/batch", data=body,
                                         headers={"Content-Type": "application/json"})
        start = time.perf_counter()
        with urllib.request.urlopen(request, timeout=120) as response:
            size = len(response.read())
        timings.append(time.perf_counter() - start)
    print(f"\n== Batch of {BATCH_ROWS:,} patients ({len(body) / 1e6:.1f} MB in, "
          f"{size / 1e6:.1f} MB out): median {statistics.median(timings):.3f} s "
          f"(runs {', '.join(f'{t:.3f}' for t in timings)}; target < 1 s)")
    stages(json.loads(body))


def stages(data: dict[str, Any]) -> None:
    """Where the batch time goes, stage by stage, in this process (one core)."""
    import orjson

    import riskmodel
    from schemas import batch_payload, load_batch
    from schemas.batch import paused_gc

    model = riskmodel.load_model()
    raw = json.dumps(data).encode()
    decoded = json.loads(raw)
    marks = [("JSON decode", lambda: json.loads(raw))]
    loaded = load_batch(decoded)
    results = riskmodel.score_many([r.patient for r in loaded], model)
    payload = batch_payload(list(zip(loaded, results, strict=True)), model=model)
    marks += [("schema load", lambda: load_batch(decoded)),
              ("score_many", lambda: riskmodel.score_many([r.patient for r in loaded], model)),
              ("payload", lambda: batch_payload(list(zip(loaded, results, strict=True)),
                                                model=model)),
              ("JSON encode", lambda: orjson.dumps(payload))]
    print("   stages in-process, collector paused as in the view:", end="")
    for name, step in marks:
        gc.collect()
        with paused_gc():
            clock = time.perf_counter()
            step()
            print(f"  {name} {time.perf_counter() - clock:.3f} s", end="")
    print()


def kill_a_worker(service: Server, script: Path) -> None:
    """Under wrk load, SIGKILL one worker; report failures, the replacement, and a run after."""
    before = service.workers()
    victim = before[0]
    result: dict[str, dict[str, float]] = {}
    load = threading.Thread(target=lambda: result.update(run=wrk(
        service.url + "/v1/risk", script, duration=12)))
    load.start()
    time.sleep(4)
    os.kill(victim, signal.SIGKILL)
    replacement, back_after = _await_replacement(service, before, victim, time.monotonic())
    load.join()
    print(f"\n== Worker killed under load: SIGKILL pid {victim} after 4 s of a 12 s run")
    run = result["run"]
    show("/v1/risk", run)
    failed = run["errors"] + run["non_2xx"]
    print(f"  requests {run['requests']}: failed {failed} (socket errors {run['errors']}, "
          f"non-2xx {run['non_2xx']}); wrk keeps one request in flight on each of its "
          f"{CONNECTIONS} connections, so at most {CONNECTIONS} can be lost with a worker")
    print(f"  replacement worker: pid {replacement} after {back_after:.2f} s; "
          f"/readyz {'OK' if _ready(service) else 'FAILED'}")
    show("after", wrk(service.url + "/v1/risk", script, duration=3))


def _await_replacement(service: Server, before: list[int], victim: int,
                       since: float) -> tuple[int | None, float]:
    deadline = since + 30
    while time.monotonic() < deadline:
        new = [p for p in service.workers() if p not in before]
        if new and victim not in service.workers():
            return new[0], time.monotonic() - since
        time.sleep(0.05)
    return None, float("nan")


def _ready(service: Server) -> bool:
    with urllib.request.urlopen(service.url + "/readyz", timeout=5) as response:
        return response.status == 200


def main() -> int:
    if wrk_missing():
        return 2
    workdir = Path(tempfile.mkdtemp(prefix="bmrisk-bench-"))
    chosen = patients()
    # --audit-off: the service without its audit trail (BMRISK_AUDIT=off, meant for benchmarks),
    # to show the request path apart from the durable commit of each score's audit row.
    audit = {"BMRISK_AUDIT": "off"} if "--audit-off" in sys.argv[1:] else {}
    service, bare = Server(SERVICE_APP, workdir, audit), Server(ECHO_APP, workdir)
    try:
        scripts = {
            "json": lua_script(workdir / "post.lua", [json.dumps(p) for p in chosen]),
            "cds": lua_script(workdir / "cds.lua", [cds_request()]),
            "form": lua_script(workdir / "form.lua", [form_body(p) for p in chosen],
                               "application/x-www-form-urlencoded",
                               [form_session(service.url) for _ in range(THREADS)])}
        print(f"gunicorn.conf.py settings; {os.cpu_count()} CPUs; 64 distinct patients per run; "
              f"audit trail {'OFF' if audit else 'on (SQLite, synchronous=FULL)'}")
        compare(service, bare, scripts)
        if "--throughput-only" not in sys.argv[1:]:
            time_batch(service)
            kill_a_worker(service, scripts["json"])
    finally:
        service.stop()
        bare.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
