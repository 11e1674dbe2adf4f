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
