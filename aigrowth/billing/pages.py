"""Billing page. Placeholder until its issue fills it in."""

from __future__ import annotations

import reflex as rx

from aigrowth.ui.components import coming_soon, page_header
from aigrowth.ui.layout import app_shell


@rx.page(route="/billing", title="Billing · AI Growth Manager")
def billing_page() -> rx.Component:
    return app_shell(
        page_header("Billing", "Your plan and usage"),
        coming_soon(
            "Billing",
            "Plans, usage and invoices will show here.",
            "credit-card",
        ),
    )
