"""SSRF guard for user-entered servers (Mastodon instance, Bluesky PDS)."""

from __future__ import annotations

import socket

import pytest

from aigrowth.social import service
from aigrowth.social.connectors.base import parse_retry_after


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("mastodon.social", "https://mastodon.social"),
        ("  Mastodon.Social/ ", "https://mastodon.social"),
        ("https://fosstodon.org", "https://fosstodon.org"),
        ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),
    ],
)
def test_normalize(raw, expected):
    assert service.normalize_server_url(raw) == expected


@pytest.mark.parametrize(
    "raw", ["", "ftp://host", "https://user:pw@host", "https://host/path", "https://h?q=1"]
)
def test_normalize_refuses_junk(raw):
    with pytest.raises(service.SocialError):
        service.normalize_server_url(raw)


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1",
        "https://10.1.2.3",
        "https://192.168.1.10",
        "https://172.16.0.1",
        "https://169.254.169.254",  # cloud metadata
        "https://[::1]",
        "https://[fe80::1]",
        "https://[::ffff:10.0.0.1]",
        "https://0.0.0.0",
        "https://100.64.0.1",  # carrier-grade NAT
        "https://localhost",
    ],
)
def test_private_addresses_refused(url):
    with pytest.raises(service.UnsafeURLError):
        service.check_public_url(url, allow_private=False)


def test_hostname_resolving_to_private_address_refused(monkeypatch):
    def fake_getaddrinfo(host, port, *a, **kw):
        return [
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.216.34", port)),
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.0.0.5", port)),
        ]

    monkeypatch.setattr(socket, "getaddrinfo", fake_getaddrinfo)
    with pytest.raises(service.UnsafeURLError, match="private network"):
        service.check_public_url("https://sneaky.example", allow_private=False)


def test_public_address_and_allow_private(monkeypatch):
    monkeypatch.setattr(
        socket,
        "getaddrinfo",
        lambda host, port, *a, **kw: [
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.216.34", port))
        ],
    )
    assert service.check_public_url("example.org", allow_private=False) == "https://example.org"
    with pytest.raises(service.UnsafeURLError, match="https"):
        service.check_public_url("http://example.org", allow_private=False)
    assert (
        service.check_public_url("http://127.0.0.1:9", allow_private=True) == "http://127.0.0.1:9"
    )


def test_unknown_host_is_a_clear_error(monkeypatch):
    def fail(*a, **kw):
        raise socket.gaierror("nope")

    monkeypatch.setattr(socket, "getaddrinfo", fail)
    with pytest.raises(service.SocialError, match="could not find"):
        service.check_public_url("https://no-such-host.invalid", allow_private=False)


def test_parse_retry_after_forms():
    now = 1_700_000_000.0
    assert parse_retry_after({"Retry-After": "12"}, now=now) == 12
    assert parse_retry_after({"x-rate-limit-reset": str(int(now + 90))}, now=now) == 90
    assert parse_retry_after({"RateLimit-Reset": "30"}, now=now) == 30
    assert parse_retry_after({"X-RateLimit-Reset": "2023-11-14T22:15:20Z"}, now=now) == 120
    assert parse_retry_after({}, now=now) is None
    date = "Tue, 14 Nov 2023 22:14:20 GMT"  # = now + 60 s
    assert parse_retry_after({"Retry-After": date}, now=now) == pytest.approx(60, abs=1)
