"""GET /metrics: Prometheus figures for the whole installation.

Who may read it: a scraper presenting ``Authorization: Bearer <METRICS_TOKEN>``, or a
client on the loopback interface that did not come through a proxy (no
``X-Forwarded-For`` / ``Forwarded`` header). Behind Caddy every request arrives from
127.0.0.1, so the proxy headers are what tell a visitor from a local scraper, and
deploy/Caddyfile also refuses /metrics outright. Anyone else gets 404, as if there were
nothing here.

Every figure is read at scrape time from the database and Redis (aigrowth.ops), not
from counters in this process, so any web process answers for all of them.
"""

from __future__ import annotations

import hmac
import ipaddress
import math
from collections.abc import Iterator

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector, CollectorRegistry
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from aigrowth.db import session_scope
from aigrowth.ops import metrics as figures
from aigrowth.ops.service import OpsOverview, redis_figures
from aigrowth.settings import VERSION, get_settings

_PROXY_HEADERS = ("x-forwarded-for", "forwarded", "x-real-ip")


def may_read_metrics(request: Request) -> bool:
    """The metrics token, or a direct loopback client."""
    token = get_settings().metrics_token
    auth = request.headers.get("authorization", "")
    if token and auth.startswith("Bearer ") and hmac.compare_digest(auth[7:].strip(), token):
        return True
    if any(h in request.headers for h in _PROXY_HEADERS):
        return False
    host = request.client.host if request.client else ""
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class InstallationCollector(Collector):
    """Reads every figure at scrape time; a part that is down reports 0 in *_up."""

    def collect(self) -> Iterator[Metric]:
        info = GaugeMetricFamily("aigrowth_build_info", "Version of the app", labels=["version"])
        info.add_metric([VERSION], 1)
        yield info
        yield from self._database()
        yield from self._redis()

    def _database(self) -> Iterator[Metric]:
        up = GaugeMetricFamily("aigrowth_database_up", "1 when the database answered")
        try:
            with session_scope() as session:
                outcomes = figures.publish_outcomes(session=session)
                lateness = figures.publish_lateness(session=session)
                backlog = figures.publish_backlog(session=session)
                ai = figures.ai_usage(session=session)
        except Exception:  # a scrape reports a down database, it never fails
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up

        attempts = CounterMetricFamily(
            "aigrowth_publish_attempts",
            "Finished publish attempts by platform and outcome",
            labels=["platform", "outcome"],
        )
        for (platform, outcome), n in sorted(outcomes.items()):
            attempts.add_metric([platform, outcome], n)
        yield attempts

        late = HistogramMetricFamily(
            "aigrowth_publish_lateness_seconds",
            "Seconds between a post's due time and its publication",
            labels=["platform"],
        )
        for row in lateness:
            pairs = zip(figures.LATENESS_BUCKETS, row.bucket_counts, strict=True)
            buckets = [(_le(b), float(n)) for b, n in pairs]
            buckets.append(("+Inf", float(row.count)))
            late.add_metric([row.platform], buckets, row.total_s)
        yield late

        due = GaugeMetricFamily("aigrowth_publish_backlog_posts", "Posts due and not yet published")
        due.add_metric([], backlog.due)
        yield due
        oldest = GaugeMetricFamily(
            "aigrowth_publish_backlog_oldest_age_seconds",
            "How long the oldest due, unpublished post has waited (0 when none)",
        )
        oldest.add_metric([], backlog.oldest_age_s or 0.0)
        yield oldest

        calls = CounterMetricFamily(
            "aigrowth_ai_calls",
            "AI generations (cache hits included, offline drafts excluded)",
            labels=["kind", "model", "cache_hit"],
        )
        cost = CounterMetricFamily(
            "aigrowth_ai_cost_usd", "Estimated AI cost in USD", labels=["kind", "model"]
        )
        tokens = CounterMetricFamily(
            "aigrowth_ai_tokens", "AI tokens", labels=["kind", "model", "direction"]
        )
        cost_by: dict[tuple[str, str], float] = {}
        tokens_by: dict[tuple[str, str, str], int] = {}
        for usage in ai:
            calls.add_metric([usage.kind, usage.model, str(usage.cache_hit).lower()], usage.calls)
            key = (usage.kind, usage.model)
            cost_by[key] = cost_by.get(key, 0.0) + usage.cost_usd
            tokens_by[(*key, "in")] = tokens_by.get((*key, "in"), 0) + usage.tokens_in
            tokens_by[(*key, "out")] = tokens_by.get((*key, "out"), 0) + usage.tokens_out
        for (kind, model), usd in sorted(cost_by.items()):
            cost.add_metric([kind, model], usd)
        for labels, n in sorted(tokens_by.items()):
            tokens.add_metric(list(labels), n)
        yield from (calls, cost, tokens)

    def _redis(self) -> Iterator[Metric]:
        ops = OpsOverview()
        redis_figures(ops)
        up = GaugeMetricFamily("aigrowth_redis_up", "1 when Redis answered")
        if not ops.redis_ok:
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        workers = GaugeMetricFamily("aigrowth_workers", "Live RQ workers")
        workers.add_metric([], ops.workers)
        yield workers
        heartbeat = GaugeMetricFamily(
            "aigrowth_scheduler_heartbeat_age_seconds",
            "Seconds since the scheduler's last heartbeat (+Inf: never seen)",
        )
        heartbeat.add_metric(
            [], ops.heartbeat_age_s if ops.heartbeat_age_s is not None else math.inf
        )
        yield heartbeat
        depth = GaugeMetricFamily(
            "aigrowth_queue_jobs", "RQ jobs per queue and state", labels=["queue", "state"]
        )
        for q in ops.queues:
            for state, n in (
                ("queued", q.queued),
                ("started", q.started),
                ("failed", q.failed),
                ("scheduled", q.scheduled),
            ):
                depth.add_metric([q.name, state], n)
        yield depth


def _le(bound: float) -> str:
    return str(float(bound))


def render_metrics() -> bytes:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(InstallationCollector())
    return generate_latest(registry)


async def metrics(request: Request) -> Response:
    if not may_read_metrics(request):
        return PlainTextResponse("Not Found", status_code=404)
    body = await run_in_threadpool(render_metrics)
    return Response(body, media_type=CONTENT_TYPE_LATEST, headers={"Cache-Control": "no-store"})
