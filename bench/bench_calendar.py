"""Calendar view model with 500 posts in one month: build time vs a bare query.

Prints: the bare query time (rows only), the full calendar_view time (query + placing
posts on local days + open cadence slots + pillar/platform coverage), their ratio, and
the size of the serialised view model the browser receives.

    .venv/bin/python bench/bench_calendar.py [--posts 500] [--runs 20] [--db URL]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from dataclasses import asdict
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlmodel import Session, SQLModel

import aigrowth.models  # noqa: F401
from aigrowth.accounts.models import User
from aigrowth.businesses.models import Business
from aigrowth.content import planning
from aigrowth.content import service as svc
from aigrowth.content.models import Content
from aigrowth.db import make_engine
from aigrowth.strategy.models import Strategy

PLATFORMS = ["x", "linkedin", "instagram", "bluesky", "threads", "mastodon", "facebook"]
PILLARS = ["Tips", "Stories", "Offers", "Behind the scenes"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--posts", type=int, default=500)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--db", default="")
    args = parser.parse_args()

    tmp = tempfile.mkdtemp(prefix="bench-cal-")
    url = args.db or f"sqlite:///{tmp}/bench.db"
    engine = make_engine(url)
    SQLModel.metadata.drop_all(engine)
    SQLModel.metadata.create_all(engine)
    tz = "Europe/Berlin"
    month = date(2026, 3, 1)  # includes the DST change
    with Session(engine, expire_on_commit=False) as db:
        user = User(email="bench@example.com", timezone=tz)
        db.add(user)
        db.flush()
        business = Business(user_id=user.id, name="Bench")
        db.add(business)
        db.flush()
        db.add(
            Strategy(
                business_id=business.id,
                content={
                    "pillars": [{"name": p, "share": 25} for p in PILLARS],
                    "cadence": [{"platform": p, "posts_per_week": 5} for p in PLATFORMS],
                },
            )
        )
        start = datetime(2026, 3, 1, 6, 0, tzinfo=UTC)
        for i in range(args.posts):
            db.add(
                Content(
                    business_id=business.id,
                    platform=PLATFORMS[i % len(PLATFORMS)],
                    pillar=PILLARS[i % len(PILLARS)],
                    text=f"Post {i}: " + "lorem ipsum dolor sit amet " * 8,
                    status="scheduled" if i % 3 else "draft",
                    scheduled_for=start + timedelta(minutes=(i * 89) % (30 * 24 * 60)),
                )
            )
        # Noise: another month and another business do not count.
        for i in range(args.posts):
            db.add(
                Content(
                    business_id=business.id,
                    platform="x",
                    text="other month",
                    scheduled_for=start + timedelta(days=40 + i % 20),
                )
            )
        db.commit()
        uid, bid = user.id, business.id

    days = [d for week in planning.month_grid(month.year, month.month) for d in week]
    lo, hi = planning.local_day_bounds_utc(days[0], days[-1], tz)
    bare, full = [], []
    model = None
    for _ in range(args.runs):
        with Session(engine) as db:
            t0 = time.perf_counter()
            rows = svc.calendar_rows(bid, lo, hi, session=db)
            bare.append(time.perf_counter() - t0)
        with Session(engine) as db:
            t0 = time.perf_counter()
            model = svc.calendar_view(
                bid, user_id=uid, session=db, anchor=month, now=datetime(2026, 3, 1, tzinfo=UTC)
            )
            full.append(time.perf_counter() - t0)
    assert model is not None
    placed = sum(len(d["posts"]) for d in model.days)
    payload = len(json.dumps(asdict(model), default=str))
    b, f = statistics.median(bare), statistics.median(full)
    print(f"database            : {engine.dialect.name}")
    print(f"posts in month      : {placed} (rows fetched: {len(rows)})")
    print(f"bare query (median) : {b * 1000:.1f} ms")
    print(f"calendar view model : {f * 1000:.1f} ms (median of {args.runs})")
    print(f"ratio view/bare     : {f / b:.2f}x")
    print(f"view model payload  : {payload / 1024:.0f} KiB")
    print(f"open slots          : {model.slots_total}")


if __name__ == "__main__":
    main()
