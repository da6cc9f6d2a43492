"""Bare Flask endpoints for the service benchmark, without any of the service's middleware.

It runs under the same gunicorn.conf.py as the service. Each endpoint adds one stage of what
``POST /v1/risk`` does, so the benchmark shows where the throughput goes:

- ``POST /echo``: returns the JSON body it was sent (the issue's baseline);
- ``POST /validate``: loads the body with the service's schema (marshmallow and the engine's
  input rules), then echoes it;
- ``POST /score``: loads, scores and renders the result as ``/v1/risk`` does (orjson, as the
  service), without the service's request ids, logs, metrics, authentication or error
  envelope.
"""

from __future__ import annotations

from flask import Flask, Response, jsonify, request


def create_app() -> Flask:
    """The bare app."""
    import orjson

    import riskmodel
    from schemas import PatientSchema
    from schemas.payload import result_payload

    app = Flask(__name__)  # Flask's own JSON provider: /echo is plain Flask
    schema, model = PatientSchema(), riskmodel.load_model()

    @app.post("/echo")
    def echo() -> Response:
        return jsonify(request.get_json())

    @app.post("/validate")
    def validate() -> Response:
        body = request.get_json()
        schema.load(body)
        return jsonify(body)

    @app.post("/score")
    def score() -> Response:
        loaded = schema.load(request.get_json())
        result = riskmodel.score(loaded.patient, model)
        payload = result_payload(result, loaded.patient_ref, service_version="bench",
                                 model=model)
        return Response(orjson.dumps(payload), mimetype="application/json")  # as the service

    return app
