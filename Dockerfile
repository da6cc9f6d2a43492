# syntax=docker/dockerfile:1
# The bmrisk service image: wheels built in one stage, run from a slim stage without build tools.
# Build: docker build -t bmrisk .
# Run:   docker run -p 8000:8000 -e BMRISK_API_KEY_HASHES=<sha256 hex of your key> bmrisk

# ---- builder: every wheel, pinned to the versions CI tested ----------------------------------
FROM python:3.11-slim-bookworm AS builder
WORKDIR /src
# Only what the package needs, so a change to tests or docs does not rebuild the wheels.
COPY pyproject.toml constraints.txt ./
COPY riskmodel ./riskmodel
COPY schemas ./schemas
COPY service ./service
# --no-cache-dir keeps pip's cache out of the layer; -c pins the dependency versions.
RUN pip wheel --no-cache-dir --wheel-dir /wheels -c constraints.txt ".[service]"

# ---- runtime: slim, non-root, read-only models ------------------------------------------------
FROM python:3.11-slim-bookworm
# No .pyc writes at run time (the package is read-only to the service user); unbuffered logs
# so no JSON line is lost when a worker dies; bind all interfaces inside the container (the
# service then refuses to start without API keys); optional artifacts come from /models; the
# only writable state (audit trail, CDS Hooks feedback, seen token ids) is an SQLite file in
# the /data volume unless BMRISK_DATABASE_URL names a PostgreSQL database (several replicas:
# deploy/kubernetes/, which runs this image with a read-only root filesystem).
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    BMRISK_HOST=0.0.0.0 \
    PORT=8000 \
    BMRISK_MODEL_DIR=/models \
    BMRISK_DATABASE_URL=sqlite:////data/bmrisk.sqlite3
# Install from the builder's wheels only (--no-index: nothing fetched at this stage), then make
# the shipped model specs and the artifact folder read-only, owned by root.
RUN --mount=type=bind,from=builder,source=/wheels,target=/wheels \
    pip install --no-cache-dir --no-index --find-links /wheels "bmrisk[service]" \
    && mkdir -p /models \
    && SPECS="$(python -c 'import riskmodel.spec as s; print(s.builtin_spec_dir())')" \
    && chown -R root:root /models "$SPECS" \
    && chmod -R a-w /models "$SPECS" \
    && useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin bmrisk \
    && mkdir -p /data && chown 10001:10001 /data
WORKDIR /app
# The server settings (each explained inside); root-owned and read-only like the code.
COPY --chown=root:root --chmod=0444 gunicorn.conf.py ./
# Run as an unprivileged user (numeric, so orchestrators can verify it is not root).
USER 10001:10001
VOLUME ["/data"]
EXPOSE 8000
# Healthy when /healthz answers 2xx; Python's urllib, so the image needs no curl.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ.get('PORT', '8000') + '/healthz', timeout=4)"]
# Exec form: gunicorn is PID 1 and receives SIGTERM for a graceful stop. The tests start the
# server with this exact command (tests/conftest.py, SERVER_COMMAND).
CMD ["gunicorn", "-c", "gunicorn.conf.py", "service:create_app()"]
