"""Billing test harness: the fake Stripe, and the app's own HTTP routes served by
uvicorn on a real port so the fake can deliver webhooks to them (concurrently)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from sqlmodel import Session, select

from aigrowth.accounts.models import User
from aigrowth.billing.models import StripeEvent, Subscription
from aigrowth.billing.routes import WEBHOOK_PATH
from aigrowth.http.routes import build_api
from aigrowth.settings import reset_settings_cache
from tests.fakes.common import FakeServer
from tests.fakes.stripe import StripeFake


class AppRoutes(FakeServer):
    """build_api() (the Starlette app Reflex mounts) on 127.0.0.1:<free port>."""

    def build_app(self) -> Any:
        return build_api()


@pytest.fixture
def stripe_fake(app_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Iterator[StripeFake]:
    """Billing on: the fake Stripe's settings, and webhooks delivered to our route."""
    with StripeFake() as fake, AppRoutes() as app:
        for key, value in fake.settings().items():
            monkeypatch.setenv(key, value)
        reset_settings_cache()
        fake.webhook_url = app.base_url + WEBHOOK_PATH
        yield fake
        fake.drain()
    reset_settings_cache()


def make_user(session: Session, email: str = "") -> User:
    user = User(email=email or f"{uuid.uuid4().hex[:8]}@example.com")
    session.add(user)
    session.commit()
    return user


def sub_of(session: Session, user: User) -> Subscription | None:
    session.expire_all()
    return session.exec(select(Subscription).where(Subscription.user_id == user.id)).first()


def events_stored(session: Session) -> int:
    session.expire_all()
    return len(session.exec(select(StripeEvent)).all())


def wait_for(check: Any, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.05)


def session_id_of(url: str) -> str:
    return url.rsplit("/", 1)[-1]
