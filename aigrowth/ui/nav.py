"""The signed-in navigation: one list, used by the sidebar and the phone drawer."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class NavItem:
    label: str
    route: str
    icon: str  # lucide icon name
    admin_only: bool = False


NAV_ITEMS: list[NavItem] = [
    NavItem("Dashboard", "/dashboard", "layout-dashboard"),
    NavItem("Strategy", "/strategy", "compass"),
    NavItem("Content", "/content", "file-text"),
    NavItem("Calendar", "/calendar", "calendar-days"),
    NavItem("Analytics", "/analytics", "chart-line"),
    NavItem("Accounts", "/accounts", "share-2"),
    NavItem("Billing", "/billing", "credit-card"),
    NavItem("Settings", "/settings", "settings"),
    NavItem("Operations", "/ops", "server-cog", admin_only=True),
]
