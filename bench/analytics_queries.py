"""Analytics page queries on PostgreSQL with a large history.

Seeds a database of its own with ROWS daily post rows (default 1,000,000: 200
businesses, 2 years, 30 daily snapshots per post) and ACCOUNT_ROWS account rows
(default 100,000), then times every query the /analytics page makes for one business
and period (random business each run): p50/p95 per query and the ratio of its p50 to a
bare index scan that reads the same snapshot rows. Then the whole page's data
(page_data + goals scorecard), and the CSV export of a year of one business streamed
through the real route generator, with its peak Python memory against a month's.

    .venv/bin/python -m bench.analytics_queries \
        [--admin-url postgresql+psycopg://postgres@127.0.0.1:5432/test] \
        [--rows 1000000] [--account-rows 100000] [--runs 40] [--keep]

Targets (issue 16): every page query p95 < 50 ms, the whole page < 200 ms.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
import tracemalloc
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

BUSINESSES = 200  # --businesses
DAYS = 730
SNAPSHOTS_PER_POST = 30
PLATFORMS = ["x", "linkedin", "bluesky"]
PILLARS = ["Tips", "Stories", "Offers", "Behind the scenes"]
TODAY = date(2026, 11, 1)
TZ = {"timezone": "Europe/Paris"}


def _make_database(admin_url: str) -> tuple[str, str]:
    import psycopg

    name = f"bench_analytics_{os.getpid()}"
    plain = admin_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    return admin_url.rsplit("/", 1)[0] + "/" + name, name


def _drop_database(admin_url: str, name: str) -> None:
    import psycopg

    plain = admin_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _seed(url: str, rows: int, account_rows: int) -> dict:
    """COPY the history in; returns the business → user map."""
    import psycopg
    from sqlmodel import SQLModel

    import aigrowth.models  # noqa: F401
    from aigrowth.ai.offline import offline_strategy
    from aigrowth.db import make_engine

    engine = make_engine(url)
    SQLModel.metadata.create_all(engine)
    engine.dispose()
    rng = random.Random(16)
    posts_per_business = max(1, rows // (BUSINESSES * SNAPSHOTS_PER_POST))
    days_per_account = max(1, account_rows // BUSINESSES)
    start = TODAY - timedelta(days=DAYS)
    now = datetime.now(UTC)
    owners: dict[uuid.UUID, uuid.UUID] = {}
    t0 = time.perf_counter()
    plain = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain) as conn, conn.cursor() as cur:
        users, businesses, accounts, strategies, content = [], [], [], [], []
        for i in range(BUSINESSES):
            uid, bid, aid = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
            owners[bid] = uid
            users.append((uid, f"bench{i}@example.com", "Europe/Paris", now))
            businesses.append((bid, uid, f"Business {i}", now, now))
            accounts.append((aid, uid, bid, PLATFORMS[i % 3], f"acct{i}", f"handle{i}", now, now))
            profile = {"name": f"Business {i}", "industry": "Software", "goals": [
                {"metric": "followers", "target": 5000, "by": "2027-06-01"}]}  # fmt: skip
            strategy = offline_strategy(profile, TODAY).model_dump_json()
            strategies.append((uuid.uuid4(), bid, 1, True, strategy, now))
            for _ in range(posts_per_business):
                published = datetime.combine(
                    start + timedelta(days=rng.randrange(DAYS - SNAPSHOTS_PER_POST)),
                    datetime.min.time(),
                    tzinfo=UTC,
                ) + timedelta(hours=rng.randrange(24))
                content.append(
                    (uuid.uuid4(), bid, aid, PLATFORMS[i % 3], rng.choice(PILLARS),
                     "Bench post https://example.com" if rng.random() < 0.3 else "Bench post",
                     published, now, now)
                )  # fmt: skip
        _copy(cur, "users (id, email, timezone, created_at)", users)
        _copy(cur, "businesses (id, user_id, name, created_at, updated_at)", businesses)
        _copy(
            cur,
            "social_accounts (id, user_id, business_id, platform, account_id, handle, "
            "created_at, updated_at)",
            accounts,
        )
        _copy(
            cur, "strategies (id, business_id, version, is_active, content, created_at)", strategies
        )
        _copy(
            cur,
            "content (id, business_id, social_account_id, platform, pillar, text, published_at, "
            "created_at, updated_at)",
            content,
        )
        cur.execute(
            "UPDATE content SET status = 'published', remote_url = 'https://example.com/p/' || id"
        )
        conn.commit()

        def snapshots():  # type: ignore[no-untyped-def]
            for cid, bid, _aid, platform, *_rest, published, _c, _u in content:
                imp = likes = 0
                for d in range(1, SNAPSHOTS_PER_POST + 1):
                    imp += rng.randrange(20, 200)
                    likes += rng.randrange(0, 8)
                    yield (
                        uuid.uuid4(), cid, bid, platform, published.date() + timedelta(days=d),
                        None if platform == "bluesky" else imp, likes, likes // 4, likes // 6,
                        None if platform == "bluesky" else likes // 3,
                        None if platform == "bluesky" else round(likes * 1.5 / imp, 6), now,
                    )  # fmt: skip

        _copy(
            cur,
            "analytics (id, content_id, business_id, platform, day, impressions, likes, "
            "comments, shares, clicks, engagement_rate, fetched_at)",
            snapshots(),
        )

        def account_days():  # type: ignore[no-untyped-def]
            for aid, _u, bid, platform, *_ in accounts:
                followers = rng.randrange(100, 2000)
                for d in range(days_per_account):
                    followers += rng.randrange(-2, 9)
                    day = TODAY - timedelta(days=days_per_account - 1 - d)
                    yield (uuid.uuid4(), aid, bid, platform, day, followers, now)

        _copy(
            cur,
            "account_metrics (id, social_account_id, business_id, platform, day, followers, "
            "fetched_at)",
            account_days(),
        )
        conn.commit()
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
        counts = {
            t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
            for t in ("content", "analytics", "account_metrics")
        }
    print(f"seeded {counts} in {time.perf_counter() - t0:.1f} s")
    return owners


def _default(col):  # type: ignore[no-untyped-def]
    """A NOT NULL column's model default, as COPY text/values."""
    import enum
    import json

    import sqlalchemy as sa

    value = None
    if col.default is not None:
        arg = col.default.arg
        value = arg(None) if callable(arg) else arg
    if value is None:
        kind = col.type
        value = (
            False if isinstance(kind, sa.Boolean)
            else 0 if isinstance(kind, sa.Integer | sa.Float)
            else "{}" if isinstance(kind, sa.JSON)
            else datetime.now(UTC) if "DateTime" in type(kind).__name__
            else ""
        )  # fmt: skip
    if isinstance(value, list | dict):
        return json.dumps(value)
    if isinstance(value, enum.Enum):
        return value.value
    return value


def _copy(cur, target: str, rows) -> None:  # type: ignore[no-untyped-def]
    """COPY rows into `table (given columns)`; other NOT NULL columns get their defaults
    (so the bench keeps working when a capability adds a column)."""
    from sqlmodel import SQLModel

    name, cols = target.split(" ", 1)
    given = [c.strip() for c in cols.strip("() ").split(",")]
    table = SQLModel.metadata.tables[name]
    fill = {c.name: _default(c) for c in table.columns if c.name not in given and not c.nullable}
    extra = tuple(fill.values())
    columns = ", ".join([*given, *fill])
    with cur.copy(f"COPY {name} ({columns}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row((*row, *extra))


def _stats(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return statistics.median(ordered) * 1000, p95 * 1000


def _time_queries(url: str, owners: dict, runs: int) -> None:
    import sqlalchemy as sa
    from sqlmodel import Session

    from aigrowth.analytics import goals
    from aigrowth.analytics import queries as q
    from aigrowth.db import make_engine

    engine = make_engine(url)
    rng = random.Random(7)
    businesses = list(owners)
    S = q.S

    def bare(bid, f, s):  # type: ignore[no-untyped-def]
        # The same snapshot rows the page reads, fetched by a plain index range scan.
        return s.execute(
            sa.select(S.content_id, S.day, S.impressions, S.likes).where(
                S.business_id == bid, S.day >= f.start - timedelta(days=1), S.day <= f.end
            )
        ).all()

    for days in (30, 90):
        f = q.make_filters(today=TODAY, days=days)

        def page(b, f, user_id, session):  # type: ignore[no-untyped-def]
            q.page_data(b, f, user_id=user_id, session=session, **TZ)
            goals.scorecard(b, user_id=user_id, session=session, today=TODAY)

        # (name, function, extra positional arguments after the business, keywords)
        calls = [
            ("bare index scan (same rows)", None, (), {}),
            ("headline (+ previous period)", q.headline, (f,), {}),
            ("daily series", q.daily_series, (f,), {}),
            ("followers series", q.follower_series, (f,), {}),
            ("breakdown: platform", q.breakdown, (f, "platform"), {}),
            ("breakdown: pillar", q.breakdown, (f, "pillar"), {}),
            ("breakdown: format", q.breakdown, (f, "format"), {}),
            ("heatmap (local time)", q.heatmap, (f,), TZ),
            ("top posts", q.ranked_posts, (f,), {}),
            ("bottom posts", q.ranked_posts, (f,), {"worst": True}),
            ("platforms without impressions", q.platforms_without_impressions, (f,), {}),
            ("filter options", q.filter_options, (), {}),
            ("goals scorecard", goals.scorecard, (), {"today": TODAY}),
            ("WHOLE PAGE (page_data + scorecard)", page, (f,), {}),
        ]
        print(f"\n{days}-day period, one business, {runs} runs (random business each run):")
        print(f"{'query':38} {'p50 ms':>8} {'p95 ms':>8} {'x bare':>7}")
        bare_p50 = None
        for name, call, args, kw in calls:
            samples = []
            for _ in range(runs):
                bid = rng.choice(businesses)
                with Session(engine) as s:
                    t0 = time.perf_counter()
                    if call is None:
                        bare(bid, f, s)
                    else:
                        call(bid, *args, user_id=owners[bid], session=s, **kw)
                    samples.append(time.perf_counter() - t0)
            p50, p95 = _stats(samples)
            bare_p50 = bare_p50 or p50
            print(f"{name:38} {p50:8.1f} {p95:8.1f} {p50 / bare_p50:7.2f}")
    engine.dispose()


def _time_export(url: str, owners: dict) -> None:
    from zoneinfo import ZoneInfo

    from sqlmodel import Session

    from aigrowth.analytics import queries as q
    from aigrowth.analytics import routes
    from aigrowth.analytics.routes import _rows
    from aigrowth.db import make_engine

    engine = make_engine(url)
    bid = next(iter(owners))
    print("\nCSV export of one business, streamed through the route's generator:")
    for label, days, batch in (
        ("30 days", 30, 1000),
        ("1 year", 366, 1000),
        ("1 year", 366, 250),
    ):
        routes.BATCH = batch
        f = q.Filters(TODAY - timedelta(days=days - 1), TODAY)
        with Session(engine) as s:
            query = q.export_posts_query(bid, f, user_id=owners[bid], session=s)
        tracemalloc.start()
        t0 = time.perf_counter()
        size = lines = 0
        for chunk in _rows(query, q.POST_COLUMNS, ZoneInfo("Europe/Paris"), "Europe/Paris"):
            size += len(chunk)
            lines += chunk.count("\n")
        elapsed = time.perf_counter() - t0
        _cur, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        print(
            f"  {label:8} {lines - 1:7,} rows, {size / 1024:8.0f} KiB in {elapsed * 1000:6.0f} ms; "
            f"batches of {batch:5}: peak Python memory {peak / 1024:6.0f} KiB"
        )
    engine.dispose()


def main(argv: list[str] | None = None) -> None:
    global BUSINESSES
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--admin-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--account-rows", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--businesses", type=int, default=BUSINESSES)
    parser.add_argument("--keep", action="store_true", help="keep the bench database")
    args = parser.parse_args(argv)
    BUSINESSES = args.businesses
    url, name = _make_database(args.admin_url)
    # The export generator opens its own sessions through the app's settings.
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DATA_DIR", tempfile.mkdtemp(prefix="bench-analytics-"))
    from aigrowth.settings import reset_settings_cache

    reset_settings_cache()
    try:
        owners = _seed(url, args.rows, args.account_rows)
        _time_queries(url, owners, args.runs)
        _time_export(url, owners)
    finally:
        if not args.keep:
            _drop_database(args.admin_url, name)


if __name__ == "__main__":
    main()
