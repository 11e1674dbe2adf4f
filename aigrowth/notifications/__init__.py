"""Notifications: in-app bell + one email per notification."""

from aigrowth.notifications.service import notify

__all__ = ["notify"]
