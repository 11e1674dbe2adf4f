"""Stripe webhook through the real route, the real `stripe` library and the fake Stripe:
signatures, once per event under concurrent duplicates, out-of-order delivery."""

from __future__ import annotations

import json
import time

from sqlmodel import Session
from starlette.testclient import TestClient

from aigrowth.billing import plans, service
from aigrowth.billing.routes import WEBHOOK_PATH
from aigrowth.http.routes import build_api
from tests.fakes.stripe import StripeFake
from tests.integration.billing_support import (
    events_stored,
    make_user,
    session_id_of,
    sub_of,
    wait_for,
)


def _checkout(session: Session, fake: StripeFake, user) -> str:  # type: ignore[no-untyped-def]
    url = service.start_checkout(user.id, "pro", session=session)
    return session_id_of(url)


def test_bad_signatures_answer_400_and_change_nothing(
    stripe_fake: StripeFake, session: Session
) -> None:
    user = make_user(session)
    sid = _checkout(session, stripe_fake, user)
    stripe_fake.hold = True
    stripe_fake.pay(sid)
    event = next(e for e in stripe_fake.pending if e["type"] == "customer.subscription.created")
    tampered = stripe_fake.payload(event).replace(b'"active"', b'"trialing"')
    assert stripe_fake.deliver(event, body=tampered) == [400]
    assert stripe_fake.deliver(event, secret="whsec_wrong") == [400]
    assert stripe_fake.deliver(event, timestamp=int(time.time()) - 301) == [400]
    client = TestClient(build_api())
    assert client.post(WEBHOOK_PATH, content=stripe_fake.payload(event)).status_code == 400
    assert events_stored(session) == 0
    assert sub_of(session, user).plan == plans.FREE  # type: ignore[union-attr]
    assert plans.effective_plan(user.id, session=session) == plans.FREE
    # The same event, signed right (and 240 s old, inside the tolerance), is accepted.
    assert stripe_fake.deliver(event, timestamp=int(time.time()) - 240) == [200]
    assert plans.effective_plan(user.id, session=session) == plans.PRO


def test_checkout_then_webhooks_put_the_user_on_pro(
    stripe_fake: StripeFake, session: Session
) -> None:
    user = make_user(session)
    other = make_user(session)
    sid = _checkout(session, stripe_fake, user)
    created = stripe_fake.creates_of("checkout_session")[0]
    assert created["client_reference_id"] == str(user.id)
    assert created["mode"] == "subscription"
    assert plans.effective_plan(user.id, session=session) == plans.FREE  # not before payment
    stripe_fake.pay(sid)
    wait_for(lambda: (s := sub_of(session, user)) is not None and s.checkout_session_id == sid)
    stripe_fake.drain()
    row = sub_of(session, user)
    assert (row.plan, row.status) == ("pro", "active")  # type: ignore[union-attr]
    assert row.current_period_end is not None  # type: ignore[union-attr]
    assert events_stored(session) == 3
    assert all(d.status == 200 for d in stripe_fake.deliveries)
    assert plans.effective_plan(other.id, session=session) == plans.FREE  # isolation
    # One customer per user: a second checkout reuses it (and is refused: already on Pro).
    try:
        service.start_checkout(user.id, "pro", session=session)
        raise AssertionError("a second subscription must be refused")
    except service.BillingError as exc:
        assert "Manage billing" in str(exc)
    assert len(stripe_fake.customers) == 1


def test_same_event_ten_times_at_once_has_one_effect(
    stripe_fake: StripeFake, session: Session
) -> None:
    user = make_user(session)
    sid = _checkout(session, stripe_fake, user)
    stripe_fake.hold = True
    stripe_fake.pay(sid)
    stripe_fake.release()
    sub_id = sub_of(session, user).stripe_subscription_id  # type: ignore[union-attr]
    stripe_fake.fail_payment(sub_id)  # type: ignore[arg-type]
    failed = next(e for e in stripe_fake.pending if e["type"] == "invoice.payment_failed")
    reads_before = len(stripe_fake.calls_to("/v1/subscriptions", "GET"))
    codes = stripe_fake.deliver(failed, times=10)
    assert codes == [200] * 10
    assert len(stripe_fake.calls_to("/v1/subscriptions", "GET")) - reads_before == 1
    row = sub_of(session, user)
    assert row.status == "past_due" and row.past_due_since is not None  # type: ignore[union-attr]
    notes = [n for n in _notes(session, user) if n.kind == service.KIND_PAST_DUE]
    assert len(notes) == 1
    # Within the grace period the plan stays; after it, the free plan's limits apply.
    assert plans.effective_plan(user.id, session=session) == plans.PRO
    assert plans.plan_of(row, now=row.past_due_since + plans.timedelta(days=8)) == plans.FREE  # type: ignore[union-attr,operator]


def _notes(session: Session, user):  # type: ignore[no-untyped-def]
    from sqlmodel import select

    from aigrowth.accounts.models import Notification

    session.expire_all()
    return session.exec(select(Notification).where(Notification.user_id == user.id)).all()


def test_out_of_order_events_end_in_stripes_state(
    stripe_fake: StripeFake, session: Session
) -> None:
    user = make_user(session)
    customer = service.ensure_customer(user.id, session=session)
    stripe_fake.hold = True
    sub = stripe_fake.subscribe(customer)  # created (active)
    stripe_fake.fail_payment(sub["id"])  # invoice.payment_failed, updated (past_due)
    stripe_fake.release(reverse=True)  # updated, failed, created
    row = sub_of(session, user)
    assert (row.plan, row.status) == ("pro", "past_due")  # type: ignore[union-attr]

    stripe_fake.recover_payment(sub["id"])
    stripe_fake.cancel_at_period_end(sub["id"])
    stripe_fake.delete_subscription(sub["id"])
    stripe_fake.release(reverse=True)  # deleted before the updates
    row = sub_of(session, user)
    assert row.status == "canceled"  # type: ignore[union-attr]
    assert plans.effective_plan(user.id, session=session) == plans.FREE
    assert all(d.status == 200 for d in stripe_fake.deliveries)


def test_stripe_unreachable_answers_500_and_the_retry_applies(
    stripe_fake: StripeFake, session: Session
) -> None:
    user = make_user(session)
    customer = service.ensure_customer(user.id, session=session)
    stripe_fake.hold = True
    stripe_fake.subscribe(customer)
    event = stripe_fake.pending[0]
    stripe_fake.faults.fail_before(10, status=503, path="/v1/subscriptions")
    assert stripe_fake.deliver(event) == [500]
    assert events_stored(session) == 0
    stripe_fake.faults.clear()
    assert stripe_fake.deliver(event) == [200]
    assert plans.effective_plan(user.id, session=session) == plans.PRO


def test_event_of_an_unknown_customer_changes_nobody(
    stripe_fake: StripeFake, session: Session
) -> None:
    user = make_user(session)
    service.ensure_customer(user.id, session=session)
    stripe_fake.hold = True
    stripe_fake.customers["cus_stranger"] = {"id": "cus_stranger", "object": "customer"}
    stripe_fake.subscribe("cus_stranger")
    assert stripe_fake.deliver(stripe_fake.pending[0]) == [200]
    assert plans.effective_plan(user.id, session=session) == plans.FREE
    assert events_stored(session) == 0


def test_billing_off_makes_no_stripe_call(app_env: dict[str, str], session: Session) -> None:
    user = make_user(session)
    client = TestClient(build_api())
    resp = client.post(WEBHOOK_PATH, content=json.dumps({"id": "evt_1"}))
    assert resp.status_code == 404
    try:
        service.start_checkout(user.id, "pro", session=session)
        raise AssertionError("checkout must be refused with billing off")
    except service.BillingError as exc:
        assert "not offered" in str(exc)
    view = service.overview(user.id, session=session)
    assert not view.enabled and view.plan == plans.FREE
    assert "STRIPE_SECRET_KEY" in view.missing_settings
