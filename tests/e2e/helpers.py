"""Helpers for e2e tests (importable, unlike conftest)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlmodel import Session

from aigrowth.accounts.service import SESSION_COOKIE
from aigrowth.db import make_engine
from aigrowth.settings import PROJECT_ROOT

ARTIFACTS = PROJECT_ROOT / "test-artifacts"


def screenshot(page: object, name: str) -> Path:
    """Save a full-page screenshot under test-artifacts/ (kept by CI as evidence)."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def unique_email(prefix: str = "founder") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}@example.com"


@contextmanager
def app_db(live_app: object) -> Iterator[Session]:
    """A session on the live app's own database, for seeding and checking."""
    engine = make_engine(live_app.env["DATABASE_URL"])
    try:
        with Session(engine, expire_on_commit=False) as session:
            yield session
    finally:
        engine.dispose()


def sign_in(page: object, live_app: object, token: str) -> None:
    """Give the browser a session cookie made by the service (skips the sign-in form)."""
    page.context.add_cookies(
        [{"name": SESSION_COOKIE, "value": token, "url": live_app.url, "httpOnly": True}]
    )


_WIDE_ELEMENTS_JS = """
[...document.querySelectorAll('body *')]
  .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)
  .slice(0, 6)
  .map(e => e.tagName + ' ' + (e.innerText || '').slice(0, 40))
"""


def assert_fits_width(page: object) -> None:
    """Nothing sticks out sideways (phone widths): names the offenders when it fails."""
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 1, page.evaluate(_WIDE_ELEMENTS_JS)
