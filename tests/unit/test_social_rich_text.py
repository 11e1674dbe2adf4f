"""Bluesky facets (UTF-8 byte offsets), TIDs, and HTTP error classification."""

from __future__ import annotations

import httpx
import pytest

from aigrowth.social.connectors.base import (
    AuthError,
    PermanentError,
    RetryableError,
    UnknownOutcomeError,
    raise_for_response,
)
from aigrowth.social.connectors.bluesky import detect_facets, jwt_expiry, make_tid
from tests.fakes.bluesky import TID_RE, make_jwt


def spans(text: str, facets: list[dict]) -> list[tuple[str, str]]:
    raw = text.encode()
    return [
        (
            f["features"][0]["$type"].split("#")[1],
            raw[f["index"]["byteStart"] : f["index"]["byteEnd"]].decode(),
        )
        for f in facets
    ]


def test_facets_use_utf8_byte_offsets():
    text = "✨ Ünïcödé first, then @bob.test and https://example.com/päth?q=1. #Launch #日本語 #42"
    facets = detect_facets(text, lambda h: "did:plc:bob" if h == "bob.test" else None)
    assert spans(text, facets) == [
        ("mention", "@bob.test"),
        ("link", "https://example.com/päth?q=1"),
        ("tag", "#Launch"),
        ("tag", "#日本語"),
    ]
    # Byte offsets differ from character offsets here (emoji and accents come first).
    assert facets[0]["index"]["byteStart"] != text.index("@bob.test")


def test_unresolvable_mentions_and_emails_are_plain_text():
    text = "mail me at bob@bob.test or ping @nobody.test"
    assert detect_facets(text, lambda h: None) == []


def test_tag_trailing_punctuation_dropped_and_link_not_tagged():
    text = "Big news #growth! See https://ex.com/#anchor"
    assert spans(text, detect_facets(text)) == [
        ("tag", "#growth"),
        ("link", "https://ex.com/#anchor"),
    ]


def test_tids_are_valid_and_increasing():
    tids = [make_tid() for _ in range(200)]
    assert all(TID_RE.match(t) for t in tids)
    assert tids == sorted(tids) and len(set(tids)) == 200


def test_jwt_expiry():
    assert jwt_expiry(make_jwt({"exp": 2_000_000_000})).timestamp() == 2_000_000_000
    assert jwt_expiry("not-a-jwt") is None


def _resp(status: int, body: dict | None = None, headers: dict | None = None) -> httpx.Response:
    return httpx.Response(status, json=body or {}, headers=headers or {})


@pytest.mark.parametrize(
    ("status", "commit", "error"),
    [
        (429, True, RetryableError),
        (401, True, AuthError),
        (403, True, PermanentError),
        (422, True, PermanentError),
        (500, True, UnknownOutcomeError),
        (503, True, UnknownOutcomeError),
        (500, False, RetryableError),  # reads are safe to repeat
    ],
)
def test_status_classification(status, commit, error):
    with pytest.raises(error):
        raise_for_response(_resp(status, {"error": "x"}), commit=commit)


def test_problem_json_detail_is_kept():
    with pytest.raises(PermanentError) as info:
        raise_for_response(
            _resp(403, {"title": "Forbidden", "detail": "duplicate content", "status": 403}),
            commit=True,
        )
    assert "duplicate content" in info.value.message and info.value.status == 403


def test_links_follow_the_atproto_reference_rules():
    """Issue 15 #11: any http(s) URL is a link (long TLDs too); bare domains need a real
    TLD; one trailing punctuation mark and an unbalanced ")" are trimmed."""
    text = (
        "Offer: https://acme.marketing/offer. (see https://intranet.example/a_b) "
        "acme.photography/x, nope.notatld and https://x.com/(c)"
    )
    assert spans(text, detect_facets(text)) == [
        ("link", "https://acme.marketing/offer"),
        ("link", "https://intranet.example/a_b"),
        ("link", "acme.photography/x"),
        ("link", "https://x.com/(c)"),
    ]
    uris = [f["features"][0]["uri"] for f in detect_facets(text)]
    assert uris[2] == "https://acme.photography/x"  # bare domains are published as https
