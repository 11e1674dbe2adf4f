"""In-app notifications (the bell) and their one email.

Guarantees, so that one failure never produces two notifications or two emails:

- `dedupe_key` is UNIQUE in the table; `notify` inserts with ON CONFLICT DO NOTHING,
  so two workers reporting the same failure at once create one row.
- The email is sent only after the row is committed (an `after_commit` hook on the
  caller's session), and only by the process whose conditional UPDATE
  `emailed_at IS NULL -> now` hit the row. A crash before the send leaves the row
  unclaimed and `send_pending_emails` (run by the reconciler) delivers it later.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, func, select

from aigrowth.accounts.models import User
from aigrowth.dbtypes import utcnow
from aigrowth.ids import parse_uuid
from aigrowth.mail import OutgoingMail, send_mail
from aigrowth.notifications.models import Notification
from aigrowth.settings import get_settings

log = logging.getLogger(__name__)

_PENDING_KEY = "aigrowth_pending_notification_emails"
# A claim older than this whose send never completed is considered lost and retried.
_EMAIL_CLAIM_STALE = timedelta(minutes=15)

# Kinds used across the app (free text is allowed; these are the common ones).
KIND_PUBLISH_FAILED = "publish_failed"
KIND_NEEDS_ATTENTION = "publish_needs_attention"
KIND_NEEDS_RECONNECT = "needs_reconnect"


@dataclass(frozen=True)
class NotificationView:
    """What the bell and the list show (plain strings, safe for Reflex state)."""

    id: str
    kind: str
    title: str
    body: str
    link: str
    created_at: str
    unread: bool


def _insert_stmt(dialect: str):  # type: ignore[no-untyped-def]
    table = Notification.__table__
    if dialect == "postgresql":
        return pg_insert(table)
    return sqlite_insert(table)


def notify(
    user_id: uuid.UUID | str,
    kind: str,
    title: str,
    body: str = "",
    link: str = "",
    dedupe_key: str | None = None,
    *,
    session: Session,
    email: bool = True,
) -> uuid.UUID | None:
    """Create a notification (and queue its one email after commit).

    Returns the new notification id, or None when `dedupe_key` was already used (the
    earlier notification stands and no second email is sent). The caller commits.
    """
    user_uuid = parse_uuid(user_id)
    new_id = uuid.uuid4()
    values = {
        "id": new_id,
        "user_id": user_uuid,
        "kind": kind[:50],
        "title": title[:200],
        "body": body,
        "link": link[:500],
        "dedupe_key": dedupe_key[:200] if dedupe_key else None,
        "created_at": utcnow(),
        # Marking emailed_at in advance means "no email wanted" for this row.
        "emailed_at": None if email else utcnow(),
    }
    dialect = session.get_bind().dialect.name
    stmt = _insert_stmt(dialect).values(**values)
    if dedupe_key:
        stmt = stmt.on_conflict_do_nothing(index_elements=["dedupe_key"])
    stmt = stmt.returning(Notification.__table__.c.id)
    inserted = session.execute(stmt).first()
    if inserted is None:
        log.info("Notification %s already exists; not sending again", dedupe_key)
        return None
    if email:
        _queue_email_after_commit(session, new_id)
    return new_id


def _queue_email_after_commit(session: Session, notification_id: uuid.UUID) -> None:
    pending: list[uuid.UUID] | None = session.info.get(_PENDING_KEY)
    if pending is None:
        pending = []
        session.info[_PENDING_KEY] = pending
        bind = session.get_bind()
        engine = bind if isinstance(bind, Engine) else bind.engine

        def _after_commit(sess: Session) -> None:
            ids = list(sess.info.get(_PENDING_KEY) or [])
            sess.info.get(_PENDING_KEY, []).clear()
            for nid in ids:
                try:
                    deliver_email(nid, engine=engine)
                except Exception:  # the sweep retries; a mail problem never breaks a job
                    log.exception("Notification email %s not sent (will retry)", nid)

        def _after_rollback(sess: Session) -> None:
            sess.info.get(_PENDING_KEY, []).clear()

        event.listen(session, "after_commit", _after_commit)
        event.listen(session, "after_soft_rollback", lambda s, _t: _after_rollback(s))
    pending.append(notification_id)


def _email_text(user: User, note: Notification) -> OutgoingMail:
    base = get_settings().app_url.rstrip("/")
    link = f"{base}{note.link}" if note.link.startswith("/") else note.link
    lines = [f"Hi {user.full_name or 'there'},", "", note.title, ""]
    if note.body:
        lines += [note.body, ""]
    if link:
        lines += [f"Open it here: {link}", ""]
    lines += ["— AI Growth Manager", "", f"Manage notifications: {base}/notifications"]
    return OutgoingMail(to=user.email, subject=note.title, text="\n".join(lines))


def deliver_email(notification_id: uuid.UUID, *, engine: Engine) -> bool:
    """Send the notification's email at most once; True when this call sent it."""
    table = Notification.__table__
    now = utcnow()
    with Session(engine, expire_on_commit=False) as s:
        claimed = s.execute(
            sa.update(table)
            .where(table.c.id == notification_id, table.c.emailed_at.is_(None))
            .values(emailed_at=now)
        ).rowcount
        s.commit()
        if claimed != 1:
            return False
        note = s.get(Notification, notification_id)
        user = s.get(User, note.user_id) if note else None
        if note is None or user is None or not user.email:
            return False
        mail = _email_text(user, note)
    try:
        send_mail(mail)
    except Exception:
        # Release the claim so the sweep tries again; nothing was delivered.
        with Session(engine) as s:
            s.execute(
                sa.update(table)
                .where(table.c.id == notification_id, table.c.emailed_at == now)
                .values(emailed_at=None)
            )
            s.commit()
        raise
    return True


def send_pending_emails(*, engine: Engine, older_than: timedelta = timedelta(seconds=30)) -> int:
    """Deliver emails whose after-commit send never happened (crash, SMTP down)."""
    cutoff = utcnow() - older_than
    with Session(engine) as s:
        ids = s.exec(
            select(Notification.id)
            .where(col(Notification.emailed_at).is_(None), Notification.created_at <= cutoff)
            .limit(200)
        ).all()
    sent = 0
    for nid in ids:
        try:
            sent += deliver_email(nid, engine=engine)
        except Exception:
            log.exception("Notification email %s not sent (will retry)", nid)
    return sent


# ----------------------------------------------------------------------------- reading
def _fmt(ts: datetime, tz: str) -> str:
    from zoneinfo import ZoneInfo

    try:
        zone = ZoneInfo(tz or "UTC")
    except Exception:
        zone = ZoneInfo("UTC")
    return ts.astimezone(zone).strftime("%d %b %Y, %H:%M")


def unread_count(user_id: uuid.UUID | str, *, session: Session) -> int:
    uid = parse_uuid(user_id)
    return int(
        session.exec(
            select(func.count())
            .select_from(Notification)
            .where(Notification.user_id == uid, col(Notification.read_at).is_(None))
        ).one()
    )


def list_notifications(
    user_id: uuid.UUID | str,
    *,
    session: Session,
    limit: int = 20,
    offset: int = 0,
    unread_only: bool = False,
) -> list[NotificationView]:
    uid = parse_uuid(user_id)
    user = session.get(User, uid)
    tz = user.timezone if user else "UTC"
    query = select(Notification).where(Notification.user_id == uid)
    if unread_only:
        query = query.where(col(Notification.read_at).is_(None))
    rows = session.exec(
        query.order_by(col(Notification.created_at).desc()).offset(offset).limit(limit)
    ).all()
    return [
        NotificationView(
            id=str(n.id),
            kind=n.kind,
            title=n.title,
            body=n.body,
            link=n.link,
            created_at=_fmt(n.created_at, tz),
            unread=n.read_at is None,
        )
        for n in rows
    ]


def mark_read(
    user_id: uuid.UUID | str, notification_id: uuid.UUID | str | None = None, *, session: Session
) -> int:
    """Mark one (or, with no id, all) of the user's notifications read. Owner-scoped."""
    uid = parse_uuid(user_id)
    table = Notification.__table__
    stmt = sa.update(table).where(table.c.user_id == uid, table.c.read_at.is_(None))
    if notification_id is not None:
        try:
            nid = parse_uuid(notification_id)
        except ValueError:
            return 0
        stmt = stmt.where(table.c.id == nid)
    count = session.execute(stmt.values(read_at=utcnow())).rowcount
    session.commit()
    return int(count or 0)
