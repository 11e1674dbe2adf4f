# ruff: noqa: F811  (pytest fixtures imported from api_support are parameters here)
"""Billing through the API with the fake Stripe: subscription and meters, Checkout then
the webhooks put the user on Pro (the API grants nothing itself), the Portal; billing
off answers a problem; read-only keys cannot start a checkout."""

from __future__ import annotations

import httpx
from sqlmodel import Session

from aigrowth.billing import plans
from tests.fakes.stripe import StripeFake
from tests.integration.api_support import api, live_app, make_api_founder  # noqa: F401
from tests.integration.billing_support import session_id_of, sub_of, wait_for


def test_subscription_checkout_portal(
    api: httpx.Client, session: Session, stripe_fake: StripeFake
) -> None:
    f = make_api_founder(session)
    sub = api.get("/billing/subscription", headers=f.headers(read_only=True)).json()
    assert sub["billing_enabled"] and sub["plan"] == "free" and "pro" in sub["for_sale"]
    assert {m["name"] for m in sub["meters"]} == set(plans.LIMIT_NAMES)
    assert (
        api.post(
            "/billing/checkout", headers=f.headers(read_only=True), json={"plan": "pro"}
        ).status_code
        == 403
    )
    r = api.post("/billing/checkout", headers=f.headers(), json={"plan": "pro"})
    assert r.status_code == 200, r.text
    assert plans.effective_plan(f.user.id, session=session) == plans.FREE  # not before paying
    stripe_fake.pay(session_id_of(r.json()["url"]))
    wait_for(lambda: (s := sub_of(session, f.user)) is not None and s.plan == "pro")
    stripe_fake.drain()
    assert api.get("/billing/subscription", headers=f.headers()).json()["plan"] == "pro"
    again = api.post("/billing/checkout", headers=f.headers(), json={"plan": "pro"})
    assert again.status_code == 409 and again.json()["type"].endswith("billing-refused")
    portal = api.post("/billing/portal", headers=f.headers())
    assert portal.status_code == 200 and portal.json()["url"].startswith("http")


def test_billing_off_is_a_problem(api: httpx.Client, session: Session) -> None:
    f = make_api_founder(session)
    assert api.get("/billing/subscription", headers=f.headers()).json()["billing_enabled"] is False
    r = api.post("/billing/checkout", headers=f.headers(), json={"plan": "pro"})
    assert r.status_code == 404 and r.json()["type"].endswith("billing-off")
