"""Logs are JSON lines that say what happened, never what a patient's values or reference were."""

from __future__ import annotations

import io
import json
import logging
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import requests

from service.logging import ALLOWED_FIELDS, JsonFormatter, log_event

pytestmark = pytest.mark.e2e


def test_logs_never_contain_feature_values_or_patient_refs(live_server):
    marker = f"PATIENT-MARKER-{uuid.uuid4().hex[:6]}"
    odd = {"calcium": {"value": 2.9173, "unit": "mmol/L"},
           "alp": {"value": 987.6543, "unit": "U/L"},
           "cea": {"value": 31.4159, "unit": "ng/mL"},
           "albumin": {"value": 27.1828, "unit": "g/L"}}
    single = {"patient_ref": marker, "histology": "large_cell", **odd}
    bad = {"patient_ref": marker, "histology": "granite-7f3a", "cea": {"value": 77.7123,
                                                                       "unit": "mg/furlong"}}
    request_ids = []
    for path, body in (("/v1/risk", single), ("/v1/risk", bad),
                       ("/v1/risk/batch", {"patients": [single, bad]})):
        response = requests.post(live_server.url + path, json=body, timeout=10,
                                 params={"q": marker})
        assert response.status_code in (200, 422)
        request_ids.append(response.headers["X-Request-ID"])
    for request_id in request_ids:
        live_server.wait_for_record(lambda r, i=request_id: r.get("request_id") == i)
    log = live_server.log_text()
    for secret in (marker, "granite-7f3a", "mg/furlong", "large_cell", "2.9173", "987.6543",
                   "31.4159", "27.1828", "77.7123"):
        assert secret not in log, secret


def test_each_request_is_one_json_line_with_endpoint_status_latency_and_model(live_server):
    response = requests.post(live_server.url + "/v1/risk", json={"histology": "squamous"},
                             timeout=10)
    request_id = response.headers["X-Request-ID"]
    line = live_server.wait_for_record(lambda r: r.get("request_id") == request_id)
    assert line["event"] == "request"
    assert line["method"] == "POST"
    assert line["endpoint"] == "/v1/risk"
    assert line["status"] == 200
    assert line["latency_ms"] >= 0
    assert line["pid"] in live_server.worker_pids()
    assert (line["model_id"], line["model_version"]) == ("lung-bm-literature", "2.0.0")
    assert line["ts"].endswith("+00:00")
    assert line["level"] == "info"


def test_the_endpoint_is_the_url_rule_not_the_raw_path(live_server):
    response = requests.get(live_server.url + "/v1/models/lung-bm-literature", timeout=10)
    request_id = response.headers["X-Request-ID"]
    line = live_server.wait_for_record(lambda r: r.get("request_id") == request_id)
    assert line["endpoint"] == "/v1/models/<model_id>"


def test_every_line_the_server_writes_is_json(live_server):
    lines = [line for line in live_server.log_text().splitlines() if line.strip()]
    assert lines
    assert all(isinstance(json.loads(line), dict) for line in lines)


def test_log_event_drops_fields_not_on_the_allow_list_and_names_them(caplog):
    with caplog.at_level(logging.INFO, logger="bmrisk"):
        log_event("scored", request_id="r1", patient_ref="PATIENT-MARKER", calcium=2.4)
    record = caplog.records[-1]
    assert record.bmrisk == {"request_id": "r1", "dropped_fields": ["calcium", "patient_ref"]}
    line = json.loads(JsonFormatter().format(record))
    assert "PATIENT-MARKER" not in json.dumps(line)
    assert line["event"] == "scored"


def test_the_allow_list_has_no_patient_field():
    assert not ALLOWED_FIELDS & {"patient_ref", "patient_id", "patientId", "body", "query",
                                 "calcium", "albumin", "alp", "cea", "histology", "stage"}


def test_an_exception_on_a_log_record_is_reduced_to_its_type_and_frames():
    def fail() -> None:
        raise ValueError("PATIENT-MARKER 2.9173 mmol/L")

    try:
        fail()
    except ValueError:
        record = logging.LogRecord("gunicorn.error", logging.ERROR, __file__, 1,
                                   "Exception in worker process", None, sys.exc_info())
    line = json.loads(JsonFormatter().format(record))
    assert line["error_type"] == "ValueError"
    assert any(frame.endswith(":fail") for frame in line["frames"])
    assert "PATIENT-MARKER" not in json.dumps(line)
    assert "2.9173" not in json.dumps(line)


@pytest.mark.parametrize(("url", "body", "channel", "rows"), [
    ("/v1/risk", {"histology": "squamous"}, "api", 1),
    ("/v1/risk/batch", {"patients": [{"histology": "squamous"}] * 3}, "batch", 3),
])
def test_each_scoring_channel_logs_its_name_and_row_count(client, caplog, url, body, channel,
                                                         rows):
    with caplog.at_level(logging.INFO, logger="bmrisk"):
        assert client.post(url, json=body).status_code == 200
    line = next(r.bmrisk for r in caplog.records if r.getMessage() == "request")
    assert (line["channel"], line["rows"]) == (channel, rows)


def test_gunicorn_builds_no_access_line(live_server, monkeypatch, tmp_path):
    """The app's JSON line is the only line per request: gunicorn's logger (the class in
    gunicorn.conf.py) has its access log off, so it never builds one to drop."""
    import runpy

    from gunicorn.config import Config

    from service.gunicorn_worker import Logger

    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    settings = runpy.run_path(str(Path(__file__).parents[2] / "gunicorn.conf.py"))
    assert settings["logger_class"] == "service.gunicorn_worker.Logger"
    config = Config()
    config.set("logconfig_dict", {"version": 1, "disable_existing_loggers": False})
    assert Logger(config).access_log_enabled is False
    before = len(live_server.log_records())
    for _ in range(3):
        requests.get(f"{live_server.url}/healthz?x=1", timeout=10).raise_for_status()
    lines = live_server.wait_for_record(lambda r: r.get("endpoint") == "/healthz")
    assert lines
    new = live_server.log_records()[before:]
    assert {r.get("event") for r in new} <= {"request"}
    assert "GET /healthz" not in live_server.log_text()


def test_info_lines_are_written_in_batches_and_a_warning_at_once(tmp_path):
    from service.logging import BufferedHandler, JsonFormatter

    stream = io.StringIO()
    handler = BufferedHandler(stream, interval=0.2)
    handler.setFormatter(JsonFormatter())
    log = logging.getLogger(f"bmrisk.test.{uuid.uuid4().hex}")
    log.propagate, log.level = False, logging.INFO
    log.addHandler(handler)
    try:
        for i in range(3):
            log.info("line", extra={"bmrisk": {"rows": i}})
        assert stream.getvalue() == ""  # not yet: the flusher writes them together
        deadline = time.monotonic() + 5
        while stream.getvalue().count("\n") < 3 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert [json.loads(x)["rows"] for x in stream.getvalue().splitlines()] == [0, 1, 2]
        log.info("before")
        log.warning("now")  # written at once, with the line before it
        assert [json.loads(x)["event"] for x in stream.getvalue().splitlines()[3:]] == [
            "before", "now"]
    finally:
        log.removeHandler(handler)


def test_a_line_written_past_logging_is_the_line_logging_writes(monkeypatch):
    """The service's handler alone on the logger: an INFO line skips the LogRecord, and says
    the same as logging's own path (taken here by adding a filter)."""
    from service.logging import BufferedHandler, logger

    stream = io.StringIO()
    handler = BufferedHandler(stream, interval=60)
    handler.setFormatter(JsonFormatter())
    handler._bmrisk = True
    log = logger()
    monkeypatch.setattr(log, "handlers", [handler])
    monkeypatch.setattr(log, "propagate", False)
    monkeypatch.setattr(log, "level", logging.INFO)
    records = []
    factory = logging.getLogRecordFactory()
    monkeypatch.setattr(logging, "_logRecordFactory",
                        lambda *a, **k: records.append(a) or factory(*a, **k))
    fields = {"request_id": "r-1", "status": 200, "latency_ms": 0.5, "model_id": None,
              "patient_ref": "PATIENT-MARKER", "endpoint": "x" * 400}
    log_event("request", **fields)
    assert records == []  # past logging
    log.addFilter(lambda record: True)
    try:
        log_event("request", **fields)
    finally:
        log.filters.clear()
    assert len(records) == 1  # through logging
    handler.drain()
    fast, slow = (json.loads(line) for line in stream.getvalue().splitlines())
    assert fast.pop("ts")[:10] == slow.pop("ts")[:10]
    assert fast == slow
    assert list(fast) == ["level", "event", "pid", "request_id", "status", "latency_ms",
                          "model_id", "endpoint", "dropped_fields"]
    assert fast["dropped_fields"] == ["patient_ref"]
    assert len(fast["endpoint"]) == 303  # cut at 300 characters, as logging's path cuts it


def test_lines_still_pending_are_written_when_the_process_exits():
    code = ("from service.logging import configure, log_event\n"
            "configure('INFO')\n"
            "for i in range(500): log_event('request', rows=i)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=Path(__file__).parents[2], timeout=60, check=True)
    rows = [json.loads(x)["rows"] for x in done.stderr.splitlines()]
    assert rows == list(range(500))


def test_warnings_and_the_flusher_never_deadlock_and_lose_no_line():
    """A warning drains from inside logging's handler lock while the flusher writes: many
    threads logging both, with a flusher writing every millisecond, must all finish."""
    import threading

    from service.logging import BufferedHandler, JsonFormatter

    stream = io.StringIO()
    handler = BufferedHandler(stream, interval=0.001)
    handler.setFormatter(JsonFormatter())
    log = logging.getLogger(f"bmrisk.test.{uuid.uuid4().hex}")
    log.propagate, log.level = False, logging.INFO
    log.addHandler(handler)

    def work(n: int) -> None:
        for i in range(300):
            (log.warning if i % 7 == 0 else log.info)("line", extra={"bmrisk": {"rows": n}})

    threads = [threading.Thread(target=work, args=(n,), daemon=True) for n in range(6)]
    try:
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 20
        for thread in threads:
            thread.join(timeout=max(0.0, deadline - time.monotonic()))
        assert not any(thread.is_alive() for thread in threads), "deadlocked"
        handler.drain()
        assert len(stream.getvalue().splitlines()) == 6 * 300
    finally:
        log.removeHandler(handler)


def test_a_forked_process_writes_its_own_lines_once(tmp_path):
    code = ("import os, sys\n"
            "from service.logging import configure, log_event\n"
            "configure('INFO')\n"
            "log_event('request', rows=-1)\n"
            "pid = os.fork()\n"
            "log_event('request', rows=0 if pid == 0 else 1)\n"
            "log_event('warned', level=30, rows=2 if pid == 0 else 3)\n"
            "if pid == 0: sys.exit(0)\n"
            "os.waitpid(pid, 0)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=Path(__file__).parents[2], timeout=60, check=True)
    rows = sorted(json.loads(x)["rows"] for x in done.stderr.splitlines())
    assert rows == [-1, 0, 1, 2, 3]
