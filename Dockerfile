# The entas image: one image for the web server, the worker and the scheduler (deploy/compose.yaml).
# Slim Debian base pinned by version; dependencies pinned by constraints.txt; runs as an unprivileged
# user; the data (SQLite file if used, uploads, the generated secret key) lives in /var/lib/entas.
# Build: docker build -t entas:0.1.0 .      (docs/operations.md, With containers)
FROM python:3.11.11-slim-bookworm AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY requirements.txt constraints.txt pyproject.toml README.md ./
COPY src ./src
RUN python -m venv /opt/entas \
 && /opt/entas/bin/pip install -c constraints.txt -r requirements.txt \
 && /opt/entas/bin/pip install --no-deps . \
 && find /opt/entas -name '__pycache__' -prune -exec rm -rf {} +

FROM python:3.11.11-slim-bookworm
# postgresql-client: pg_dump/pg_restore for `entas backup` and `entas restore` on PostgreSQL.
RUN apt-get update \
 && apt-get install -y --no-install-recommends postgresql-client \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 entas \
 && useradd --system --uid 10001 --gid entas --home-dir /var/lib/entas --shell /usr/sbin/nologin entas \
 && install -d -o entas -g entas -m 0700 /var/lib/entas
COPY --from=build /opt/entas /opt/entas
ENV PATH=/opt/entas/bin:$PATH \
    ENTAS_VAR_DIR=/var/lib/entas \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1
USER entas:entas
WORKDIR /var/lib/entas
VOLUME ["/var/lib/entas"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --retries=3 \
  CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/live/', timeout=4)"]
CMD ["entas", "serve", "--bind", "0.0.0.0:8000"]
