"""Operators: `python -m aigrowth billing sync` repairs drift from Stripe (missed
webhooks), and the Operations figures count users per plan and subscription states."""

from __future__ import annotations

from sqlmodel import Session

from aigrowth.__main__ import main
from aigrowth.billing import plans, service
from tests.fakes.stripe import StripeFake
from tests.integration.billing_support import make_user, sub_of


def _plan(session: Session, user) -> str:  # type: ignore[no-untyped-def]
    session.expire_all()
    return plans.effective_plan(user.id, session=session)


def test_sync_repairs_missed_webhooks(stripe_fake: StripeFake, session: Session, capsys) -> None:
    paying = make_user(session)
    lapsed = make_user(session)
    free = make_user(session)
    stripe_fake.hold = True  # no webhook reaches us: the database drifts from Stripe
    for user in (paying, lapsed):
        stripe_fake.subscribe(service.ensure_customer(user.id, session=session))
    stripe_fake.delete_subscription(list(stripe_fake.subscriptions)[1])
    assert _plan(session, paying) == plans.FREE

    assert main(["billing", "sync"]) == 0
    assert "checked 2 customer(s): 2 changed, 0 could not be read" in capsys.readouterr().out
    assert _plan(session, paying) == plans.PRO
    assert sub_of(session, lapsed).status == "canceled"  # type: ignore[union-attr]
    assert _plan(session, lapsed) == plans.FREE
    assert sub_of(session, free) is None

    counts = service.plan_counts(session=session)
    assert counts["enabled"] is True
    assert counts["plans"] == {"free": 2, "pro": 1, "enterprise": 0}
    assert counts["statuses"] == {"active": 1, "canceled": 1}

    assert main(["billing", "sync"]) == 0  # nothing left to repair
    assert "0 changed" in capsys.readouterr().out


def test_sync_with_billing_off_calls_nothing(app_env, session: Session, capsys) -> None:
    make_user(session)
    assert main(["billing", "sync"]) == 1
    assert "Billing is off" in capsys.readouterr().err
    assert service.plan_counts(session=session)["plans"] == {"free": 1, "pro": 0, "enterprise": 0}


def test_daily_job_ends_an_expired_grace_period(
    stripe_fake: StripeFake, session: Session, monkeypatch
) -> None:
    from datetime import timedelta

    from aigrowth.businesses.models import Business
    from aigrowth.content.models import Content
    from aigrowth.dbtypes import utcnow
    from aigrowth.settings import reset_settings_cache
    from workers.billing_jobs import sync_subscriptions

    monkeypatch.setenv("PLAN_LIMITS", '{"free": {"scheduled_posts": 1}}')
    reset_settings_cache()
    user = make_user(session)
    business = Business(user_id=user.id, name="Shop")
    session.add(business)
    session.commit()
    sub = stripe_fake.subscribe(service.ensure_customer(user.id, session=session))
    stripe_fake.fail_payment(sub["id"])
    stripe_fake.drain()
    assert _plan(session, user) == plans.PRO  # in the grace period
    due = plans.month_bounds(utcnow() + timedelta(days=40))[0] + timedelta(days=2)
    posts = [
        Content(business_id=business.id, platform="x", text=f"p{n}", status="scheduled",
                scheduled_for=due + timedelta(hours=n))
        for n in range(3)
    ]  # fmt: skip
    session.add_all(posts)
    session.commit()
    assert sync_subscriptions()["checked"] == 1
    session.expire_all()
    assert [session.get(Content, p.id).status for p in posts] == ["scheduled"] * 3
    # Eight days later Stripe still says past_due: the free plan's limits apply.
    row = sub_of(session, user)
    row.past_due_since = utcnow() - timedelta(days=8)
    session.add(row)
    session.commit()
    sync_subscriptions()
    session.expire_all()
    assert _plan(session, user) == plans.FREE
    assert [session.get(Content, p.id).status for p in posts] == ["scheduled", "draft", "draft"]
