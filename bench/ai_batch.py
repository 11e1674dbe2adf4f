"""AI generation figures: `python -m bench.ai_batch`.

Against the local OpenAI-compatible fake (tests/fakes/llm.py) through the real `openai`
client, a real Redis and SQLite, it prints for a 30-post batch: wall time, LLM calls,
tokens in/out and estimated cost (priced as the default content model), the latency of
the same request served from the 24 h cache, and the offline generator's speed. The
fake answers instantly, so times are our own overhead (planning, validation, repair,
DB writes), not a provider's latency.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path


def main() -> None:
    from tests.conftest import private_redis
    from tests.fakes.llm import FakeLLM

    workdir = Path(tempfile.mkdtemp(prefix="aig-bench-ai-"))
    with private_redis() as redis_url, FakeLLM() as fake:
        os.environ.update(
            DATA_DIR=str(workdir),
            DATABASE_URL=f"sqlite:///{workdir / 'bench.db'}",
            REDIS_URL=redis_url,
            OPENAI_API_KEY=fake.api_key,
            LLM_BASE_URL=fake.base_url,
            AI_ALLOWANCE_FREE="0",
        )
        os.environ.pop("OPENROUTER_API_KEY", None)
        from sqlmodel import Session, SQLModel, select

        import aigrowth.models  # noqa: F401
        from aigrowth.accounts.models import User
        from aigrowth.ai import service
        from aigrowth.billing.models import UsageLog
        from aigrowth.businesses.service import save_step
        from aigrowth.db import get_engine
        from aigrowth.settings import reset_settings_cache

        reset_settings_cache()
        engine = get_engine()
        SQLModel.metadata.create_all(engine)
        with Session(engine, expire_on_commit=False) as session:
            user = User(email=f"bench-{uuid.uuid4().hex[:6]}@example.com", timezone="Europe/Paris")
            session.add(user)
            session.commit()
            business, _ = save_step(
                None, 1,
                {"name": "Bench Bakery", "industry": "Food & drink",
                 "description": "Sourdough bakery and cafe in the old town."},
                user_id=user.id, session=session,
            )  # fmt: skip
            save_step(
                business.id, 4,
                {"platforms": ["instagram", "facebook", "threads"], "tone": "friendly"},
                user_id=user.id, session=session,
            )  # fmt: skip
            service.generate_strategy(business.id, user_id=user.id, session=session)

            calls0 = fake.calls
            start = time.perf_counter()
            service.generate_posts(business.id, 30, user_id=user.id, session=session)
            cold_s = time.perf_counter() - start
            calls = fake.calls - calls0
            log = session.exec(
                select(UsageLog).where(UsageLog.kind == "ai_posts").order_by(UsageLog.created_at)
            ).first()

            hits = []
            for _ in range(5):
                start = time.perf_counter()
                service.generate_posts(business.id, 30, user_id=user.id, session=session)
                hits.append(time.perf_counter() - start)
            hit_calls = fake.calls - calls0 - calls

        from datetime import UTC, datetime

        from aigrowth.ai.offline import offline_post
        from aigrowth.ai.planning import Slot
        from aigrowth.platforms import PLATFORMS

        profile = {"name": "Bench Bakery", "industry": "Food & drink", "description": "Bakery"}
        n = 0
        start = time.perf_counter()
        while time.perf_counter() - start < 1.0:
            platform = PLATFORMS[n % len(PLATFORMS)]
            offline_post(
                profile, Slot(n + 1, platform, "From the kitchen", "post", n, datetime.now(UTC), "")
            )
            n += 1
        offline_rate = n / (time.perf_counter() - start)

    print("AI generation (fake OpenAI-compatible server, real openai client, Redis, SQLite)")
    print(f"  30-post batch, cold:        {cold_s * 1000:8.1f} ms, {calls} LLM call(s)")
    print(f"  tokens in / out:            {log.tokens_in} / {log.tokens_out}")
    print(f"  estimated cost ({log.model}): ${log.cost_usd:.5f}")
    print(f"  same batch from cache:      {statistics.median(hits) * 1000:8.1f} ms median, "
          f"{hit_calls} LLM call(s) for 5 repeats")  # fmt: skip
    print(f"  offline generator:          {offline_rate:8.0f} posts/s")


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    main()
