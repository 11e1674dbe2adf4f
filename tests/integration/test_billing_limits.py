"""Plan limits through the services (SQLite and PostgreSQL): each refuses past its
limit with its message and an upgrade link; paying through the fake Stripe lifts it;
a downgrade pauses the excess instead of dropping it; nobody sees another's billing."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlmodel import Session, select

from aigrowth.accounts.models import Notification
from aigrowth.billing import plans, service
from aigrowth.businesses.models import Business
from aigrowth.businesses.service import save_step
from aigrowth.content.models import Content, ContentStatus
from aigrowth.dbtypes import utcnow
from aigrowth.settings import reset_settings_cache
from aigrowth.social import service as social
from aigrowth.social.models import SocialAccount
from tests.fakes.bluesky import BlueskyFake
from tests.fakes.stripe import StripeFake
from tests.integration.billing_support import make_user, session_id_of, sub_of, wait_for

BASICS = {
    "name": "Leaf & Co",
    "industry": "Retail",
    "description": "Plants for busy people in small flats.",
    "website": "leaf.example",
}


@pytest.fixture
def bluesky(app_env: dict[str, str]) -> Iterator[BlueskyFake]:
    with BlueskyFake() as fake:
        for n in range(3):
            fake.add_user(f"user{n}.test", "abcd-efgh-ijkl-mnop")
        yield fake


def _limits(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("PLAN_LIMITS", value)
    reset_settings_cache()


def _connect(session: Session, fake: BlueskyFake, user_id: uuid.UUID, n: int) -> SocialAccount:
    return social.connect_bluesky(
        user_id=user_id,
        handle=f"user{n}.test",
        app_password="abcd-efgh-ijkl-mnop",
        pds_url=fake.base_url,
        session=session,
    )


def _plan(session: Session, user_id: uuid.UUID) -> str:
    session.expire_all()  # see what the webhook committed
    return plans.effective_plan(user_id, session=session)


def _pay_pro(session: Session, fake: StripeFake, user_id: uuid.UUID) -> None:
    sid = session_id_of(service.start_checkout(user_id, "pro", session=session))
    fake.pay(sid)
    wait_for(lambda: _plan(session, user_id) == plans.PRO)
    fake.drain()


def test_account_limit_refuses_then_upgrade_lifts_it(
    stripe_fake: StripeFake, bluesky: BlueskyFake, session: Session, monkeypatch
) -> None:
    _limits(monkeypatch, '{"free": {"social_accounts": 1}}')
    user = make_user(session)
    _connect(session, bluesky, user.id, 0)
    with pytest.raises(social.SocialError) as err:
        _connect(session, bluesky, user.id, 1)
    assert str(err.value) == "Your Free plan connects 1 account; upgrade to connect more."
    assert len(session.exec(select(SocialAccount)).all()) == 1  # nothing changed
    _connect(session, bluesky, user.id, 0)  # a reconnect is not a new account
    _pay_pro(session, stripe_fake, user.id)
    _connect(session, bluesky, user.id, 1)
    assert len(session.exec(select(SocialAccount)).all()) == 2


def test_business_limit_is_a_form_error(app_env, session: Session, monkeypatch) -> None:
    _limits(monkeypatch, '{"free": {"businesses": 1}}')
    user = make_user(session)
    first, errors = save_step(None, 1, BASICS, user_id=user.id, session=session)
    assert first is not None and not errors
    second, errors = save_step(None, 1, BASICS, user_id=user.id, session=session)
    assert second is None
    assert errors == {"name": "Your Free plan includes 1 business; upgrade to add more businesses."}
    assert len(session.exec(select(Business)).all()) == 1


def test_billing_off_puts_everyone_on_default_plan(app_env, session: Session, monkeypatch) -> None:
    user = make_user(session)
    session.add(service.Subscription(user_id=user.id, plan="pro", status="active"))
    session.commit()
    assert plans.effective_plan(user.id, session=session) == plans.FREE  # row ignored
    monkeypatch.setenv("DEFAULT_PLAN", "enterprise")
    reset_settings_cache()
    assert plans.effective_plan(user.id, session=session) == plans.ENTERPRISE
    plans.require_within(user.id, plans.SOCIAL_ACCOUNTS, session=session, adding=10_000)


def test_ai_allowance_follows_the_billing_plan(app_env, session: Session, monkeypatch) -> None:
    from aigrowth.ai.errors import AllowanceExceededError
    from aigrowth.ai.usage import check_allowance, record

    monkeypatch.setenv("AI_ALLOWANCE_FREE", "1")
    reset_settings_cache()
    user = make_user(session)
    record(session=session, user_id=user.id, business_id=None, kind="ai_posts", model="gpt-4o")
    session.commit()
    with pytest.raises(AllowanceExceededError, match="all 1 AI generations included in the Free"):
        check_allowance(user.id, session=session)
    with pytest.raises(plans.LimitExceededError) as err:
        plans.require_within(user.id, plans.AI_GENERATIONS, session=session)
    assert err.value.link == "/billing"


def _scheduled(session: Session, business: Business, days: list[int]) -> list[Content]:
    base = utcnow().replace(day=1, hour=9, minute=0, second=0, microsecond=0)
    start = plans.month_bounds(base + timedelta(days=40))[0]  # all next month, in the future
    rows = [
        Content(
            business_id=business.id,
            platform="bluesky",
            text=f"post {d}",
            status=ContentStatus.SCHEDULED,
            scheduled_for=start + timedelta(days=d),
        )
        for d in days
    ]
    session.add_all(rows)
    session.commit()
    return rows


def test_downgrade_pauses_the_excess_with_a_notice(
    stripe_fake: StripeFake, session: Session, monkeypatch
) -> None:
    _limits(monkeypatch, '{"free": {"scheduled_posts": 2}}')
    user = make_user(session)
    other = make_user(session)
    business, _ = save_step(None, 1, BASICS, user_id=user.id, session=session)
    other_business, _ = save_step(None, 1, BASICS, user_id=other.id, session=session)
    _pay_pro(session, stripe_fake, user.id)
    posts = _scheduled(session, business, [1, 2, 3, 4])
    others = _scheduled(session, other_business, [1, 2, 3])
    with pytest.raises(plans.LimitExceededError, match="schedules 2 posts a month"):
        plans.require_within(
            other.id, plans.SCHEDULED_POSTS, session=session, at=others[0].scheduled_for
        )
    row = sub_of(session, user)
    stripe_fake.delete_subscription(row.stripe_subscription_id)  # type: ignore[union-attr,arg-type]
    wait_for(lambda: _plan(session, user.id) == plans.FREE)
    stripe_fake.drain()
    session.expire_all()
    states = [session.get(Content, p.id) for p in posts]
    assert [c.status for c in states] == ["scheduled", "scheduled", "draft", "draft"]
    assert all(c.scheduled_for is not None for c in states)  # planned time kept
    assert states[3].last_error.startswith("Paused: Your plan changed to Free")
    notes = session.exec(select(Notification).where(Notification.kind == service.KIND_PAUSED)).all()
    assert [(n.user_id, n.title) for n in notes] == [(user.id, "2 scheduled posts paused")]
    # Another user's posts are not touched by this user's downgrade.
    assert {session.get(Content, p.id).status for p in others} == {"scheduled"}


def test_no_one_opens_another_users_portal(stripe_fake: StripeFake, session: Session) -> None:
    owner = make_user(session)
    stranger = make_user(session)
    _pay_pro(session, stripe_fake, owner.id)
    with pytest.raises(service.BillingError, match="no billing account"):
        service.open_portal(stranger.id, session=session)
    url = service.open_portal(owner.id, session=session)
    portal = stripe_fake.portal_sessions[url.rsplit("/", 1)[-1]]
    assert portal["customer"] == sub_of(session, owner).stripe_customer_id  # type: ignore[union-attr]
    assert service.overview(stranger.id, session=session).plan == plans.FREE


def test_scheduled_posts_limit_counts_per_month(
    app_env, bluesky: BlueskyFake, session: Session, monkeypatch
) -> None:
    from aigrowth.content.access import ContentError
    from aigrowth.content.scheduling import schedule

    _limits(monkeypatch, '{"free": {"scheduled_posts": 1}}')
    user = make_user(session)
    business, _ = save_step(None, 1, BASICS, user_id=user.id, session=session)
    _connect(session, bluesky, user.id, 0)
    drafts = [
        Content(business_id=business.id, platform="bluesky", text=f"Hello {n}") for n in (1, 2)
    ]
    session.add_all(drafts)
    session.commit()
    month = plans.month_bounds(utcnow() + timedelta(days=40))[0]
    day = month + timedelta(days=3, hours=9)
    schedule(drafts[0].id, day, user_id=user.id, session=session)
    with pytest.raises(ContentError) as err:
        schedule(drafts[1].id, day + timedelta(days=1), user_id=user.id, session=session)
    assert str(err.value) == "Your Free plan schedules 1 post a month; upgrade to schedule more."
    session.expire_all()
    assert session.get(Content, drafts[1].id).status == ContentStatus.DRAFT  # unchanged
    # Moving the scheduled post inside its month is not a new one; next month has room.
    schedule(drafts[0].id, day + timedelta(days=2), user_id=user.id, session=session)
    next_month = plans.month_bounds(month + timedelta(days=40))[0] + timedelta(hours=9)
    schedule(drafts[1].id, next_month, user_id=user.id, session=session)
