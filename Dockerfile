# Roundtable Studio in a container: the studio on the built-in defaults (SQLite in /data,
# the Demo model), served on port 8501 by a non-root user.
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
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    ROUNDTABLE_DATA_DIR=/data

# bubblewrap sandboxes the code agents write (it needs unprivileged user namespaces from
# the host; where they are off, code execution says so and stays disabled unless allowed).
RUN apt-get update \
    && apt-get install -y --no-install-recommends bubblewrap \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /src
COPY pyproject.toml constraints.txt README.md ./
COPY studio ./studio
COPY components ./components
COPY templates ./templates
RUN pip install -c constraints.txt . && rm -rf /src

RUN useradd --create-home --uid 10001 studio && mkdir -p /data && chown studio:studio /data
USER studio
WORKDIR /home/studio
VOLUME ["/data"]
EXPOSE 8501

HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD python -c "import urllib.request, sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8501/_stcore/health', timeout=4).status == 200 else 1)"

CMD ["roundtable", "ui", "--host", "0.0.0.0", "--port", "8501"]
