"""The claim as a fencing token, its lease, and the holder's heartbeat.

- Every write a worker makes to a post it publishes is conditioned on (id, attempt,
  held status). A write that hits no row raises `ClaimLost`: the post moved on (the
  reconciler took it over, the user acted), and this worker stops touching it.
- Right before each create call the connector calls `ctx.before_create()`, which
  re-checks the claim, so a worker that lost its claim never reaches the platform.
- While a job holds posts, a `LeaseKeeper` thread renews their leases in the database
  and writes the holder's heartbeat to Redis. The reconciler takes a post over only
  when its lease has expired AND its holder's heartbeat is gone, so a slow platform
  (or a long account chain in a batch) never makes a live worker's post look lost.
- Leases are written and judged on the database's clock (`clock.db_now`).
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import threading
import uuid
from collections.abc import Iterable
from datetime import timedelta
from types import TracebackType

import sqlalchemy as sa
from redis.exceptions import RedisError
from sqlalchemy.engine import Engine

from aigrowth.publishing import statements as sql
from aigrowth.publishing.clock import db_now
from aigrowth.publishing.config import get_publishing_settings
from aigrowth.publishing.groupcommit import run_alone
from aigrowth.publishing.posts import Post
from aigrowth.redis_client import get_redis

log = logging.getLogger(__name__)

HOLDER_KEY = "aigrowth:publish:holder:{owner}"
C = sql.C


class ClaimLost(Exception):
    """This worker no longer holds the post: stop, touch nothing more."""


def new_owner() -> str:
    """A name for one job's hold on its posts: host, process, and a random part."""
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{uuid.uuid4().hex[:12]}"


def params(post: Post, **more: object) -> dict[str, object]:
    return {"p_id": post.id, "p_n": post.attempt, "p_status": post.held_status, **more}


def renew_interval_s() -> float:
    """How often a holder renews: a third of the lease, at most every 30 s."""
    return max(0.2, min(30.0, get_publishing_settings().lease_s / 3))


def check_claim(engine: Engine, post: Post) -> None:
    """Still ours? Raise ClaimLost otherwise. Called right before each create call.

    A read is enough: the claim is the row's (id, attempt, status), and whoever takes it
    from us changes one of them first. Reading it at this instant answers exactly what
    an UPDATE would, without a write (and an fsync) per create; the lease itself is kept
    fresh by the job's LeaseKeeper."""
    with engine.connect() as conn:
        held = conn.execute(sql.held_check(), params(post)).first()
    if held is None:
        raise ClaimLost(f"post {post.id} attempt {post.attempt} is no longer ours")


def holders_alive(owners: Iterable[str]) -> set[str] | None:
    """Owners whose heartbeat is in Redis; None when Redis cannot tell."""
    names = sorted({o for o in owners if o})
    if not names:
        return set()
    try:
        values = get_redis().mget([HOLDER_KEY.format(owner=o) for o in names])
    except RedisError as exc:
        log.warning("Cannot read publish holders from Redis (%s)", exc)
        return None
    return {o for o, v in zip(names, values, strict=True) if v is not None}


class LeaseKeeper:
    """Renews the leases of the posts a job holds, and beats the holder's heartbeat.

    A post is held from the moment the job prepares it (posts waiting in an account
    chain included) until it settles. Use as a context manager.
    """

    def __init__(self, engine: Engine, owner: str | None = None) -> None:
        self.engine = engine
        self.owner = owner or new_owner()
        self._held: dict[uuid.UUID, tuple[int, str]] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def __enter__(self) -> LeaseKeeper:
        self.beat()
        self._thread = threading.Thread(target=self._loop, name="lease-keeper", daemon=True)
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        with contextlib.suppress(RedisError):  # else the key expires by itself
            get_redis().delete(HOLDER_KEY.format(owner=self.owner))

    def hold(self, posts: Iterable[Post]) -> None:
        with self._lock:
            for post in posts:
                self._held[post.id] = (post.attempt, post.held_status)

    def release(self, post: Post) -> None:
        with self._lock:
            self._held.pop(post.id, None)

    def beat(self) -> None:
        """Holder heartbeat: alive for three renew intervals."""
        ttl_ms = int(renew_interval_s() * 3000) + 1000
        try:
            get_redis().set(HOLDER_KEY.format(owner=self.owner), b"1", px=ttl_ms)
        except RedisError as exc:
            log.warning("Publish holder heartbeat not written (%s)", exc)

    def renew(self) -> int:
        """Extend the lease of every held post still ours; returns how many."""
        with self._lock:
            held = list(self._held.items())
        if not held:
            return 0
        lease = get_publishing_settings().lease_s
        now = db_now(self.engine)
        renewed = 0
        for status in {st for _, (_, st) in held}:
            pairs = [(cid, n) for cid, (n, st) in held if st == status]
            for start in range(0, len(pairs), 500):
                chunk = pairs[start : start + 500]
                stmt = (
                    sa.update(sql.CONTENT)
                    .where(sa.tuple_(C.id, C.attempts).in_(chunk), C.status == status)
                    .values(lease_until=now + timedelta(seconds=lease), lease_owner=self.owner)
                )
                renewed += run_alone(self.engine, lambda s, q=stmt: s.execute(q).rowcount)
        return renewed

    def _loop(self) -> None:
        while not self._stop.wait(renew_interval_s()):
            self.beat()
            try:
                self.renew()
            except Exception as exc:  # the database blinked: try again next round
                log.warning("Lease renewal failed (%s)", exc)
