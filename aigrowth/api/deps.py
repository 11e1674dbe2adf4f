"""Request dependencies: the database session, the calling key (and its rate limit).

Only ``Authorization: Bearer <key>`` authenticates; cookies are never read here, so a
browser's session cannot be used against /api/v1 (no CSRF surface). Every dependency
is a plain ``def``: FastAPI runs it in its thread pool, off the event loop.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlmodel import Session

from aigrowth.api import ratelimit
from aigrowth.api.keys import Principal, authenticate
from aigrowth.api.problems import ApiProblem
from aigrowth.db import session_scope

bearer = HTTPBearer(
    auto_error=False,
    scheme_name="ApiKey",
    description="An API key from Settings → API keys: `Authorization: Bearer agm_…`.",
)
CHALLENGE = {"WWW-Authenticate": 'Bearer realm="api"'}


def get_db() -> Iterator[Session]:
    with session_scope() as session:
        yield session


Db = Annotated[Session, Depends(get_db)]


def principal(
    request: Request,
    response: Response,
    db: Db,
    creds: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Principal:
    """The key's owner, after the key's rate limit (429 when the window is used up)."""
    if creds is None or creds.scheme.lower() != "bearer" or not creds.credentials:
        raise ApiProblem(
            "unauthorized",
            "Send an API key as 'Authorization: Bearer <key>'. Create one in Settings.",
            headers=CHALLENGE,
        )
    who = authenticate(creds.credentials.strip(), session=db)
    if who is None:
        raise ApiProblem(
            "unauthorized", "This API key is not valid or was revoked.", headers=CHALLENGE
        )
    window = ratelimit.hit(who.key_id)
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


def writer(who: Annotated[Principal, Depends(principal)]) -> Principal:
    """The caller, who must hold a read-and-write key."""
    if not who.can_write:
        raise ApiProblem(
            "forbidden-scope", "This key is read-only. Create a read-and-write key in Settings."
        )
    return who


Reader = Annotated[Principal, Depends(principal)]
Writer = Annotated[Principal, Depends(writer)]
