"""Shared fixtures: the Flask app and client, and the real service under gunicorn over HTTP.

``live_server`` (session) is one gunicorn started exactly as the Dockerfile's CMD, on a free
127.0.0.1 port, without API keys; ``server_factory`` starts more with their own environment
(auth on, a model folder, a public bind that must be refused). Both give a ``LiveServer``:

    def test_health(live_server):
        assert requests.get(live_server.url + "/healthz", timeout=5).ok

    def test_keys_required(server_factory):
        server = server_factory({"BMRISK_API_KEY_HASHES": digest})
        ...
        refused = server_factory({"BMRISK_HOST": "0.0.0.0"}, expect_fail=True)
        assert refused.returncode != 0 and "refusing" in refused.log_text()

Servers log JSON lines to ``log_path`` (stderr and stdout); each is stopped (SIGTERM) after
its test (factory) or the session (``live_server``).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # tests.postgres, whichever folder pytest was started from
    sys.path.insert(0, str(ROOT))
# The Dockerfile's CMD, word for word (tests/service/test_dockerfile.py checks it).
SERVER_COMMAND = ("gunicorn", "-c", "gunicorn.conf.py", "service:create_app()")
BOOT_TIMEOUT = 60.0


@dataclass
class LiveServer:
    """A gunicorn process serving the app: its URL, environment, log file and process."""

    url: str
    port: int
    log_path: Path
    env: dict[str, str]
    process: subprocess.Popen[bytes]
    command: tuple[str, ...] = SERVER_COMMAND
    _log: Any = field(default=None, repr=False)

    @property
    def returncode(self) -> int | None:
        """The exit code once the master has exited, else None."""
        return self.process.poll()

    def log_text(self) -> str:
        """Everything the server wrote so far (stderr and stdout)."""
        return self.log_path.read_text("utf-8", errors="replace")

    def log_records(self) -> list[dict[str, Any]]:
        """The JSON log lines written so far, parsed (other lines skipped)."""
        records = []
        for line in self.log_text().splitlines():
            with contextlib.suppress(ValueError):
                record = json.loads(line)
                if isinstance(record, dict):
                    records.append(record)
        return records

    def wait_for_record(self, match: Callable[[dict[str, Any]], bool],
                        timeout: float = 5.0) -> dict[str, Any]:
        """The first JSON log record for which ``match`` is true, waiting for it to be written;
        AssertionError when none appears in time."""
        deadline = time.monotonic() + timeout
        while True:
            found = next((r for r in self.log_records() if match(r)), None)
            if found is not None:
                return found
            if time.monotonic() > deadline:
                raise AssertionError(f"no matching log record in {self.log_path}")
            time.sleep(0.05)

    def worker_pids(self) -> list[int]:
        """The pids of the master's current worker processes."""
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(p) for p in children.read_text().split()] if children.exists() else []

    def stop(self) -> None:
        """Stop gracefully (SIGTERM), then forcibly if it has not exited in 30 s."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        if self._log is not None:
            self._log.close()


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def server_env(overrides: Mapping[str, str], port: int, workdir: Path) -> dict[str, str]:
    """The server's environment: this one without BMRISK_ settings, the venv's tools first on
    PATH, the port, a fresh metrics folder and SQLite database, then ``overrides``."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("BMRISK_") and k != "PROMETHEUS_MULTIPROC_DIR"}
    metrics = workdir / "metrics"
    metrics.mkdir(exist_ok=True)
    env.update({
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
        "PORT": str(port), "BMRISK_HOST": "127.0.0.1", "BMRISK_WORKERS": "2",
        "PROMETHEUS_MULTIPROC_DIR": str(metrics), "PYTHONUNBUFFERED": "1",
        # Keep test servers' writable state out of the working tree (instance/).
        "BMRISK_DATABASE_URL": f"sqlite:///{workdir / 'bmrisk.sqlite3'}",
    })
    env.update(overrides)
    return env


def wait_ready(server: LiveServer, timeout: float = BOOT_TIMEOUT) -> bool:
    """Poll /readyz until it answers 200 (True) or the process exits or time runs out (False)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.returncode is not None:
            return False
        with contextlib.suppress(requests.RequestException):
            if requests.get(server.url + "/readyz", timeout=2).status_code == 200:
                return True
        time.sleep(0.1)
    return False


def launch(overrides: Mapping[str, str], workdir: Path) -> LiveServer:
    """Start gunicorn with SERVER_COMMAND in the background (not waiting for anything)."""
    workdir.mkdir(parents=True, exist_ok=True)
    port = int(overrides.get("PORT") or free_port())
    env = server_env(overrides, port, workdir)
    log_path = workdir / "server.log"
    log = log_path.open("ab")
    process = subprocess.Popen(SERVER_COMMAND, cwd=ROOT, env=env, stdout=log, stderr=log,
                               stdin=subprocess.DEVNULL)
    return LiveServer(f"http://127.0.0.1:{port}", port, log_path, env, process, _log=log)


def start_server(overrides: Mapping[str, str], workdir: Path,
                 expect_fail: bool = False) -> LiveServer:
    """Start gunicorn; wait until ready (or, with ``expect_fail``, until it exits). Retries on
    a port taken in the meantime; raises RuntimeError, with the log, on anything else."""
    for attempt in range(3):
        server = launch(overrides, workdir / f"try{attempt}")
        if expect_fail:
            try:
                server.process.wait(timeout=BOOT_TIMEOUT)
            except subprocess.TimeoutExpired:
                server.stop()
                raise RuntimeError(f"server did not exit:\n{server.log_text()}") from None
            return server
        if wait_ready(server):
            return server
        server.stop()
        if "PORT" in overrides or "in use" not in server.log_text():
            break
    raise RuntimeError(f"server did not become ready:\n{server.log_text()}")


@pytest.fixture(scope="session")
def server_command() -> tuple[str, ...]:
    """The command the live servers run (the Dockerfile's CMD)."""
    return SERVER_COMMAND


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """One real gunicorn for the whole session: loopback, no API keys, two workers."""
    server = start_server({}, tmp_path_factory.mktemp("live-server"))
    yield server
    server.stop()


def _factory(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[..., LiveServer]]:
    started: list[LiveServer] = []

    def start(env: Mapping[str, str] | None = None, expect_fail: bool = False) -> LiveServer:
        server = start_server(dict(env or {}), tmp_path_factory.mktemp("server"), expect_fail)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture
def server_factory(tmp_path_factory: pytest.TempPathFactory
                   ) -> Iterator[Callable[..., LiveServer]]:
    """Start servers with extra environment: ``server_factory(env, expect_fail=False)``.

    Every server started is stopped when the test ends.
    """
    yield from _factory(tmp_path_factory)


@pytest.fixture(scope="module")
def module_server_factory(tmp_path_factory: pytest.TempPathFactory
                          ) -> Iterator[Callable[..., LiveServer]]:
    """Like ``server_factory``, but its servers live until the test module ends (share one
    configured server between a module's tests)."""
    yield from _factory(tmp_path_factory)


@pytest.fixture
def app(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Any:
    """The Flask app for in-process tests (no BMRISK_ variables from the caller's shell), on
    its own SQLite database."""
    from service import create_app

    for name in list(os.environ):
        if name.startswith("BMRISK_"):
            monkeypatch.delenv(name)
    return create_app({"TESTING": True,
                       "DATABASE_URL": f"sqlite:///{tmp_path / 'bmrisk.sqlite3'}"})


@pytest.fixture
def client(app: Any) -> Any:
    """Flask's test client of ``app``."""
    return app.test_client()


@pytest.fixture(scope="session")
def postgres() -> Iterator[Any]:
    """A real PostgreSQL server (Debian's packages), started once for the session."""
    from tests.postgres import PostgresServer

    server = PostgresServer()
    server.start()
    yield server
    server.remove()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh empty database: an SQLite file, then a database on the session's PostgreSQL."""
    if request.param == "sqlite":
        (tmp_path / "db").mkdir()
        return f"sqlite:///{tmp_path / 'db' / 'bmrisk.sqlite3'}"
    return str(request.getfixturevalue("postgres").create_database())
