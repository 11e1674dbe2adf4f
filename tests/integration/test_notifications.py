"""Notifications: one row and one email per failure, even when reported twice at once."""

from __future__ import annotations

import threading
import uuid

from sqlmodel import Session, select

from aigrowth.accounts.models import Notification, User
from aigrowth.db import get_engine
from aigrowth.mail import read_outbox
from aigrowth.notifications.service import (
    list_notifications,
    mark_read,
    notify,
    send_pending_emails,
    unread_count,
)


def _user(session: Session, email: str = "founder@example.com") -> User:
    user = User(email=email, full_name="Ada", timezone="Europe/Paris")
    session.add(user)
    session.commit()
    return user


def test_notify_creates_row_and_one_email_after_commit(app_env, session):
    user = _user(session)
    with Session(get_engine()) as s:
        nid = notify(
            user.id, "publish_failed", "Post failed", "X said no", "/content/1", "fail-1", session=s
        )
        assert nid is not None
        assert read_outbox() == []  # nothing leaves before the row is committed
        s.commit()
    mails = read_outbox()
    assert len(mails) == 1
    assert mails[0]["to"] == "founder@example.com"
    assert mails[0]["subject"] == "Post failed"
    assert "http://localhost:3000/content/1" in mails[0]["text"]
    with Session(get_engine()) as s:
        assert unread_count(user.id, session=s) == 1


def test_same_dedupe_key_twice_gives_one_notification_and_one_email(app_env, session):
    user = _user(session)
    barrier = threading.Barrier(8)
    results: list[object] = []

    def report() -> None:
        with Session(get_engine()) as s:
            barrier.wait()
            results.append(
                notify(user.id, "publish_failed", "Post failed", "", "", "fail-same", session=s)
            )
            s.commit()

    threads = [threading.Thread(target=report) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(1 for r in results if r is not None) == 1
    with Session(get_engine()) as s:
        rows = s.exec(select(Notification).where(Notification.dedupe_key == "fail-same")).all()
    assert len(rows) == 1
    assert len(read_outbox()) == 1
    # The sweep never sends a second one.
    assert (
        send_pending_emails(engine=get_engine(), older_than=__import__("datetime").timedelta(0))
        == 0
    )
    assert len(read_outbox()) == 1


def test_rolled_back_notification_sends_nothing(app_env, session):
    user = _user(session)
    with Session(get_engine()) as s:
        notify(user.id, "publish_failed", "Post failed", dedupe_key="rb", session=s)
        s.rollback()
    assert read_outbox() == []
    with Session(get_engine()) as s:
        assert unread_count(user.id, session=s) == 0


def test_list_and_mark_read_are_owner_scoped(app_env, session):
    alice = _user(session, "alice@example.com")
    bob = _user(session, "bob@example.com")
    with Session(get_engine()) as s:
        nid = notify(alice.id, "needs_reconnect", "Reconnect X", session=s, email=False)
        s.commit()
    with Session(get_engine()) as s:
        assert mark_read(bob.id, nid, session=s) == 0  # Bob cannot touch Alice's
        assert unread_count(alice.id, session=s) == 1
        items = list_notifications(alice.id, session=s)
        assert [i.title for i in items] == ["Reconnect X"] and items[0].unread
        assert list_notifications(bob.id, session=s) == []
        assert mark_read(alice.id, nid, session=s) == 1
        assert unread_count(alice.id, session=s) == 0
        assert mark_read(alice.id, str(uuid.uuid4()), session=s) == 0
    assert read_outbox() == []  # email=False
