"""Helpers for tests of social connectors: users with sessions, settings pointing at
fakes, and walking an OAuth redirect through a fake's auto-approving authorize page."""

from __future__ import annotations

import uuid
from urllib.parse import urlsplit

import httpx
import pytest
from sqlmodel import Session
from starlette.applications import Starlette
from starlette.testclient import TestClient

from aigrowth.accounts.models import User
from aigrowth.accounts.service import SESSION_COOKIE, create_session
from aigrowth.settings import reset_settings_cache


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
