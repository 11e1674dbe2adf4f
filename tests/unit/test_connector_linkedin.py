"""LinkedIn little-text escaping and error classification."""

from __future__ import annotations

import httpx
import pytest

from aigrowth.social.connectors.base import (
    AuthError,
    DuplicateError,
    PermanentError,
    ReconnectRequired,
    RetryableError,
    UnknownOutcomeError,
)
from aigrowth.social.connectors.linkedin import (
    escape_little_text,
    raise_for_linkedin,
)
from tests.fakes.linkedin import render_little_text


@pytest.mark.parametrize(
    "text",
    [
        "plain words, nothing special.",
        r"all of them: \ | { } @ [ ] ( ) < > # * _ ~",
        "@[Not a mention](urn:li:person:1) {hashtag|\\#|nope} 😀 ünïcödé",
        "trailing backslash \\",
    ],
)
def test_escaped_text_renders_exactly_as_written(text):
    assert render_little_text(escape_little_text(text)) == text


def test_unescaped_text_would_be_cut():
    assert render_little_text("Price (USD) 10") == "Price "
    assert escape_little_text("a_b") == "a\\_b"


def li_answer(status: int, body: dict, version: str = "202511") -> httpx.Response:
    request = httpx.Request(
        "POST", "https://api.linkedin.com/rest/posts", headers={"LinkedIn-Version": version}
    )
    return httpx.Response(status, json=body, request=request)


@pytest.mark.parametrize(
    ("resp", "expected"),
    [
        (
            li_answer(401, {"status": 401, "serviceErrorCode": 65601, "message": "revoked"}),
            ReconnectRequired,
        ),
        (
            li_answer(401, {"status": 401, "serviceErrorCode": 65600, "message": "Invalid"}),
            AuthError,
        ),
        (
            li_answer(426, {"status": 426, "code": "NONEXISTENT_VERSION", "message": "x"}),
            PermanentError,
        ),
        (li_answer(429, {"status": 429, "message": "throttle"}), RetryableError),
        (li_answer(403, {"status": 403, "code": "ACCESS_DENIED", "message": "no"}), PermanentError),
        (li_answer(422, {"status": 422, "message": "bad field"}), PermanentError),
        (li_answer(500, {"status": 500, "message": "boom"}), UnknownOutcomeError),
        (li_answer(504, {"status": 504, "message": "gateway"}), UnknownOutcomeError),
    ],
)
def test_linkedin_errors_are_classified(resp, expected):
    with pytest.raises(expected) as info:
        raise_for_linkedin(resp, what="LinkedIn post", commit=True)
    assert type(info.value) is expected


def test_short_throttle_waits_a_minute_daily_one_until_midnight():
    with pytest.raises(RetryableError) as info:
        raise_for_linkedin(li_answer(429, {"status": 429, "message": "slow down"}), what="x")
    assert info.value.retry_after == 60


def test_duplicate_urn_is_parsed_from_the_message():
    resp = li_answer(
        422,
        {
            "status": 422,
            "code": "DUPLICATE_POST",
            "message": "Content is a duplicate of urn:li:share:7123456789012345678",
        },
    )
    with pytest.raises(DuplicateError) as dup:
        raise_for_linkedin(resp, what="LinkedIn post", commit=True)
    assert dup.value.remote_id == "urn:li:share:7123456789012345678"
    assert dup.value.url == "https://www.linkedin.com/feed/update/urn:li:share:7123456789012345678/"
    assert dup.value.code == "DUPLICATE_POST" and dup.value.status == 422
    # Duplicate without a URN (the error details shape): still a duplicate, id unknown.
    bare = li_answer(
        422,
        {
            "status": 422,
            "message": "ERROR :: /commentary :: Duplicate post is detected",
            "errorDetails": {"inputErrors": [{"code": "DUPLICATE_POST"}]},
        },
    )
    with pytest.raises(DuplicateError) as dup:
        raise_for_linkedin(bare, what="LinkedIn post", commit=True)
    assert dup.value.remote_id == "" and dup.value.url == ""
    other = li_answer(422, {"status": 422, "message": "/commentary :: too long"})
    with pytest.raises(PermanentError) as info:
        raise_for_linkedin(other, what="LinkedIn post", commit=True)
    assert type(info.value) is PermanentError
