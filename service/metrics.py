"""Prometheus metrics: request counts and latency by endpoint and status, across gunicorn workers.

Under gunicorn, ``PROMETHEUS_MULTIPROC_DIR`` is set by gunicorn.conf.py before this module is
imported, so every worker writes its samples there and ``/metrics`` adds them up
(prometheus_client's multiprocess mode). Without it (tests, ``flask run``) one process counts.
"""

from __future__ import annotations

import os
import time
from typing import Any

from flask import Blueprint, Flask, Response, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
# Buckets from 1 ms (one patient) to 10 s (a 10,000-patient batch on a busy machine).
_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

REQUESTS = Counter("bmrisk_http_requests_total", "HTTP requests answered.",
                   ("method", "endpoint", "status"))
LATENCY = Histogram("bmrisk_http_request_duration_seconds", "Time to answer an HTTP request.",
                    ("method", "endpoint", "status"), buckets=_BUCKETS)
# Label values stay few: url rules (not raw paths) and the standard methods only.
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
ROWS = Counter("bmrisk_scored_rows_total", "Patients scored, by model.", ("model",))

bp = Blueprint("metrics", __name__)


def init_app(app: Flask) -> None:
    """Count and time every request, and serve ``/metrics``."""
    app.after_request(_observe)
    app.register_blueprint(bp)


def note_scored(ref: Any, rows: int, channel: str, result: Any = None,
                patient_ref: str | None = None) -> None:
    """Record, once per scoring on any channel, that ``rows`` patients were scored with the model
    ``ref`` (a ``riskmodel.ModelRef``): for the request's log line, the metrics and the audit
    row (``service.audit``, committed before the response is sent). ``channel`` names the
    caller's path (api, api-fhir, batch, form, fhir, cds). A single score also gives its
    ``result`` (its probability and band are audited) and the ``patient_ref`` it was sent with
    (audited only as an HMAC); what was scored is never recorded."""
    state = g._get_current_object()  # one context lookup, not one per field
    state.model_ref, state.rows, state.channel = ref, state.get("rows", 0) + rows, channel
    state.scored_result, state.patient_ref = result, patient_ref
    ROWS.labels(ref.id).inc(rows)


def _observe(response: Response) -> Response:
    current = request._get_current_object()  # one context lookup, not one per attribute
    rule = current.url_rule
    method = current.method if current.method in _METHODS else "OTHER"
    key = (method, rule.rule if rule is not None else "<unmatched>", response.status_code)
    children = _CHILDREN.get(key)
    if children is None:  # labels() checks and converts the values on every call: once here
        labels = (*key[:2], str(key[2]))
        children = _CHILDREN.setdefault(key, (REQUESTS.labels(*labels),
                                              LATENCY.labels(*labels)))
    children[0].inc()
    children[1].observe(time.perf_counter() - g.get("started", time.perf_counter()))
    return response


# (method, url rule, status) -> its request counter and latency histogram; the keys are as few
# as the label values (url rules, not raw paths).
_CHILDREN: dict[tuple[str, str, int], tuple[Any, Any]] = {}


@bp.get("/metrics")
def show_metrics() -> Response:
    """Every metric in the Prometheus text format, summed over the workers."""
    if os.environ.get(MULTIPROC_ENV):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = REGISTRY
    return Response(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)
