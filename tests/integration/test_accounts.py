"""Accounts against real SQLite/PostgreSQL and a real Redis: sign-up, sign-in,
sessions, throttling, resets, enumeration, admin flag and per-user isolation."""

from __future__ import annotations

import re
import time
import uuid
from datetime import timedelta

import pytest
from argon2 import PasswordHasher
from sqlmodel import Session, select

from aigrowth.accounts import service
from aigrowth.accounts.models import PasswordResetToken, User, UserSession
from aigrowth.businesses.models import Business
from aigrowth.dbtypes import utcnow
from aigrowth.settings import reset_settings_cache
from tests.integration.mail_support import MailWorker

PW = "river stone lantern"


def _link(mail: dict[str, str], path: str) -> str:
    match = re.search(rf"{re.escape(path)}\?token=([A-Za-z0-9_\-]+)", mail["text"])
    assert match, mail["text"]
    return match.group(1)


@pytest.fixture
def env(app_env: dict[str, str], mail_worker: MailWorker) -> dict[str, str]:
    return app_env


# ------------------------------------------------------------------------- sign-up
def test_first_user_is_admin_and_signed_in_next_ones_confirm_by_mail(
    env: dict[str, str], session: Session, mail_worker: MailWorker
) -> None:
    first = service.sign_up("Owner@Example.com", PW, session=session, full_name="Owner")
    assert first.user_id is not None
    owner = session.get(User, first.user_id)
    assert owner.is_admin and owner.email == "owner@example.com"
    assert owner.email_verified_at is not None
    assert owner.password_hash.startswith("$argon2id$")

    second = service.sign_up("ada@example.com", PW, session=session, timezone="Europe/Paris")
    assert second.user_id is None
    assert second.message == service.NEUTRAL_SIGNUP
    ada = service.get_user_by_email("ada@example.com", session=session)
    assert not ada.is_admin and ada.email_verified_at is None and ada.timezone == "Europe/Paris"
    assert ada.password_hash is None  # no usable password before confirmation
    # Unconfirmed accounts cannot sign in; they get a fresh link instead.
    with pytest.raises(service.AccountError, match="Confirm your email"):
        service.authenticate("ada@example.com", PW, session=session, ip="10.0.0.1")

    mails = [m for m in mail_worker.deliver() if m["to"] == "ada@example.com"]
    assert len(mails) == 2 and "Confirm your email" in mails[0]["subject"]
    token = _link(mails[-1], "/verify")
    assert service.verify_token_is_valid(token, session=session)
    assert service.confirm_sign_up(token, PW, session=session) == ada.id
    with pytest.raises(service.AccountError):
        service.confirm_sign_up(token, PW, session=session)  # single use
    assert service.authenticate("ada@example.com", PW, session=session).id == ada.id


def test_signup_with_a_taken_email_answers_the_same_and_mails_the_owner(
    env: dict[str, str], session: Session, mail_worker: MailWorker
) -> None:
    service.create_user("owner@example.com", PW, session=session)
    before = service.get_user_by_email("owner@example.com", session=session).password_hash
    new = service.sign_up("new@example.com", "another good phrase", session=session)
    taken = service.sign_up("OWNER@example.com", "another good phrase", session=session)
    assert new == taken == service.SignUpResult(service.NEUTRAL_SIGNUP)
    after = service.get_user_by_email("owner@example.com", session=session).password_hash
    assert after == before  # the attempt changed nothing
    owner_mail = [m for m in mail_worker.deliver() if m["to"] == "owner@example.com"]
    assert len(owner_mail) == 1 and "tried to sign up" in owner_mail[0]["subject"]
    assert "token=" not in owner_mail[0]["text"]


def test_signup_rejects_bad_input_and_changes_nothing(
    env: dict[str, str], session: Session
) -> None:
    for email, pw in (
        ("not-an-email", PW),
        ("a@example.com", "short"),
        ("a@example.com", "password123"),
    ):
        with pytest.raises(service.AccountError):
            service.sign_up(email, pw, session=session)
    assert session.exec(select(User)).all() == []


def test_admin_emails_decide_admins(env: dict[str, str], session: Session, monkeypatch) -> None:
    monkeypatch.setenv("ADMIN_EMAILS", "boss@example.com, ops@example.com")
    reset_settings_cache()
    first = service.create_user("someone@example.com", PW, session=session)
    boss = service.create_user("Boss@example.com", PW, session=session)
    assert not first.is_admin and boss.is_admin


# ------------------------------------------------------------------------- sign-in
def test_unknown_email_and_wrong_password_look_identical(
    env: dict[str, str], session: Session
) -> None:
    service.create_user("ada@example.com", PW, session=session)
    timings: dict[str, float] = {}
    messages: dict[str, str] = {}
    for case, email in (("wrong_pw", "ada@example.com"), ("unknown", "nobody@example.com")):
        start = time.perf_counter()
        for _ in range(3):
            with pytest.raises(service.AccountError) as exc:
                service.authenticate(
                    email, "not the password", session=session, ip=f"10.1.{len(case)}.1"
                )
            assert type(exc.value) is service.AccountError
        timings[case] = time.perf_counter() - start
        messages[case] = str(exc.value)
    assert messages["wrong_pw"] == messages["unknown"] == service.INVALID_CREDENTIALS
    # Both paths run one argon2 verification: the unknown email is not measurably faster.
    assert timings["unknown"] > 0.5 * timings["wrong_pw"], timings


def test_sign_in_rehashes_outdated_parameters(env: dict[str, str], session: Session) -> None:
    user = service.create_user("ada@example.com", PW, session=session)
    user.password_hash = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(PW)
    session.add(user)
    session.commit()
    service.authenticate("ada@example.com", PW, session=session)
    session.refresh(user)
    assert not service._hasher.check_needs_rehash(user.password_hash)
    assert service.verify_password(user.password_hash, PW)


def test_failed_sign_ins_back_off_per_account_and_ip_without_locking_out_the_owner(
    env: dict[str, str], session: Session
) -> None:
    service.create_user("ada@example.com", PW, session=session)
    # Ada signs in from home once: her IP becomes known.
    service.authenticate("ada@example.com", PW, session=session, ip="198.51.100.7")
    for _ in range(service.THROTTLE_FREE_PER_ACCOUNT_IP):
        with pytest.raises(service.AccountError):
            service.authenticate(
                "ada@example.com", "guess guess", session=session, ip="203.0.113.9"
            )
    # The attacker's IP now waits, even with the right password.
    with pytest.raises(service.ThrottledError) as exc:
        service.authenticate("ada@example.com", PW, session=session, ip="203.0.113.9")
    assert exc.value.retry_after >= 1 and "Too many attempts" in str(exc.value)
    # Ada, elsewhere, is unaffected.
    assert service.authenticate("ada@example.com", PW, session=session, ip="198.51.100.7")

    # A distributed attack (many IPs; failures recorded as sign-in records them, without
    # 300 argon2 runs) trips the account-wide limit, whose wait never passes a minute...
    for i in range(service.THROTTLE_FREE_PER_ACCOUNT + 20):
        service.record_failure("ada@example.com", f"192.0.{i // 250}.{i % 250 + 1}")
    with pytest.raises(service.ThrottledError) as exc:
        service.authenticate("ada@example.com", PW, session=session, ip="192.0.9.250")
    assert exc.value.retry_after <= service.THROTTLE_MAX_DELAY_ACCOUNT + 1
    # ...and Ada's known IP is exempt from it: she is never locked out.
    assert service.authenticate("ada@example.com", PW, session=session, ip="198.51.100.7")


def test_per_ip_throttle_spans_accounts(env: dict[str, str], session: Session) -> None:
    for i in range(service.THROTTLE_FREE_PER_IP):
        with pytest.raises(service.AccountError):
            service.authenticate(
                f"u{i}@example.com", "guess guess", session=session, ip="203.0.113.50"
            )
    with pytest.raises(service.ThrottledError):
        service.authenticate("fresh@example.com", "guess guess", session=session, ip="203.0.113.50")


def test_backoff_grows_and_is_capped() -> None:
    free = service.THROTTLE_FREE_PER_ACCOUNT_IP
    assert service._delay(free - 1, free) == 0
    delays = [service._delay(n, free) for n in range(free, free + 15)]
    assert delays == sorted(delays) and delays[0] == 2 and delays[-1] == service.THROTTLE_MAX_DELAY


# ------------------------------------------------------------------------ sessions
def test_session_lifecycle_sliding_expiry_and_revocation(
    env: dict[str, str], session: Session
) -> None:
    user = service.create_user("ada@example.com", PW, session=session)
    token = service.create_session(user.id, session=session, user_agent="UA")
    row = session.exec(select(UserSession).where(UserSession.user_id == user.id)).one()
    assert row.token_hash == service.hash_token(token) and token not in row.token_hash
    assert timedelta(days=29) < row.expires_at - utcnow() <= timedelta(days=30)
    assert service.user_id_for_token(token, session=session) == user.id
    assert service.user_id_for_token(token + "x", session=session) is None

    # Sliding: a session used after a while is extended by 30 days from now.
    row.last_seen_at = utcnow() - timedelta(days=10)
    row.expires_at = utcnow() + timedelta(days=20)
    session.add(row)
    session.commit()
    assert service.user_id_for_token(token, session=session) == user.id
    session.refresh(row)
    assert row.expires_at - utcnow() > timedelta(days=29)

    # Expired sessions are dead.
    row.expires_at = utcnow() - timedelta(seconds=1)
    session.add(row)
    session.commit()
    assert service.user_id_for_token(token, session=session) is None

    # A new token at every sign-in; sign-out revokes server-side.
    second = service.create_session(user.id, session=session)
    assert second != token
    assert service.revoke_session(second, session=session)
    assert service.user_id_for_token(second, session=session) is None

    # A deactivated user's sessions stop working.
    third = service.create_session(user.id, session=session)
    user.is_active = False
    session.add(user)
    session.commit()
    assert service.user_id_for_token(third, session=session) is None


def test_password_change_revokes_other_sessions_only(env: dict[str, str], session: Session) -> None:
    user = service.create_user("ada@example.com", PW, session=session)
    here = service.create_session(user.id, session=session)
    laptop = service.create_session(user.id, session=session)
    phone = service.create_session(user.id, session=session)
    with pytest.raises(service.AccountError, match="current password"):
        service.change_password(user.id, "wrong one", "brand new phrase", session=session)
    with pytest.raises(service.AccountError, match="too common"):
        service.change_password(user.id, PW, "password1", session=session)
    revoked = service.change_password(
        user.id, PW, "brand new phrase", session=session, keep_token=here
    )
    assert revoked == 2
    assert service.user_id_for_token(here, session=session) == user.id
    assert service.user_id_for_token(laptop, session=session) is None
    assert service.user_id_for_token(phone, session=session) is None
    assert service.authenticate("ada@example.com", "brand new phrase", session=session)


def test_sign_out_other_sessions(env: dict[str, str], session: Session) -> None:
    user = service.create_user("ada@example.com", PW, session=session)
    here = service.create_session(user.id, session=session, user_agent="here")
    service.create_session(user.id, session=session, user_agent="there")
    listed = service.list_sessions(user.id, session=session, current_token=here)
    assert len(listed) == 2 and sum(s.current for s in listed) == 1
    assert service.revoke_user_sessions(user.id, session=session, except_token=here) == 1
    listed = service.list_sessions(user.id, session=session, current_token=here)
    assert [s.user_agent for s in listed] == ["here"]


# --------------------------------------------------------------------------- reset
def test_password_reset_flow_through_the_outbox(
    env: dict[str, str], session: Session, mail_worker: MailWorker
) -> None:
    user = service.create_user("ada@example.com", PW, session=session)
    old_session = service.create_session(user.id, session=session)
    known = service.request_password_reset("ADA@example.com", session=session, ip="10.0.0.1")
    unknown = service.request_password_reset("ghost@example.com", session=session, ip="10.0.0.1")
    assert known == unknown == service.NEUTRAL_RESET
    mails = mail_worker.deliver()
    assert [m["to"] for m in mails] == ["ada@example.com"]
    token = _link(mails[0], "/reset")
    assert "30 minutes" in mails[0]["text"]

    stored = session.exec(select(PasswordResetToken)).one()
    assert token not in stored.token_hash
    assert service.reset_token_is_valid(token, session=session)
    with pytest.raises(service.AccountError, match="too common"):
        service.reset_password(token, "password1", session=session)
    assert service.reset_token_is_valid(token, session=session)  # bad input used nothing

    assert service.reset_password(token, "a brand new phrase", session=session) == user.id
    assert service.user_id_for_token(old_session, session=session) is None
    assert service.authenticate("ada@example.com", "a brand new phrase", session=session)
    with pytest.raises(service.AccountError, match="invalid or has expired"):
        service.reset_password(token, "yet another phrase", session=session)


def test_reset_token_expires_and_verify_token_is_not_a_reset_token(
    env: dict[str, str], session: Session, mail_worker: MailWorker
) -> None:
    user = service.create_user("ada@example.com", PW, session=session)
    service.request_password_reset("ada@example.com", session=session)
    token = _link(mail_worker.deliver()[-1], "/reset")
    row = session.exec(select(PasswordResetToken)).one()
    row.expires_at = utcnow() - timedelta(seconds=1)
    session.add(row)
    session.commit()
    assert not service.reset_token_is_valid(token, session=session)
    with pytest.raises(service.AccountError):
        service.reset_password(token, "a brand new phrase", session=session)

    verify = service._issue_email_token(user.id, "verify", service.VERIFY_TTL, session=session)
    assert not service.reset_token_is_valid(verify, session=session)
    with pytest.raises(service.AccountError):
        service.reset_password(verify, "a brand new phrase", session=session)


def test_reset_mails_are_rate_limited_per_address(
    env: dict[str, str], session: Session, mail_worker: MailWorker
) -> None:
    service.create_user("ada@example.com", PW, session=session)
    for i in range(service.MAIL_LIMIT_PER_ADDRESS):
        service.request_password_reset("ada@example.com", session=session, ip=f"10.9.0.{i}")
    for i in range(3):
        with pytest.raises(service.MailLimitError, match="Try again in"):
            service.request_password_reset("ada@example.com", session=session, ip=f"10.9.1.{i}")
    assert len(mail_worker.deliver()) == service.MAIL_LIMIT_PER_ADDRESS


# ------------------------------------------------------------------- login tickets
def test_login_ticket_is_short_lived_and_single_use(
    env: dict[str, str], session: Session, redis_client
) -> None:
    user = service.create_user("ada@example.com", PW, session=session)
    binding = service.new_token()
    ticket = service.issue_login_ticket(
        user.id, binding=binding, user_agent="UA", ip_address="10.0.0.2"
    )
    keys = redis_client.keys("aigrowth:auth:ticket:*")
    assert len(keys) == 1 and ticket.encode() not in keys[0]
    assert binding.encode() not in redis_client.get(keys[0])
    assert 0 < redis_client.ttl(keys[0]) <= 60
    token = service.complete_login(ticket, binding, session=session)
    assert token and service.user_id_for_token(token, session=session) == user.id
    assert service.complete_login(ticket, binding, session=session) is None
    row = session.exec(select(UserSession)).one()
    assert row.user_agent == "UA" and row.ip_address == "10.0.0.2"


# ----------------------------------------------------------------------- isolation
def test_user_b_cannot_reach_user_a_objects(env: dict[str, str], session: Session) -> None:
    a = service.create_user("a@example.com", PW, session=session, full_name="A")
    b = service.create_user("b@example.com", PW, session=session, full_name="B")
    a_token = service.create_session(a.id, session=session)
    a_session_id = session.exec(select(UserSession).where(UserSession.user_id == a.id)).one().id
    business = Business(user_id=a.id, name="A's bakery")
    session.add(business)
    session.commit()

    assert service.get_owned_business(business.id, user_id=a.id, session=session).id == business.id
    for bad_id in (business.id, str(business.id), uuid.uuid4(), "not-a-uuid"):
        with pytest.raises(service.NotFound):
            service.get_owned_business(bad_id, user_id=b.id, session=session)
    with pytest.raises(service.NotFound):
        service.get_owned(Business, business.id, user_id=b.id, session=session)

    # B cannot see or end A's sessions.
    assert service.list_sessions(b.id, session=session) == []
    with pytest.raises(service.NotFound):
        service.revoke_session_by_id(a_session_id, user_id=b.id, session=session)
    assert service.user_id_for_token(a_token, session=session) == a.id
    assert service.revoke_user_sessions(b.id, session=session) == 0
    assert service.user_id_for_token(a_token, session=session) == a.id

    # Profile functions only ever touch the caller's row.
    service.update_profile(b.id, session=session, full_name="Bee", timezone="Asia/Tokyo")
    session.refresh(a)
    assert a.full_name == "A" and a.timezone == "UTC"
    with pytest.raises(service.AccountError, match="can't be used"):
        service.change_email(b.id, "a@example.com", PW, session=session)
    session.refresh(a)
    assert a.email == "a@example.com"


def test_profile_updates_validate_input(env: dict[str, str], session: Session) -> None:
    user = service.create_user("ada@example.com", PW, session=session, full_name="Ada")
    with pytest.raises(service.AccountError, match="time zone"):
        service.update_profile(user.id, session=session, full_name="Ada", timezone="Mars/Base")
    with pytest.raises(service.AccountError, match="current password"):
        service.change_email(user.id, "new@example.com", "wrong password", session=session)
    session.refresh(user)
    assert user.timezone == "UTC" and user.email == "ada@example.com"
    with pytest.raises(service.AccountError, match="already your email"):
        service.change_email(user.id, "ADA@example.com", PW, session=session)
