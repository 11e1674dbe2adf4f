"""The studio never overwrites a post the publisher just claimed (SQLite and PostgreSQL).

The publisher's real claim (`publishing.service.claim_due`, scheduled → publishing) is run
on its own connection at the exact moment between the studio's read of the post and its
write: just before the studio's UPDATE/DELETE reaches the database. Every studio
transition must then change nothing and say the post just started publishing.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from aigrowth.businesses.models import Business
from aigrowth.content import service as svc
from aigrowth.content.models import Content, ContentStatus, ContentVersion
from aigrowth.dbtypes import utcnow
from aigrowth.publishing.service import claim_due
from tests.integration.test_content_service import connect, draft, make_user


@contextmanager
def publisher_claims_first(engine: Engine, post_id: uuid.UUID) -> Iterator[list]:
    """Run the publisher's claim once, right before the next write to the content table.

    Yields a list that ends up holding what the claim returned (proof it ran)."""
    claims: list = []

    def before(conn, cursor, statement, params, context, executemany) -> None:
        if claims or not statement.lstrip().upper().startswith(
            ("UPDATE CONTENT ", "DELETE FROM CONTENT ")
        ):
            return
        claims.append(None)  # re-entry guard: the claim is an UPDATE of content too
        with Session(engine) as publisher:
            claims[0] = claim_due(publisher, ids=[post_id])
            publisher.commit()

    event.listen(engine, "before_cursor_execute", before)
    try:
        yield claims
    finally:
        event.remove(engine, "before_cursor_execute", before)


def _due_post(session: Session) -> tuple[uuid.UUID, Content]:
    """A scheduled post that is due now (so the dispatcher may claim it at any moment)."""
    user, biz = make_user(session)
    account = connect(session, user)
    post = draft(
        session,
        biz,
        text="Due right now",
        status=ContentStatus.SCHEDULED,
        scheduled_for=utcnow() - timedelta(seconds=5),
        social_account_id=account.id,
    )
    return user.id, post


ACTIONS: dict[str, Callable[..., object]] = {
    "reschedule": lambda cid, uid, s: svc.schedule(
        cid, utcnow() + timedelta(days=1), user_id=uid, session=s
    ),
    "unschedule": lambda cid, uid, s: svc.unschedule(cid, user_id=uid, session=s),
    "move to another day": lambda cid, uid, s: svc.move_to_day(
        cid, (utcnow() + timedelta(days=3)).date(), user_id=uid, session=s
    ),
    "edit the text": lambda cid, uid, s: svc.save_text(
        cid, "Changed at the last second", user_id=uid, session=s
    ),
    "set the pillar": lambda cid, uid, s: svc.set_pillar(cid, "Offers", user_id=uid, session=s),
    "delete": lambda cid, uid, s: svc.delete_content(cid, user_id=uid, session=s),
    # The claim lands while the (offline) AI writer is busy: its write must not apply.
    "optimise with AI": lambda cid, uid, s: svc.optimise_with_ai(
        cid, "shorter", user_id=uid, session=s
    ),
}


@pytest.mark.parametrize("action", list(ACTIONS))
def test_a_post_claimed_between_read_and_write_is_not_overwritten(
    engine: Engine, session: Session, action: str
):
    uid, post = _due_post(session)
    before = (post.scheduled_for, post.text, post.pillar)
    with (
        publisher_claims_first(engine, post.id) as claims,
        pytest.raises(svc.ContentError, match="just started publishing"),
    ):
        ACTIONS[action](post.id, uid, session)
    assert claims == [[(post.id, 1)]]  # the publisher's claim ran, and won
    session.expire_all()
    row = session.get(Content, post.id)
    assert row is not None, "the claimed post was deleted"
    assert row.status == ContentStatus.PUBLISHING and row.attempts == 1
    assert (row.scheduled_for, row.text, row.pillar) == before
    assert row.lease_until is not None
    # Nothing half-written either (no version row for an edit that did not happen).
    assert (
        session.exec(select(ContentVersion).where(ContentVersion.content_id == post.id)).all() == []
    )


def test_bulk_unschedule_reports_the_claimed_post_and_does_the_rest(
    engine: Engine, session: Session
):
    uid, post = _due_post(session)
    later = draft(
        session,
        session.get(Business, post.business_id),
        status=ContentStatus.SCHEDULED,
        scheduled_for=utcnow() + timedelta(days=2),
        social_account_id=post.social_account_id,
    )
    with publisher_claims_first(engine, post.id):
        result = svc.bulk_unschedule([str(post.id), str(later.id)], user_id=uid, session=session)
    assert result.done == 1
    assert len(result.failed) == 1 and "just started publishing" in result.failed[0]
    session.expire_all()
    assert session.get(Content, post.id).status == ContentStatus.PUBLISHING
    assert session.get(Content, later.id).status == ContentStatus.DRAFT
