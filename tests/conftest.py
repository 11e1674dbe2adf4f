"""Shared fixtures: real Redis, real SQLite and PostgreSQL, isolated settings.

- `redis_url`: a real redis-server (the embedded binary on a private unix socket), or
  TEST_REDIS_URL. Flushed before each test that uses it.
- `engine` / `session`: a fresh schema per test, parametrised over SQLite and, when
  TEST_DATABASE_URL is set, PostgreSQL (CI sets it; with CI=true a missing one fails).
- `app_env`: points the app's settings (DATA_DIR, DATABASE_URL, REDIS_URL) at the test's
  database and Redis, so code under test that calls get_engine()/get_redis() uses them.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from redis import Redis
from sqlalchemy import text
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session, SQLModel

import aigrowth.models  # noqa: F401  (registers every table)
from aigrowth.db import make_engine, reset_engine_cache
from aigrowth.embedded_redis import server_args
from aigrowth.redis_client import reset_redis_cache
from aigrowth.settings import reset_settings_cache

PG_URL = os.environ.get("TEST_DATABASE_URL", "")


def _backends() -> list[str]:
    if PG_URL:
        return ["sqlite", "postgres"]
    if os.environ.get("CI"):
        raise pytest.UsageError("CI requires TEST_DATABASE_URL (PostgreSQL leg)")
    return ["sqlite"]


# ---------------------------------------------------------------------------- Redis
@contextmanager
def private_redis() -> Iterator[str]:
    """A real redis-server of our own on a unix socket in a temp dir; yields its URL."""
    workdir = Path(tempfile.mkdtemp(prefix="aig-redis-"))
    sock = workdir / "redis.sock"
    proc = subprocess.Popen(
        server_args(sock, workdir, appendonly=False),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"unix://{sock}"
    client = Redis.from_url(url)
    deadline = time.monotonic() + 10
    while True:
        try:
            client.ping()
            break
        except Exception:
            if time.monotonic() > deadline:
                proc.kill()
                raise
            time.sleep(0.05)
    try:
        yield url
    finally:
        client.close()
        proc.terminate()
        proc.wait(timeout=10)
        shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    external = os.environ.get("TEST_REDIS_URL")
    if external:
        yield external
        return
    with private_redis() as url:
        yield url


@pytest.fixture
def redis_client(redis_url: str) -> Iterator[Redis]:
    client = Redis.from_url(redis_url)
    client.flushdb()
    yield client
    client.close()


# ------------------------------------------------------------------------- Databases
@pytest.fixture(scope="session")
def pg_database() -> Iterator[str | None]:
    """A private PostgreSQL database for this test session (and xdist worker)."""
    if not PG_URL:
        yield None
        return
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    name = f"aig_test_{worker}_{os.getpid()}"
    admin = make_engine(PG_URL).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=_backends())
def db_url(request: pytest.FixtureRequest, tmp_path: Path, pg_database: str | None) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'test.db'}"
    assert pg_database is not None
    return pg_database


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    eng = make_engine(db_url)
    SQLModel.metadata.drop_all(eng)
    SQLModel.metadata.create_all(eng)
    yield eng
    if eng.dialect.name == "postgresql":
        SQLModel.metadata.drop_all(eng)
    eng.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    with Session(engine, expire_on_commit=False) as s:
        yield s


# ------------------------------------------------------------------------- App env
@pytest.fixture
def app_env(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    db_url: str,
    engine: Engine,
    redis_client: Redis,
    redis_url: str,
) -> Iterator[dict[str, str]]:
    """Settings for the code under test: its own DATA_DIR, database and Redis."""
    data_dir = tmp_path / "data"
    env = {
        "DATA_DIR": str(data_dir),
        "DATABASE_URL": db_url,
        "REDIS_URL": redis_url,
        "ALLOW_PRIVATE_NETWORK": "1",
        "APP_URL": "http://localhost:3000",
        "SECRET_KEY": "test-secret-" + uuid.uuid4().hex,
    }
    for key in ("OPENAI_API_KEY", "OPENROUTER_API_KEY", "STRIPE_SECRET_KEY", "ENCRYPTION_KEY"):
        monkeypatch.delenv(key, raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    reset_settings_cache()
    reset_engine_cache()
    reset_redis_cache()
    yield env
    reset_settings_cache()
    reset_engine_cache()
    reset_redis_cache()
