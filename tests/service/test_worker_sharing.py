"""New connections are shared out between gunicorn's workers (service.gunicorn_worker): a worker
whose connections fill its threads leaves the next ones to a worker with a free thread, so
kept-alive clients do not pile onto one worker while another's threads idle."""

from __future__ import annotations

import http.client
import os
import time
from collections import Counter
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

THREADS = 3


def _established_by_pid(port: int, pids: list[int]) -> Counter[int]:
    """How many established TCP connections on the server's ``port`` each of ``pids`` holds
    (/proc/net/tcp gives each connection's socket inode; /proc/<pid>/fd, whose they are)."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            local_port = int(fields[1].rsplit(":", 1)[1], 16)
            if local_port == port and fields[3] == "01":  # 01: ESTABLISHED
                inodes.add(fields[9])
    held: Counter[int] = Counter()
    for pid in pids:
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            try:
                target = os.readlink(fd)
            except OSError:  # closed meanwhile
                continue
            if target.startswith("socket:[") and target[8:-1] in inodes:
                held[pid] += 1
    return held


def _until_both_workers_answer(server, attempts: int = 200) -> None:
    """Ready means one worker answered; wait until each has (its own log line's pid)."""
    workers = set(server.worker_pids())
    for _ in range(attempts):
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
        connection.request("GET", "/healthz", headers={"Connection": "close"})
        connection.getresponse().read()
        connection.close()
        answered = {r.get("pid") for r in server.log_records() if r.get("event") == "request"}
        if workers <= answered:
            return
        time.sleep(0.02)
    raise AssertionError(f"not every worker answered: {workers} against {answered}")


def test_kept_alive_connections_are_shared_out_to_the_threads_of_both_workers(server_factory):
    server = server_factory({"BMRISK_WORKERS": "2", "BMRISK_THREADS": str(THREADS)})
    _until_both_workers_answer(server)
    connections = []
    try:
        for _ in range(2 * THREADS):  # one at a time, each answered and kept open
            connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
            connection.request("GET", "/healthz")
            response = connection.getresponse()
            response.read()
            assert response.status == 200
            assert response.getheader("Connection", "").lower() != "close"
            connections.append(connection)
        held = _established_by_pid(server.port, server.worker_pids())
        assert sorted(held.values()) == [THREADS, THREADS]
    finally:
        for connection in connections:
            connection.close()
