"""SSRF guard for user-entered servers (Mastodon instance, Bluesky PDS)."""

from __future__ import annotations

import socket

import pytest

from aigrowth.settings import reset_settings_cache
from aigrowth.social import service
from aigrowth.social.connectors import netguard
from aigrowth.social.connectors.base import (
    AccountRef,
    ConnectRequest,
    PermanentError,
    RetryableError,
    get_connector,
    parse_retry_after,
)


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


# ---- issue 15 #14: wrapped IPv4, ports, and a check on every request -----------------
def _resolve_to(monkeypatch, address: str) -> None:
    """Every host name resolves to `address` (IPv4 or IPv6)."""
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    monkeypatch.setattr(
        socket,
        "getaddrinfo",
        lambda host, port, *a, **kw: [(family, socket.SOCK_STREAM, 6, "", (address, port))],
    )


@pytest.mark.parametrize(
    "address",
    [
        "2002:0a00:0001::",  # 6to4 wrapping 10.0.0.1
        "2002:7f00:0001::1",  # 6to4 wrapping 127.0.0.1
        "2002:a9fe:a9fe::",  # 6to4 wrapping 169.254.169.254 (cloud metadata)
        "64:ff9b::7f00:1",  # NAT64 wrapping 127.0.0.1
        "64:ff9b:1::a00:1",  # local-use NAT64 wrapping 10.0.0.1
        "::10.0.0.1",  # IPv4-compatible
        "::ffff:192.168.0.1",  # IPv4-mapped
        "2001:0:4136:e378:8000:63bf:3fff:fdd2",  # Teredo
    ],
)
def test_ipv6_wrapping_a_private_ipv4_is_refused(monkeypatch, address):
    _resolve_to(monkeypatch, address)
    with pytest.raises(service.UnsafeURLError, match="points to"):
        service.check_public_url("https://wrapped.example", allow_private=False)


def test_ipv6_wrapping_a_public_ipv4_is_allowed():
    assert netguard.address_problem("2002:5db8:d822::") is None  # 93.184.216.34
    assert netguard.address_problem("2a00:1450:4001:80b::200e") is None


@pytest.mark.parametrize("url", ["https://example.org:8443", "https://example.org:22"])
def test_non_standard_ports_are_refused(monkeypatch, url):
    _resolve_to(monkeypatch, "93.184.216.34")
    with pytest.raises(service.UnsafeURLError, match="Port"):
        service.check_public_url(url, allow_private=False)
    assert service.check_public_url(url, allow_private=True) == url


def _account(platform: str, server: str) -> AccountRef:
    return AccountRef(
        platform=platform,
        account_id="did:plc:alice",
        access_token="at",
        refresh_token="rt",
        instance_url=server,
        client_id="cid",
        client_secret="cs",
    )


@pytest.fixture
def no_private_network(monkeypatch, tmp_path):
    monkeypatch.setenv("ALLOW_PRIVATE_NETWORK", "0")
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    reset_settings_cache()
    yield
    reset_settings_cache()


SERVER = "https://rebind.example"
CALLS = {
    "bluesky refresh": lambda: get_connector("bluesky").refresh(_account("bluesky", SERVER)),
    "bluesky sign-in": lambda: get_connector("bluesky").complete_connect(
        ConnectRequest(instance_url=SERVER, handle="alice.test", app_password="a-b-c-d")
    ),
    "mastodon revoke": lambda: get_connector("mastodon").revoke(_account("mastodon", SERVER)),
    "mastodon token exchange": lambda: get_connector("mastodon").complete_connect(
        ConnectRequest(instance_url=SERVER, client_id="c", client_secret="s", redirect_uri=SERVER),
        code="the-code",
    ),
}


@pytest.mark.parametrize("call", list(CALLS))
def test_a_server_that_rebinds_to_loopback_is_refused_on_every_request(
    monkeypatch, no_private_network, call
):
    """Checked public when connected, the name now resolves to 127.0.0.1: the request
    is refused before anything is sent (it used to be sent to the loopback address)."""
    connects: list[tuple] = []

    def no_connect(address, *a, **kw):
        connects.append(address)
        raise OSError("no network in this test")

    monkeypatch.setattr(socket, "create_connection", no_connect)
    _resolve_to(monkeypatch, "127.0.0.1")
    with pytest.raises(PermanentError, match="loopback"):
        CALLS[call]()
    assert connects == []


def test_the_request_goes_to_the_address_that_was_checked(monkeypatch, no_private_network):
    """One resolution per request, and the connection uses the checked address (a second
    look-up could answer differently: DNS rebinding)."""
    answers = iter(["93.184.216.34", "127.0.0.1", "127.0.0.1"])
    lookups: list[str] = []
    connects: list[tuple] = []
    real_getaddrinfo = socket.getaddrinfo

    def fake_getaddrinfo(host, port, *a, **kw):
        if host == "pds.example":
            lookups.append(host)
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (next(answers), port))]
        return real_getaddrinfo(host, port, *a, **kw)

    def no_connect(address, *a, **kw):
        connects.append(address)
        raise OSError("no network in this test")

    monkeypatch.setattr(socket, "getaddrinfo", fake_getaddrinfo)
    monkeypatch.setattr(socket, "create_connection", no_connect)
    with pytest.raises(RetryableError):
        get_connector("bluesky").refresh(_account("bluesky", "https://pds.example"))
    assert lookups == ["pds.example"]
    assert connects == [("93.184.216.34", 443)]


@pytest.mark.parametrize("raw", ["host:99999", "host:abc", "a..b.example", "x" * 70 + ".com"])
def test_a_malformed_server_address_is_a_plain_refusal_not_a_crash(raw: str) -> None:
    with pytest.raises(service.SocialError, match="should look like"):
        service.normalize_server_url(raw)
