"""Password rules, hashing, tokens, redirects and cookie parsing (no DB, no Redis)."""

from __future__ import annotations

from argon2 import PasswordHasher

from aigrowth.accounts import service
from aigrowth.accounts.state import describe_user_agent


def test_password_length_limits_without_truncation() -> None:
    assert service.password_problem("a1b2c3d") == "Use at least 8 characters."
    assert service.password_problem("correct horse battery") is None
    long_ok = "x" * 60 + "y" * 68  # 128 characters
    assert service.password_problem(long_ok) is None
    assert "at most 128" in service.password_problem(long_ok + "z")
    # No truncation: two long passwords differing only at the end hash differently.
    stored = service.hash_password(long_ok)
    assert service.verify_password(stored, long_ok)
    assert not service.verify_password(stored, long_ok[:-1] + "q")


def test_common_passwords_are_refused_case_insensitively() -> None:
    for pw in ("password", "12345678", "iloveyou", "Sunshine", "QWERTYUIOP"):
        assert "too common" in service.password_problem(pw), pw
    # The shipped list is a real one (thousands of entries, comments skipped).
    common = service._common_passwords()
    assert len(common) > 5000
    assert not any(p.startswith("#") for p in common)


def test_no_composition_rules_but_no_email_or_repeats() -> None:
    assert service.password_problem("all lowercase words here") is None
    assert service.password_problem("zzzzzzzzzz") is not None
    assert "email" in service.password_problem("ada.lovelace", email="ada.lovelace@example.com")
    assert "name" in service.password_problem("Ada Lovelace", name="ada lovelace")


def test_argon2id_hash_and_rehash_detection() -> None:
    stored = service.hash_password("a fine passphrase")
    assert stored.startswith("$argon2id$")
    assert service.verify_password(stored, "a fine passphrase")
    assert not service.verify_password(stored, "a fine passphrase!")
    assert not service.verify_password(None, "anything at all")
    assert not service.verify_password("not-a-hash", "anything at all")
    weak = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1).hash("x" * 10)
    assert service._hasher.check_needs_rehash(weak)
    assert not service._hasher.check_needs_rehash(stored)


def test_tokens_are_random_and_stored_as_sha256() -> None:
    a, b = service.new_token(), service.new_token()
    assert a != b and len(a) >= 43  # 32 bytes → 43 base64url chars (256 bits)
    digest = service.hash_token(a)
    assert len(digest) == 64 and digest != a
    assert service.hash_token(a) == digest
    # Email links bind their purpose: a verify token's hash is not its reset hash.
    assert service._email_token_hash(a, "verify") != service._email_token_hash(a, "reset")


def test_safe_next_refuses_open_redirects() -> None:
    assert service.safe_next("/content?x=1") == "/content?x=1"
    for bad in (
        "https://evil.example",
        "//evil.example/x",
        "/\\evil.example",
        "javascript:alert(1)",
        "",
        None,
        "dashboard",
        "/login",
        "/\nSet-Cookie: x",
    ):
        assert service.safe_next(bad) == "/dashboard", bad


def test_parse_cookie_finds_only_the_session_cookie() -> None:
    header = "theme=dark; aig_session=abc.DEF-123_x; other=1"
    assert service.parse_cookie(header) == "abc.DEF-123_x"
    assert service.parse_cookie("aig_session_old=zzz; x=1") == ""
    assert service.parse_cookie("") == ""


def test_email_and_timezone_validation() -> None:
    assert service.email_problem("ada@example.com") is None
    assert service.email_problem("ada@") is not None
    assert service.email_problem("") is not None
    assert service.normalize_email("  Ada@Example.COM ") == "ada@example.com"
    assert service.is_valid_timezone("Europe/Paris")
    assert not service.is_valid_timezone("Mars/Olympus")


def test_describe_user_agent() -> None:
    chrome_mac = (
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 "
        "(KHTML, like Gecko) Chrome/120.0 Safari/537.36"
    )
    assert describe_user_agent(chrome_mac) == "Chrome on macOS"
    assert describe_user_agent("") == "Unknown device"
