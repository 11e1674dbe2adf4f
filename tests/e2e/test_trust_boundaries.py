"""e2e (issue 15): what the browser and other sites can reach.

- #7: only our own origin may open the event websocket or read HTTP routes with
  credentials (Reflex's default `cors_allowed_origins` was "*").
- #8: the Bluesky app password is never sent back to the browser, never kept in the
  browser's storage or in the UI state in Redis, and the field is emptied at once.
"""

from __future__ import annotations

import socket
from urllib.parse import urlsplit

import httpx
import redis

from aigrowth.accounts.service import create_session, create_user
from tests.e2e.helpers import app_db, screenshot, sign_in, unique_email
from tests.fakes.bluesky import BlueskyFake

APP_PASSWORD = "pqrs-tuvw-xyz2-3456"
WRONG_PASSWORD = "wrong-pass-word-0000"


def _websocket_handshake(url: str, origin: str) -> int:
    """Status of a real websocket upgrade request to Reflex's event endpoint."""
    parts = urlsplit(url)
    request = (
        "GET /_event/?EIO=4&transport=websocket HTTP/1.1\r\n"
        f"Host: {parts.netloc}\r\n"
        "Upgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
        f"Origin: {origin}\r\n\r\n"
    )
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as sock:
        sock.sendall(request.encode())
        status_line = sock.recv(4096).split(b"\r\n", 1)[0]
    return int(status_line.split()[1])


def test_only_our_origin_opens_the_websocket_or_reads_with_credentials(live_app):
    assert _websocket_handshake(live_app.url, "https://evil.example") in (400, 403)
    assert _websocket_handshake(live_app.url, live_app.url) == 101

    evil = httpx.get(
        f"{live_app.url}/health",
        headers={"Origin": "https://evil.example", "Cookie": "aigrowth_session=x"},
        timeout=10,
    )
    assert "access-control-allow-origin" not in evil.headers
    ours = httpx.get(f"{live_app.url}/health", headers={"Origin": live_app.url}, timeout=10)
    assert ours.headers["access-control-allow-origin"] == live_app.url


def test_the_bluesky_app_password_stays_on_the_server(browser_page, live_app):
    page = browser_page
    with app_db(live_app) as db:
        user = create_user(unique_email(), "a long enough passphrase 42", session=db)
        token = create_session(user.id, session=db)
    sign_in(page, live_app, token)
    received: list[str] = []
    sent: list[str] = []

    def watch(ws: object) -> None:
        ws.on("framereceived", lambda payload: received.append(str(payload)))
        ws.on("framesent", lambda payload: sent.append(str(payload)))

    page.on("websocket", watch)
    with BlueskyFake(app_password=APP_PASSWORD) as bsky:
        page.goto("/accounts")
        card = page.locator("#platform-bluesky")
        card.get_by_label("Bluesky handle").fill("alice.test")
        card.get_by_text("Self-hosted PDS?").click()
        card.get_by_label("PDS URL").fill(bsky.base_url)
        password = card.get_by_label("App password")

        password.fill(WRONG_PASSWORD)
        card.get_by_role("button", name="Connect", exact=True).click()
        page.get_by_text("did not accept", exact=False).wait_for()
        assert password.input_value() == ""  # emptied even when the sign-in fails

        password.fill(APP_PASSWORD)
        card.get_by_role("button", name="Connect", exact=True).click()
        page.get_by_text("Bluesky connected as @alice.test.").wait_for()
        assert password.input_value() == ""
        screenshot(page, "bluesky-connected-password-cleared")
        storage = page.evaluate(
            "JSON.stringify([Object.entries(localStorage), Object.entries(sessionStorage),"
            " document.cookie])"
        )

    for secret in (APP_PASSWORD, WRONG_PASSWORD):
        # Up to the server once, with its form submission; never back down.
        assert sum(secret in frame for frame in sent) == 1, secret
        assert not any(secret in frame for frame in received), secret
        assert secret not in storage
    # Nor in the UI state Reflex keeps in Redis for this browser.
    client = redis.Redis.from_url(live_app.env["REDIS_URL"])
    for key in client.scan_iter(count=1000):
        kind = client.type(key)
        if kind == b"string":
            values = [client.get(key) or b""]
        elif kind == b"hash":
            values = list(client.hgetall(key).values())
        else:
            continue
        assert not any(APP_PASSWORD.encode() in value for value in values), key
