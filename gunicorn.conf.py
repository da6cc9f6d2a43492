"""gunicorn settings for the bmrisk service, each with the reason for it.

Read from the environment: BMRISK_HOST (default 127.0.0.1), PORT (8000), BMRISK_WORKERS (2),
BMRISK_THREADS (8), BMRISK_TIMEOUT (30), BMRISK_MAX_REQUESTS (100000). Run with
``gunicorn -c gunicorn.conf.py "service:create_app()"``: the Dockerfile's CMD and the tests'
command.
"""

import gc
import glob
import os
import shutil
import tempfile

# -- metrics: must be set before the app (and prometheus_client) is imported below -------------
_created_metrics_dir = not os.environ.get("PROMETHEUS_MULTIPROC_DIR")
if _created_metrics_dir:
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="bmrisk-metrics-")
else:  # samples of an earlier run would be added to this run's: start from empty
    os.makedirs(os.environ["PROMETHEUS_MULTIPROC_DIR"], exist_ok=True)
    for stale in glob.glob(os.path.join(os.environ["PROMETHEUS_MULTIPROC_DIR"], "*.db")):
        os.remove(stale)

from service.auth import is_loopback  # noqa: E402 (after the metrics directory is set)
from service.config import hex_hashes  # noqa: E402


def _env_int(name, default):
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


# -- refuse an open public service before anything is loaded or bound --------------------------
_host = os.environ.get("BMRISK_HOST", "127.0.0.1").strip()
try:
    _keys = hex_hashes(os.environ.get("BMRISK_API_KEY_HASHES", ""))
except ValueError as exc:
    raise SystemExit(f"Error: BMRISK_API_KEY_HASHES: {exc}") from None
if not _keys and not is_loopback(_host):
    raise SystemExit(
        f"Error: refusing to start: BMRISK_HOST={_host} is not a loopback address and no API "
        "keys are configured. Set BMRISK_API_KEY_HASHES (SHA-256 hex of each key) or bind to "
        "127.0.0.1.")

# Where to listen: loopback by default; IPv6 literals need brackets.
bind = [f"[{_host}]:{os.environ.get('PORT', '8000')}" if ":" in _host
        else f"{_host}:{os.environ.get('PORT', '8000')}"]
# One worker process per core: scoring is CPU-bound numpy work, so more would only contend.
workers = _env_int("BMRISK_WORKERS", 2)
# Threads keep idle keep-alive connections and I/O from blocking a worker; CPU stays GIL-bound.
# 8, not fewer: every score waits for its audit row's durable commit (measured under full load:
# about 6 ms, against 0.6 to 1.1 ms of CPU per request), so a worker needs about 1 + wait / CPU
# requests in flight to keep its core busy; with 4 it idled. More threads cost no throughput
# with the audit off (benchmarks/README.md, "Audit trail").
# gunicorn's gthread worker, except that a request gunicorn itself refuses (malformed request
# line, oversized headers) gets the service's problem+json and is logged without its text.
worker_class = "service.gunicorn_worker.ThreadWorker"
threads = _env_int("BMRISK_THREADS", 8)
# Load and verify the models once in the master: a bad model stops the boot before any fork,
# and workers share the loaded models' memory copy-on-write.
preload_app = True
# A 10,000-patient batch takes about a second; 30 s is ample and still kills a stuck worker.
timeout = _env_int("BMRISK_TIMEOUT", 30)
# On SIGTERM, let in-flight batches finish before workers are killed.
graceful_timeout = 30
# Seconds to hold an idle keep-alive connection (clients and proxies reuse connections).
keepalive = 5
# Recycle a worker after this many requests to bound slow memory growth; jitter so the workers
# do not restart together (a restart is a cheap fork of the preloaded master).
max_requests = _env_int("BMRISK_MAX_REQUESTS", 100_000)
max_requests_jitter = max_requests // 10
# Refuse oversized request lines and header sets early (bodies are limited by the app: 413).
limit_request_line = 4094
limit_request_fields = 50
limit_request_field_size = 8190
# No access log: the app writes one JSON line per request (without query strings).
accesslog = None
# ... and gunicorn does not build one per request only to drop it (see the class).
logger_class = "service.gunicorn_worker.Logger"
# gunicorn's own messages go to stderr, as JSON lines like the app's.
errorlog = "-"
loglevel = "info"
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "service.logging.JsonFormatter"}},
    "handlers": {name: {"class": "logging.StreamHandler", "formatter": "json",
                        "stream": "ext://sys.stderr"} for name in ("console", "error_console")},
    "root": {"level": "INFO", "handlers": ["console"]},
    "loggers": {"gunicorn.error": {"level": "INFO", "handlers": ["error_console"],
                                   "propagate": False, "qualname": "gunicorn.error"}},
}
# No runtime control socket: it is one fixed path per user (several servers would clash) and
# lets any local process of that user reconfigure the server; restart to change settings.
control_socket_disable = True
# Name the processes so operators can find them (ps, top).
proc_name = "bmrisk"
# Heartbeat files in memory when available (a slow disk would look like a hung worker).
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None


def pre_fork(server, worker):
    """Freeze the preloaded app's objects: workers' garbage collections skip them, and the
    memory pages holding them stay shared with the master (copy-on-write)."""
    gc.freeze()


def child_exit(server, worker):
    """Drop a dead worker's live gauges from the metrics (its counters stay summed)."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server):
    """Remove the metrics directory this configuration created."""
    if _created_metrics_dir:
        shutil.rmtree(os.environ["PROMETHEUS_MULTIPROC_DIR"], ignore_errors=True)


def on_starting(server):
    """Say where the service will listen (the app logs whether authentication is on)."""
    server.log.info(f"bmrisk: starting on {bind[0]} with {workers} workers x {threads} threads")
