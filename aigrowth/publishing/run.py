"""Running claimed posts: the body of a publish job.

One job runs a batch of claimed posts on a thread pool (platform latency dominates).
Posts of one account run one after another (a chain), which keeps within per-account
rate limits and lets a 429 pause the rest of that account's posts; the pool
interleaves accounts. A `LeaseKeeper` keeps every post of the job leased while the job
holds it, and the posts' small writes share commits (`groupcommit`), each committed
before its thread moves on.

Per post: start the attempt (one commit: claim confirmed, lease renewed, attempt row,
idempotency key), get fresh tokens through `social.service`, look the post up first if
an earlier try may have landed, create it (the connector re-checks the claim right
before the create call), settle. `ClaimLost` anywhere stops the work on that post.

On SIGTERM (`request_drain`) a job finishes the posts already in flight and hands the
others back to `scheduled` (no attempt row: nothing was sent), due at once, so a
restart loses and duplicates nothing.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import uuid
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from redis.exceptions import RedisError
from sqlalchemy.engine import Engine
from sqlmodel import Session

from aigrowth.businesses.models import Business
from aigrowth.content.images import ImageError, platform_copy
from aigrowth.content.models import ContentStatus
from aigrowth.db import get_engine
from aigrowth.publishing import statements as sql
from aigrowth.publishing.clock import db_now
from aigrowth.publishing.config import get_publishing_settings
from aigrowth.publishing.fence import ClaimLost, LeaseKeeper, check_claim, params
from aigrowth.publishing.groupcommit import job_committer, write
from aigrowth.publishing.pauses import local_pause, paused_accounts
from aigrowth.publishing.posts import (
    FOR_KEY,
    HAD_UNKNOWN_KEY,
    UNKNOWN_KEY,
    Post,
    fingerprint,
    post_from_row,
)
from aigrowth.publishing.settle import (
    CannotTell,
    look_up,
    settle_auth,
    settle_failed,
    settle_needs_attention,
    settle_published,
    settle_retry,
    settle_unknown,
)
from aigrowth.settings import get_settings
from aigrowth.social import service as social
from aigrowth.social.connectors.base import (
    AccountRef,
    AuthError,
    Connector,
    DuplicateError,
    Media,
    PermanentError,
    PublishContext,
    PublishResult,
    RetryableError,
    UnknownOutcomeError,
    get_connector,
)
from aigrowth.social.models import platform_label
from aigrowth.social.vault import VaultError

log = logging.getLogger(__name__)
C, A = sql.C, sql.A
B = Business.__table__.c

# Set by the worker's SIGTERM handler: finish posts in flight, hand back the rest.
DRAIN = threading.Event()
# Outcomes of an earlier attempt that count towards the automatic-retry cap.
RETRY_OUTCOMES = ("retry", "reconciled_absent", "unknown")


def request_drain() -> None:
    DRAIN.set()


def publish_posts(
    items: list[tuple[str, int]], *, engine: Engine | None = None, threads: int | None = None
) -> dict[str, int]:
    """Run a batch of claimed posts: items are (content id hex, attempt number)."""
    engine = engine or get_engine()
    cfg = get_publishing_settings()
    parsed = [(uuid.UUID(str(cid)), int(n)) for cid, n in items]
    results: dict[str, int] = defaultdict(int)
    with job_committer(engine), LeaseKeeper(engine) as keeper:
        posts = prepare(engine, parsed)
        keeper.hold(posts)
        results["skipped"] += len(parsed) - len(posts)
        chains: dict[Any, list[Post]] = defaultdict(list)
        for post in posts:
            chains[post.account_id or post.id].append(post)
        workers = max(1, min(threads or cfg.threads, len(chains)))
        if workers == 1:
            for chain in chains.values():
                refs: dict[uuid.UUID, AccountRef] = {}
                for post in chain:
                    results[_run_guarded(engine, post, keeper, refs)] += 1
        else:
            _run_chains(engine, list(chains.values()), workers, keeper, results)
    return {k: v for k, v in results.items() if v}


def _run_chains(
    engine: Engine,
    chains: list[list[Post]],
    workers: int,
    keeper: LeaseKeeper,
    results: dict[str, int],
) -> None:
    """Each chain's posts in order; chains interleaved on `workers` threads."""
    lock = threading.Lock()
    done = threading.Event()
    left = [len(chains)]

    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="publish") as pool:

        def step(chain: list[Post], index: int, refs: dict[uuid.UUID, AccountRef]) -> None:
            outcome = _run_guarded(engine, chain[index], keeper, refs)
            with lock:
                results[outcome] += 1
            if index + 1 < len(chain):
                pool.submit(step, chain, index + 1, refs)
                return
            with lock:
                left[0] -= 1
                if left[0] == 0:
                    done.set()

        for chain in chains:
            pool.submit(step, chain, 0, {})
        done.wait()


def _run_guarded(
    engine: Engine, post: Post, keeper: LeaseKeeper, refs: dict[uuid.UUID, AccountRef]
) -> str:
    """One post; whatever happens, it never stops the other posts of the job."""
    try:
        return run_post(engine, post, keeper.owner, refs)
    except ClaimLost as exc:
        log.warning("Stopped work on a post: %s", exc)
        return "claim_lost"
    except Exception:
        log.exception("Publishing %s attempt %d crashed", post.id, post.attempt)
        return "crashed"
    finally:
        keeper.release(post)


# -------------------------------------------------------------------- prepare
def prepare(engine: Engine, items: list[tuple[uuid.UUID, int]]) -> list[Post]:
    """Load a batch of claimed posts with a few queries instead of a few per post.

    A post no longer claimed by attempt n (stale or duplicate job) is dropped. Posts
    that must wait (account paused by a 429, or an earlier attempt still in flight)
    are handed back here, without an attempt row. The attempt itself starts right
    before the platform call (`start_attempt`).
    """
    if not items:
        return []
    cfg = get_publishing_settings()
    now = db_now(engine)
    wanted = dict(items)
    rows: dict[uuid.UUID, Any] = {}
    in_flight: set[uuid.UUID] = set()
    retries: dict[uuid.UUID, int] = {}
    ids = list(wanted)
    with Session(engine) as s:
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            for row in s.execute(
                sa.select(sql.CONTENT, B.user_id)
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
                    in_flight.add(cid)
            for cid, count in s.execute(
                sa.select(A.content_id, sa.func.count())
                .where(A.content_id.in_(chunk), A.outcome.in_(RETRY_OUTCOMES))
                .group_by(A.content_id)
            ):
                retries[cid] = int(count)
    posts: list[Post] = []
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
        posts.append(post_from_row(content, row[-1], retries=retries.get(cid, 0)))
    paused = paused_accounts({p.account_id for p in posts if p.account_id is not None})
    ready: list[Post] = []
    for post in posts:
        if post.account_id in paused:
            # The platform asked us to wait: no call, no attempt row, back in line.
            hand_back(engine, post, datetime.fromtimestamp(paused[post.account_id], UTC))
        elif post.id in in_flight:
            # Never two attempts at once: wait for the earlier one to settle.
            log.warning("Post %s attempt %d waits for an earlier attempt", post.id, post.attempt)
            hand_back(engine, post, now + timedelta(seconds=cfg.backoff_base_s))
        else:
            ready.append(post)
    return ready


def hand_back(engine: Engine, post: Post, until: datetime | None) -> None:
    """publishing → scheduled, not started (no attempt row), due again at `until`."""

    def store(s: Session) -> None:
        s.execute(
            sa.update(sql.CONTENT)
            .where(C.id == post.id, C.attempts == post.attempt, C.status == post.held_status)
            .values(
                status=ContentStatus.SCHEDULED.value,
                lease_until=None,
                lease_owner=None,
                next_attempt_at=until,
            )
        )

    write(engine, store)


# ------------------------------------------------------------------ one post
def start_attempt(engine: Engine, post: Post, owner: str) -> bool:
    """Start attempt n right before the platform call, in ONE commit: confirm the
    claim, renew the lease, store the idempotency key and prepared state, insert the
    attempt row. False (no call may be made) when the claim moved on or this attempt
    already started elsewhere (a duplicate job).

    Prepared platform state (containers, uploaded media, keys) belongs to the content
    it was prepared from: when text, media or account changed since, it is dropped."""
    cfg = get_publishing_settings()
    current = fingerprint(post)
    prepared_for = post.publish_state.get(FOR_KEY)
    if prepared_for != current:
        if prepared_for and post.unknown_outcome:
            # An earlier version may be live: never post the new one blindly.
            post.extra["edited_while_unknown"] = True
        else:
            post.publish_state = {FOR_KEY: current}
            post.idempotency_key = ""
    post.idempotency_key = post.idempotency_key or uuid.uuid4().hex

    def start(s: Session) -> None:
        now = db_now(s)
        values = params(
            post,
            p_now=now,
            p_lease=now + timedelta(seconds=cfg.lease_s),
            p_owner=owner,
            p_key=post.idempotency_key,
            p_state=dict(post.publish_state),
        )
        if s.execute(sql.start(), values).first() is None:
            raise ClaimLost("claim moved on")
        attempt = {"p_id": post.id, "p_n": post.attempt, "p_now": now, "p_aid": uuid.uuid4()}
        if s.execute(sql.attempt(s.get_bind().dialect.name), attempt).first() is None:
            raise ClaimLost("attempt already started by another job")  # rolls back

    try:
        write(engine, start)
    except ClaimLost as exc:
        log.info("Attempt %d of %s not started: %s", post.attempt, post.id, exc)
        return False
    return True


def run_post(
    engine: Engine, post: Post, owner: str, refs: dict[uuid.UUID, AccountRef] | None = None
) -> str:
    """Publish one prepared post; returns what happened (for logs and tests)."""
    refs = {} if refs is None else refs
    until = local_pause(post.account_id)
    if until is not None:  # a 429 earlier in this job paused the account
        hand_back(engine, post, datetime.fromtimestamp(until, UTC))
        return "paused"
    if DRAIN.is_set():  # shutting down: someone else takes it, at once
        hand_back(engine, post, None)
        return "handed_back"
    if not start_attempt(engine, post, owner):
        return "skipped"
    label = platform_label(post.platform)
    if post.account_id is None:
        settle_failed(engine, post, "No account is chosen for this post. Choose one, then Retry.")
        return "failed"
    if post.extra.get("edited_while_unknown"):
        settle_needs_attention(
            engine,
            post,
            "edited while an earlier try was unconfirmed",
            f"This post was changed while we were still checking whether the earlier version "
            f"went out on {label}. Please check your {label} profile: if the earlier version "
            "is there, choose “It's published”; otherwise press Retry to post this version.",
        )
        return "needs_attention"
    connector = get_connector(post.platform)
    try:
        ref = fresh_ref(engine, post.account_id, connector, refs)
    except AuthError as exc:
        settle_auth(engine, post, exc)
        return "auth"
    except VaultError as exc:
        settle_auth(engine, post, exc)
        return "auth"
    except RetryableError as exc:  # token endpoint unreachable: nothing was posted
        settle_retry(engine, post, exc)
        return "retry"
    except RedisError as exc:  # the refresh lock could not be taken: nothing was sent
        settle_retry(engine, post, RetryableError(f"token store unavailable ({exc})"))
        return "retry"
    except Exception as exc:
        log.exception("Could not prepare post %s", post.id)
        settle_failed(
            engine,
            post,
            f"We could not prepare this post for {label} ({type(exc).__name__}). "
            "Press Retry; if it keeps failing, reconnect the account.",
            detail=str(exc),
        )
        return "failed"
    try:
        media = platform_media(post)
    except ImageError as exc:  # the editor shows this before scheduling; never send it
        settle_failed(engine, post, f"{label} cannot take an attached image: {exc}")
        return "failed"
    ctx = publish_context(engine, post, ref, media)
    if post.unknown_outcome:  # an earlier try may have landed: look before creating
        try:
            found = look_up(connector, ctx, twice=True)
        except CannotTell as exc:
            settle_needs_attention(engine, post, f"lookup before retry: {exc}")
            return "needs_attention"
        if found is not None:
            settle_published(engine, post, found, outcome="reconciled_found")
            return "published"
        post.publish_state.pop(UNKNOWN_KEY, None)
        ctx.save_state(dict(post.publish_state))
    return _create(engine, post, connector, ctx, refs)


def _create(
    engine: Engine,
    post: Post,
    connector: Connector,
    ctx: PublishContext,
    refs: dict[uuid.UUID, AccountRef],
) -> str:
    label = platform_label(post.platform)
    assert post.account_id is not None

    def create(ref: AccountRef) -> PublishResult:
        refs[ref_key] = ref
        return connector.publish(dataclasses.replace(ctx, account=ref))

    ref_key = post.account_id
    try:
        with Session(engine) as s:
            result = social.call_with_account(post.account_id, create, session=s, ref=ctx.account)
    except ClaimLost:
        raise
    except AuthError as exc:
        refs.pop(post.account_id, None)
        settle_auth(engine, post, exc)
        return "auth"
    except RetryableError as exc:
        settle_retry(engine, post, exc)
        return "retry"
    except DuplicateError as exc:
        if post.publish_state.get(HAD_UNKNOWN_KEY):
            # An earlier try was unconfirmed and the platform says it has this post:
            # it landed. Find it and store it; never fail or post it again.
            return _settle_duplicate(engine, post, connector, ctx, exc)
        settle_failed(
            engine,
            post,
            f"{label} refused this post: {_platform_reason(exc.message)}",
            http_status=exc.status,
            detail=exc.message,
        )
        return "failed"
    except PermanentError as exc:
        settle_failed(
            engine,
            post,
            f"{label} refused this post: {_platform_reason(exc.message)}",
            http_status=exc.status,
            detail=exc.message,
        )
        return "failed"
    except UnknownOutcomeError as exc:
        return settle_unknown(engine, post, connector, ctx, exc.message)
    except Exception as exc:  # a bug or an unclassified error after sending
        log.exception("Unexpected error publishing %s", post.id)
        return settle_unknown(engine, post, connector, ctx, f"{type(exc).__name__}: {exc}")
    settle_published(engine, post, result)
    return "published"


def _settle_duplicate(
    engine: Engine, post: Post, connector: Connector, ctx: PublishContext, exc: DuplicateError
) -> str:
    detail = exc.message
    found: PublishResult | None = None
    if exc.remote_id:  # LinkedIn names the post it already has
        found = PublishResult(remote_id=exc.remote_id, url=exc.url)
    else:
        try:
            found = look_up(connector, ctx, twice=True)
        except CannotTell:
            found = None
    if found is not None:
        settle_published(engine, post, found, outcome="reconciled_found")
        return "published"
    label = platform_label(post.platform)
    settle_needs_attention(
        engine,
        post,
        f"duplicate answer, not found yet: {detail}",
        f"{label} says this post is already on your profile, but we could not find it yet. "
        f"Please check your {label} profile and choose “It's published”; we keep checking "
        "in the background.",
    )
    return "needs_attention"


def _platform_reason(message: str) -> str:
    """The platform's own words: "Mastodon post failed (422): Text too long" → "Text
    too long" (the user already reads which platform refused it)."""
    head, sep, reason = message.partition("): ")
    if sep and head.rstrip().split(" (")[-1].isdigit() and reason.strip():
        return reason.strip()
    return message


def fresh_ref(
    engine: Engine, account_id: uuid.UUID, connector: Connector, refs: dict[uuid.UUID, AccountRef]
) -> AccountRef:
    """Posts of one account in a job share its decrypted, fresh tokens; refreshing goes
    through `social.service` (serialised per account; a dead grant raises)."""
    ref = refs.get(account_id)
    if ref is None or connector.needs_refresh(ref):
        with Session(engine, expire_on_commit=False) as s:
            ref = social.ensure_fresh_token(account_id, session=s)
            s.commit()
        refs[account_id] = ref
    return ref


def publish_context(
    engine: Engine,
    post: Post,
    ref: AccountRef,
    media: list[Media] | None = None,
) -> PublishContext:
    """The connector's view of the post, wired to the fence: state saves and the
    pre-create check are conditioned on this worker's claim. `media`: the files as the
    platform takes them (`platform_media`); by default the images as stored (lookups)."""

    def save_state(state: dict[str, Any]) -> None:
        snapshot = dict(state)
        if state is not post.publish_state:  # one dict shared by post and context
            post.publish_state.clear()
            post.publish_state.update(snapshot)

        def store(s: Session) -> object:
            values = params(post, p_state=snapshot, p_now=db_now(s))
            return s.execute(sql.save_state(), values).first()

        if write(engine, store) is None:
            raise ClaimLost(f"post {post.id} attempt {post.attempt} is no longer ours")

    if media is None:
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
        account=ref,
        text=post.text,
        hashtags=post.hashtags,
        media=media,
        thread=post.thread,
        idempotency_key=post.idempotency_key,
        publish_state=post.publish_state,
        save_state=save_state,
        before_create=lambda: check_claim(engine, post),
    )


def platform_media(post: Post) -> list[Media]:
    """Each attached image as this platform takes it: our own files are cleaned of
    metadata (GPS never goes out) and fitted to the platform's limits, once, beside the
    original (content.images.platform_copy); images we do not hold go as they are."""
    settings = get_settings()
    out: list[Media] = []
    for item in post.media:
        if not isinstance(item, dict):
            continue
        stored = str(item.get("stored_name") or "")
        source = Path(settings.media_dir) / stored if stored else Path(str(item.get("path") or ""))
        alt = str(item.get("alt") or "")
        if str(source) not in ("", ".") and source.is_file():
            path, mime = platform_copy(post.platform, source)
            url = f"{settings.effective_api_url}/media/{path.name}" if stored else ""
            out.append(Media(url=url, path=str(path), alt=alt, mime_type=mime))
        else:
            mime = str(item.get("mime_type") or item.get("content_type") or "")
            out.append(Media(url=str(item.get("url") or ""), alt=alt, mime_type=mime))
    return out
