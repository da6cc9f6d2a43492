"""Request ids: generated when absent or unsafe, echoed when sane, on every response."""

from __future__ import annotations

import uuid

import pytest
import requests

pytestmark = pytest.mark.e2e


def _calls(url: str, headers: dict[str, str]) -> list[requests.Response]:
    return [
        requests.get(url + "/healthz", headers=headers, timeout=10),
        requests.get(url + "/nope", headers=headers, timeout=10),
        requests.post(url + "/v1/risk", json={"histology": "squamous"}, headers=headers,
                      timeout=10),
        requests.post(url + "/v1/risk", json={"histology": "granite"}, headers=headers,
                      timeout=10),
        requests.post(url + "/v1/risk", data="x", headers={**headers, "Content-Type": "text/plain"},
                      timeout=10),
    ]


@pytest.mark.parametrize("given", ["ehr-42.call_7-A", "x" * 128])
def test_a_sane_request_id_is_echoed_on_every_response(live_server, given):
    for response in _calls(live_server.url, {"X-Request-ID": given}):
        assert response.headers["X-Request-ID"] == given


@pytest.mark.parametrize("given", ["", "has space", "x" * 129, "semi;colon", "ünïcode"])
def test_an_unsafe_request_id_is_replaced_by_a_new_uuid(live_server, given):
    headers = {"X-Request-ID": given.encode("utf-8").decode("latin-1")}
    for response in _calls(live_server.url, headers):
        assert uuid.UUID(response.headers["X-Request-ID"]).version == 7


def test_without_a_request_id_each_response_gets_a_distinct_one(live_server):
    ids = [r.headers["X-Request-ID"] for r in _calls(live_server.url, {})]
    assert len(set(ids)) == len(ids)
    assert all(uuid.UUID(i).version == 7 for i in ids)


def test_the_request_id_is_in_the_problem_body_and_the_log_line(live_server):
    given = f"trace-{uuid.uuid4().hex}"
    response = requests.post(live_server.url + "/v1/risk", json={"histology": "granite"},
                             headers={"X-Request-ID": given}, timeout=10)
    assert response.json()["request_id"] == given
    line = live_server.wait_for_record(lambda r: r.get("request_id") == given)
    assert line["endpoint"] == "/v1/risk"
    assert line["status"] == 422


def test_new_ids_are_version_7_uuids_and_forked_workers_draw_their_own():
    import os

    from service.request_context import new_id

    ids = [new_id() for _ in range(2000)]
    assert len(set(ids)) == len(ids)
    assert all(uuid.UUID(i).version == 7 and uuid.UUID(i).variant == uuid.RFC_4122
               for i in ids)
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # a gunicorn worker is a fork of the master: its ids must not repeat it
        os.write(write, new_id().encode())
        os._exit(0)
    os.close(write)
    os.waitpid(pid, 0)
    child = os.read(read, 64).decode()
    os.close(read)
    assert uuid.UUID(child).version == 7
    assert child != new_id()


def test_new_ids_carry_the_time_in_milliseconds_and_sort_by_it():
    import time

    from service.request_context import new_id

    made = []
    for _ in range(5):
        before = time.time_ns() // 1_000_000
        found = new_id()
        made.append(found)
        assert before <= uuid.UUID(found).int >> 80 <= time.time_ns() // 1_000_000
        time.sleep(0.002)
    assert made == sorted(made)  # text order is time order: the audit index grows at its end


def test_concurrent_workers_give_distinct_request_ids(live_server):
    seen = {requests.get(live_server.url + "/healthz", timeout=10).headers["X-Request-ID"]
            for _ in range(200)}
    assert len(seen) == 200


def test_a_new_id_is_uuids_text_of_its_time_and_random_bits(monkeypatch):
    from service import request_context

    monkeypatch.setattr(request_context.time, "time_ns", lambda: 1_764_480_000_123_456_789)
    for _ in range(5000):
        state = request_context._IDS.getstate()
        made = request_context.new_id()
        request_context._IDS.setstate(state)
        random_bits = request_context._IDS.getrandbits(80)
        # RFC 9562 section 5.7: unix_ts_ms (48 bits), ver (4), rand_a (12), var (2), rand_b (62)
        expected = (1_764_480_000_123 << 80 | 0x7 << 76 | (random_bits >> 64 & 0xFFF) << 64
                    | 0b10 << 62 | random_bits & (1 << 62) - 1)
        assert made == str(uuid.UUID(int=expected))
