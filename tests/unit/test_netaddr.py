"""The client address behind TRUSTED_PROXY_HOPS reverse proxies (X-Forwarded-For from
the right: entries further left are whatever the client sent)."""

from __future__ import annotations

import pytest

from aigrowth.netaddr import client_address


@pytest.mark.parametrize(
    ("peer", "forwarded_for", "hops", "expected"),
    [
        ("127.0.0.1", "203.0.113.9", 0, "127.0.0.1"),  # no proxy trusted: header ignored
        ("127.0.0.1", "203.0.113.9", 1, "203.0.113.9"),  # Caddy on the same host
        ("127.0.0.1", "6.6.6.6, 203.0.113.9", 1, "203.0.113.9"),  # a forged entry first
        ("10.0.0.2", "6.6.6.6, 203.0.113.9, 10.0.0.1", 2, "203.0.113.9"),  # CDN + Caddy
        ("198.51.100.7", "", 1, "198.51.100.7"),  # a direct connection, no header
        ("127.0.0.1", "203.0.113.9", 2, "127.0.0.1"),  # fewer entries than proxies
        ("127.0.0.1", "not-an-ip", 1, "127.0.0.1"),
        ("127.0.0.1", "2001:DB8::1", 1, "2001:db8::1"),
    ],
)
def test_client_address(peer: str, forwarded_for: str, hops: int, expected: str) -> None:
    assert client_address(peer, forwarded_for, hops) == expected
