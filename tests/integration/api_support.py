"""Public API test harness: the real backend front (aigrowth.http.routes.build_api, with
/api/v1 mounted) served by uvicorn on a real port, founders and their keys."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlmodel import Session

from aigrowth.accounts.models import User
from aigrowth.api import keys
from aigrowth.businesses.models import Business
from aigrowth.http.routes import build_api
from tests.fakes.common import FakeServer
from tests.integration.founder_support import make_founder

BASICS = {
    "name": "Bean Counter Coffee",
    "industry": "Food & drink",
    "description": "A neighbourhood roastery selling single-origin beans online and in store.",
}
AUDIENCE = {"target_audience": "Home baristas in Lyon who care about freshness"}
CHANNELS = {"platforms": ["mastodon", "bluesky"], "tone": "friendly"}


class LiveApp(FakeServer):
    """build_api() (the Starlette app Reflex mounts) on 127.0.0.1:<free port>."""

    def build_app(self) -> Any:
        return build_api()


@dataclass
class Founder:
    user: User
    business: Business
    key: str  # read-and-write
    read_key: str

    def headers(self, *, read_only: bool = False) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.read_key if read_only else self.key}"}


def make_api_founder(session: Session, *, timezone: str = "UTC") -> Founder:
    user, business = make_founder(session, {1: BASICS, 2: AUDIENCE, 4: CHANNELS}, timezone=timezone)
    _row, key = keys.create_key(user.id, "tests", "write", session=session)
    _row, read_key = keys.create_key(user.id, "reader", "read", session=session)
    return Founder(user=user, business=business, key=key, read_key=read_key)


@pytest.fixture
def live_app(app_env: dict[str, str]) -> Iterator[str]:
    """The base URL of the live backend (its /api/v1 is the public API)."""
    with LiveApp() as app:
        yield app.base_url


@pytest.fixture
def api(live_app: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=live_app + "/api/v1", timeout=30) as client:
        yield client


def new_id() -> str:
    return str(uuid.uuid4())
