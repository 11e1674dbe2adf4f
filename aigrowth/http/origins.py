"""Which web origins may talk to this install: the one place that decides.

Used for Reflex's `cors_allowed_origins` (HTTP CORS and the websocket handshake, see
rxconfig.py) and for the origin check of state-changing requests (the operations
pages). The allowed origins are those of APP_URL and API_URL. A local install
(APP_URL on localhost) also accepts both loopback names on the app's ports and on the
`make run` development ports (3000 for the UI, 8000 for the backend), so the dev mode
keeps working whichever of the names the browser uses.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlsplit

from aigrowth.settings import Settings, get_settings

DEV_PORTS = (3000, 8000)
_LOOPBACK = {"localhost", "127.0.0.1", "::1"}
_DEFAULT_PORTS = {"http": 80, "https": 443}


def origin_of(url: str) -> str:
    """'https://App.example.com:443/path' -> 'https://app.example.com' ('' if unusable)."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return ""
    if parts.scheme not in _DEFAULT_PORTS or not parts.hostname:
        return ""
    host = parts.hostname.lower()
    if ":" in host:
        host = f"[{host}]"
    if port is None or port == _DEFAULT_PORTS[parts.scheme]:
        return f"{parts.scheme}://{host}"
    return f"{parts.scheme}://{host}:{port}"


def allowed_origins(settings: Settings | None = None) -> list[str]:
    """Origins whose pages may call our HTTP routes and open the websocket."""
    s = settings or get_settings()
    urls = (s.app_url, s.effective_api_url)
    origins = {origin_of(url) for url in urls} - {""}
    if any(urlsplit(url).hostname in _LOOPBACK for url in urls):
        ports = {urlsplit(url).port for url in urls} | set(DEV_PORTS)
        for name in ("localhost", "127.0.0.1", "[::1]"):
            origins.update(f"http://{name}:{port}" for port in ports if port)
    return sorted(origins)


def request_origin(headers: Mapping[str, str]) -> str:
    """The origin a browser request came from: Origin, else the Referer's origin."""
    origin = headers.get("origin", "").strip()
    if origin and origin != "null":
        return origin_of(origin)
    referer = headers.get("referer", "").strip()
    return origin_of(referer) if referer else ""


def is_allowed_origin(headers: Mapping[str, str], settings: Settings | None = None) -> bool:
    """True only when the request names an allowed origin (a missing one is refused:
    browsers send Origin on every POST, so only a non-browser client omits it)."""
    origin = request_origin(headers)
    return bool(origin) and origin in allowed_origins(settings)
