"""Imports every module that declares pages with @rx.page (one place to add a page)."""

from aigrowth.accounts import pages as accounts_pages
from aigrowth.analytics import pages as analytics_pages
from aigrowth.billing import pages as billing_pages
from aigrowth.businesses import pages as onboarding_pages
from aigrowth.content import calendar_pages, editor_pages, library_pages
from aigrowth.dashboard import pages as dashboard_pages
from aigrowth.notifications import pages as notifications_pages
from aigrowth.ops import pages as ops_pages
from aigrowth.social import pages as social_pages
from aigrowth.strategy import pages as strategy_pages
from aigrowth.ui import landing

__all__ = [
    "accounts_pages",
    "analytics_pages",
    "billing_pages",
    "calendar_pages",
    "dashboard_pages",
    "editor_pages",
    "landing",
    "library_pages",
    "notifications_pages",
    "onboarding_pages",
    "ops_pages",
    "social_pages",
    "strategy_pages",
]
