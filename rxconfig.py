"""Reflex configuration, read from the same settings as the rest of the app."""

import reflex as rx
from reflex.plugins.sitemap import SitemapPlugin

from aigrowth.http.origins import allowed_origins
from aigrowth.settings import get_settings
from aigrowth.ui.theme import app_theme

_settings = get_settings()

config = rx.Config(
    app_name="aigrowth",
    frontend_port=3000,
    backend_port=8000,
    api_url=_settings.effective_api_url,
    deploy_url=_settings.app_url.rstrip("/"),
    # No db_url on purpose: the database URL comes from the same settings
    # (aigrowth.db.get_engine), and Alembic migrations run from `make migrate`. Given a
    # db_url, Reflex runs its own schema check at start-up against its own metadata
    # and prints a misleading "run reflex db makemigrations" warning.
    # An operator-provided Redis means a scaled-out install: Reflex keeps UI state there
    # so any web process can serve any browser. The embedded single-VM setup keeps it
    # in the web process.
    redis_url=_settings.redis_url or None,
    # Only our own pages may call the HTTP routes with credentials or open the event
    # websocket (the default "*" let any site do both): APP_URL and API_URL, plus the
    # loopback dev ports on a local install.
    cors_allowed_origins=allowed_origins(_settings),
    # Behind the documented reverse proxy: the websocket's client address comes from
    # X-Forwarded-For, counted from the right (aigrowth.netaddr applies the same rule).
    trusted_proxy_hops=_settings.trusted_proxy_hops,
    telemetry_enabled=False,
    show_built_with_reflex=False,
    default_color_mode="system",
    plugins=[rx.plugins.RadixThemesPlugin(theme=app_theme())],
    disable_plugins=[SitemapPlugin],
)
