# One image for every process of docker-compose.yml (web, worker, scheduler, migrate).
FROM python:3.11-slim-bookworm

ENV PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    REFLEX_USE_SYSTEM_BUN=1 \
    REFLEX_TELEMETRY_ENABLED=false \
    DATA_DIR=/data \
    HOME=/app \
    PATH=/app/.tools/node_modules/.bin:$PATH

# npm installs bun (the frontend build tool); unzip/curl are what Reflex's build expects;
# the PostgreSQL client is for `python -m aigrowth backup` (pg_dump).
RUN apt-get update \
    && apt-get install -y --no-install-recommends npm unzip curl postgresql-client \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
# Runtime packages only (requirements-dev.txt holds the test tools).
COPY requirements.txt .
RUN pip install -r requirements.txt \
    && npm install --silent --no-audit --no-fund --prefix /app/.tools bun@1.4.5

COPY . .
RUN useradd --system --home-dir /app --uid 10001 aigrowth \
    && mkdir -p /data && chown -R aigrowth /app /data
USER aigrowth
# Warm the frontend toolchain (node_modules). The bundle itself depends on APP_URL, so
# the web container builds it at its first start and keeps it in the `webbuild` volume;
# later starts reuse it while the UI is unchanged (aigrowth/serve.py).
RUN DATA_DIR=/tmp/build-data reflex export --frontend-only --no-zip --env prod \
    && rm -rf /tmp/build-data

EXPOSE 3000
CMD ["python", "-m", "aigrowth.supervise", "python", "-m", "aigrowth.serve", "--port", "3000"]
