"""Issue 15 (accounts): each attack replayed through the real Reflex handlers.

Visitors sit behind the documented reverse proxy: the web process sees every TCP
connection from 127.0.0.1 (Caddy) and the visitor's address in X-Forwarded-For, exactly
what Reflex puts in a websocket's router data. Real Redis, SQLite/PostgreSQL, RQ, and a
local SMTP server where SMTP matters.
"""

from __future__ import annotations

import asyncio
import inspect
import re
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import urlsplit

import pytest
from sqlmodel import Session

from aigrowth.accounts import service
from aigrowth.accounts.models import User, UserIdentity
from aigrowth.accounts.service import SESSION_COOKIE
from aigrowth.accounts.state import (
    ConfirmEmailState,
    ForgotState,
    LoginState,
    SettingsState,
    SignupState,
    VerifyState,
)
from aigrowth.settings import reset_settings_cache
from tests.fakes.smtp import SmtpFake
from tests.integration.mail_support import MailWorker

V_PW = "violet harbour morning"  # the owner's password
A_PW = "attacker picks this one"
PROXY = "127.0.0.1"


def _drain(result: Any) -> list[Any]:
    """Run a handler's result like Reflex: drain generators, await coroutines (on a loop
    of their own thread, as a live Playwright loop may own this one)."""

    async def collect() -> list[Any]:
        if inspect.isasyncgen(result):
            return [item async for item in result]
        return [await result]

    if inspect.isasyncgen(result) or inspect.iscoroutine(result):
        with ThreadPoolExecutor(max_workers=1) as pool:
            return pool.submit(asyncio.run, collect()).result()
    if inspect.isgenerator(result):
        return list(result)
    return [result]


class Visitor:
    """One browser tab as Reflex sees it, arriving through the reverse proxy."""

    def __init__(self, forwarded_for: str, path: str, cookie: str = "") -> None:
        from reflex.state import State

        import aigrowth.pages  # noqa: F401  (registers every page's state)

        self.forwarded_for = forwarded_for
        self.cookie = cookie
        self.root = State(_reflex_internal_init=True)
        self.goto(path)

    def goto(self, path: str) -> None:
        parts = urlsplit(path)
        router_data = {
            "headers": {
                "cookie": self.cookie,
                "user-agent": "pytest",
                "origin": "http://localhost:3000",
                "asgi-scope-client": PROXY,
                "x-forwarded-for": self.forwarded_for,
            },
            "pathname": parts.path,
            "asPath": path,
            "query": {},
            "token": "client-token",
            "sid": "sid",
            "ip": PROXY,  # what Reflex itself resolves without trusted proxy hops
        }
        self.root.router_data = self.root._update_router_vars(router_data, {})

    def state(self, cls: type) -> Any:
        return self.root.get_substate(cls.get_full_name().split("."))

    def run(self, cls: type, name: str, *args: Any) -> list[Any]:
        return _drain(cls.event_handlers[name].fn(self.state(cls), *args))


@pytest.fixture
def proxied(app_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The documented deploy: Caddy in front, TRUSTED_PROXY_HOPS=1."""
    monkeypatch.setenv("TRUSTED_PROXY_HOPS", "1")
    reset_settings_cache()
    return app_env


def _links(mails: list[dict[str, str]], to: str, path: str) -> list[str]:
    found = []
    for mail in mails:
        match = re.search(rf"{re.escape(path)}\?token=[\w\-]+", mail["text"])
        if mail["to"] == to and match:
            found.append(match.group(0))
    return found


def _sign_up(visitor: Visitor, email: str, password: str) -> SignupState:
    visitor.goto("/signup")
    visitor.run(SignupState, "on_load")
    visitor.run(SignupState, "submit", {"email": email, "password": password, "full_name": ""})
    return visitor.state(SignupState)


def _sign_in(visitor: Visitor, email: str, password: str) -> str:
    """The sign-in form's error ('' when the browser is sent on to /auth/complete)."""
    visitor.goto("/login")
    visitor.run(LoginState, "on_load")
    out = visitor.run(LoginState, "submit", {"email": email, "password": password})
    error = visitor.state(LoginState).error
    if not error:
        assert "/auth/complete?ticket=" in repr(out)
    return error


def _confirm(visitor: Visitor, link: str, password: str) -> VerifyState:
    visitor.goto(link)
    visitor.run(VerifyState, "on_load")
    visitor.run(VerifyState, "submit", {"password": password})
    return visitor.state(VerifyState)


# ------------------------------------------------- 1. takeover before confirmation
def test_a_repeat_sign_up_cannot_take_over_an_unconfirmed_account(
    proxied: dict[str, str],
    session: Session,
    mail_worker: MailWorker,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ADMIN_EMAILS", "ada@example.com")
    reset_settings_cache()
    service.create_user("operator@example.com", "operator pass phrase", session=session)
    victim, attacker = Visitor("198.51.100.7", "/signup"), Visitor("203.0.113.9", "/signup")

    assert _sign_up(victim, "ada@example.com", V_PW).sent_to == "ada@example.com"
    ada = service.get_user_by_email("ada@example.com", session=session)
    assert ada is not None and not ada.is_admin  # ADMIN_EMAILS counts only once confirmed
    # The attacker signs up again with Ada's address before she opens her mail.
    assert _sign_up(attacker, "ada@example.com", A_PW).sent_to == "ada@example.com"
    [first_link, second_link] = _links(mail_worker.deliver(), "ada@example.com", "/verify")
    assert _sign_in(attacker, "ada@example.com", A_PW)  # nothing works before confirmation

    # Ada opens the link of her own sign-up and confirms with her password.
    assert _confirm(victim, first_link, V_PW).error == ""
    assert _sign_in(attacker, "ada@example.com", A_PW) == service.INVALID_CREDENTIALS
    assert _sign_in(victim, "ada@example.com", V_PW) == ""
    session.refresh(ada)
    assert ada.is_admin and ada.email_verified_at is not None
    # The attacker's link died with the confirmation.
    assert not _confirm(attacker, second_link, A_PW).valid


def test_a_squatted_address_is_confirmed_only_with_the_owners_password(
    proxied: dict[str, str], session: Session, mail_worker: MailWorker
) -> None:
    service.create_user("operator@example.com", "operator pass phrase", session=session)
    attacker, victim = Visitor("203.0.113.9", "/signup"), Visitor("198.51.100.7", "/signup")
    _sign_up(attacker, "ada@example.com", A_PW)  # the squatter is first...
    _sign_up(victim, "ada@example.com", V_PW)  # ...then Ada signs up herself
    [squatter_link, own_link] = _links(mail_worker.deliver(), "ada@example.com", "/verify")

    # The link proves the inbox, not the password: a wrong password confirms nothing.
    wrong = _confirm(victim, own_link, "not what anyone chose")
    assert wrong.error == service.VERIFY_WRONG_PASSWORD
    assert service.get_user_by_email("ada@example.com", session=session).email_verified_at is None
    # Even the squatter's mail confirms only with a password Ada submitted: hers.
    assert _confirm(victim, squatter_link, V_PW).error == ""
    assert _sign_in(attacker, "ada@example.com", A_PW) == service.INVALID_CREDENTIALS
    assert _sign_in(victim, "ada@example.com", V_PW) == ""
    assert not _confirm(victim, own_link, V_PW).valid  # every other link is closed


# ------------------------------------------------------ 5. throttles behind the proxy
def test_throttles_key_on_the_real_visitor_behind_the_proxy(
    proxied: dict[str, str], session: Session
) -> None:
    service.create_user("ada@example.com", V_PW, session=session)
    attacker = Visitor("203.0.113.9", "/login")
    for _ in range(service.THROTTLE_FREE_PER_IP + 1):
        _sign_in(attacker, "ada@example.com", "wrong guess here")
    assert "Too many attempts" in _sign_in(attacker, "ada@example.com", V_PW)
    # A forged X-Forwarded-For entry (Caddy appends the real address after it) is ignored.
    forger = Visitor("10.1.2.3, 203.0.113.9", "/login")
    assert "Too many attempts" in _sign_in(forger, "ada@example.com", V_PW)
    # Ada, from an address she never used before, and anyone else are not locked out.
    assert _sign_in(Visitor("198.51.100.7", "/login"), "ada@example.com", V_PW) == ""
    service.create_user("bob@example.com", V_PW, session=session)
    assert _sign_in(Visitor("192.0.2.44", "/login"), "bob@example.com", V_PW) == ""


# ------------------------------------------- 6. /forgot: no SMTP in the request, throttled
def test_forgot_sends_from_a_job_and_does_the_same_work_for_any_address(
    proxied: dict[str, str],
    session: Session,
    mail_worker: MailWorker,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    service.create_user("ada@example.com", V_PW, session=session)
    with SmtpFake() as smtp:
        monkeypatch.setenv("SMTP_URL", smtp.url)
        reset_settings_cache()
        for email in ("ada@example.com", "ghost@example.com"):
            tab = Visitor("198.51.100.7", "/forgot")
            tab.run(ForgotState, "on_load")
            tab.run(ForgotState, "submit", {"email": email})
            page = tab.state(ForgotState)
            assert page.sent and page.error == ""
        # Neither answer waited for SMTP: both only queued one identical job.
        assert smtp.connections == 0
        assert mail_worker.queued() == 2
        mail_worker.deliver()
        [mail] = smtp.parsed()
        assert mail["to"] == "ada@example.com" and "/reset?token=" in mail["text"]


def test_sign_up_and_forgot_are_throttled_per_client(
    proxied: dict[str, str], session: Session, mail_worker: MailWorker
) -> None:
    service.create_user("operator@example.com", "operator pass phrase", session=session)
    busy = Visitor("203.0.113.20", "/forgot")
    for i in range(service.FORGOT_LIMIT_PER_IP):
        busy.run(ForgotState, "submit", {"email": f"user{i}@example.com"})
        assert busy.state(ForgotState).error == ""
    busy.run(ForgotState, "on_load")
    busy.run(ForgotState, "submit", {"email": "one-more@example.com"})
    assert "Too many attempts" in busy.state(ForgotState).error
    assert not busy.state(ForgotState).sent

    for i in range(service.SIGNUP_LIMIT_PER_IP):
        assert _sign_up(busy, f"new{i}@example.com", V_PW).sent_to
    refused = _sign_up(busy, "another@example.com", V_PW)
    assert refused.sent_to == "" and "Too many attempts" in refused.error
    assert service.get_user_by_email("another@example.com", session=session) is None
    # Another client is unaffected.
    assert _sign_up(Visitor("198.51.100.8", "/signup"), "other@example.com", V_PW).sent_to


# ------------------------------------------------------ 10. honest mail caps
def test_mail_caps_are_per_address_and_client_and_pages_never_claim_a_mail(
    proxied: dict[str, str], session: Session, mail_worker: MailWorker
) -> None:
    service.create_user("operator@example.com", "operator pass phrase", session=session)
    # Forty people sign up from forty addresses within the hour: no install-wide cap.
    for i in range(40):
        assert _sign_up(Visitor(f"198.51.100.{i + 1}", "/signup"), f"p{i}@example.com", V_PW)
    confirmations = [m for m in mail_worker.deliver() if "/verify?token=" in m["text"]]
    assert len(confirmations) == 40

    # One address asked for too often (its confirmation mail counts too): the page says
    # when to retry, never "sent".
    for i in range(service.MAIL_LIMIT_PER_ADDRESS - 1):
        tab = Visitor(f"203.0.113.{i + 1}", "/forgot")
        tab.run(ForgotState, "submit", {"email": "p0@example.com"})
        assert tab.state(ForgotState).sent
    late = Visitor("203.0.113.99", "/forgot")
    late.run(ForgotState, "submit", {"email": "p0@example.com"})
    page = late.state(ForgotState)
    assert not page.sent and re.search(r"Try again in \d+ minutes", page.error), page.error
    again = _sign_up(late, "p0@example.com", V_PW)
    assert again.sent_to == "" and "Try again in" in again.error
    resets = [m for m in mail_worker.deliver() if "/reset?token=" in m["text"]]
    assert len(resets) == service.MAIL_LIMIT_PER_ADDRESS - 1


# ------------------------------------------------------ 2. email change, linked sign-ins
def test_an_email_change_waits_for_the_new_address_and_tells_the_old(
    proxied: dict[str, str], session: Session, mail_worker: MailWorker
) -> None:
    ada = service.create_user("ada@example.com", V_PW, session=session)
    token = service.create_session(ada.id, session=session)
    tab = Visitor("198.51.100.7", "/settings", cookie=f"{SESSION_COOKIE}={token}")
    tab.run(SettingsState, "on_load")
    tab.run(SettingsState, "change_email", {"email": "wrong@example.com", "password": "nope"})
    assert "current password" in tab.state(SettingsState).email_error
    tab.run(SettingsState, "change_email", {"email": "Ada@New.example", "password": V_PW})
    settings = tab.state(SettingsState)
    assert settings.email_error == "" and settings.email_pending == "ada@new.example"
    session.refresh(ada)
    assert ada.email == "ada@example.com"  # nothing changes before the new inbox answers

    mails = mail_worker.deliver()
    [link] = _links(mails, "ada@new.example", "/confirm-email")
    notice = [m for m in mails if m["to"] == "ada@example.com"]
    assert len(notice) == 1 and "ada@new.example" in notice[0]["text"]

    page = Visitor("192.0.2.5", link)  # opened anywhere: the link is the proof
    page.run(ConfirmEmailState, "on_load")
    assert page.state(ConfirmEmailState).new_email == "ada@new.example"
    page.run(ConfirmEmailState, "confirm")
    assert page.state(ConfirmEmailState).done_email == "ada@new.example"
    session.refresh(ada)
    assert ada.email == "ada@new.example"
    assert [m["to"] for m in mail_worker.deliver()[len(mails) :]] == ["ada@example.com"]
    assert _sign_in(Visitor("198.51.100.7", "/login"), "ada@new.example", V_PW) == ""
    again = Visitor("192.0.2.5", link)
    again.run(ConfirmEmailState, "on_load")
    assert not again.state(ConfirmEmailState).valid  # single use


def test_settings_lists_linked_sign_ins_and_never_removes_the_last_way_in(
    proxied: dict[str, str], session: Session
) -> None:
    user = User(email="ada@example.com", password_hash=None, email_verified_at=service.utcnow())
    session.add(user)
    session.commit()
    for issuer, subject in (("https://accounts.google.com", "g-1"), ("https://github.com", "7")):
        session.add(
            UserIdentity(user_id=user.id, issuer=issuer, subject=subject, email="ada@example.com")
        )
    session.commit()
    token = service.create_session(user.id, session=session)
    tab = Visitor("198.51.100.7", "/settings", cookie=f"{SESSION_COOKIE}={token}")
    tab.run(SettingsState, "on_load")
    sign_ins = tab.state(SettingsState).sign_ins
    assert [s["label"] for s in sign_ins] == [
        "Google (ada@example.com)",
        "GitHub (ada@example.com)",
    ]

    tab.run(SettingsState, "remove_sign_in", sign_ins[0]["id"])
    [last] = tab.state(SettingsState).sign_ins
    out = tab.run(SettingsState, "remove_sign_in", last["id"])
    assert "only way to sign in" in repr(out)
    session.expire_all()
    assert [i.subject for i in session.query(UserIdentity).all()] == ["7"]
