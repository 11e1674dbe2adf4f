"""/ops: the Operations page (admins only): queues, failures, workers, scheduler."""

from __future__ import annotations

import reflex as rx

from aigrowth.ops.state import OpsState, QueueItem, StatusCount
from aigrowth.shell import app_shell
from aigrowth.ui.components import empty_state, page_header, status_badge
from aigrowth.ui.theme import space

# Phones drop the least useful column instead of scrolling the table sideways.
WIDE_ONLY = rx.breakpoints(initial="none", sm="table-cell")


def _stat(
    label: str, value: rx.Var | str, ok: rx.Var | bool = True, test_id: str = ""
) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.text(label, size="2", color_scheme="gray"),
            rx.heading(
                value,
                size="6",
                color=rx.cond(ok, "var(--gray-12)", "var(--red-11)"),
                id=test_id or None,
            ),
            spacing="1",
        ),
        min_width="150px",
        flex="1 1 150px",
    )


def _queue_row(q: QueueItem) -> rx.Component:
    return rx.table.row(
        rx.table.row_header_cell(q["name"]),
        rx.table.cell(q["queued"]),
        rx.table.cell(q["started"]),
        rx.table.cell(
            rx.text(
                q["failed"],
                color=rx.cond(q["failed"] > 0, "var(--red-11)", "inherit"),
                weight=rx.cond(q["failed"] > 0, "bold", "regular"),
            )
        ),
        rx.table.cell(q["scheduled"], display=WIDE_ONLY),
        id="ops-queue-" + q["name"],
    )


def _post_row(p: StatusCount) -> rx.Component:
    return rx.table.row(
        rx.table.row_header_cell(status_badge(p["status"])),
        rx.table.cell(p["count"], text_align="right"),
    )


def _count_table(title: str, rows: rx.Var, table_id: str) -> rx.Component:
    return rx.table.root(
        rx.table.header(
            rx.table.row(
                rx.table.column_header_cell(title),
                rx.table.column_header_cell("Count", text_align="right"),
            )
        ),
        rx.table.body(
            rx.foreach(
                rows,
                lambda r: rx.table.row(
                    rx.table.row_header_cell(r["status"]),
                    rx.table.cell(r["count"], text_align="right"),
                ),
            )
        ),
        variant="surface",
        width="100%",
        max_width="320px",
        id=table_id,
    )


def _billing() -> rx.Component:
    """Users per plan and Stripe subscription states (billing capability's figures)."""
    return rx.vstack(
        rx.heading("Billing", size="4", margin_top=space(2)),
        rx.cond(
            ~OpsState.billing_on,
            rx.text(
                "Billing is off (no STRIPE_SECRET_KEY): everyone is on DEFAULT_PLAN.",
                size="2",
                color_scheme="gray",
            ),
        ),
        rx.flex(
            _count_table("Users per plan", OpsState.users_per_plan, "ops-users-per-plan"),
            rx.cond(
                OpsState.subscription_states.length() > 0,
                _count_table(
                    "Subscription state", OpsState.subscription_states, "ops-subscription-states"
                ),
            ),
            spacing="3",
            wrap="wrap",
            width="100%",
        ),
        spacing="2",
        width="100%",
    )


def _overview() -> rx.Component:
    return rx.vstack(
        rx.cond(
            ~OpsState.redis_ok,
            rx.callout(OpsState.error, icon="triangle-alert", color_scheme="red"),
        ),
        rx.flex(
            _stat("Workers", OpsState.workers.to_string(), OpsState.workers > 0, "ops-workers"),
            _stat(
                "Scheduler heartbeat", OpsState.heartbeat, OpsState.scheduler_ok, "ops-heartbeat"
            ),
            _stat(
                "Failed jobs",
                OpsState.failed_total.to_string(),
                OpsState.failed_total == 0,
                "ops-failed",
            ),
            _stat("Due, not yet claimed", OpsState.due_unclaimed.to_string(), True, "ops-due"),
            _stat("Oldest due post waiting", OpsState.oldest_due),
            spacing="3",
            wrap="wrap",
            width="100%",
        ),
        rx.heading("Queues", size="4", margin_top=space(2)),
        rx.box(
            rx.table.root(
                rx.table.header(
                    rx.table.row(
                        rx.table.column_header_cell("Queue"),
                        rx.table.column_header_cell("Waiting"),
                        rx.table.column_header_cell("Running"),
                        rx.table.column_header_cell("Failed"),
                        rx.table.column_header_cell("Deferred", display=WIDE_ONLY),
                    )
                ),
                rx.table.body(rx.foreach(OpsState.queues, _queue_row)),
                variant="surface",
                size={"initial": "1", "sm": "2"},
                width="100%",
            ),
            overflow_x="auto",
            width="100%",
        ),
        rx.heading("Posts by state", size="4", margin_top=space(2)),
        rx.cond(
            OpsState.posts.length() > 0,
            rx.table.root(
                rx.table.header(
                    rx.table.row(
                        rx.table.column_header_cell("State"),
                        rx.table.column_header_cell("Posts", text_align="right"),
                    )
                ),
                rx.table.body(rx.foreach(OpsState.posts, _post_row)),
                variant="surface",
                width="100%",
                max_width="420px",
            ),
            rx.text("No posts yet.", size="2", color_scheme="gray"),
        ),
        _billing(),
        rx.hstack(
            rx.link(
                rx.button(rx.icon("external-link", size=16), "Open RQ dashboard"),
                href=OpsState.dashboard_url,
                is_external=True,
            ),
            rx.button(
                rx.icon("refresh-cw", size=16), "Refresh", variant="soft", on_click=OpsState.load
            ),
            spacing="3",
            wrap="wrap",
        ),
        spacing="4",
        width="100%",
    )


@rx.page(route="/ops", title="Operations · AI Growth Manager", on_load=OpsState.load)
def ops_page() -> rx.Component:
    return app_shell(
        page_header("Operations", "Queues, workers and the scheduler (operators only)"),
        rx.cond(
            OpsState.allowed,
            _overview(),
            rx.cond(
                OpsState.checked,
                empty_state(
                    "lock",
                    "Operators only",
                    "This page is for the people who run this installation.",
                ),
                rx.spinner(),
            ),
        ),
    )
