"""Strategies (versioned) and long generation jobs (strategy, post batches).

Generation goes through the same runner as the Strategy and Content pages
(aigrowth.ai.runner.start_generation: ownership, per-business lock, plan allowance,
RQ or an in-process thread); the answer is a job to poll at ``GET /jobs/{id}``.
"""

from __future__ import annotations

import uuid

from fastapi import Response, status
from starlette.concurrency import run_in_threadpool

from aigrowth.ai import runner
from aigrowth.ai.schemas import StrategyOut
from aigrowth.api import jobs
from aigrowth.api.deps import Db, Reader, Writer
from aigrowth.api.problems import ApiProblem
from aigrowth.api.routing import api_router
from aigrowth.api.schemas import Activate, BatchRequest, Job, StrategyVersion, strategy_out
from aigrowth.businesses.service import require_business
from aigrowth.strategy import service

router = api_router(tags=["strategies"])
jobs_router = api_router(tags=["jobs"])


def _start(
    kind: str, business_id: uuid.UUID, who: Writer, db: Db, response: Response, count: int = 0
) -> Job:
    require_business(business_id, user_id=who.user_id, session=db)
    refusal = runner.start_generation(kind, business_id, user_id=who.user_id, count=count)
    if refusal:
        raise ApiProblem("job-refused", refusal)
    job_id = jobs.remember(kind, business_id, user_id=who.user_id)
    found = jobs.read(job_id, user_id=who.user_id)
    assert found is not None
    response.headers["Location"] = f"/api/v1/jobs/{job_id}"
    return Job(**found)


@router.post(
    "/businesses/{business_id}/strategy/generate",
    response_model=Job,
    status_code=status.HTTP_202_ACCEPTED,
    summary="Write a new strategy version (async job)",
)
def generate_strategy(business_id: uuid.UUID, who: Writer, db: Db, response: Response) -> Job:
    return _start("strategy", business_id, who, db, response)


@router.post(
    "/businesses/{business_id}/content/generate",
    response_model=Job,
    status_code=status.HTTP_202_ACCEPTED,
    summary="Draft a batch of posts from the active strategy (async job)",
)
def generate_posts(
    business_id: uuid.UUID, body: BatchRequest, who: Writer, db: Db, response: Response
) -> Job:
    return _start("posts", business_id, who, db, response, count=body.count)


@router.get(
    "/businesses/{business_id}/strategy",
    response_model=StrategyVersion,
    summary="The active strategy",
)
def active_strategy(business_id: uuid.UUID, who: Reader, db: Db) -> StrategyVersion:
    row = service.active_strategy(business_id, user_id=who.user_id, session=db)
    if row is None:
        raise ApiProblem("not-found", "This business has no strategy yet. Generate one first.")
    return strategy_out(row)


@router.get(
    "/businesses/{business_id}/strategy/versions",
    response_model=list[StrategyVersion],
    summary="Every strategy version, newest first",
)
def strategy_versions(business_id: uuid.UUID, who: Reader, db: Db) -> list[StrategyVersion]:
    return [
        strategy_out(s) for s in service.list_versions(business_id, user_id=who.user_id, session=db)
    ]


@router.put(
    "/businesses/{business_id}/strategy",
    response_model=StrategyVersion,
    summary="Save an edited strategy as the new active version",
)
def update_strategy(
    business_id: uuid.UUID, body: StrategyOut, who: Writer, db: Db
) -> StrategyVersion:
    row, error = service.save_manual_edit(
        business_id, body.model_dump(), user_id=who.user_id, session=db
    )
    if row is None:
        raise ApiProblem("invalid-request", error)
    return strategy_out(row)


@router.post(
    "/businesses/{business_id}/strategy/activate",
    response_model=StrategyVersion,
    summary="Make an older version the active one again",
)
def activate_strategy(
    business_id: uuid.UUID, body: Activate, who: Writer, db: Db
) -> StrategyVersion:
    row = service.activate_version(business_id, body.version, user_id=who.user_id, session=db)
    return strategy_out(row)


@jobs_router.get("/jobs/{job_id}", response_model=Job, summary="Progress of a long job")
async def get_job(job_id: str, who: Reader) -> Job:
    found = await run_in_threadpool(jobs.read, job_id, user_id=who.user_id)
    if found is None:
        raise ApiProblem("not-found", "That job was not found (jobs are kept for 24 hours).")
    return Job(**found)
