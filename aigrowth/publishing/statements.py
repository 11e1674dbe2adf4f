"""Statements of the publishing hot path, built once with bind parameters.

A burst runs a handful of small statements per post. Built once, SQLAlchemy reuses
the compiled SQL and its cache key instead of constructing and hashing a new
statement per post (which was most of a post's CPU).
"""

from __future__ import annotations

from functools import cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from aigrowth.content.models import Content, ContentStatus
from aigrowth.publishing.models import PublishAttempt
from aigrowth.social.models import SocialAccount

C = Content.__table__.c
A = PublishAttempt.__table__.c
S = SocialAccount.__table__.c
CONTENT = Content.__table__
ATTEMPTS = PublishAttempt.__table__
PUBLISHING = ContentStatus.PUBLISHING.value


def _p(name: str) -> Any:
    return sa.bindparam(name)


def _held() -> Any:
    """The fencing token: this worker's claim is (id, attempt, status it holds)."""
    return sa.and_(C.id == _p("p_id"), C.attempts == _p("p_n"), C.status == _p("p_status"))


@cache
def start() -> Any:
    """Confirm the claim, renew the lease, store owner, key and prepared state."""
    return (
        sa.update(CONTENT)
        .where(_held())
        .values(
            lease_until=_p("p_lease"),
            lease_owner=_p("p_owner"),
            updated_at=_p("p_now"),
            idempotency_key=_p("p_key"),
            publish_state=_p("p_state"),
        )
        .returning(C.id)
    )


@cache
def attempt(dialect: str) -> Any:
    """The attempt row (UNIQUE per post and attempt: a duplicate job stops here)."""
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    return (
        insert(ATTEMPTS)
        .values(id=_p("p_aid"), content_id=_p("p_id"), attempt_no=_p("p_n"), started_at=_p("p_now"))
        .on_conflict_do_nothing(index_elements=["content_id", "attempt_no"])
        .returning(A.id)
    )


@cache
def held_check() -> Any:
    """Is the claim still this worker's? (right before a create call)"""
    return sa.select(C.id).where(_held())


@cache
def save_state() -> Any:
    return (
        sa.update(CONTENT)
        .where(_held())
        .values(publish_state=_p("p_state"), updated_at=_p("p_now"))
        .returning(C.id)
    )


def _published_values() -> dict[str, Any]:
    return {
        "status": ContentStatus.PUBLISHED.value,
        "remote_id": _p("p_rid"),
        "remote_url": _p("p_url"),
        "published_at": _p("p_now"),
        "lease_until": None,
        "lease_owner": None,
        "next_attempt_at": None,
        "last_error": None,
        "updated_at": _p("p_now"),
    }


@cache
def published() -> Any:
    return sa.update(CONTENT).where(_held()).values(**_published_values())


@cache
def published_late() -> Any:
    """The claim was lost but the platform took the post: the truth is recorded anyway
    (any status but published), which also stops whoever holds the row now at its next
    fenced write or pre-create check."""
    return (
        sa.update(CONTENT)
        .where(C.id == _p("p_id"), C.status != ContentStatus.PUBLISHED.value)
        .values(**_published_values())
    )


@cache
def finish() -> Any:
    return (
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


@cache
def account_published() -> Any:
    return (
        sa.update(SocialAccount.__table__)
        .where(S.id == _p("p_aid"))
        .values(last_published_at=_p("p_now"))
    )
