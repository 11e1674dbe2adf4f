"""``Idempotency-Key`` on every POST: the same key and body get the first answer.

Records live in the database (DESIGN §2: nothing that matters only in Redis), one per
(API key, Idempotency-Key). The row is inserted *before* the request runs; its unique
constraint decides which of several concurrent requests runs: the others wait for its
answer and replay it (20 identical POSTs at once create one object). The same key with
a different method, path or body answers 422. Answers that say "try again"
(429, 5xx) are not kept, so a retry runs again. Records expire after 24 hours.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta

import sqlalchemy as sa
from fastapi import Request
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from aigrowth.api.keys import lookup
from aigrowth.api.models import IdempotencyRecord
from aigrowth.api.problems import ApiProblem, problem_response
from aigrowth.db import get_engine
from aigrowth.dbtypes import utcnow

HEADER = "idempotency-key"
MAX_KEY_LEN = 255
TTL = timedelta(hours=24)
# A claim older than this with no answer belongs to a process that died: taken over.
STALE = timedelta(minutes=2)
WAIT_S = 30.0
POLL_S = 0.05
KEPT_HEADERS = ("content-type", "location")


def fingerprint(method: str, path: str, query: str, body: bytes) -> str:
    h = hashlib.sha256()
    for part in (method.encode(), path.encode(), query.encode(), body):
        h.update(len(part).to_bytes(8, "big"))
        h.update(part)
    return h.hexdigest()


def _claim(key_id, key: str, fp: str) -> tuple[str, IdempotencyRecord | None]:
    """("run", record) when this request runs; ("seen", record) when one exists."""
    for _ in range(3):
        with Session(get_engine(), expire_on_commit=False) as s:
            row = IdempotencyRecord(api_key_id=key_id, key=key, fingerprint=fp)
            s.add(row)
            try:
                s.commit()
                return "run", row
            except IntegrityError:
                s.rollback()
            found = s.exec(
                select(IdempotencyRecord).where(
                    IdempotencyRecord.api_key_id == key_id, IdempotencyRecord.key == key
                )
            ).first()
            if found is None:  # released meanwhile: claim again
                continue
            now = utcnow()
            expired = found.created_at < now - TTL
            abandoned = found.status_code is None and found.created_at < now - STALE
            if not (expired or abandoned):
                return "seen", found
            s.execute(
                sa.delete(IdempotencyRecord).where(
                    col(IdempotencyRecord.id) == found.id,
                    col(IdempotencyRecord.created_at) == found.created_at,
                )
            )
            s.commit()
    return "seen", None


def _reload(record_id) -> IdempotencyRecord | None:
    with Session(get_engine(), expire_on_commit=False) as s:
        return s.get(IdempotencyRecord, record_id)


def _store(record_id, response: Response, body: bytes) -> None:
    headers = {k: v for k, v in response.headers.items() if k.lower() in KEPT_HEADERS}
    with Session(get_engine()) as s:
        s.execute(
            sa.update(IdempotencyRecord)
            .where(col(IdempotencyRecord.id) == record_id)
            .values(
                status_code=response.status_code,
                response_headers=headers,
                response_body=body.decode("utf-8", "replace"),
            )
        )
        s.commit()


def _release(record_id) -> None:
    with Session(get_engine()) as s:
        s.execute(sa.delete(IdempotencyRecord).where(col(IdempotencyRecord.id) == record_id))
        s.commit()


def _key_id(request: Request):
    auth = request.headers.get("authorization", "")
    scheme, _, raw = auth.partition(" ")
    if scheme.lower() != "bearer" or not raw.strip():
        return None
    with Session(get_engine()) as s:
        row = lookup(raw.strip(), session=s)
        return row.id if row else None


def _replay(record: IdempotencyRecord) -> Response:
    headers = dict(record.response_headers or {})
    headers["Idempotent-Replayed"] = "true"
    media = headers.pop("content-type", None)
    return Response(
        content=record.response_body.encode(),
        status_code=record.status_code or 200,
        headers=headers,
        media_type=media,
    )


def purge(*, session: Session) -> int:
    """Delete records older than the TTL (called by the periodic webhook job)."""
    hit = session.execute(
        sa.delete(IdempotencyRecord).where(col(IdempotencyRecord.created_at) < utcnow() - TTL)
    ).rowcount
    session.commit()
    return int(hit or 0)


async def guard(request: Request, run: Callable[[], Awaitable[Response]]) -> Response:
    """Run a POST once per Idempotency-Key (or just run it when there is no key)."""
    key = request.headers.get(HEADER)
    if request.method != "POST" or key is None:
        return await run()
    if not key.strip() or len(key) > MAX_KEY_LEN:
        return problem_response(
            ApiProblem(
                "invalid-request", f"Idempotency-Key must be 1 to {MAX_KEY_LEN} characters."
            ),
            instance=request.url.path,
        )
    key_id = await run_in_threadpool(_key_id, request)
    if key_id is None:  # no valid key: the route answers 401, nothing to remember
        return await run()
    body = await request.body()
    fp = fingerprint(request.method, request.url.path, request.url.query, body)
    outcome, record = await run_in_threadpool(_claim, key_id, key, fp)
    if outcome == "seen":
        if record is not None and record.fingerprint != fp:
            return problem_response(
                ApiProblem(
                    "idempotency-key-reused",
                    "This Idempotency-Key was used for a different request. Use a new key.",
                ),
                instance=request.url.path,
            )
        deadline = time.monotonic() + WAIT_S
        while record is not None and record.status_code is None and time.monotonic() < deadline:
            await asyncio.sleep(POLL_S)
            record = await run_in_threadpool(_reload, record.id)
        if record is None or record.status_code is None:
            return problem_response(
                ApiProblem(
                    "idempotency-in-progress",
                    "The first request with this Idempotency-Key has not finished; retry later.",
                    headers={"Retry-After": "1"},
                ),
                instance=request.url.path,
            )
        return _replay(record)
    assert record is not None
    try:
        response = await run()
    except BaseException:
        await run_in_threadpool(_release, record.id)
        raise
    if response.status_code == 429 or response.status_code >= 500:
        await run_in_threadpool(_release, record.id)
        return response
    content = bytes(getattr(response, "body", b""))
    await run_in_threadpool(_store, record.id, response, content)
    return response
