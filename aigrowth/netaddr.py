"""The visitor's real address, behind the documented reverse proxy or without one.

Throttles key on it, so it must be the address a visitor cannot choose. Each proxy in
front of us appends the address it saw to X-Forwarded-For; with TRUSTED_PROXY_HOPS=n
the n-th entry from the right was written by our outermost proxy. Entries further left
came from the client (anyone can send `X-Forwarded-For: 1.2.3.4`) and are never used.
Reflex applies the same rule to its websocket (rxconfig passes `trusted_proxy_hops`).
"""

from __future__ import annotations

import ipaddress

from aigrowth.settings import get_settings


def client_address(peer: str, forwarded_for: str = "", hops: int | None = None) -> str:
    """The client's IP from the TCP peer and the X-Forwarded-For header(s).

    `forwarded_for` may join several header lines with commas. Too few entries means
    the request did not come through the proxies (a direct connection): the peer is the
    client. A malformed trusted entry also falls back to the peer.
    """
    hops = get_settings().trusted_proxy_hops if hops is None else hops
    if hops <= 0:
        return peer
    entries = [part.strip() for part in forwarded_for.split(",") if part.strip()]
    if len(entries) < hops:
        return peer
    candidate = entries[-hops]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return peer
