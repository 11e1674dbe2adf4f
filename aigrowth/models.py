"""Imports every table module: the one place Alembic and tests get the full metadata."""

from sqlmodel import SQLModel

from aigrowth.accounts.models import PasswordResetToken, User, UserIdentity, UserSession
from aigrowth.analytics.models import AccountMetricsDaily, AnalyticsSnapshot, GoalValue
from aigrowth.api.models import ApiKey, IdempotencyRecord, WebhookDelivery, WebhookEndpoint
from aigrowth.billing.models import StripeEvent, Subscription, UsageLog
from aigrowth.businesses.models import Business
from aigrowth.content.models import Content, ContentVersion, MediaAsset
from aigrowth.notifications.models import Notification
from aigrowth.publishing.models import PublishAttempt
from aigrowth.social.models import MastodonApp
from aigrowth.strategy.models import Strategy, StrategyProposal

metadata = SQLModel.metadata

__all__ = [
    "AccountMetricsDaily",
    "AnalyticsSnapshot",
    "ApiKey",
    "Business",
    "Content",
    "ContentVersion",
    "GoalValue",
    "IdempotencyRecord",
    "MastodonApp",
    "MediaAsset",
    "Notification",
    "PasswordResetToken",
    "PublishAttempt",
    "Strategy",
    "StrategyProposal",
    "StripeEvent",
    "Subscription",
    "UsageLog",
    "User",
    "UserIdentity",
    "UserSession",
    "WebhookDelivery",
    "WebhookEndpoint",
    "metadata",
]
