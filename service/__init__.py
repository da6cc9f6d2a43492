"""The Flask application factory of the bone-metastasis risk service.

gunicorn runs ``service:create_app()``. Nothing is read at import time: configuration is resolved
when the app is created (defaults, then ``BMRISK_*`` environment variables, then ``config``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from importlib import import_module
from types import FunctionType, ModuleType
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from riskmodel import __version__  # the package version: one source, in riskmodel

# Each name is a module under service/ exposing ``bp`` (and optionally ``SETTINGS`` and
# ``init_app``). The docs come last: their init_app builds the OpenAPI document from every
# route and every path the other packages contributed in theirs.
BLUEPRINTS = ("api.health", "api.risk", "api.models", "web", "fhir", "cds", "api.docs")


def blueprint_modules() -> list[ModuleType]:
    """The blueprint modules, imported, in ``BLUEPRINTS`` order (their settings, routes)."""
    return [import_module(f"{__name__}.{name}") for name in BLUEPRINTS]


class App(Flask):
    """Flask, remembering ``ensure_sync``'s answer per function: Flask asks it of every hook
    and view on every request (an ``inspect.iscoroutinefunction`` each, ten per API call),
    and a plain function's answer never changes."""

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self._sync_of: dict[Callable[..., Any], Callable[..., Any]] = {}

    def ensure_sync(self, func: Callable[..., Any]) -> Callable[..., Any]:
        found = self._sync_of.get(func)
        if found is None:
            found = super().ensure_sync(func)
            if type(func) is FunctionType:  # not bound methods: they are made anew each time
                self._sync_of[func] = found
        return found


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app: settings, logging, checks, models (verified), error handling, blueprints."""
    from . import config as settings

    modules = blueprint_modules()
    app = App(__name__)
    app.config.update(settings.load(settings.settings_of(modules), config))
    _init_core(app)
    for module in modules:
        app.register_blueprint(module.bp)
    for module in modules:  # after every route exists (the OpenAPI document lists them)
        if hasattr(module, "init_app"):
            module.init_app(app)
    from . import audit

    audit.init_app(app)  # last: its after-request step runs first, before logs and metrics
    _log_boot(app)
    return app


def _init_core(app: Flask) -> None:
    """JSON, logging, request ids, errors, auth (bind check), the models, database, metrics."""
    from . import auth, errors, metrics, request_context, storage
    from . import logging as service_logging
    from .json_provider import OrjsonProvider
    from .registry import EXTENSION, Registry

    app.json = OrjsonProvider(app)
    hops = app.config["PROXY_HOPS"]
    if hops:  # scheme, host, port, prefix and client address as the proxies received them
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops,
                                x_port=hops, x_prefix=hops)
    service_logging.configure(app.config["LOG_LEVEL"])
    request_context.init_app(app)
    errors.init_app(app)
    auth.init_app(app)
    app.extensions[EXTENSION] = Registry.load(app.config["MODEL_DIR"])
    storage.init_app(app)
    metrics.init_app(app)
    service_logging.init_app(app)


def _log_boot(app: Flask) -> None:
    from .logging import log_event
    from .registry import current

    with app.app_context():
        models = [f"{m.ref.id}@{m.ref.version}" for m in current().all()]
    log_event("app_created", service_version=__version__, host=app.config["HOST"],
              auth="on" if app.config["API_KEY_HASHES"] else "off", models=models)
