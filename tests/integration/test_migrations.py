"""Alembic builds the full schema on an empty database and matches the models exactly."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlmodel import Session, SQLModel

import aigrowth.models  # noqa: F401
from aigrowth.accounts.models import User
from aigrowth.db import make_engine
from aigrowth.settings import PROJECT_ROOT
from alembic import command

EXPECTED_TABLES = {
    "users", "sessions", "businesses", "strategies", "content", "social_accounts",
    "analytics", "subscriptions", "usage_logs", "publish_attempts", "stripe_events",
    "account_metrics", "goal_values", "strategy_proposals",
}  # fmt: skip


def _alembic_config(url: str) -> Config:
    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.attributes["url"] = url
    config.attributes["configure_logger"] = False
    return config


def test_upgrade_head_on_empty_database_matches_models(db_url: str) -> None:
    engine = make_engine(db_url)
    SQLModel.metadata.drop_all(engine)
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")

    command.upgrade(_alembic_config(db_url), "head")

    tables = set(inspect(engine).get_table_names())
    assert tables >= EXPECTED_TABLES
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, SQLModel.metadata)
    assert diff == [], f"models and migrations differ: {diff}"

    # Timestamps come back aware UTC from the migrated schema on every backend.
    paris = timezone(timedelta(hours=1))
    with Session(engine) as session:
        user = User(email="tz@example.com", created_at=datetime(2026, 1, 5, 10, tzinfo=paris))
        session.add(user)
        session.commit()
        session.expire_all()
        loaded = session.get(User, user.id)
        assert loaded.created_at.tzinfo is not None
        assert loaded.created_at.astimezone(UTC) == datetime(2026, 1, 5, 9, tzinfo=UTC)

    command.downgrade(_alembic_config(db_url), "base")
    assert not EXPECTED_TABLES & set(inspect(engine).get_table_names())
    engine.dispose()
