"""subscriptions: Stripe state the billing page and limits need (cancel date, price,
past-due start for the grace period, confirmed checkout session, last sync)

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29 23:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel

import aigrowth.dbtypes
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("subscriptions") as batch:
        batch.add_column(sa.Column("cancel_at", aigrowth.dbtypes.UTCDateTime(), nullable=True))
        batch.add_column(
            sa.Column(
                "stripe_price_id", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True
            )
        )
        batch.add_column(sa.Column("past_due_since", aigrowth.dbtypes.UTCDateTime(), nullable=True))
        batch.add_column(
            sa.Column(
                "checkout_session_id", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True
            )
        )
        batch.add_column(sa.Column("synced_at", aigrowth.dbtypes.UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("subscriptions") as batch:
        batch.drop_column("synced_at")
        batch.drop_column("checkout_session_id")
        batch.drop_column("past_due_since")
        batch.drop_column("stripe_price_id")
        batch.drop_column("cancel_at")
