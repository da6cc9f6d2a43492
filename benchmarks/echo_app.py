"""A bare Flask app for the service benchmark: POST /echo returns the JSON body it was sent.

It runs under the same gunicorn.conf.py as the service, so the difference in throughput is what
the service does per request (validation, scoring, explanation, logging, metrics).
"""

from __future__ import annotations

from flask import Flask, Response, jsonify, request


def create_app() -> Flask:
    """The echo app."""
    app = Flask(__name__)

    @app.post("/echo")
    def echo() -> Response:
        return jsonify(request.get_json())

    return app
