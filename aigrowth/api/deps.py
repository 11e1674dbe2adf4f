"""Request dependencies: the database session, the calling key (and its rate limit).

Only ``Authorization: Bearer <key>`` authenticates; cookies are never read here, so a
browser's session cannot be used against /api/v1 (no CSRF surface). Every dependency
does its blocking work in the thread pool, off the event loop, in as few hops as
possible (each hop costs a thread switch under load).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from aigrowth.api import ratelimit
from aigrowth.api.keys import Principal, authenticate
from aigrowth.api.problems import ApiProblem
from aigrowth.db import get_engine

bearer = HTTPBearer(
    auto_error=False,
    scheme_name="ApiKey",
    description="An API key from Settings → API keys: `Authorization: Bearer agm_…`.",
)
CHALLENGE = {"WWW-Authenticate": 'Bearer realm="api"'}


def _finish(session: Session, ok: bool) -> None:
    try:
        if ok:
            session.commit()
    finally:
        session.close()


async def get_db() -> AsyncIterator[Session]:
    """A session for the request. Creating one touches no connection, so only the end
    (commit and close, one thread-pool hop) leaves the event loop."""
    session = Session(get_engine(), expire_on_commit=False)
    ok = False
    try:
        yield session
        ok = True
    finally:
        await run_in_threadpool(_finish, session, ok)


Db = Annotated[Session, Depends(get_db)]


def _check(raw: str, session: Session) -> tuple[Principal | None, ratelimit.Window | None]:
    who = authenticate(raw, session=session)
    return who, (ratelimit.hit(who.key_id) if who is not None else None)


async def principal(
    request: Request,
    response: Response,
    db: Db,
    creds: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Principal:
    """The key's owner, after the key's rate limit (429 when the window is used up).
    The database and Redis look-ups run in one thread-pool hop."""
    if creds is None or creds.scheme.lower() != "bearer" or not creds.credentials:
        raise ApiProblem(
            "unauthorized",
            "Send an API key as 'Authorization: Bearer <key>'. Create one in Settings.",
            headers=CHALLENGE,
        )
    who, window = await run_in_threadpool(_check, creds.credentials.strip(), db)
    if who is None or window is None:
        raise ApiProblem(
            "unauthorized", "This API key is not valid or was revoked.", headers=CHALLENGE
        )
    if not window.allowed:
        raise ApiProblem(
            "rate-limited",
            f"This key made more than {window.limit} requests this minute. "
            f"Try again in {window.reset_s} s.",
            headers=window.headers(),
        )
    response.headers.update(window.headers())
    request.state.principal = who
    return who


async def writer(who: Annotated[Principal, Depends(principal)]) -> Principal:
    """The caller, who must hold a read-and-write key."""
    if not who.can_write:
        raise ApiProblem(
            "forbidden-scope", "This key is read-only. Create a read-and-write key in Settings."
        )
    return who


Reader = Annotated[Principal, Depends(principal)]
Writer = Annotated[Principal, Depends(writer)]
