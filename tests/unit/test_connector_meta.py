"""Graph API (Facebook, Instagram, Threads) error classification, from real error bodies."""

from __future__ import annotations

import json

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
from aigrowth.social.connectors.meta_common import raise_for_graph, throttle_wait


def answer(status: int, code: int, subcode: int | None = None, headers=None, **extra):
    err = {"message": f"error {code}", "type": "OAuthException", "code": code, **extra}
    if subcode is not None:
        err["error_subcode"] = subcode
    request = httpx.Request("POST", "https://graph.example/v24.0/1/feed")
    return httpx.Response(status, json={"error": err}, headers=headers or {}, request=request)


@pytest.mark.parametrize(
    ("resp", "commit", "expected"),
    [
        (answer(400, 190, 458), False, ReconnectRequired),
        (answer(400, 190, 463), False, ReconnectRequired),
        (answer(400, 102), False, AuthError),
        (answer(400, 4), True, RetryableError),
        (answer(400, 17), True, RetryableError),
        (answer(400, 32), True, RetryableError),
        (answer(400, 613), True, RetryableError),
        (answer(400, 9, 2207042), True, RetryableError),
        (answer(400, 9007, 2207027), True, RetryableError),
        (answer(500, 1, is_transient=True), True, UnknownOutcomeError),
        (answer(500, 1, is_transient=True), False, RetryableError),
        (answer(400, 2, is_transient=True), True, UnknownOutcomeError),
        (answer(400, 506), True, DuplicateError),
        (answer(400, 368), True, PermanentError),
        (answer(403, 10), True, PermanentError),
        (answer(400, 200), True, PermanentError),
        (answer(400, 100, 2207010), True, PermanentError),
    ],
)
def test_graph_errors_are_classified_by_code_not_status(resp, commit, expected):
    with pytest.raises(expected) as info:
        raise_for_graph(resp, label="Facebook", what="post", commit=commit)
    # Subclasses must not be mistaken for their parents (reconnect vs plain auth).
    assert type(info.value) is expected


def test_reconnect_message_says_why_in_plain_words():
    with pytest.raises(ReconnectRequired) as info:
        raise_for_graph(answer(400, 190, 460), label="Facebook", what="post")
    assert "password was changed" in info.value.message


def test_success_raises_nothing():
    raise_for_graph(httpx.Response(200, json={"id": "1_2"}), label="Facebook", what="post")


def test_throttle_wait_reads_business_use_case_usage_minutes():
    usage = {"20001": [{"type": "pages", "call_count": 100, "estimated_time_to_regain_access": 12}]}
    headers = httpx.Headers({"X-Business-Use-Case-Usage": json.dumps(usage)})
    assert throttle_wait(headers) == 720
    assert throttle_wait(httpx.Headers({"X-Business-Use-Case-Usage": "not json"})) == 300
    assert throttle_wait(httpx.Headers({})) == 300
