"""Posts scheduled at local wall-clock times across DST changes in two time zones are
claimed by the dispatcher at the right UTC instants (not an hour early or late)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import Session

from aigrowth.accounts.models import User
from aigrowth.content import service as content_service
from aigrowth.content.models import ContentStatus
from aigrowth.db import get_engine
from aigrowth.publishing import service
from tests.fakes.x import XFake
from tests.integration.publish_support import make_posts, make_x_account, point_x_at, statuses
from tests.integration.publish_support import make_user as _make_user


@pytest.mark.parametrize(
    ("tz", "before", "after", "utc_before", "utc_after"),
    [
        # Paris: CET (UTC+1) until 29 March 2026, then CEST (UTC+2).
        ("Europe/Paris", date(2026, 3, 28), date(2026, 3, 30), "08:00", "07:00"),
        # New York: EST (UTC-5) until 8 March 2026, then EDT (UTC-4).
        ("America/New_York", date(2026, 3, 7), date(2026, 3, 9), "14:00", "13:00"),
    ],
)
def test_local_nine_am_goes_out_at_the_right_utc_instant(
    app_env, monkeypatch, tz, before, after, utc_before, utc_after
):
    with XFake() as fake:
        point_x_at(monkeypatch, fake)
        user, biz = _make_user(f"{tz.split('/')[1].lower()}@example.com")
        with Session(get_engine()) as s:
            row = s.get(User, user.id)
            row.timezone = tz
            s.add(row)
            s.commit()
        acct = make_x_account(user, biz, fake)
        ids = make_posts(biz, acct, 2, status=ContentStatus.DRAFT)
        long_ago = datetime(2026, 1, 1, tzinfo=UTC)
        for post_id, day in zip(ids, (before, after), strict=True):
            with Session(get_engine()) as s:
                content_service.schedule_local(
                    post_id, day, "09:00", user_id=user.id, session=s, now=long_ago
                )
        for post_id, day, expected in (
            (ids[0], before, utc_before),
            (ids[1], after, utc_after),
        ):
            hour, minute = map(int, expected.split(":"))
            instant = datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)
            assert statuses([post_id])[post_id].scheduled_for == instant
            # One second early: not due. At the instant: claimed (and only that post).
            assert service.dispatch_due(now=instant - timedelta(seconds=1)) == 0
            assert service.dispatch_due(now=instant) == 1
            assert statuses([post_id])[post_id].status == ContentStatus.PUBLISHING
