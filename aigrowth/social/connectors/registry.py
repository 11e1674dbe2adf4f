"""Which connector publishes to which platform: a plain table of imports.

Adding a platform means one connector module (with its ``CONNECTOR_CLASS``), one line
here and its entry in aigrowth/platforms.py. The connector modules import ``base``, so
``base`` reaches this table only from inside its functions.
"""

from __future__ import annotations

from aigrowth.social.connectors import (
    bluesky,
    facebook,
    instagram,
    linkedin,
    mastodon,
    threads,
    x,
)
from aigrowth.social.connectors.base import Connector

CONNECTOR_CLASSES: dict[str, type[Connector]] = {
    "x": x.CONNECTOR_CLASS,
    "linkedin": linkedin.CONNECTOR_CLASS,
    "facebook": facebook.CONNECTOR_CLASS,
    "instagram": instagram.CONNECTOR_CLASS,
    "threads": threads.CONNECTOR_CLASS,
    "bluesky": bluesky.CONNECTOR_CLASS,
    "mastodon": mastodon.CONNECTOR_CLASS,
}
