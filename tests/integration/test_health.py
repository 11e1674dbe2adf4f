"""/health reports database, Redis, workers and the scheduler heartbeat; 503 when down."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
from rq_scheduler import Scheduler
from starlette.testclient import TestClient

from aigrowth.db import reset_engine_cache
from aigrowth.http.routes import build_api
from aigrowth.redis_client import get_redis, reset_redis_cache
from aigrowth.settings import PROJECT_ROOT, reset_settings_cache
from workers.scheduler import make_scheduler, register_periodic_jobs


def _get_health() -> tuple[int, dict]:
    with TestClient(build_api()) as client:
        response = client.get("/health")
    assert response.headers["cache-control"] == "no-store"
    return response.status_code, response.json()


def test_health_degraded_without_workers_then_ok_with_worker_and_scheduler(app_env) -> None:
    status, body = _get_health()
    assert status == 200
    assert body["database"]["ok"] and body["redis"]["ok"]
    assert body["workers"] == 0 and body["scheduler"]["heartbeat_age_s"] is None
    assert body["status"] == "degraded"
    assert body["version"] and body["timestamp"].endswith("+00:00")

    # A real scheduler pass enqueues the heartbeat; a real worker process runs it.
    scheduler: Scheduler = make_scheduler(get_redis())
    register_periodic_jobs(scheduler)
    scheduler.enqueue_jobs()
    worker = subprocess.Popen(
        [sys.executable, "-m", "workers.worker"], cwd=PROJECT_ROOT, env={**os.environ, **app_env}
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            status, body = _get_health()
            if body["status"] == "ok":
                break
            time.sleep(0.2)
        assert status == 200 and body["status"] == "ok", body
        assert body["workers"] == 1
        assert 0 <= body["scheduler"]["heartbeat_age_s"] < 30
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=20)


def test_health_is_503_when_redis_is_down(
    app_env, monkeypatch: pytest.MonkeyPatch, tmp_path
) -> None:
    monkeypatch.setenv("REDIS_URL", f"unix://{tmp_path}/nothing-here.sock")
    reset_settings_cache()
    reset_redis_cache()
    status, body = _get_health()
    assert status == 503
    assert body["status"] == "down"
    assert body["redis"]["ok"] is False and body["database"]["ok"] is True
    assert "Traceback" not in str(body)


def test_health_is_503_when_database_is_down(app_env, monkeypatch: pytest.MonkeyPatch) -> None:
    # Nothing listens on port 1: the database is unreachable.
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://nobody@127.0.0.1:1/none")
    reset_settings_cache()
    reset_engine_cache()
    status, body = _get_health()
    assert status == 503
    assert body["database"]["ok"] is False and body["redis"]["ok"] is True
