"""Helpers for tests of social connectors: users with sessions, settings pointing at
fakes, and walking an OAuth redirect through a fake's auto-approving authorize page."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from sqlmodel import Session, select
from starlette.applications import Starlette
from starlette.testclient import TestClient

from aigrowth.accounts.models import User
from aigrowth.accounts.service import SESSION_COOKIE, create_session
from aigrowth.settings import reset_settings_cache
from aigrowth.social import service
from aigrowth.social.connectors.base import PublishContext
from aigrowth.social.models import SocialAccount
from tests.fakes.common import FakeServer


def make_user(session: Session, email: str | None = None) -> tuple[User, str]:
    """A user row and a raw session token (the browser cookie)."""
    user = User(email=email or f"u{uuid.uuid4().hex[:8]}@example.com", full_name="Test User")
    session.add(user)
    session.commit()
    token = create_session(user.id, session=session)
    return user, token


def set_env(monkeypatch: pytest.MonkeyPatch, **values: str) -> None:
    for key, value in values.items():
        monkeypatch.setenv(key, value)
    reset_settings_cache()


def serve(fake: FakeServer, monkeypatch: pytest.MonkeyPatch, **env: str) -> Iterator[Any]:
    """Start `fake` and point the settings at it (for a fixture: `yield from serve(...)`).

    Short HTTP timeouts keep the slow-response tests fast; `env` adds or overrides."""
    with fake:
        set_env(monkeypatch, **{"SOCIAL_HTTP_TIMEOUT": "1", **fake.settings(), **env})
        yield fake


def connect_bluesky(session: Session, fake: FakeServer) -> SocialAccount:
    """A new user with a Bluesky account on `fake`, connected with its app password."""
    user, _ = make_user(session)
    return service.connect_bluesky(
        user_id=user.id,
        handle="@Alice.test",
        app_password="abcd-efgh-ijkl-mnop",
        pds_url=fake.base_url,
        session=session,
    )


def fast_polling(monkeypatch: pytest.MonkeyPatch, platform: str) -> Any:
    """The platform's connector, polling containers every 20 ms for at most 2 s."""
    from aigrowth.social.connectors.base import get_connector

    connector = get_connector(platform)
    monkeypatch.setattr(connector, "poll_interval", 0.02)
    monkeypatch.setattr(connector, "poll_timeout", 2.0)
    return connector


def publish_ctx(
    session: Session, account: SocialAccount, text: str, state: dict | None = None, **kw: Any
) -> PublishContext:
    """A publish context with fresh tokens; `ctx.saved` lists what the connector saved."""
    ref = service.ensure_fresh_token(account.id, session=session)
    saved: list[dict] = []
    kw.setdefault("save_state", saved.append)
    kw.setdefault("publish_state", state if state is not None else {})
    ctx = PublishContext(account=ref, text=text, **kw)
    ctx.saved = saved  # type: ignore[attr-defined]
    return ctx


class Attempts:
    """Publish contexts for the attempts of one post: each starts from the state the
    last one saved (as the publisher keeps it), and `publish_calls_at_save` records how
    many publish calls the fake had seen at each save (saved before publishing = 0)."""

    def __init__(
        self, session: Session, account: SocialAccount, fake: Any, **defaults: Any
    ) -> None:
        self.session, self.account, self.fake, self.defaults = session, account, fake, defaults
        self.saved: list[dict] = []
        self.publish_calls_at_save: list[int] = []

    def make(self, text: str | None = None, **kw: Any) -> PublishContext:
        def save(state: dict) -> None:
            self.saved.append(state)
            self.publish_calls_at_save.append(len(self.fake.state.publish_calls))

        values = {**self.defaults, **kw}
        if text is not None:
            values["text"] = text
        ref = service.ensure_fresh_token(self.account.id, session=self.session)
        state = dict(self.saved[-1]) if self.saved else {}
        return PublishContext(account=ref, publish_state=state, save_state=save, **values)


def authorize(url: str) -> str:
    """GET the fake's authorize URL; return the path+query it redirects back to."""
    resp = httpx.get(url, follow_redirects=False, timeout=10)
    assert resp.status_code == 302, resp.text
    location = urlsplit(resp.headers["location"])
    return f"{location.path}?{location.query}"


def callback_client(token: str | None) -> TestClient:
    """The real callback routes in a Starlette app, with the browser's session cookie."""
    from aigrowth.social.routes import ROUTES

    client = TestClient(Starlette(routes=ROUTES), follow_redirects=False)
    if token:
        client.cookies.set(SESSION_COOKIE, token)
    return client


def connect_oauth(
    session: Session,
    platform: str,
    *,
    user: tuple[User, str] | None = None,
    url_has: tuple[str, ...] = (),
    url_lacks: tuple[str, ...] = (),
    order_by: Any = None,
    **begin: Any,
) -> list[SocialAccount]:
    """A full connect through the fake's authorize page and the real callback route.

    `user` = (user, session token) to connect another account for the same person
    (default: a new user). Returns that user's accounts of `platform`, ordered by
    `order_by` (default: the platform's account id).
    """
    user_row, token = user or make_user(session)
    url = service.begin_connect(
        platform, user_id=user_row.id, session=session, session_token=token, **begin
    )
    for part in url_has:
        assert part in url, (part, url)
    for part in url_lacks:
        assert part not in url, (part, url)
    resp = callback_client(token).get(authorize(url))
    assert resp.status_code == 303, resp.text
    assert f"connected={platform}" in resp.headers["location"], resp.headers["location"]
    query = (
        select(SocialAccount)
        .where(SocialAccount.user_id == user_row.id, SocialAccount.platform == platform)
        .order_by(SocialAccount.account_id if order_by is None else order_by)
    )
    return list(session.exec(query).all())
