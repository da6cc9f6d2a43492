"""The CDS Hooks service: discovery, the patient-view service, and card feedback.

Errors answer with a FHIR OperationOutcome (the specification asks for one), rendered through
the app's one error path (``errors.add_renderer``). With ``BMRISK_CDS_JWT_ISSUERS`` set, every
call must carry the EHR's JWT (see ``cds.auth``). Reachable from the network (a non-loopback
bind or a proxy in front), the service refuses to start without JWT issuers and a public URL,
unless ``BMRISK_CDS_ALLOW_UNAUTHENTICATED`` says otherwise (logged loudly at every boot).
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from flask import Blueprint, Flask, current_app, g, request
from marshmallow import Schema, ValidationError

from schemas import flatten_errors
from service.audit import set_caller
from service.bodies import json_body
from service.config import ConfigError, Setting, flag, text, whole
from service.errors import Problem, add_renderer
from service.fhir import render_outcome
from service.logging import log_event
from service.metrics import note_scored
from service.openapi_paths import contribute, contribute_scheme
from service.registry import current
from service.request_context import request_id
from service.storage import current as current_storage
from service.urls import absolute, public_url

from . import feedback, openapi
from . import prefetch as cds_prefetch
from .assess import WrongPatient, answer
from .auth import AuthError, Trust, load_jwks, parse_issuers
from .cards import OVERRIDE_REASONS, OVERRIDE_SYSTEM, Links
from .exposure import check_exposure, log_exposure, reachable_from_network
from .fetch import Policy, parse_bases
from .schemas import HOOK, CdsRequestSchema, FeedbackSchema

bp = Blueprint("cds_hooks", __name__, url_prefix="/cds-services")
SERVICE_ID = "lung-bone-mets-risk"
STATE = "bmrisk.cds"
POLICY = "bmrisk.cds.fetch"
_CALL, _FEEDBACK = CdsRequestSchema(), FeedbackSchema()


def _seconds(value: str) -> float:
    number = float(value)
    if not 0 < number <= 60:
        raise ValueError("must be a number of seconds above 0 and at most 60")
    return number


SETTINGS = (
    Setting("CDS_JWT_ISSUERS", {}, parse_issuers,
            "CDS Hooks JWT allow-list: JSON {\"iss\": \"jku\"} or 'iss=jku,...'. Required (with "
            "BMRISK_PUBLIC_URL) when the service is reachable from the network. Empty on a "
            "loopback bind: CDS Hooks authentication off (said loudly at boot)."),
    Setting("CDS_ALLOW_UNAUTHENTICATED", False, flag,
            "true: serve CDS Hooks without JWT even on a network bind (logged loudly at every "
            "boot). Only for a network where nothing untrusted can reach the service."),
    Setting("CDS_JWKS_FILE", None, text,
            "Local JWK Set file of the allowed issuers' public keys (air-gapped sites, tests)."),
    Setting("CDS_JWT_MAX_LIFETIME", 300, whole,
            "Longest accepted CDS Hooks JWT lifetime in seconds (exp - iat, and exp - now)."),
    Setting("CDS_FEEDBACK_MAX_BYTES", 65_536, whole,
            "Largest feedback request body in bytes (413 above it)."),
    Setting("CDS_FHIR_SERVERS", (), parse_bases,
            "Comma-separated FHIR base URLs the service may fetch from with a call's token "
            "(https, or http on loopback; compared by scheme, host, port and whole path "
            "segments). Empty: nothing is fetched when the service is reachable from the "
            "network; on a loopback bind, only FHIR servers on this machine."),
    Setting("CDS_FETCH_TIMEOUT", 5.0, _seconds,
            "Wall-clock seconds one FHIR fetch may take, all of it (connect, headers, body)."),
    Setting("CDS_CALL_TIMEOUT", 10.0, _seconds,
            "Wall-clock seconds all the FHIR fetches of one hook call may take together."),
    Setting("CDS_ALERT_MAX_AGE_DAYS", 14, whole,
            "A result older than this many days raises no alert on a card (it still feeds the "
            "risk, with its age on the summary line): hypercalcaemia is a state of today. A "
            "project choice, not a published threshold."),
    Setting("CDS_FETCH_CONCURRENCY", 2, whole,
            "Hook calls that may fetch from FHIR servers at once in one worker; more get 412 at "
            "once. Keep it below BMRISK_THREADS so the API always has threads."),
)


def init_app(app: Flask) -> None:
    """Check network exposure, load trust, route errors to FHIR."""
    config = app.config
    exposed = reachable_from_network(config)
    check_exposure(config, exposed)
    try:
        keys = load_jwks(config["CDS_JWKS_FILE"])
    except (OSError, ValueError) as exc:
        raise ConfigError(f"CDS Hooks cannot start: {exc}") from None
    app.extensions[STATE] = Trust(config["CDS_JWT_ISSUERS"], keys,
                                  config["CDS_JWT_MAX_LIFETIME"])
    app.extensions[POLICY] = Policy(
        config["CDS_FHIR_SERVERS"], any_loopback=not exposed and not config["CDS_FHIR_SERVERS"],
        fetch_timeout=config["CDS_FETCH_TIMEOUT"], call_timeout=config["CDS_CALL_TIMEOUT"],
        slots=threading.BoundedSemaphore(config["CDS_FETCH_CONCURRENCY"]))
    add_renderer(app, _is_cds_path, render_outcome("application/json"))
    contribute(app, openapi.paths)
    if config["CDS_JWT_ISSUERS"]:
        contribute_scheme(app, openapi.JWT_SCHEME, openapi.security_scheme())
    log_exposure(config, exposed)


def _is_cds_path(req: Any) -> bool:
    return req.path == bp.url_prefix or req.path.startswith(f"{bp.url_prefix}/")


def _trust() -> Trust:
    trust: Trust = current_app.extensions[STATE]
    return trust


@bp.before_request
def _authenticate() -> None:
    trust = _trust()
    if not trust.enabled:
        return
    path = request.path.rstrip("/")
    audiences = [public_url() + path]
    if path.endswith("/feedback"):
        audiences.append(public_url() + path.removesuffix("/feedback"))
    try:
        claims = trust.verify(request.headers.get("Authorization"), audiences,
                              current_storage().engine)
    except AuthError as exc:
        log_event("cds_auth_rejected", level=logging.WARNING, detail=str(exc),
                  endpoint=request.url_rule.rule if request.url_rule else None)
        raise Problem(401, "Authentication failed.",
                      headers={"WWW-Authenticate": 'Bearer realm="cds-services"'}) from None
    set_caller(f"jwt:{claims['iss']} {claims.get('sub', '-')}"[:300])


@bp.get("")
def list_services() -> dict[str, Any]:
    """Discovery: the one patient-view service with its prefetch templates."""
    bsp = current_app.config["BSP_CODE"]
    bsp_text = ("BSP is read from the locally mapped code." if bsp else
                "BSP has no standard code and is not mapped here (BMRISK_BSP_CODE), so it is "
                "always missing.")
    return {"services": [{
        "hook": HOOK, "id": SERVICE_ID, "title": "Bone metastasis risk (lung cancer)",
        "description": "Literature-based risk that a newly diagnosed lung cancer has already "
                       "spread to bone, from histology, T, N, stage group, calcium (albumin-"
                       "corrected), ALP, CEA and BSP; every factor, its evidence and the "
                       "uncertainty are shown. Not validated; supports, never replaces, imaging.",
        "prefetch": cds_prefetch.templates(bsp),
        "usageRequirements": "Shows a card only for patients with a primary lung-cancer "
                             "Condition, staged M0 or not yet staged for M. " + bsp_text,
    }]}


@bp.post("/<service_id>")
def call_service(service_id: str) -> dict[str, Any]:
    """The patient-view service: one card with the risk, or none when it does not concern."""
    _known(service_id)
    call = _load(_CALL, json_body())
    wanted = cds_prefetch.templates(current_app.config["BSP_CODE"])
    try:
        data = cds_prefetch.gather(call, wanted, current_app.extensions[POLICY])
        done = answer(call, data, current().default, current_app.config, _links())
    except cds_prefetch.PrefetchMissing as exc:
        if exc.__cause__ is not None:  # the cause goes to the log only, never a URL
            log_event("cds_fetch_failed", level=logging.WARNING, request_id=request_id(),
                      error_type=type(exc.__cause__).__name__, detail=str(exc.__cause__))
        raise Problem(412, str(exc)) from None
    except WrongPatient as exc:
        raise Problem(400, str(exc)) from None
    if done.model is not None:
        note_scored(done.model.ref, 1, "cds", done.result,
                    f"Patient/{call['context']['patientId']}")
    log_event("cds_call", service_id=service_id, hook=call["hook"],
              hook_instance=call["hookInstance"], outcome=done.outcome,
              cards=len(done.body["cards"]))
    return done.body


def _links() -> Links:
    model = current().default
    has_page = any(rule.rule == "/model-card" for rule in current_app.url_map.iter_rules())
    card = absolute("/model-card") if has_page else absolute(f"/v1/models/{model.ref.id}")
    return Links(model_card=card, form=absolute("/"),
                 bsp_mapped=current_app.config["BSP_CODE"] is not None)


@bp.post("/<service_id>/feedback")
def record_feedback(service_id: str) -> dict[str, Any]:
    """Store what the user did with cards (accepted or overridden, with the reason)."""
    _known(service_id)
    body = json_body(limit=current_app.config["CDS_FEEDBACK_MAX_BYTES"])
    items = _load(_FEEDBACK, body)["feedback"]
    stored = feedback.store(current_storage().engine, service_id, items,
                            g.get("caller") or "unauthenticated")
    log_event("cds_feedback", service_id=service_id, rows=stored,
              outcome=sorted({i["outcome"] for i in items}))
    return {"stored": stored}


@bp.get("/<service_id>/feedback/summary")
def show_feedback_summary(service_id: str) -> dict[str, Any]:
    """How often cards were accepted or overridden, and the override reasons given (only this
    service's own reasons, in its own words: nothing a caller wrote is echoed)."""
    _known(service_id)
    counts = feedback.summary(current_storage().engine, service_id)
    counts["overrideReasons"] = own_reasons(counts["overrideReasons"])
    return counts


def own_reasons(reasons: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The counts of this service's override reasons, with its own display texts; reasons
    coded otherwise are counted together as 'other'."""
    ours = {code: display for code, display in OVERRIDE_REASONS}
    found = [{"system": OVERRIDE_SYSTEM, "code": r["code"], "display": ours[r["code"]],
              "count": r["count"]} for r in reasons
             if r["system"] == OVERRIDE_SYSTEM and r["code"] in ours]
    other = sum(r["count"] for r in reasons) - sum(r["count"] for r in found)
    return found + ([{"code": "other", "count": other}] if other else [])


def _known(service_id: str) -> None:
    if service_id != SERVICE_ID:
        raise Problem(404, f"There is no CDS service {service_id[:64]!r}; GET /cds-services "
                           "lists them.")


def _load(schema: Schema, body: Any) -> dict[str, Any]:
    try:
        loaded: dict[str, Any] = schema.load(body)
    except ValidationError as exc:
        raise Problem(400, "The request is not a valid CDS Hooks request; each problem is "
                           "named.", errors=flatten_errors(exc.messages)) from None
    return loaded
