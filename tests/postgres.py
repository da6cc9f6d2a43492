"""A real PostgreSQL server for the tests and benchmarks, from Debian's packages.

``initdb`` into a fresh folder and ``pg_ctl`` start/stop on a free 127.0.0.1 port. PostgreSQL
refuses to run as root (CI runs as root): then every command runs as the ``postgres`` user
that Debian's package creates (``runuser``), in a folder it owns.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from pathlib import Path

import psycopg

SUPERUSER = "postgres"


def _bin(name: str) -> str:
    """A PostgreSQL program: the newest Debian version's, else on PATH."""
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"),
                   key=lambda p: int(Path(p).parts[4]))
    if found:
        return found[-1]
    on_path = shutil.which(name)
    if on_path is None:
        raise RuntimeError(f"{name} not found: install Debian's postgresql (make test-deps)")
    return on_path


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class PostgresServer:
    """One throw-away cluster: ``start``, ``stop`` (and start again), ``create_database``."""

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="bmrisk-pg-"))
        self.data, self.log = self.root / "data", self.root / "server.log"
        self.port = _free_port()
        self._as_postgres = os.geteuid() == 0
        if self._as_postgres:
            shutil.chown(self.root, SUPERUSER, SUPERUSER)
        self._run(_bin("initdb"), "-D", str(self.data), "-U", SUPERUSER, "--auth=trust",
                  "-E", "UTF8", "--no-sync")

    def _run(self, *command: str) -> None:
        prefix = ("runuser", "-u", SUPERUSER, "--") if self._as_postgres else ()
        subprocess.run([*prefix, *command], check=True, capture_output=True, cwd=self.root,
                       timeout=120)

    def start(self) -> None:
        """Start (or restart) on the same port; wait until it accepts connections."""
        options = (f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 "
                   "-c max_connections=200")
        self._run(_bin("pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-o", options,
                  "-w", "-t", "60", "start")

    def stop(self, mode: str = "fast") -> None:
        """Stop: ``fast`` ends every session (as an outage would), ``immediate`` crashes."""
        self._run(_bin("pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop")

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def create_database(self) -> str:
        """A new empty database; its URL."""
        name = f"t_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(self.url(), autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def remove(self) -> None:
        """Stop if running and delete the cluster's folder."""
        subprocess.run([*(("runuser", "-u", SUPERUSER, "--") if self._as_postgres else ()),
                        _bin("pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop"],
                       capture_output=True, cwd=self.root, timeout=60)
        shutil.rmtree(self.root, ignore_errors=True)
