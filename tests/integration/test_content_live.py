"""The editor's live view of a post the publisher works on, against SQLite and PostgreSQL:
when to keep watching, the light status read, Retry / Check again / "It's published"
through the real publishing service (its claim, its refusals)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlmodel import Session

from aigrowth.content import service as svc
from aigrowth.content.models import Content, ContentStatus
from aigrowth.dbtypes import utcnow
from tests.integration.test_content_service import NOW, connect, draft, make_user

S = ContentStatus


@pytest.mark.parametrize(
    ("status", "due_in", "retry_in", "watch"),
    [
        (S.PUBLISHING, None, None, True),
        (S.SCHEDULED, timedelta(seconds=30), None, True),
        (S.SCHEDULED, timedelta(seconds=-5), None, True),  # due: the dispatcher is near
        (S.SCHEDULED, timedelta(minutes=5), None, False),
        (S.SCHEDULED, timedelta(seconds=-5), timedelta(minutes=3), False),  # backing off
        (S.SCHEDULED, None, None, False),
        (S.DRAFT, timedelta(seconds=10), None, False),
        (S.PUBLISHED, None, None, False),
        (S.FAILED, None, None, False),
        (S.NEEDS_ATTENTION, None, None, False),
    ],
)
def test_the_editor_watches_only_posts_about_to_move(status, due_in, retry_in, watch):
    due = NOW + due_in if due_in is not None else None
    retry = NOW + retry_in if retry_in is not None else None
    assert svc.should_watch(status, due, retry, now=NOW) is watch


def test_live_status_is_owner_scoped_and_reports_the_outcome(session: Session):
    user, biz = make_user(session)
    other, _ = make_user(session)
    post = draft(session, biz, status=S.PUBLISHING, scheduled_for=utcnow())
    live = svc.live_status(post.id, user_id=user.id, session=session)
    assert live == {
        "status": "publishing",
        "published_at": "",
        "remote_url": "",
        "last_error": "",
        "watch": "1",
    }
    assert svc.live_status(post.id, user_id=other.id, session=session) is None
    assert svc.live_status("not-a-uuid", user_id=user.id, session=session) is None
    assert svc.live_status(uuid.uuid4(), user_id=user.id, session=session) is None

    post.status, post.published_at = S.PUBLISHED, NOW
    post.remote_url = "https://bsky.app/profile/acme/post/3k"
    session.add(post)
    session.commit()
    live = svc.live_status(post.id, user_id=user.id, session=session)
    assert live["status"] == "published" and live["watch"] == ""
    assert live["remote_url"] == "https://bsky.app/profile/acme/post/3k"
    assert live["published_at"] == NOW.isoformat()


def test_status_message_says_what_to_do_in_plain_words():
    assert svc.status_message(S.FAILED, "Bluesky refused the image.") == (
        "Bluesky refused the image."
    )
    assert "Retry" in svc.status_message(S.FAILED, "")
    assert "It's published" in svc.status_message(S.NEEDS_ATTENTION, "")
    assert svc.status_message(S.NEEDS_ATTENTION, "Check X.") == "Check X."


def test_retry_a_failed_post_claims_it_again(app_env, session: Session):
    user, biz = make_user(session)
    account = connect(session, user, platform="bluesky")
    post = draft(
        session,
        biz,
        platform="bluesky",
        status=S.FAILED,
        scheduled_for=utcnow() - timedelta(hours=1),
        social_account_id=account.id,
        last_error="Bluesky was down.",
        attempts=1,
    )
    message = svc.retry_publish(post.id, user_id=user.id, session=session)
    assert message.startswith("Publishing again")
    session.expire_all()
    row = session.get(Content, post.id)
    assert row.status == S.PUBLISHING and row.attempts == 2 and row.last_error is None
    # A second click while it runs is refused in words, nothing changes.
    with pytest.raises(svc.ContentError, match="Only a failed post"):
        svc.retry_publish(post.id, user_id=user.id, session=session)
    session.expire_all()
    assert session.get(Content, post.id).attempts == 2


def test_check_again_and_its_published_on_a_needs_attention_post(app_env, session: Session):
    user, biz = make_user(session)
    other, _ = make_user(session)
    account = connect(session, user, platform="bluesky")

    def unconfirmed() -> Content:
        return draft(
            session,
            biz,
            platform="bluesky",
            status=S.NEEDS_ATTENTION,
            scheduled_for=utcnow() - timedelta(minutes=10),
            social_account_id=account.id,
            last_error="Bluesky did not answer; we could not confirm the post.",
            attempts=1,
        )

    checked = unconfirmed()
    assert svc.retry_publish(checked.id, user_id=user.id, session=session).startswith(
        "Checking again"
    )
    session.expire_all()
    assert session.get(Content, checked.id).status == S.PUBLISHING

    post = unconfirmed()
    with pytest.raises(svc.NotFound):
        svc.mark_published(post.id, "", user_id=other.id, session=session)
    with pytest.raises(svc.ContentError, match="https://"):
        svc.mark_published(post.id, "ftp://example.com/x", user_id=user.id, session=session)
    session.expire_all()
    assert session.get(Content, post.id).status == S.NEEDS_ATTENTION
    svc.mark_published(
        post.id, " https://bsky.app/profile/acme/post/1 ", user_id=user.id, session=session
    )
    session.expire_all()
    row = session.get(Content, post.id)
    assert row.status == S.PUBLISHED and row.published_at is not None
    assert row.remote_url == "https://bsky.app/profile/acme/post/1"
    # Only a post waiting for the user's check can be marked.
    with pytest.raises(svc.ContentError, match="waiting for your check"):
        svc.mark_published(post.id, "", user_id=user.id, session=session)


def test_latest_figures_show_the_newest_day_and_unknowns_as_dashes(session: Session):
    from aigrowth.analytics.models import AnalyticsSnapshot

    user, biz = make_user(session, tz="Europe/Berlin")
    other, _ = make_user(session)
    post = draft(session, biz, platform="bluesky", status=S.PUBLISHED, published_at=NOW)
    assert svc.latest_figures(post.id, user_id=user.id, session=session) is None

    def snap(day: date, likes: int, **kw) -> None:
        session.add(
            AnalyticsSnapshot(
                content_id=post.id,
                business_id=biz.id,
                platform="bluesky",
                day=day,
                likes=likes,
                fetched_at=datetime.combine(day, time(3, 2), tzinfo=UTC),
                **kw,
            )
        )
        session.commit()

    snap(date(2026, 3, 21), 4, comments=1, shares=0)
    snap(date(2026, 3, 22), 1234, comments=7, shares=3, engagement_rate=None)
    figures = svc.latest_figures(post.id, user_id=user.id, session=session)
    assert figures is not None
    assert figures.day == "Sun 22 Mar 2026"
    assert figures.fetched == "Sun 22 Mar 2026, 04:02"  # 03:02 UTC in Berlin (CET)
    by_key = {m["key"]: m for m in figures.metrics}
    assert [m["key"] for m in figures.metrics] == [k for k, _ in svc.FIGURES]
    assert by_key["likes"]["value"] == "1,234" and by_key["likes"]["tip"] == ""
    assert by_key["shares"]["value"] == "3"
    assert by_key["impressions"]["value"] == "—"
    assert by_key["impressions"]["tip"] == "Bluesky does not report impressions"
    assert by_key["engagement_rate"]["value"] == "—"
    assert "Bluesky" in by_key["engagement_rate"]["tip"]
    # Someone else's post is not found, figures or not.
    with pytest.raises(svc.NotFound):
        svc.latest_figures(post.id, user_id=other.id, session=session)


def test_latest_figures_format_zero_and_rates(session: Session):
    from aigrowth.analytics.models import AnalyticsSnapshot

    user, biz = make_user(session)
    post = draft(session, biz, platform="linkedin", status=S.PUBLISHED, published_at=NOW)
    session.add(
        AnalyticsSnapshot(
            content_id=post.id,
            business_id=biz.id,
            platform="linkedin",
            day=date(2026, 3, 21),
            impressions=2000,
            likes=0,
            clicks=50,
            engagement_rate=0.025,
        )
    )
    session.commit()
    by_key = {
        m["key"]: m["value"]
        for m in svc.latest_figures(post.id, user_id=user.id, session=session).metrics
    }
    assert by_key["impressions"] == "2,000"
    assert by_key["likes"] == "0"  # zero is a figure, not a dash
    assert by_key["engagement_rate"] == "2.5%"
