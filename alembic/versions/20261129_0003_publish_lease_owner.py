"""content.lease_owner: who holds a publish lease (fencing; reconciler takeover rule)

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29 00:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("content") as batch:
        batch.add_column(
            sa.Column("lease_owner", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("content") as batch:
        batch.drop_column("lease_owner")
