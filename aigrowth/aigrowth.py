"""The Reflex app: registers pages and mounts the HTTP routes. Thin on purpose."""

import reflex as rx

from aigrowth import pages  # noqa: F401  (imports every capability's pages)
from aigrowth.http.routes import build_api
from aigrowth.logging_setup import configure_logging

configure_logging()

app = rx.App(
    api_transformer=build_api(),
    stylesheets=[],
    head_components=[rx.el.link(rel="icon", href="/favicon.svg", type="image/svg+xml")],
)
