"""SSRF guard for user-entered servers (Mastodon instance, Bluesky PDS), per request.

Checking a server once when it is connected is not enough: its name can later resolve
to an internal address (DNS rebinding), and an IPv6 address can wrap a private IPv4
one (6to4 ``2002:0a00:0001::`` is 10.0.0.1, NAT64 ``64:ff9b::7f00:1`` is 127.0.0.1,
``::ffff:10.0.0.1``, ``::10.0.0.1``, Teredo). So every request made to such a server
goes through :class:`GuardedTransport`, which resolves the name, checks *every*
address (and every IPv4 address wrapped in one), and then connects to the address it
checked, keeping the name for the Host header and for TLS (SNI and certificate).
Only the standard ports (443, and 80 where plain http is allowed) are accepted.
``ALLOW_PRIVATE_NETWORK=1`` (tests, local development) switches all of it off.
"""

from __future__ import annotations

import ipaddress
import socket
from typing import Any

import httpx

from aigrowth.settings import get_settings
from aigrowth.social.connectors.base import PermanentError, RetryableError

STANDARD_PORTS = {"https": 443, "http": 80}
_NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))
_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")


class UnsafeDestinationError(PermanentError):
    """A request to a non-public address or port: refused before anything is sent."""

    def __init__(self, message: str) -> None:
        super().__init__(message, code="unsafe_destination")


class UnresolvableHostError(RetryableError):
    """The name does not resolve (now): nothing was sent, so trying later is safe."""

    def __init__(self, host: str) -> None:
        super().__init__(f"We could not find the server {host}.", code="dns")


def _wrapped_ipv4(ip: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """IPv4 addresses an IPv6 address carries (mapped, compatible, 6to4, NAT64, Teredo)."""
    out: list[ipaddress.IPv4Address] = []
    if ip.ipv4_mapped:
        out.append(ip.ipv4_mapped)
    if ip.sixtofour:
        out.append(ip.sixtofour)
    if ip.teredo:
        out.extend(ip.teredo)
    if ip in _IPV4_COMPATIBLE or any(ip in net for net in _NAT64):
        out.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
    return out


def address_problem(address: str) -> str | None:
    """Why ``address`` may not be contacted ("a loopback address", ...), or None."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    candidates: list[ipaddress.IPv4Address | ipaddress.IPv6Address] = [ip]
    if isinstance(ip, ipaddress.IPv6Address):
        candidates += _wrapped_ipv4(ip)
    for candidate in candidates:
        if candidate.is_loopback:
            return "a loopback address"
        if candidate.is_link_local:
            return "a link-local address"
        if candidate.is_private:
            return "a private network address"
        if (
            candidate.is_multicast
            or candidate.is_reserved
            or candidate.is_unspecified
            or not candidate.is_global
        ):
            return "a reserved address"
    return None


def port_problem(scheme: str, port: int | None) -> str | None:
    """Only https on 443 is accepted for public servers."""
    if scheme != "https":
        return "The server must use https://."
    if port not in (None, STANDARD_PORTS["https"]):
        return f"Port {port} is not allowed: use the standard https port 443."
    return None


def resolve_checked(host: str, port: int) -> str:
    """Resolve ``host`` and return an address to connect to, after checking them all.

    A name that resolves to both a public and a private address is refused.
    """
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise UnresolvableHostError(host) from exc
    addresses = [str(info[4][0]) for info in infos]
    if not addresses:
        raise UnresolvableHostError(host)
    for address in addresses:
        problem = address_problem(address)
        if problem:
            raise UnsafeDestinationError(f"{host} points to {problem}.")
    return addresses[0]


def pin_request(request: Any) -> None:
    """Check the request's destination and point it at the checked address.

    Works on httpx and httpx2 requests alike (authlib uses the latter). The Host header
    was set from the name when the request was built; TLS uses the name through the
    ``sni_hostname`` extension, so the certificate is still checked against the name.
    """
    url = request.url
    problem = port_problem(url.scheme, url.port)
    if problem:
        raise UnsafeDestinationError(problem)
    host = url.host
    address = resolve_checked(host, url.port or STANDARD_PORTS["https"])
    request.url = url.copy_with(host=address)
    request.extensions = {**request.extensions, "sni_hostname": host}


class GuardedTransport(httpx.HTTPTransport):
    """An httpx transport that runs :func:`pin_request` before every request."""

    def __init__(self, *, allow_private: bool | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.allow_private = (
            get_settings().allow_private_network if allow_private is None else allow_private
        )

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if not self.allow_private:
            pin_request(request)
        return super().handle_request(request)


def guarded_httpx2_transport(*, verify: Any = True, allow_private: bool | None = None) -> Any:
    """The same guard for authlib's httpx2 clients (OAuth token exchanges)."""
    from authlib.integrations.httpx_client._compat import httpx2

    allow = get_settings().allow_private_network if allow_private is None else allow_private

    class _Guarded(httpx2.HTTPTransport):  # type: ignore[misc]
        def handle_request(self, request: Any) -> Any:
            if not allow:
                pin_request(request)
            return super().handle_request(request)

    return _Guarded(verify=verify)
