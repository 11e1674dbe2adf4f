"""Before any process starts: wait for the database and Redis, then migrate.

One procedure for every way of deploying (``python -m aigrowth prestart``): the
systemd oneshot unit ``aigrowth-migrate.service`` that web, workers and scheduler
require, the compose ``migrate`` service they depend on, and ``make serve``. It waits
because in a fresh compose stack or after a reboot PostgreSQL and Redis may still be
starting; it migrates once, under a PostgreSQL advisory lock, so two machines running
it at the same time do not both apply the same migration.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from sqlalchemy import text

from aigrowth.db import make_engine
from aigrowth.redis_client import get_redis
from aigrowth.settings import PROJECT_ROOT, get_settings

log = logging.getLogger(__name__)

# Any constant shared by every installation; "aigrowth" in ASCII.
MIGRATION_LOCK_KEY = 0x61696772
DEFAULT_WAIT_S = 120.0


def wait_for(name: str, check: Callable[[], object], timeout: float) -> None:
    """Call ``check`` until it stops raising; give up after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    delay = 0.25
    while True:
        try:
            check()
            return
        except Exception as exc:
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"{name} not reachable after {timeout:.0f} s: {type(exc).__name__}: {exc}"
                ) from exc
            log.info("Waiting for %s (%s)", name, type(exc).__name__)
            time.sleep(delay)
            delay = min(delay * 2, 3.0)


def migrate(url: str) -> None:
    """``alembic upgrade head`` on ``url``, serialised across machines on PostgreSQL."""
    from alembic.config import Config

    from alembic import command

    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.attributes["url"] = url
    config.attributes["configure_logger"] = False
    engine = make_engine(url)
    try:
        if engine.dialect.name != "postgresql":
            command.upgrade(config, "head")
            return
        with engine.connect() as lock_conn:
            lock_conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": MIGRATION_LOCK_KEY})
            try:
                command.upgrade(config, "head")
            finally:
                lock_conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": MIGRATION_LOCK_KEY})
    finally:
        engine.dispose()


def prestart(timeout: float = DEFAULT_WAIT_S, *, redis: bool = True) -> None:
    settings = get_settings()
    url = settings.effective_database_url
    engine = make_engine(url)

    def ping_database() -> None:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))

    try:
        wait_for("the database", ping_database, timeout)
    finally:
        engine.dispose()
    if redis and not settings.redis_is_embedded:
        # The embedded Redis is started by the stack itself (after this step).
        wait_for("Redis", lambda: get_redis().ping(), timeout)
    migrate(url)
    log.info("Database at the latest migration")
