"""Alembic environment wired to SQLModel.metadata and the app's settings.

`-x url=...` (or a URL set on the Config by tests) overrides the settings' database.
"""

from __future__ import annotations

from logging.config import fileConfig

from sqlmodel import SQLModel

import aigrowth.models  # noqa: F401  (registers every table)
from aigrowth.db import make_engine
from aigrowth.settings import get_settings
from alembic import context

config = context.config
if config.config_file_name is not None and config.attributes.get("configure_logger", True):
    fileConfig(config.config_file_name, disable_existing_loggers=False)

target_metadata = SQLModel.metadata


def _url() -> str:
    return (
        context.get_x_argument(as_dictionary=True).get("url")
        or config.attributes.get("url")
        or get_settings().effective_database_url
    )


def render_item(type_: str, obj: object, autogen_context) -> str | bool:  # type: ignore[no-untyped-def]
    """Render our own column types with their import, so migrations are self-contained."""
    if type_ == "type" and obj.__class__.__module__ == "aigrowth.dbtypes":
        autogen_context.imports.add("import aigrowth.dbtypes")
        return f"aigrowth.dbtypes.{obj.__class__.__name__}()"
    return False


def _configure(**kwargs: object) -> None:
    context.configure(
        target_metadata=target_metadata,
        render_item=render_item,
        compare_type=True,
        render_as_batch=True,  # SQLite needs batch mode for ALTER TABLE
        **kwargs,
    )


def run_migrations_offline() -> None:
    _configure(url=_url(), literal_binds=True, dialect_opts={"paramstyle": "named"})
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection=connection)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = make_engine(_url())
    with engine.connect() as conn:
        _configure(connection=conn)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
