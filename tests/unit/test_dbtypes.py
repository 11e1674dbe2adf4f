"""UTCDateTime: aware UTC in and out; a naive datetime is a bug and is refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy.dialects import postgresql, sqlite

from aigrowth.dbtypes import UTCDateTime


def test_naive_datetime_is_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        UTCDateTime().process_bind_param(datetime(2026, 3, 29, 9, 0), sqlite.dialect())


def test_aware_datetime_is_stored_as_utc() -> None:
    berlin_summer = timezone(timedelta(hours=2))
    value = datetime(2026, 3, 29, 9, 0, tzinfo=berlin_summer)
    stored = UTCDateTime().process_bind_param(value, sqlite.dialect())
    assert stored == datetime(2026, 3, 29, 7, 0)  # SQLite: naive UTC on disk
    loaded = UTCDateTime().process_result_value(stored, sqlite.dialect())
    assert loaded == value and loaded.tzinfo == UTC
    pg_stored = UTCDateTime().process_bind_param(value, postgresql.dialect())
    assert pg_stored.tzinfo == UTC and pg_stored == value
