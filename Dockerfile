# Roundtable Studio in a container: the studio on the built-in defaults (SQLite in /data,
# the Demo model), served on port 8501 by a non-root user. The same image runs the Celery
# workers (`roundtable worker`); compose.yaml puts studios and workers together.
#
# Listening on every address of the container makes it a SHARED studio: people sign in,
# each sees their own work, and it needs an administrator. Give the first one on start:
#
#   docker build -t roundtable-studio .
#   docker run -p 8501:8501 -v roundtable-data:/data \
#       -e ROUNDTABLE_ADMIN=teacher -e ROUNDTABLE_ADMIN_PASSWORD='a long password' \
#       roundtable-studio
#
# (or once: `docker run -it -v roundtable-data:/data roundtable-studio roundtable admin create
# teacher`). Stored API keys are encrypted with /data/secret.key (mode 0600), or with
# $ROUNDTABLE_SECRET_KEY when set: keep it with your backups of the volume.
#
# BASE is any image with Python 3.11+ (pip is brought along when it lacks one). Where no
# registry can be reached, build from a local image and a folder of wheels made beforehand
# (scripts/build_image.sh does both): the install then needs no network at all.
#
#   podman build --build-arg BASE=localhost/roundtable-python -t localhost/roundtable-studio .
ARG BASE=python:3.11-slim
FROM ${BASE}

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    ROUNDTABLE_DATA_DIR=/data

# bubblewrap sandboxes the code agents write (it needs unprivileged user namespaces from
# the host; where they are off, code execution says so and stays disabled unless allowed).
# Without a reachable Debian mirror the image is still built, and says so.
RUN command -v bwrap >/dev/null 2>&1 \
    || { apt-get update && apt-get install -y --no-install-recommends bubblewrap \
         && rm -rf /var/lib/apt/lists/*; } \
    || echo "note: bubblewrap is not installed; code runs only in Docker executors or when allowed unsandboxed"

WORKDIR /src
COPY pyproject.toml constraints.txt README.md ./
COPY studio ./studio
COPY components ./components
COPY templates ./templates
# .wheels/ (may be empty): wheels for an install without network (scripts/build_image.sh),
# with constraints.txt as the image's Python needs it (pins it cannot use replaced)
COPY .wheels/ /wheels/
RUN set -e; \
    offline=""; if ls /wheels/*.whl >/dev/null 2>&1; then offline="--no-index --find-links /wheels"; fi; \
    if [ -f /wheels/constraints.txt ]; then cp /wheels/constraints.txt constraints.txt; fi; \
    if ! python3 -m pip --version >/dev/null 2>&1; then \
        wheel="$(ls /wheels/pip-*.whl | head -n 1)"; \
        python3 "$wheel/pip" install --no-index --break-system-packages "$wheel"; \
    fi; \
    python3 -m pip install --no-cache-dir --break-system-packages $offline -c constraints.txt . ; \
    rm -rf /src /wheels

RUN useradd --create-home --uid 10001 studio && mkdir -p /data && chown studio:studio /data
USER studio
WORKDIR /home/studio
VOLUME ["/data"]
EXPOSE 8501

HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD python3 -c "import urllib.request, sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8501/_stcore/health', timeout=4).status == 200 else 1)"

CMD ["roundtable", "ui", "--host", "0.0.0.0", "--port", "8501"]
