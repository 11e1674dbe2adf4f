"""Job resources for long work started through the API (strategy, post batches).

The generation runners keep one progress record per (business, kind) in Redis
(aigrowth.ai.progress). A job id names one run: it maps to the owner, the business,
the kind and the run's start time, so ``GET /jobs/{id}`` shows that run's progress to
its owner only, and says "unknown" once a newer run of the same kind replaced it.
Results themselves live in the database (strategies, posts), never only here.
"""

from __future__ import annotations

import json
import secrets
import uuid
from typing import Any

from aigrowth.ai import progress
from aigrowth.redis_client import get_redis

KEY = "aigrowth:api:job:{job_id}"
TTL_S = 24 * 3600


def remember(kind: str, business_id: uuid.UUID, *, user_id: uuid.UUID) -> str:
    """A job id for the run that was just started for (business, kind)."""
    record = progress.get(business_id, kind)
    job_id = f"job_{secrets.token_urlsafe(12)}"
    entry = {
        "user_id": str(user_id),
        "business_id": str(business_id),
        "kind": kind,
        "started_at": record.get("started_at"),
    }
    get_redis().set(KEY.format(job_id=job_id), json.dumps(entry), ex=TTL_S)
    return job_id


def read(job_id: str, *, user_id: uuid.UUID) -> dict[str, Any] | None:
    """The job as the API shows it, or None when unknown or someone else's."""
    if len(job_id) > 100:
        return None
    raw = get_redis().get(KEY.format(job_id=job_id))
    if not raw:
        return None
    entry = json.loads(raw)
    if entry.get("user_id") != str(user_id):
        return None
    record = progress.get(entry["business_id"], entry["kind"])
    out: dict[str, Any] = {
        "id": job_id,
        "kind": entry["kind"],
        "business_id": entry["business_id"],
        "state": "unknown",
    }
    if record and record.get("started_at") == entry.get("started_at"):
        out.update(
            state=record.get("state", "unknown"),
            done=int(record.get("done") or 0),
            total=int(record.get("total") or 0),
            message=str(record.get("message") or ""),
            error=str(record.get("error") or ""),
            result=dict(record.get("result") or {}),
        )
    else:
        out["message"] = "A newer run replaced this job's progress; its results are saved."
    return out
