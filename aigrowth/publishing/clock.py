"""The database's clock, for leases and due times.

Workers and web processes may run on machines whose clocks disagree; a lease written
by one and judged expired by another must use one clock. The database is the one
place they all share, so every lease and due-time comparison uses its time.

Asking the database for each statement would add a round trip per post, so each
process measures its offset to the database clock (half a round trip of error) and
re-measures every `REMEASURE_S`. SQLite runs inside this process on this machine's
clock, so its offset is zero by definition.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session

REMEASURE_S = 30.0

_offsets: dict[str, tuple[float, timedelta]] = {}  # engine url -> (measured at, offset)
_lock = threading.Lock()


def _measure(source: Engine | Session) -> timedelta:
    """Offset of the database clock; through the caller's session when given one (so
    a thread that holds a connection never waits for a second one)."""
    if isinstance(source, Session):
        before = time.time()
        db_time = source.execute(sa.text("SELECT clock_timestamp()")).scalar_one()
        after = time.time()
    else:
        with source.connect() as conn:
            before = time.time()
            db_time = conn.execute(sa.text("SELECT clock_timestamp()")).scalar_one()
            after = time.time()
    local_mid = datetime.fromtimestamp((before + after) / 2, UTC)
    return db_time.astimezone(UTC) - local_mid


def db_now(source: Engine | Session) -> datetime:
    """Now, on the database's clock (aware UTC)."""
    local = datetime.now(UTC)
    bind = source.get_bind() if isinstance(source, Session) else source
    engine = bind if isinstance(bind, Engine) else bind.engine
    if engine.dialect.name != "postgresql":
        return local
    key = str(engine.url)
    cached = _offsets.get(key)
    if cached is None or time.monotonic() - cached[0] > REMEASURE_S:
        with _lock:
            cached = _offsets.get(key)
            if cached is None or time.monotonic() - cached[0] > REMEASURE_S:
                cached = (time.monotonic(), _measure(source))
                _offsets[key] = cached
        local = datetime.now(UTC)
    return local + cached[1]


def forget_offsets() -> None:
    """Re-measure on next use (tests that swap databases)."""
    _offsets.clear()
