"""The cookie-setting HTTP routes, through the real Starlette app (build_api)."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select
from starlette.testclient import TestClient

from aigrowth.accounts import service
from aigrowth.accounts.models import UserSession
from aigrowth.accounts.service import SESSION_COOKIE, TICKET_COOKIE, TICKET_COOKIE_PATH
from aigrowth.http.routes import build_api
from aigrowth.settings import reset_settings_cache

PW = "river stone lantern"


@pytest.fixture
def client(app_env: dict[str, str]) -> TestClient:
    return TestClient(build_api(), base_url="http://localhost:8000", follow_redirects=False)


def _set_cookie(response, name: str = SESSION_COOKIE) -> str:
    headers = [
        v
        for k, v in response.headers.multi_items()
        if k.lower() == "set-cookie" and v.startswith(f"{name}=")
    ]
    assert len(headers) == 1, headers
    return headers[0]


def _bound_ticket(client: TestClient, user_id, **kwargs) -> str:
    """A ticket as the sign-in handler makes it: bound to this client's cookie."""
    binding = service.new_token()
    client.cookies.set(TICKET_COOKIE, binding, path=TICKET_COOKIE_PATH)
    return service.issue_login_ticket(user_id, binding=binding, **kwargs)


def test_auth_complete_sets_an_httponly_cookie_once(client: TestClient, session: Session) -> None:
    user = service.create_user("ada@example.com", PW, session=session)
    ticket = _bound_ticket(client, user.id, user_agent="UA")
    response = client.get("/auth/complete", params={"ticket": ticket, "next": "/content?tab=2"})
    assert response.status_code == 303
    assert response.headers["location"] == "http://localhost:3000/content?tab=2"
    assert response.headers["cache-control"] == "no-store"
    cookie = _set_cookie(response)
    low = cookie.lower()
    assert cookie.startswith(f"{SESSION_COOKIE}=")
    assert "httponly" in low and "samesite=lax" in low and "path=/" in low
    assert "secure" not in low  # APP_URL is http here
    token = cookie.split(";")[0].split("=", 1)[1]
    assert service.user_id_for_token(token, session=session) == user.id

    # The ticket is single use.
    again = client.get("/auth/complete", params={"ticket": ticket, "next": "/content"})
    assert again.status_code == 303
    assert again.headers["location"] == "http://localhost:3000/login?error=expired"
    assert SESSION_COOKIE not in again.headers.get("set-cookie", "")


def test_a_ticket_signs_in_only_the_browser_that_signed_in(
    client: TestClient, session: Session
) -> None:
    """Login CSRF: an attacker signs in to their own account and sends the victim the
    /auth/complete link; the victim's browser must not end up in the attacker's account."""
    attacker = service.create_user("mallory@example.com", PW, session=session)
    for victim_cookie in ("", service.new_token()):  # no binding cookie, or another one
        ticket = _bound_ticket(client, attacker.id)
        victim = TestClient(build_api(), base_url="http://localhost:8000", follow_redirects=False)
        if victim_cookie:
            victim.cookies.set(TICKET_COOKIE, victim_cookie, path=TICKET_COOKIE_PATH)
        response = victim.get("/auth/complete", params={"ticket": ticket})
        assert response.headers["location"] == "http://localhost:3000/login?error=expired"
        assert SESSION_COOKIE not in response.headers.get("set-cookie", "")
        # The ticket is spent: the attacker's own browser cannot use it afterwards either.
        late = client.get("/auth/complete", params={"ticket": ticket})
        assert late.headers["location"].endswith("/login?error=expired")
    assert session.exec(select(UserSession)).all() == []


def test_auth_complete_refuses_open_redirects_and_bad_tickets(
    client: TestClient, session: Session
) -> None:
    user = service.create_user("ada@example.com", PW, session=session)
    for nxt in ("https://evil.example/", "//evil.example", "/\\evil.example"):
        ticket = _bound_ticket(client, user.id)
        response = client.get("/auth/complete", params={"ticket": ticket, "next": nxt})
        assert response.headers["location"] == "http://localhost:3000/dashboard"
    forged = client.get("/auth/complete", params={"ticket": "forged", "next": "/dashboard"})
    assert forged.headers["location"].endswith("/login?error=expired")
    assert SESSION_COOKIE not in forged.headers.get("set-cookie", "")


def test_cookie_is_secure_when_app_url_is_https(
    app_env: dict[str, str], session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("APP_URL", "https://growth.example.com")
    reset_settings_cache()
    client = TestClient(build_api(), base_url="https://growth.example.com", follow_redirects=False)
    user = service.create_user("ada@example.com", PW, session=session)
    response = client.get("/auth/complete", params={"ticket": _bound_ticket(client, user.id)})
    assert response.headers["location"] == "https://growth.example.com/dashboard"
    assert "secure" in _set_cookie(response).lower()


def test_logout_clears_only_a_revoked_session_cookie(client: TestClient, session: Session) -> None:
    user = service.create_user("ada@example.com", PW, session=session)
    token = service.create_session(user.id, session=session)
    client.cookies.set(SESSION_COOKIE, token)
    # A third-party page linking here cannot sign Ada out: the session is live.
    live = client.get("/auth/logout")
    assert live.headers["location"] == "http://localhost:3000/dashboard"
    assert "set-cookie" not in live.headers
    assert service.user_id_for_token(token, session=session) == user.id
    # The sign-out handler revokes the row first; then the route clears the cookie.
    service.revoke_session(token, session=session)
    done = client.get("/auth/logout")
    assert done.headers["location"] == "http://localhost:3000/login?signed_out=1"
    cleared = _set_cookie(done).lower()
    assert cleared.startswith(f"{SESSION_COOKIE}=") and (
        "max-age=0" in cleared or "expires=" in cleared
    )
