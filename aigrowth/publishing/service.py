"""The post state machine of DESIGN.md §6: on time, exactly once, under faults.

    draft -> scheduled -claim-> publishing -2xx-> published
    publishing -- provably not landed --> scheduled (backoff) ... failed at the cap
    publishing -- definite failure -----> failed (the user presses Retry)
    publishing -- unknown outcome ------> lookup: found -> published,
                                          confirmed absent -> scheduled,
                                          cannot tell -> needs_attention

Exactly-once rests on the database, not on Redis:

- **Claim**: one conditional UPDATE (`status='scheduled' AND due → 'publishing',
  attempts+1, lease`) with RETURNING; only rows it hit are published, by whoever ran it.
- **Start**: the job re-confirms its claim (`status='publishing' AND attempts=n`, which
  also renews the lease) and inserts the `publish_attempts` row (UNIQUE per post and
  attempt) in one transaction before any platform call. A duplicate or stale job stops
  there. A post whose lease expired *without* an attempt row never reached the
  platform and is safely put back to `scheduled`; one *with* an attempt row may have
  landed and is looked up instead.
- **Idempotency values** (Mastodon key, Bluesky rkey, container ids) are committed via
  `PublishContext.save_state` before the create call.
- **Success** stores remote id/url and `published` in one commit.
- Inside a publish job these small writes share transactions with the other posts'
  writes (`groupcommit.py`), but each call returns only once its transaction has
  committed, so every "committed before" above still holds.

Jobs (RQ) carry no RQ `Retry`: retries are rows going back to `scheduled` with a
`next_attempt_at`, which the dispatcher picks up. A lost job or a wiped Redis therefore
only delays a post: the dispatcher finds due posts in the database and the reconciler
frees expired leases.
"""

from __future__ import annotations

import logging
import random
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from aigrowth.businesses.models import Business
from aigrowth.content.models import Content, ContentStatus
from aigrowth.dbtypes import utcnow
from aigrowth.notifications.service import (
    KIND_NEEDS_ATTENTION,
    KIND_PUBLISH_FAILED,
    notify,
)
from aigrowth.publishing.config import get_publishing_settings
from aigrowth.publishing.groupcommit import GroupCommitter, run_alone
from aigrowth.publishing.models import PublishAttempt
from aigrowth.social.models import SocialAccount, platform_label

log = logging.getLogger(__name__)

C = Content.__table__.c
A = PublishAttempt.__table__.c
CONTENT = Content.__table__
ATTEMPTS = PublishAttempt.__table__

PAUSE_KEY = "aigrowth:publish:pause:{account}"
# Pauses (429 + reset) this process learnt of, so the rest of a job's posts for that
# account wait without asking Redis before each post: account id -> epoch seconds.
_LOCAL_PAUSES: dict[uuid.UUID, float] = {}
# The group committer of the publish job running in this process, per engine.
_COMMITTERS: dict[int, GroupCommitter] = {}
PUBLISH_FUNC = "workers.publish_jobs.publish_posts"


class PublishingError(Exception):
    """A user action that cannot be done; `str(exc)` is a plain-words message."""


def _engine_of(session: Session) -> Engine:
    bind = session.get_bind()
    return bind if isinstance(bind, Engine) else bind.engine


def _default_engine() -> Engine:
    from aigrowth.db import get_engine

    return get_engine()


def post_link(content_id: uuid.UUID | str) -> str:
    """Where a notification about a post leads: the post in the editor."""
    return f"/content/{content_id}"


# ------------------------------------------------------------------------ the claim
def claim_due(
    session: Session,
    *,
    now: datetime | None = None,
    ids: Iterable[uuid.UUID] | None = None,
    limit: int | None = None,
) -> list[tuple[uuid.UUID, int]]:
    """Claim due posts with ONE conditional UPDATE; returns (id, attempt) of rows hit.

    Never check-then-set: the WHERE clause is the check, so two dispatchers (or 50
    "publish now" clicks) racing for a row cannot both hit it. The caller commits.
    """
    now = now or utcnow()
    cfg = get_publishing_settings()
    due = sa.and_(
        C.status == ContentStatus.SCHEDULED.value,
        C.scheduled_for.is_not(None),
        C.scheduled_for <= now,
        sa.or_(C.next_attempt_at.is_(None), C.next_attempt_at <= now),
    )
    stmt = sa.update(CONTENT).where(due)
    if ids is not None:
        id_list = list(ids)
        if not id_list:
            return []
        stmt = stmt.where(C.id.in_(id_list))
    else:
        sub = (
            sa.select(C.id).where(due).order_by(C.scheduled_for).limit(limit or cfg.dispatch_limit)
        )
        stmt = stmt.where(C.id.in_(sub.scalar_subquery()))
    stmt = stmt.values(
        status=ContentStatus.PUBLISHING.value,
        lease_until=now + timedelta(seconds=cfg.lease_s),
        attempts=C.attempts + 1,
        updated_at=now,
    ).returning(C.id, C.attempts)
    return [(row[0], int(row[1])) for row in session.execute(stmt).all()]


def job_id_for(content_id: uuid.UUID, attempt: int, batch: int = 1) -> str:
    """Unique per (post, attempt): the first post of a batch names the batch."""
    base = f"publish-{content_id.hex}-{attempt}"
    return base if batch == 1 else f"{base}-x{batch}"


def _publish_workers(queue: Any) -> int:
    """How many workers listen on the publish queue (1 when Redis cannot tell)."""
    try:
        from rq import Worker

        return max(1, Worker.count(queue=queue))
    except Exception:
        return 1


def plan_batches(
    claimed: list[tuple[uuid.UUID, int]],
    accounts: dict[uuid.UUID, Any],
    *,
    workers: int,
    batch_size: int,
) -> list[list[tuple[uuid.UUID, int]]]:
    """Split claimed posts into jobs: about one per worker (so every worker process
    gets a share of a burst at once), at most `batch_size` posts each, and all posts
    of an account in the same job where possible (its posts then run in order there,
    within its rate limit). Accounts are dealt largest first to the lightest job."""
    if not claimed:
        return []
    by_account: dict[Any, list[tuple[uuid.UUID, int]]] = defaultdict(list)
    for cid, n in claimed:
        by_account[accounts.get(cid) or cid].append((cid, n))
    size = max(1, batch_size)
    jobs = max(1, min(workers, len(by_account)), -(-len(claimed) // size))
    batches: list[list[tuple[uuid.UUID, int]]] = [[] for _ in range(jobs)]
    for group in sorted(by_account.values(), key=len, reverse=True):
        for start in range(0, len(group), size):
            part = group[start : start + size]
            target = min(batches, key=len)
            if len(target) + len(part) > size:
                batches.append([])
                target = batches[-1]
            target.extend(part)
    return [b for b in batches if b]


def enqueue_claimed(
    claimed: list[tuple[uuid.UUID, int]],
    *,
    engine: Engine,
    accounts: dict[uuid.UUID, Any] | None = None,
) -> int:
    """Enqueue publish jobs for claimed posts (batched; see `plan_batches`).

    If Redis refuses, the claims are released at once (no attempt was started), so
    the next dispatcher run retries them; otherwise the reconciler would after the lease.
    """
    if not claimed:
        return 0
    from aigrowth.queues import PUBLISH, get_queue

    cfg = get_publishing_settings()
    queue = get_queue(PUBLISH)
    jobs = 0
    workers = _publish_workers(queue) if len(claimed) > 1 else 1
    for chunk in plan_batches(claimed, accounts or {}, workers=workers, batch_size=cfg.batch_size):
        items = [(cid.hex, n) for cid, n in chunk]
        try:
            queue.enqueue(
                PUBLISH_FUNC,
                items,
                job_id=job_id_for(chunk[0][0], chunk[0][1], len(chunk)),
                job_timeout=cfg.job_timeout_s,
                result_ttl=3600,
                failure_ttl=7 * 24 * 3600,
                description=f"publish {len(chunk)} post(s)",
            )
            jobs += 1
        except Exception:
            log.exception("Could not enqueue %d publish job(s); releasing claims", len(chunk))
            with Session(engine) as s:
                for cid, n in chunk:
                    _release_unstarted(s, cid, n, require_expired=False)
                s.commit()
    return jobs


def _release_unstarted(
    s: Session, cid: uuid.UUID, n: int, *, require_expired: bool, now: datetime | None = None
) -> bool:
    """publishing → scheduled for a claim whose job never started (no attempt row)."""
    now = now or utcnow()
    started = sa.exists().where(A.content_id == C.id, A.attempt_no == n)
    stmt = sa.update(CONTENT).where(
        C.id == cid,
        C.status == ContentStatus.PUBLISHING.value,
        C.attempts == n,
        ~started,
    )
    if require_expired:
        stmt = stmt.where(C.lease_until < now)
    rc = s.execute(
        stmt.values(status=ContentStatus.SCHEDULED.value, lease_until=None, updated_at=now)
    ).rowcount
    return rc == 1


# ------------------------------------------------------------------------ dispatcher
def _paused_accounts(account_ids: set[uuid.UUID]) -> dict[uuid.UUID, float]:
    """Accounts a platform told us to leave alone (429 + reset), from Redis."""
    if not account_ids:
        return {}
    try:
        from aigrowth.redis_client import get_redis

        ids = list(account_ids)
        values = get_redis().mget([PAUSE_KEY.format(account=a.hex) for a in ids])
    except Exception:  # Redis down: what this process knows; the platform tells us again
        ids = list(account_ids)
        values = [None] * len(ids)
    now = time.time()
    out = {}
    for aid, raw in zip(ids, values, strict=True):
        if raw is not None and float(raw) > now:
            out[aid] = float(raw)
        elif _LOCAL_PAUSES.get(aid, 0.0) > now:
            out[aid] = _LOCAL_PAUSES[aid]
    return out


def _pause_account(account_id: uuid.UUID | None, seconds: float) -> None:
    if account_id is None or seconds <= 0:
        return
    _LOCAL_PAUSES[account_id] = time.time() + seconds
    try:
        from aigrowth.redis_client import get_redis

        get_redis().set(
            PAUSE_KEY.format(account=account_id.hex),
            str(time.time() + seconds),
            px=int(seconds * 1000) + 1,
        )
    except Exception:
        log.warning("Could not record the rate-limit pause of account %s", account_id)


def dispatch_due(*, engine: Engine | None = None, now: datetime | None = None) -> int:
    """Find due posts in the DB, claim them, enqueue their jobs. Idempotent; run often."""
    engine = engine or _default_engine()
    now = now or utcnow()
    cfg = get_publishing_settings()
    with Session(engine) as s:
        rows = s.execute(
            sa.select(C.id, C.social_account_id)
            .where(
                C.status == ContentStatus.SCHEDULED.value,
                C.scheduled_for <= now,
                sa.or_(C.next_attempt_at.is_(None), C.next_attempt_at <= now),
            )
            .order_by(C.scheduled_for)
            .limit(cfg.dispatch_limit)
        ).all()
        if not rows:
            return 0
        paused = _paused_accounts({r[1] for r in rows if r[1] is not None})
        ids = [r[0] for r in rows if r[1] not in paused]
        if paused:
            # Move their posts to after the pause, so they stop showing as due.
            for aid, until in paused.items():
                s.execute(
                    sa.update(CONTENT)
                    .where(
                        C.social_account_id == aid,
                        C.status == ContentStatus.SCHEDULED.value,
                        C.id.in_([r[0] for r in rows if r[1] == aid]),
                    )
                    .values(next_attempt_at=datetime.fromtimestamp(until, tz=now.tzinfo))
                )
        claimed = claim_due(s, now=now, ids=ids)
        s.commit()
    enqueue_claimed(claimed, engine=engine, accounts={r[0]: r[1] for r in rows})
    if claimed:
        log.info("Dispatched %d due post(s)", len(claimed))
    return len(claimed)


# ------------------------------------------------------------- user-facing actions
def _owned_content(content_id: uuid.UUID | str, user_id: uuid.UUID | str, s: Session) -> Content:
    try:
        cid = uuid.UUID(str(content_id))
        uid = uuid.UUID(str(user_id))
    except ValueError as exc:
        raise PublishingError("This post does not exist.") from exc
    row = s.exec(
        select(Content)
        .join(Business, col(Business.id) == Content.business_id)
        .where(Content.id == cid, Business.user_id == uid)
    ).first()
    if row is None:
        raise PublishingError("This post does not exist.")
    return row


def publish_now(content_id: uuid.UUID | str, *, user_id: uuid.UUID | str, session: Session) -> str:
    """ "Publish now": make the post due now and claim it. Safe to click many times.

    Returns "queued" (this call claimed it), or "already_publishing" /
    "already_published" when another click or the dispatcher got there first.
    """
    post = _owned_content(content_id, user_id, session)
    if post.status == ContentStatus.PUBLISHED:
        return "already_published"
    if post.status == ContentStatus.PUBLISHING:
        return "already_publishing"
    if post.social_account_id is None:
        raise PublishingError("Choose the account to publish to first.")
    now = utcnow()
    # Conditional: only a draft or scheduled post becomes due now (never a published
    # or in-flight one), and its backoff, if any, is kept.
    session.execute(
        sa.update(CONTENT)
        .where(
            C.id == post.id,
            C.status.in_([ContentStatus.DRAFT.value, ContentStatus.SCHEDULED.value]),
        )
        .values(status=ContentStatus.SCHEDULED.value, scheduled_for=now, updated_at=now)
    )
    claimed = claim_due(session, now=now, ids=[post.id])
    session.commit()
    if not claimed:
        session.refresh(post)
        if post.status == ContentStatus.PUBLISHED:
            return "already_published"
        if post.status == ContentStatus.SCHEDULED and post.next_attempt_at:
            return "waiting_retry"
        if post.status in (ContentStatus.FAILED, ContentStatus.NEEDS_ATTENTION):
            raise PublishingError("This post needs your attention: use Retry.")
        return "already_publishing"
    enqueue_claimed(claimed, engine=_engine_of(session))
    return "queued"


def retry_failed(content_id: uuid.UUID | str, *, user_id: uuid.UUID | str, session: Session) -> str:
    """The Retry action of a failed (or needs-attention) post: due now, backoff cleared.

    A needs-attention post keeps its idempotency values and is looked up again before
    any new create (see `_run_one`), so Retry cannot duplicate a post that did land.
    """
    post = _owned_content(content_id, user_id, session)
    if post.status not in (ContentStatus.FAILED, ContentStatus.NEEDS_ATTENTION):
        raise PublishingError("Only a failed post can be retried.")
    if post.social_account_id is None:
        raise PublishingError("Choose the account to publish to first.")
    now = utcnow()
    rc = session.execute(
        sa.update(CONTENT)
        .where(
            C.id == post.id,
            C.status.in_([ContentStatus.FAILED.value, ContentStatus.NEEDS_ATTENTION.value]),
        )
        .values(
            status=ContentStatus.SCHEDULED.value,
            scheduled_for=sa.case((C.scheduled_for > now, C.scheduled_for), else_=now),
            next_attempt_at=None,
            lease_until=None,
            last_error=None,
            updated_at=now,
        )
    ).rowcount
    if rc != 1:
        session.rollback()
        return "already_retried"
    claimed = claim_due(session, now=now, ids=[post.id])
    session.commit()
    enqueue_claimed(claimed, engine=_engine_of(session))
    return "queued" if claimed else "scheduled"


def mark_published_by_user(
    content_id: uuid.UUID | str,
    *,
    user_id: uuid.UUID | str,
    remote_url: str = "",
    session: Session,
) -> None:
    """Needs-attention answer "yes, it is on my profile": stop trying, mark published."""
    post = _owned_content(content_id, user_id, session)
    if post.status != ContentStatus.NEEDS_ATTENTION:
        raise PublishingError("Only a post waiting for your check can be marked published.")
    if remote_url and not remote_url.startswith(("https://", "http://")):
        raise PublishingError("The link must start with https://")
    now = utcnow()
    session.execute(
        sa.update(CONTENT)
        .where(C.id == post.id, C.status == ContentStatus.NEEDS_ATTENTION.value)
        .values(
            status=ContentStatus.PUBLISHED.value,
            published_at=now,
            remote_url=remote_url or post.remote_url,
            lease_until=None,
            last_error=None,
            updated_at=now,
        )
    )
    session.commit()


# ------------------------------------------------------------ prebuilt statements
# The hot path of a burst runs a handful of small statements per post. Built once
# with bind parameters, SQLAlchemy reuses the compiled SQL and its cache key instead
# of constructing and hashing a new statement per post (most of a post's CPU).
_STMTS: dict[tuple[str, str], Any] = {}


def _p(name: str) -> Any:
    return sa.bindparam(name)


def _stmt(name: str, dialect: str = "") -> Any:
    key = (name, dialect)
    stmt = _STMTS.get(key)
    if stmt is not None:
        return stmt
    publishing = ContentStatus.PUBLISHING.value
    if name == "start":
        stmt = (
            sa.update(CONTENT)
            .where(C.id == _p("p_id"), C.attempts == _p("p_n"), C.status == publishing)
            .values(
                lease_until=_p("p_lease"),
                updated_at=_p("p_now"),
                idempotency_key=sa.func.coalesce(C.idempotency_key, _p("p_key")),
            )
            .returning(C.idempotency_key)
        )
    elif name == "attempt":
        insert = pg_insert if dialect == "postgresql" else sqlite_insert
        stmt = (
            insert(ATTEMPTS)
            .values(
                id=_p("p_aid"),
                content_id=_p("p_id"),
                attempt_no=_p("p_n"),
                started_at=_p("p_now"),
            )
            .on_conflict_do_nothing(index_elements=["content_id", "attempt_no"])
            .returning(A.id)
        )
    elif name == "state":
        stmt = (
            sa.update(CONTENT)
            .where(C.id == _p("p_id"), C.attempts == _p("p_n"))
            .values(publish_state=_p("p_state"), updated_at=_p("p_now"))
        )
    elif name == "published":
        stmt = (
            sa.update(CONTENT)
            .where(
                C.id == _p("p_id"),
                C.status.in_(
                    [
                        ContentStatus.PUBLISHING.value,
                        ContentStatus.NEEDS_ATTENTION.value,
                        ContentStatus.SCHEDULED.value,
                        ContentStatus.FAILED.value,
                    ]
                ),
            )
            .values(
                status=ContentStatus.PUBLISHED.value,
                remote_id=_p("p_rid"),
                remote_url=_p("p_url"),
                published_at=_p("p_now"),
                lease_until=None,
                next_attempt_at=None,
                last_error=None,
                updated_at=_p("p_now"),
            )
        )
    elif name == "finish":
        stmt = (
            sa.update(ATTEMPTS)
            .where(A.content_id == _p("p_id"), A.attempt_no == _p("p_n"))
            .values(
                outcome=_p("p_outcome"),
                finished_at=_p("p_now"),
                http_status=_p("p_status"),
                error=_p("p_error"),
                remote_id=_p("p_rid"),
            )
        )
    elif name == "account_published":
        S = SocialAccount.__table__.c
        stmt = (
            sa.update(SocialAccount.__table__)
            .where(S.id == _p("p_aid"))
            .values(last_published_at=_p("p_now"))
        )
    else:  # pragma: no cover (programming error)
        raise KeyError(name)
    _STMTS[key] = stmt
    return stmt


def _dialect(s: Session) -> str:
    return s.get_bind().dialect.name


# ------------------------------------------------------------------ running a post
@dataclass
class _Post:
    id: uuid.UUID
    attempt: int
    platform: str
    text: str
    hashtags: list[str]
    media: list[dict[str, Any]]
    thread: list[str]
    idempotency_key: str
    publish_state: dict[str, Any]
    account_id: uuid.UUID | None
    user_id: uuid.UUID
    title: str
    retries_so_far: int = 0
    extra: dict[str, Any] = field(default_factory=dict)


def _write(engine: Engine, fn: Callable[[Session], Any]) -> Any:
    """Run a small write in this job's group commit (see groupcommit.py), or alone.

    Either way it has COMMITTED when this returns.
    """
    committer = _COMMITTERS.get(id(engine))
    if committer is not None and committer.engine is engine:
        return committer.write(fn)
    return run_alone(engine, fn)


def _chunks(values: list[Any], size: int = 500) -> Iterable[list[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _prepare(engine: Engine, items: list[tuple[uuid.UUID, int]]) -> list[_Post]:
    """Load a batch of claimed posts with a few queries instead of a few per post.

    Read-only except for posts that must wait (their account is paused by a 429, or an
    earlier attempt is still in flight): those go back to `scheduled` here, without an
    attempt row. A post no longer claimed by attempt n (stale or duplicate job) is
    dropped. The attempt itself starts in `_go`, right before the platform call.
    """
    if not items:
        return []
    cfg = get_publishing_settings()
    now = utcnow()
    wanted = dict(items)
    ids = list(wanted)
    B = Business.__table__.c
    rows: dict[uuid.UUID, Any] = {}
    in_flight: dict[uuid.UUID, int] = {}
    retries: dict[uuid.UUID, int] = {}
    with Session(engine) as s:
        for chunk in _chunks(ids):
            for row in s.execute(
                sa.select(CONTENT, B.user_id)
                .join(Business.__table__, B.id == C.business_id)
                .where(C.id.in_(chunk))
            ):
                rows[row._mapping["id"]] = row
            for cid, attempt_no in s.execute(
                sa.select(A.content_id, A.attempt_no).where(
                    A.content_id.in_(chunk),
                    A.outcome.is_(None),
                    A.started_at > now - timedelta(seconds=cfg.lease_s),
                )
            ):
                if attempt_no != wanted[cid]:
                    in_flight[cid] = attempt_no
            for cid, count in s.execute(
                sa.select(A.content_id, sa.func.count())
                .where(
                    A.content_id.in_(chunk),
                    A.outcome.in_(["retry", "reconciled_absent"]),
                )
                .group_by(A.content_id)
            ):
                retries[cid] = int(count)
    posts: list[_Post] = []
    for cid, n in items:
        row = rows.get(cid)
        content = row._mapping if row is not None else None
        if (
            content is None
            or content["status"] != ContentStatus.PUBLISHING.value
            or int(content["attempts"]) != n
        ):
            log.info("Publish job for %s attempt %d is stale; skipping", cid, n)
            continue
        posts.append(
            _Post(
                id=cid,
                attempt=n,
                platform=content["platform"],
                text=content["text"] or "",
                hashtags=list(content["hashtags"] or []),
                media=list(content["media"] or []),
                thread=list(content["thread_parts"] or []),
                idempotency_key=content["idempotency_key"] or "",
                publish_state=dict(content["publish_state"] or {}),
                account_id=content["social_account_id"],
                user_id=row[-1],
                title=(content["title"] or content["text"] or "")[:60],
                retries_so_far=retries.get(cid, 0),
            )
        )
    paused = _paused_accounts({p.account_id for p in posts if p.account_id is not None})
    waiting: list[tuple[_Post, datetime]] = []
    ready: list[_Post] = []
    for post in posts:
        if post.account_id in paused:
            # The platform asked us to wait: no call, no attempt row, back in line.
            until = datetime.fromtimestamp(paused[post.account_id], tz=now.tzinfo)
            waiting.append((post, until))
        elif post.id in in_flight:
            # Belt and braces: some writer put the row back to scheduled while an
            # earlier attempt is still talking to the platform. Never run two at once;
            # wait for that attempt to settle (it, or the reconciler, decides).
            log.warning(
                "Post %s attempt %d waits: attempt %d in flight",
                post.id,
                post.attempt,
                in_flight[post.id],
            )
            waiting.append((post, now + timedelta(seconds=cfg.backoff_base_s)))
        else:
            ready.append(post)
    if waiting:
        with Session(engine) as s:
            for post, until in waiting:
                _put_back(s, post, until)
            s.commit()
    return ready


def _put_back(s: Session, post: _Post, until: datetime) -> None:
    """publishing → scheduled (not started: no attempt row) until `until`."""
    s.execute(
        sa.update(CONTENT)
        .where(_mine(post))
        .values(status=ContentStatus.SCHEDULED.value, lease_until=None, next_attempt_at=until)
    )


def _go(engine: Engine, post: _Post) -> bool:
    """Start attempt n right before the platform call: confirm the claim, renew the
    lease, store the idempotency key and insert the attempt row, in ONE commit.

    False (and no call may be made) when the claim moved on or this attempt already
    started elsewhere (a duplicate job).
    """
    cfg = get_publishing_settings()
    key = post.idempotency_key or uuid.uuid4().hex

    def start(s: Session) -> str | None:
        now = utcnow()
        params = {"p_id": post.id, "p_n": post.attempt, "p_now": now}
        hit = s.execute(
            _stmt("start"),
            {**params, "p_lease": now + timedelta(seconds=cfg.lease_s), "p_key": key},
        ).first()
        if hit is None:
            return None
        inserted = s.execute(
            _stmt("attempt", _dialect(s)), {**params, "p_aid": uuid.uuid4()}
        ).first()
        if inserted is None:
            return None
        return str(hit[0])

    stored = _write(engine, start)
    if stored is None:
        log.info("Attempt %d of %s is stale or started elsewhere; skipping", post.attempt, post.id)
        return False
    post.idempotency_key = stored
    return True


def _save_state_cb(engine: Engine, post: _Post) -> Callable[[dict[str, Any]], None]:
    """Commit idempotency values now, before the platform call that depends on them."""

    def save(state: dict[str, Any]) -> None:
        post.publish_state = dict(state)
        snapshot = dict(state)

        def write(s: Session) -> None:
            s.execute(
                _stmt("state"),
                {"p_id": post.id, "p_n": post.attempt, "p_state": snapshot, "p_now": utcnow()},
            )

        _write(engine, write)

    return save


def _set_state_flag(engine: Engine, post: _Post, **flags: Any) -> None:
    post.publish_state.update(flags)
    _save_state_cb(engine, post)(post.publish_state)


def _context(engine: Engine, post: _Post, account_ref: Any) -> Any:
    from aigrowth.social.connectors.base import Media, PublishContext

    media = [
        Media(
            url=str(m.get("url") or ""),
            path=str(m.get("path") or ""),
            alt=str(m.get("alt") or ""),
            mime_type=str(m.get("mime_type") or m.get("content_type") or ""),
        )
        for m in post.media
        if isinstance(m, dict)
    ]
    return PublishContext(
        account=account_ref,
        text=post.text,
        hashtags=post.hashtags,
        media=media,
        thread=post.thread,
        idempotency_key=post.idempotency_key,
        publish_state=post.publish_state,
        save_state=_save_state_cb(engine, post),
    )


def _account_ref(engine: Engine, account_id: uuid.UUID) -> Any:
    """Decrypted account via the social service, refreshed first when about to expire
    (serialised per account there; a dead grant raises ReconnectRequired)."""
    from aigrowth.social import service as social

    with Session(engine, expire_on_commit=False) as s:
        ref = social.ensure_fresh_token(account_id, session=s)
        s.commit()
        return ref


def _connector(platform: str) -> Any:
    from aigrowth.social.connectors.base import get_connector

    return get_connector(platform)


# -------------------------------------------------------------------- settle rows
def _finish_attempt(
    s: Session,
    post: _Post,
    outcome: str,
    *,
    http_status: int | None = None,
    error: str | None = None,
    remote_id: str | None = None,
) -> None:
    s.execute(
        _stmt("finish"),
        {
            "p_id": post.id,
            "p_n": post.attempt,
            "p_outcome": outcome,
            "p_now": utcnow(),
            "p_status": http_status,
            "p_error": (error or None) and error[:2000],
            "p_rid": remote_id,
        },
    )


def _mine(post: _Post, statuses: tuple[str, ...] = (ContentStatus.PUBLISHING.value,)) -> Any:
    return sa.and_(C.id == post.id, C.attempts == post.attempt, C.status.in_(statuses))


def _settle_published(
    engine: Engine, post: _Post, remote_id: str, url: str, *, outcome: str = "published"
) -> None:
    """One commit: remote id/url + published. Nothing after this can re-create it."""

    def write(s: Session) -> None:
        now = utcnow()
        rc = s.execute(
            _stmt("published"),
            {
                "p_id": post.id,
                "p_rid": remote_id[:255],
                "p_url": (url or "")[:1000] or None,
                "p_now": now,
            },
        ).rowcount
        if rc != 1:
            log.warning("Post %s published as %s but its row moved on", post.id, remote_id)
        _finish_attempt(s, post, outcome, remote_id=remote_id[:255])
        if post.account_id:
            s.execute(_stmt("account_published"), {"p_aid": post.account_id, "p_now": now})

    _write(engine, write)


def _settle_failed(
    engine: Engine,
    post: _Post,
    message: str,
    *,
    outcome: str = "failed",
    http_status: int | None = None,
    detail: str | None = None,
    statuses: tuple[str, ...] = (ContentStatus.PUBLISHING.value,),
    notify_user: bool = True,
) -> None:
    now = utcnow()
    with Session(engine) as s:
        rc = s.execute(
            sa.update(CONTENT)
            .where(_mine(post, statuses))
            .values(
                status=ContentStatus.FAILED.value,
                last_error=message,
                lease_until=None,
                next_attempt_at=None,
                updated_at=now,
            )
        ).rowcount
        _finish_attempt(s, post, outcome, http_status=http_status, error=detail or message)
        if rc == 1 and notify_user:
            notify(
                post.user_id,
                KIND_PUBLISH_FAILED,
                f"A {platform_label(post.platform)} post was not published",
                f"“{post.title}”\n\n{message}",
                post_link(post.id),
                f"publish_failed:{post.id.hex}:{post.attempt}",
                session=s,
            )
        s.commit()


def _backoff(retries: int, retry_after: float | None) -> float:
    cfg = get_publishing_settings()
    expo = min(cfg.backoff_cap_s, cfg.backoff_base_s * (2 ** max(0, retries)))
    expo *= random.uniform(0.8, 1.2)
    return max(float(retry_after or 0.0), min(expo, cfg.backoff_cap_s))


def _settle_retry(engine: Engine, post: _Post, exc: Any) -> None:
    """Provably not landed: back to scheduled after a backoff, or failed at the cap."""
    cfg = get_publishing_settings()
    retry_after = getattr(exc, "retry_after", None)
    status = getattr(exc, "status", None)
    label = platform_label(post.platform)
    reason = getattr(exc, "message", str(exc))
    if status == 429 and retry_after:
        _pause_account(post.account_id, float(retry_after))
    retries = post.retries_so_far + 1
    if retry_after and retry_after > cfg.max_wait_s:
        hours = retry_after / 3600
        _settle_failed(
            engine,
            post,
            f"{label} asked us to wait {hours:.0f} hours before posting again "
            "(you have reached its limit). Press Retry later.",
            http_status=status,
            detail=reason,
        )
        return
    if retries > cfg.max_retries:
        what = "is limiting how often we can post" if status == 429 else "could not be reached"
        _settle_failed(
            engine,
            post,
            f"{label} {what}; we tried {retries} times. Nothing was posted. Press Retry "
            "to try again.",
            http_status=status,
            detail=reason,
        )
        return
    delay = _backoff(retries - 1, retry_after)
    now = utcnow()
    when = now + timedelta(seconds=delay)
    why = "is limiting how often we can post" if status == 429 else "did not answer"

    def write(s: Session) -> None:
        s.execute(
            sa.update(CONTENT)
            .where(_mine(post))
            .values(
                status=ContentStatus.SCHEDULED.value,
                next_attempt_at=when,
                lease_until=None,
                last_error=f"{label} {why}; nothing was posted. Trying again automatically "
                f"in {max(1, round(delay))} s.",
                updated_at=now,
            )
        )
        _finish_attempt(s, post, "retry", http_status=status, error=reason)

    _write(engine, write)


def _settle_auth(engine: Engine, post: _Post, exc: Any) -> None:
    label = platform_label(post.platform)
    reason = getattr(exc, "message", str(exc)) or "access was revoked"
    with Session(engine) as s:
        if post.account_id:
            _social_service().mark_needs_reconnect(post.account_id, reason, session=s)
        s.commit()
    # One notification for the account (above); the post says what to do.
    _settle_failed(
        engine,
        post,
        f"Your {label} account needs reconnecting, so this post was not published. "
        "Reconnect it on the Accounts page, then press Retry.",
        outcome="auth",
        http_status=getattr(exc, "status", None),
        detail=reason,
        notify_user=False,
    )


def _social_service() -> Any:
    from aigrowth.social import service as social

    return social


def _settle_needs_attention(
    engine: Engine,
    post: _Post,
    detail: str,
    *,
    statuses: tuple[str, ...] = (ContentStatus.PUBLISHING.value,),
) -> None:
    label = platform_label(post.platform)
    message = (
        f"We sent this post to {label} but could not confirm it went out ({label} did not "
        f"answer clearly). Please check your {label} profile: if the post is there, choose "
        "“It's published”; if it is not, press Retry. We keep checking in the background."
    )
    now = utcnow()
    post.publish_state.update(unknown_outcome=True, needs_attention_since=now.isoformat())
    with Session(engine) as s:
        rc = s.execute(
            sa.update(CONTENT)
            .where(_mine(post, statuses))
            .values(
                status=ContentStatus.NEEDS_ATTENTION.value,
                last_error=message,
                lease_until=None,
                next_attempt_at=None,
                publish_state=dict(post.publish_state),
                updated_at=now,
            )
        ).rowcount
        _finish_attempt(s, post, "unknown", error=detail)
        if rc == 1:
            notify(
                post.user_id,
                KIND_NEEDS_ATTENTION,
                f"Please check a {label} post",
                f"“{post.title}”\n\n{message}",
                post_link(post.id),
                f"needs_attention:{post.id.hex}:{post.attempt}",
                session=s,
            )
        s.commit()


def _lookup_and_settle(
    engine: Engine,
    post: _Post,
    connector: Any,
    ctx: Any,
    detail: str,
    *,
    statuses: tuple[str, ...] = (ContentStatus.PUBLISHING.value,),
) -> str:
    """After an unknown outcome: found → published; absent → scheduled; else attention."""
    cfg = get_publishing_settings()
    try:
        found = connector.lookup(ctx)
    except Exception as exc:  # cannot tell: the user decides, we keep checking
        log.info("Lookup of %s failed: %s", post.id, exc)
        if ContentStatus.NEEDS_ATTENTION.value in statuses:
            _release_reconcile(engine, post)
            return "needs_attention"
        _settle_needs_attention(engine, post, f"{detail}; lookup: {exc}", statuses=statuses)
        return "needs_attention"
    if found is not None:
        _settle_published(engine, post, found.remote_id, found.url, outcome="reconciled_found")
        return "published"
    # Confirmed absent: it never landed, so publishing again is safe.
    if post.retries_so_far + 1 > cfg.max_retries:
        _settle_failed(
            engine,
            post,
            f"{platform_label(post.platform)} kept failing while we posted; nothing was posted. "
            "Press Retry to try again.",
            outcome="reconciled_absent",
            detail=detail,
            statuses=statuses,
        )
        return "failed"
    now = utcnow()
    post.publish_state.pop("unknown_outcome", None)
    with Session(engine) as s:
        s.execute(
            sa.update(CONTENT)
            .where(_mine(post, statuses))
            .values(
                status=ContentStatus.SCHEDULED.value,
                next_attempt_at=now + timedelta(seconds=_backoff(post.retries_so_far, None)),
                lease_until=None,
                publish_state=dict(post.publish_state),
                last_error=None,
                updated_at=now,
            )
        )
        _finish_attempt(s, post, "reconciled_absent", error=detail)
        s.commit()
    return "scheduled"


def _release_reconcile(engine: Engine, post: _Post) -> None:
    with Session(engine) as s:
        s.execute(
            sa.update(CONTENT)
            .where(C.id == post.id, C.status == ContentStatus.NEEDS_ATTENTION.value)
            .values(lease_until=None)
        )
        s.commit()


def run_one(
    cid: uuid.UUID, n: int, *, engine: Engine | None = None, refs: dict | None = None
) -> str:
    """Publish one claimed post (attempt n). Returns what happened (for logs/tests)."""
    engine = engine or _default_engine()
    prepared = _prepare(engine, [(cid, n)])
    if not prepared:
        return "skipped"
    return _run_post(engine, prepared[0], refs)


def _run_post(engine: Engine, post: _Post, refs: dict | None = None) -> str:
    """Publish one prepared post: start the attempt, call the platform, settle."""
    from aigrowth.social.connectors.base import (
        AuthError,
        PermanentError,
        RetryableError,
        UnknownOutcomeError,
    )

    cid = post.id
    until = _LOCAL_PAUSES.get(post.account_id) if post.account_id else None
    if until is not None and until > time.time():
        # A 429 earlier in this job paused the account: wait, without an attempt.
        _write(
            engine,
            lambda s: _put_back(s, post, datetime.fromtimestamp(until, tz=utcnow().tzinfo)),
        )
        return "paused"
    if not _go(engine, post):
        return "skipped"
    label = platform_label(post.platform)
    if post.account_id is None:
        _settle_failed(
            engine, post, "No account is chosen for this post. Choose one, then press Retry."
        )
        return "failed"
    try:
        connector = _connector(post.platform)
        # Posts of one account in a job share its decrypted, fresh tokens.
        ref = (refs or {}).get(post.account_id)
        if ref is None or connector.needs_refresh(ref):
            ref = _account_ref(engine, post.account_id)
            if refs is not None:
                refs[post.account_id] = ref
    except AuthError as exc:
        _settle_auth(engine, post, exc)
        return "auth"
    except RetryableError as exc:  # token endpoint unreachable: nothing was posted
        _settle_retry(engine, post, exc)
        return "retry"
    except Exception as exc:
        log.exception("Could not prepare post %s", cid)
        if _is_vault_error(exc):
            _settle_auth(engine, post, exc)
            return "auth"
        _settle_failed(
            engine,
            post,
            f"We could not prepare this post for {label} ({type(exc).__name__}). "
            "Press Retry; if it keeps failing, reconnect the account.",
            detail=str(exc),
        )
        return "failed"
    ctx = _context(engine, post, ref)
    # A post whose earlier try may have landed is looked up before any new create.
    if post.publish_state.get("unknown_outcome"):
        try:
            found = connector.lookup(ctx)
        except Exception as exc:
            _settle_needs_attention(engine, post, f"lookup before retry: {exc}")
            return "needs_attention"
        if found is not None:
            _settle_published(engine, post, found.remote_id, found.url, outcome="reconciled_found")
            return "published"
        _set_state_flag(engine, post, unknown_outcome=False)
    for auth_try in range(2):
        try:
            # Mark "sent" before the call: a crash from here on is an unknown outcome.
            result = connector.publish(ctx)
        except AuthError as exc:
            if (
                auth_try == 0
                and not _is_reconnect(exc)
                and _force_refresh(engine, post, ref.access_token)
            ):
                ref = _account_ref(engine, post.account_id)
                if refs is not None:
                    refs[post.account_id] = ref
                ctx = _context(engine, post, ref)
                continue
            if refs is not None:
                refs.pop(post.account_id, None)
            _settle_auth(engine, post, exc)
            return "auth"
        except RetryableError as exc:
            _settle_retry(engine, post, exc)
            return "retry"
        except PermanentError as exc:
            _settle_failed(
                engine,
                post,
                f"{label} refused this post: {_platform_reason(exc.message)}",
                http_status=exc.status,
                detail=exc.message,
            )
            return "failed"
        except UnknownOutcomeError as exc:
            _set_state_flag(engine, post, unknown_outcome=True)
            return _lookup_and_settle(engine, post, connector, ctx, exc.message)
        except Exception as exc:  # a bug or an unclassified error after sending
            log.exception("Unexpected error publishing %s", cid)
            _set_state_flag(engine, post, unknown_outcome=True)
            return _lookup_and_settle(engine, post, connector, ctx, f"{type(exc).__name__}: {exc}")
        _settle_published(engine, post, result.remote_id, result.url)
        return "published"
    return "failed"  # pragma: no cover (loop always returns)


def _platform_reason(message: str) -> str:
    """The platform's own words: "Mastodon post failed (422): Text too long" → "Text
    too long" (the user already reads which platform refused it)."""
    head, sep, reason = message.partition("): ")
    if sep and head.rstrip().split(" (")[-1].isdigit() and reason.strip():
        return reason.strip()
    return message


def _is_reconnect(exc: Exception) -> bool:
    from aigrowth.social.connectors.base import ReconnectRequired

    return isinstance(exc, ReconnectRequired)


def _is_vault_error(exc: Exception) -> bool:
    from aigrowth.social.vault import VaultError

    return isinstance(exc, VaultError)


def _force_refresh(engine: Engine, post: _Post, stale_token: str) -> bool:
    """A 401 on create was rejected before doing anything: refresh once and try again."""
    from aigrowth.social import service as social

    if post.account_id is None:
        return False
    try:
        with Session(engine) as s:
            social.ensure_fresh_token(
                post.account_id, session=s, force=True, stale_access_token=stale_token
            )
            s.commit()
        return True
    except Exception as exc:
        log.info("Forced refresh of %s failed: %s", post.account_id, exc)
        return False


def publish_posts(
    items: list[tuple[str, int]], *, engine: Engine | None = None, threads: int | None = None
) -> dict[str, int]:
    """Run a batch of claimed posts concurrently (the body of a publish job).

    Platform latency dominates, so posts run in a thread pool. Posts of one account
    run one after another (each account is a chain: its next post is queued when the
    previous one settles), which keeps within per-account rate limits and lets a 429
    pause the rest of that account's posts instead of hammering it, while the pool
    interleaves accounts so no thread idles while others still have work. The posts'
    small writes share commits (group commit); each one is committed before the
    thread moves on, exactly as with one commit per write.
    """
    engine = engine or _default_engine()
    cfg = get_publishing_settings()
    parsed = [(uuid.UUID(str(cid)), int(n)) for cid, n in items]
    results: dict[str, int] = defaultdict(int)
    own = id(engine) not in _COMMITTERS
    committer = GroupCommitter(engine).__enter__() if own else _COMMITTERS[id(engine)]
    if own:
        _COMMITTERS[id(engine)] = committer
    try:
        posts = _prepare(engine, parsed)
        if len(posts) < len(parsed):
            results["skipped"] += len(parsed) - len(posts)
        chains: dict[Any, list[_Post]] = defaultdict(list)
        for post in posts:
            chains[post.account_id or post.id].append(post)
        workers = max(1, min(threads or cfg.threads, len(chains)))
        if workers == 1:
            for chain in chains.values():
                refs: dict = {}
                for post in chain:
                    results[_run_guarded(engine, post, refs)] += 1
        else:
            _run_chains(engine, list(chains.values()), workers, results)
    finally:
        if own:
            _COMMITTERS.pop(id(engine), None)
            committer.close()
    return dict(results)


def _run_guarded(engine: Engine, post: _Post, refs: dict) -> str:
    try:
        return _run_post(engine, post, refs)
    except Exception:  # one post's crash must not stop the others
        log.exception("Publishing %s attempt %d crashed", post.id, post.attempt)
        return "crashed"


def _run_chains(
    engine: Engine, chains: list[list[_Post]], workers: int, results: dict[str, int]
) -> None:
    """Each chain's posts in order; chains interleaved on `workers` threads."""
    lock = threading.Lock()
    done = threading.Event()
    left = [len(chains)]
    errors: list[BaseException] = []

    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="publish") as pool:

        def step(chain: list[_Post], index: int, refs: dict) -> None:
            try:
                outcome = _run_guarded(engine, chain[index], refs)
                with lock:
                    results[outcome] += 1
                if index + 1 < len(chain):
                    pool.submit(step, chain, index + 1, refs)
                    return
            except BaseException as exc:  # pragma: no cover (guarded above)
                errors.append(exc)
            with lock:
                left[0] -= 1
                if left[0] == 0:
                    done.set()

        for chain in chains:
            pool.submit(step, chain, 0, {})
        done.wait()
    if errors:
        raise errors[0]


# ------------------------------------------------------------------------ reconciler
def reconcile(*, engine: Engine | None = None, now: datetime | None = None) -> dict[str, int]:
    """Free expired leases and settle unknown outcomes by looking posts up. Idempotent.

    - lease expired, no attempt row → the job never started: back to `scheduled`.
    - lease expired, attempt started → it may have landed: lookup decides.
    - needs_attention (unknown outcome) → looked up again, for a day.
    """
    from aigrowth.notifications.service import send_pending_emails

    engine = engine or _default_engine()
    now = now or utcnow()
    cfg = get_publishing_settings()
    stats: dict[str, int] = defaultdict(int)
    with Session(engine) as s:
        expired = s.execute(
            sa.select(C.id, C.attempts).where(
                C.status == ContentStatus.PUBLISHING.value, C.lease_until < now
            )
        ).all()
        attention = s.execute(
            sa.select(C.id, C.attempts).where(
                C.status == ContentStatus.NEEDS_ATTENTION.value,
                sa.or_(C.lease_until.is_(None), C.lease_until < now),
                C.updated_at >= now - timedelta(days=1),
            )
        ).all()
    for cid, n in expired:
        with Session(engine) as s:
            released = _release_unstarted(s, cid, n, require_expired=True, now=now)
            s.commit()
        if released:
            stats["released"] += 1
            continue
        outcome = _reconcile_started(engine, cid, n, ContentStatus.PUBLISHING.value, now)
        stats[outcome] += 1
    for cid, n in attention:
        outcome = _reconcile_started(engine, cid, n, ContentStatus.NEEDS_ATTENTION.value, now)
        stats[f"attention_{outcome}"] += 1
    try:
        stats["emails"] = send_pending_emails(engine=engine)
    except Exception:
        log.exception("Pending notification emails not sent")
    _ = cfg
    return dict(stats)


def _reconcile_started(engine: Engine, cid: uuid.UUID, n: int, status: str, now: datetime) -> str:
    cfg = get_publishing_settings()
    with Session(engine, expire_on_commit=False) as s:
        # Take the row for this reconciler run (another reconciler skips it).
        rc = s.execute(
            sa.update(CONTENT)
            .where(
                C.id == cid,
                C.status == status,
                C.attempts == n,
                sa.or_(C.lease_until.is_(None), C.lease_until < now),
            )
            .values(lease_until=now + timedelta(seconds=cfg.lease_s))
        ).rowcount
        if rc != 1:
            s.rollback()
            return "busy"
        row = s.execute(
            sa.select(CONTENT, Business.__table__.c.user_id)
            .join(Business.__table__, Business.__table__.c.id == C.business_id)
            .where(C.id == cid)
        ).one()
        if status == ContentStatus.PUBLISHING.value:
            s.execute(
                sa.update(ATTEMPTS)
                .where(A.content_id == cid, A.attempt_no == n, A.outcome.is_(None))
                .values(outcome="unknown", finished_at=now, error="worker lost (lease expired)")
            )
        retries = s.execute(
            sa.select(sa.func.count())
            .select_from(ATTEMPTS)
            .where(A.content_id == cid, A.outcome.in_(["retry", "reconciled_absent"]))
        ).scalar_one()
        s.commit()
    content = row._mapping
    post = _Post(
        id=cid,
        attempt=n,
        platform=content["platform"],
        text=content["text"] or "",
        hashtags=list(content["hashtags"] or []),
        media=list(content["media"] or []),
        thread=list(content["thread_parts"] or []),
        idempotency_key=content["idempotency_key"] or "",
        publish_state=dict(content["publish_state"] or {}),
        account_id=content["social_account_id"],
        user_id=row[-1],
        title=(content["title"] or content["text"] or "")[:60],
        retries_so_far=int(retries),
    )
    statuses = (status,)
    try:
        if post.account_id is None:
            raise RuntimeError("no account")
        connector = _connector(post.platform)
        ref = _account_ref(engine, post.account_id)
    except Exception as exc:
        if status == ContentStatus.NEEDS_ATTENTION.value:
            _release_reconcile(engine, post)
            return "needs_attention"
        _settle_needs_attention(engine, post, f"worker lost; cannot look up: {exc}")
        return "needs_attention"
    ctx = _context(engine, post, ref)
    if status == ContentStatus.PUBLISHING.value:
        _set_state_flag(engine, post, unknown_outcome=True)
    return _lookup_and_settle(
        engine, post, connector, ctx, "worker lost (lease expired)", statuses=statuses
    )
