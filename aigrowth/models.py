"""Imports every table module: the one place Alembic and tests get the full metadata."""

from sqlmodel import SQLModel

from aigrowth.accounts.models import (
    Notification,
    PasswordResetToken,
    User,
    UserIdentity,
    UserSession,
)
from aigrowth.analytics.models import AnalyticsSnapshot
from aigrowth.billing.models import StripeEvent, Subscription, UsageLog
from aigrowth.businesses.models import Business
from aigrowth.content.models import Content, ContentVersion, MediaAsset
from aigrowth.publishing.models import PublishAttempt
from aigrowth.social.models import MastodonApp
from aigrowth.strategy.models import Strategy

metadata = SQLModel.metadata

__all__ = [
    "AnalyticsSnapshot",
    "Business",
    "Content",
    "ContentVersion",
    "MastodonApp",
    "MediaAsset",
    "Notification",
    "PasswordResetToken",
    "PublishAttempt",
    "Strategy",
    "StripeEvent",
    "Subscription",
    "UsageLog",
    "User",
    "UserIdentity",
    "UserSession",
    "metadata",
]
