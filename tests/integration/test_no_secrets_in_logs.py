"""No secret in any log line (issue 15 #4).

For every platform fake: a full connect (OAuth through the real callback route, or the
Bluesky app password), a token refresh where the platform has one, and a publish, with
the process's real logging set-up and every HTTP client logging at DEBUG (what an
operator chasing a problem would switch on). Then every credential that crossed the
wire (collected from what the fakes received: Authorization headers, token, code,
secret and password parameters, Meta's APPID|SECRET app tokens), every token stored
for the account and every configured secret is searched for in the captured log.
"""

from __future__ import annotations

import base64
import io
import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qsl

import pytest
from sqlmodel import Session

from aigrowth.dbtypes import utcnow
from aigrowth.logging_setup import configure_logging
from aigrowth.settings import reset_settings_cache
from aigrowth.social import service
from aigrowth.social.connectors.base import Media, PublishContext, get_connector
from aigrowth.social.models import SocialAccount
from tests.fakes.bluesky import BlueskyFake
from tests.fakes.common import FakeServer
from tests.fakes.graph import GraphFake
from tests.fakes.linkedin import LinkedInFake
from tests.fakes.mastodon import MastodonFake
from tests.fakes.social_support import connect_bluesky, connect_oauth, fast_polling, serve
from tests.fakes.threads import ThreadsFake
from tests.fakes.x import XFake

SECRET_PARAMS = {
    "access_token",
    "refresh_token",
    "client_secret",
    "code",
    "code_verifier",
    "password",
    "fb_exchange_token",
    "input_token",
    "token",
    "refreshJwt",
    "accessJwt",
}
HTTP_LOGGERS = ("httpx", "httpx2", "httpcore", "httpcore2", "authlib")


@contextmanager
def capture_logs(monkeypatch: pytest.MonkeyPatch) -> Iterator[io.StringIO]:
    """The real logging set-up of every process (configured once the settings point at
    the fakes, as at start-up), HTTP clients at DEBUG, into a buffer."""
    root = logging.getLogger()
    saved = (root.handlers[:], root.level, logging.getLogRecordFactory())
    levels = {name: logging.getLogger(name).level for name in HTTP_LOGGERS}
    monkeypatch.setenv("LOG_LEVEL", "DEBUG")
    reset_settings_cache()
    configure_logging()
    for name in HTTP_LOGGERS:
        logging.getLogger(name).setLevel(logging.DEBUG)
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    root.addHandler(handler)
    try:
        yield buffer
    finally:
        root.handlers[:] = saved[0]
        root.setLevel(saved[1])
        logging.setLogRecordFactory(saved[2])
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)


def _params(call: Any) -> list[tuple[str, str]]:
    pairs = parse_qsl(call.query, keep_blank_values=False)
    body = call.body.decode(errors="replace") if call.body else ""
    if body.startswith("{"):
        try:
            data = json.loads(body)
        except ValueError:
            data = {}
        if isinstance(data, dict):
            pairs += [(k, v) for k, v in data.items() if isinstance(v, str)]
    elif "=" in body:
        pairs += parse_qsl(body)
    return pairs


def credentials_sent(fake: FakeServer) -> set[str]:
    """Every credential our code sent to the fake."""
    found: set[str] = set()
    for call in fake.calls:
        auth = call.headers.get("authorization", "")
        scheme, _, value = auth.partition(" ")
        if scheme.lower() == "basic":
            found.add(value)
            found.add(base64.b64decode(value).decode().partition(":")[2])  # id:SECRET
        elif value:
            found.add(value)
        for name, value in _params(call):
            if name in SECRET_PARAMS:
                found.add(value)
                found.update(value.split("|"))  # Meta app token APPID|APPSECRET
    return found


def stored_tokens(session: Session, account: SocialAccount) -> set[str]:
    ref = service.account_ref(account.id, session=session)
    return {t for t in (ref.access_token, ref.refresh_token, ref.client_secret) if t}


def configured_secrets(fake: FakeServer) -> set[str]:
    return {v for k, v in fake.settings().items() if "SECRET" in k}


def refresh(session: Session, account: SocialAccount) -> set[str]:
    """Refresh the account's token as the periodic job would (due in a minute)."""
    ref = service.account_ref(account.id, session=session)
    if not get_connector(account.platform).can_refresh(ref):
        return set()
    row = session.get(SocialAccount, account.id)
    row.token_expires_at = utcnow() + timedelta(minutes=1)
    row.last_refreshed_at = utcnow() - timedelta(days=55)
    session.add(row)
    session.commit()
    fresh = service.ensure_fresh_token(account.id, session=session)
    assert fresh.access_token != ref.access_token, "the refresh did not happen"
    return stored_tokens(session, account)


def publish(session: Session, account: SocialAccount, **kw: Any) -> None:
    connector = get_connector(account.platform)
    service.call_with_account(
        account.id,
        lambda ref: connector.publish(PublishContext(account=ref, text="Launch day 🚀", **kw)),
        session=session,
    )


def check(log: io.StringIO, secrets: set[str]) -> None:
    text = log.getvalue()
    assert "HTTP Request" in text, "the HTTP clients' request lines were not captured"
    secrets = {s for s in secrets if len(s) >= 6}
    assert secrets, "no secret collected: the test would prove nothing"
    leaked = sorted(s for s in secrets if s in text)
    assert not leaked, f"secrets in the log: {leaked}\n{text[-4000:]}"


def run_oauth_platform(
    fake: FakeServer, platform: str, session: Session, log: io.StringIO, **publish_kw: Any
) -> None:
    begin: dict[str, Any] = {}
    if platform == "mastodon":
        begin["instance_url"] = fake.base_url
    accounts = connect_oauth(session, platform, **begin)
    account = accounts[0]
    secrets = stored_tokens(session, account)
    if platform == "threads":
        fake.state.clock_offset = 2 * 86400  # a token must be a day old to be renewed
    secrets |= refresh(session, account)
    publish(session, account, **publish_kw)
    check(log, secrets | credentials_sent(fake) | configured_secrets(fake))


@pytest.mark.parametrize(
    ("platform", "make_fake"),
    [
        ("x", XFake),
        ("linkedin", LinkedInFake),
        ("facebook", GraphFake),
        ("threads", ThreadsFake),
        ("mastodon", MastodonFake),
    ],
)
def test_connect_refresh_publish_logs_no_secret(app_env, monkeypatch, session, platform, make_fake):
    fake = make_fake()
    if platform == "linkedin":
        fake.state.refresh_enabled = True  # a partner app: it gets refresh tokens
    for _ in serve(fake, monkeypatch):
        if platform == "threads":
            fast_polling(monkeypatch, "threads")
        with capture_logs(monkeypatch) as log:
            run_oauth_platform(fake, platform, session, log)


def test_instagram_connect_publish_logs_no_secret(app_env, monkeypatch, session):
    for fake in serve(GraphFake(), monkeypatch):
        fast_polling(monkeypatch, "instagram")
        with capture_logs(monkeypatch) as log:
            media = [Media(url=fake.image_url())]
            run_oauth_platform(fake, "instagram", session, log, media=media)


def test_bluesky_connect_refresh_publish_logs_no_secret(app_env, monkeypatch, session):
    for fake in serve(BlueskyFake(), monkeypatch):
        with capture_logs(monkeypatch) as log:
            account = connect_bluesky(session, fake)
            secrets = {"abcd-efgh-ijkl-mnop"} | stored_tokens(session, account)
            secrets |= refresh(session, account)
            publish(session, account)
            check(log, secrets | credentials_sent(fake))


def test_default_level_keeps_http_request_lines_out(app_env, monkeypatch):
    """At INFO (the default) httpx's request lines are not logged at all."""
    with capture_logs(monkeypatch):
        pass
    monkeypatch.setenv("LOG_LEVEL", "INFO")
    reset_settings_cache()
    configure_logging()
    assert logging.getLogger("httpx").getEffectiveLevel() == logging.WARNING
    assert logging.getLogger("httpx2").getEffectiveLevel() == logging.WARNING


def test_the_access_log_of_an_oauth_callback_is_redacted(app_env, monkeypatch):
    """uvicorn's access log keeps its shape (it unpacks a 5-tuple of arguments),
    without the authorization code and the state."""
    from uvicorn.logging import AccessFormatter

    with capture_logs(monkeypatch) as log:
        access = logging.getLogger("uvicorn.access")
        # As under `reflex run`: uvicorn's access log at INFO into its own handler (the
        # fakes' uvicorn left it at WARNING).
        level = access.level
        access.setLevel(logging.INFO)
        monkeypatch.setattr(access, "disabled", False)
        monkeypatch.setattr(access, "propagate", False)
        monkeypatch.setattr(access, "handlers", [logging.StreamHandler(log)])
        access.info(
            '%s - "%s %s HTTP/%s" %d',
            "203.0.113.9:5123",
            "GET",
            "/oauth/threads/callback?code=AQBx-secret-code&state=st4te-value",
            "1.1",
            303,
        )
        record = logging.getLogRecordFactory()(
            "uvicorn.access",
            logging.INFO,
            "",
            0,
            '%s - "%s %s HTTP/%s" %d',
            ("203.0.113.9:5123", "GET", "/x?access_token=abcdef123", "1.1", 200),
            None,
        )
        formatter = AccessFormatter("%(client_addr)s %(request_line)s %(status_code)s")
        formatted = formatter.format(record)
        access.setLevel(level)
    text = log.getvalue()
    assert "/oauth/threads/callback?code=[REDACTED]&state=[REDACTED]" in text
    assert "AQBx-secret-code" not in text and "st4te-value" not in text
    assert formatted == "203.0.113.9:5123 GET /x?access_token=[REDACTED] HTTP/1.1 200 OK"
