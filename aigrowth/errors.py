"""The refusals every capability shares.

A :class:`UserError` carries a message written for the person using the app, and is
raised before anything changed: pages show it as an error toast, the HTTP API as a 4xx.
Capabilities subclass these (``ContentError``, ``PublishingError`` ...) so a caller can
catch one capability's refusals, or any refusal.
"""

from __future__ import annotations


class UserError(Exception):
    """A refusal with a message for the user; nothing was changed."""


class NotFound(UserError):
    """The thing does not exist, or is not the user's (the two are never told apart)."""
