"""Observability: /metrics (figures from the database and Redis, who may read it),
/health's publish backlog, JSON logs with request and job ids, Sentry events from
workers and from an unhandled error, with secrets redacted."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from datetime import timedelta

import pytest
from prometheus_client.parser import text_string_to_metric_families
from rq import Queue
from sqlmodel import Session
from starlette.testclient import TestClient

from aigrowth.billing.models import UsageLog
from aigrowth.content.models import Content, ContentStatus
from aigrowth.db import get_engine
from aigrowth.dbtypes import utcnow
from aigrowth.http.routes import build_api
from aigrowth.publishing.models import PublishAttempt
from aigrowth.redis_client import get_redis
from aigrowth.settings import PROJECT_ROOT, reset_settings_cache
from tests.fakes.sentry import FakeSentry
from tests.integration.publish_support import make_user

TOKEN = "metrics-token-0123456789"


def _seed() -> None:
    """Published posts 3 s and 40 s late on X, one 8 s late on Mastodon, attempts with
    several outcomes, a post due two minutes ago, AI usage rows."""
    user, biz = make_user()
    now = utcnow()
    with Session(get_engine()) as s:

        def post(platform: str, status: str, due_ago: float, late: float | None) -> Content:
            due = now - timedelta(seconds=due_ago)
            row = Content(
                business_id=biz.id,
                platform=platform,
                text="hello",
                status=status,
                scheduled_for=due,
                published_at=None if late is None else due + timedelta(seconds=late),
            )
            s.add(row)
            s.flush()
            return row

        x1 = post("x", ContentStatus.PUBLISHED, 600, 3)
        x2 = post("x", ContentStatus.PUBLISHED, 600, 40)
        m1 = post("mastodon", ContentStatus.PUBLISHED, 600, 8)
        post("x", ContentStatus.SCHEDULED, 120, None)  # due, not out yet
        post("x", ContentStatus.SCHEDULED, -3600, None)  # not due
        for content, n, outcome in (
            (x1, 1, "published"),
            (x2, 1, "retry"),
            (x2, 2, "published"),
            (m1, 1, "published"),
        ):
            s.add(PublishAttempt(content_id=content.id, attempt_no=n, outcome=outcome))
        for hit, cost in ((False, 0.002), (False, 0.003), (True, 0.0)):
            s.add(
                UsageLog(
                    user_id=user.id,
                    kind="ai_posts",
                    model="gpt-4o-mini",
                    tokens_in=100,
                    tokens_out=200,
                    cost_usd=cost,
                    cache_hit=hit,
                )
            )
        s.add(UsageLog(user_id=user.id, kind="post_published"))  # not an AI call
        s.commit()


def _scrape(headers: dict[str, str] | None = None, client: tuple[str, int] | None = None):
    kwargs = {"client": client} if client else {}
    with TestClient(build_api(), **kwargs) as http:
        return http.get("/metrics", headers=headers or {})


def _samples(body: str) -> dict[tuple[str, tuple], float]:
    out = {}
    for family in text_string_to_metric_families(body):
        for sample in family.samples:
            out[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return out


def test_metrics_report_publishing_queues_workers_scheduler_and_ai(
    app_env, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("METRICS_TOKEN", TOKEN)
    reset_settings_cache()
    _seed()
    Queue("publish", connection=get_redis()).enqueue("workers.jobs.heartbeat")
    response = _scrape({"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    m = _samples(response.text)

    def v(name: str, **labels: str) -> float:
        return m[(name, tuple(sorted(labels.items())))]

    assert v("aigrowth_database_up") == 1 and v("aigrowth_redis_up") == 1
    assert v("aigrowth_publish_attempts_total", platform="x", outcome="published") == 2
    assert v("aigrowth_publish_attempts_total", platform="x", outcome="retry") == 1
    assert v("aigrowth_publish_attempts_total", platform="mastodon", outcome="published") == 1
    # Lateness histogram: x has posts 3 s and 40 s late.
    assert v("aigrowth_publish_lateness_seconds_bucket", platform="x", le="1.0") == 0
    assert v("aigrowth_publish_lateness_seconds_bucket", platform="x", le="5.0") == 1
    assert v("aigrowth_publish_lateness_seconds_bucket", platform="x", le="60.0") == 2
    assert v("aigrowth_publish_lateness_seconds_bucket", platform="x", le="+Inf") == 2
    assert v("aigrowth_publish_lateness_seconds_count", platform="x") == 2
    assert v("aigrowth_publish_lateness_seconds_sum", platform="x") == pytest.approx(43, abs=0.1)
    assert v("aigrowth_publish_lateness_seconds_bucket", platform="mastodon", le="10.0") == 1
    assert v("aigrowth_publish_backlog_posts") == 1
    assert 115 <= v("aigrowth_publish_backlog_oldest_age_seconds") < 180
    assert v("aigrowth_queue_jobs", queue="publish", state="queued") == 1
    assert v("aigrowth_queue_jobs", queue="ai", state="queued") == 0
    assert v("aigrowth_workers") == 0
    assert v("aigrowth_scheduler_heartbeat_age_seconds") == float("inf")
    assert (
        v("aigrowth_ai_calls_total", kind="ai_posts", model="gpt-4o-mini", cache_hit="false") == 2
    )
    assert v("aigrowth_ai_calls_total", kind="ai_posts", model="gpt-4o-mini", cache_hit="true") == 1
    assert v("aigrowth_ai_cost_usd_total", kind="ai_posts", model="gpt-4o-mini") == pytest.approx(
        0.005
    )
    tokens_in = v("aigrowth_ai_tokens_total", kind="ai_posts", model="gpt-4o-mini", direction="in")
    assert tokens_in == 300
    assert not any(
        name == "aigrowth_ai_calls_total" and "post_published" in str(lab) for name, lab in m
    )


def test_metrics_only_for_the_token_or_a_direct_loopback_client(
    app_env, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("METRICS_TOKEN", TOKEN)
    reset_settings_cache()
    outside = ("203.0.113.9", 40000)
    assert _scrape(client=outside).status_code == 404
    assert _scrape({"Authorization": "Bearer wrong"}, client=outside).status_code == 404
    assert _scrape({"Authorization": f"Bearer {TOKEN}"}, client=outside).status_code == 200
    loopback = ("127.0.0.1", 40000)
    assert _scrape(client=loopback).status_code == 200
    # Through the reverse proxy every request comes from 127.0.0.1: proxy headers mean
    # a visitor, who needs the token.
    proxied = {"X-Forwarded-For": "203.0.113.9"}
    assert _scrape(proxied, client=loopback).status_code == 404
    assert _scrape({"Forwarded": "for=203.0.113.9"}, client=loopback).status_code == 404
    assert _scrape({"X-Forwarded-For": "127.0.0.1"}, client=("::1", 1)).status_code == 404


def test_health_reports_the_publish_backlog(app_env) -> None:
    with TestClient(build_api()) as http:
        body = http.get("/health").json()
    assert body["publish_backlog"] == {"due": 0, "oldest_age_s": None}
    _seed()
    with TestClient(build_api()) as http:
        response = http.get("/health", headers={"X-Request-ID": "req-from-proxy-1"})
    backlog = response.json()["publish_backlog"]
    assert backlog["due"] == 1 and 115 <= backlog["oldest_age_s"] < 180
    assert response.headers["x-request-id"] == "req-from-proxy-1"
    with TestClient(build_api()) as http:
        made = http.get("/health", headers={"X-Request-ID": "bad id <script>"})
    assert len(made.headers["x-request-id"]) == 32  # a fresh one, not the junk


def _run(code: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=PROJECT_ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_json_logs_carry_request_ids_and_stay_redacted(app_env) -> None:
    code = """
        import logging
        from starlette.applications import Starlette
        from starlette.middleware import Middleware
        from starlette.responses import PlainTextResponse
        from starlette.routing import Route
        from starlette.testclient import TestClient
        from aigrowth.http.request_ids import RequestId
        from aigrowth.logging_setup import configure_logging

        configure_logging()

        async def page(request):
            logging.getLogger("aigrowth.test").warning("serving token=%s", "hunter2hunter2")
            return PlainTextResponse("ok")

        app = Starlette(routes=[Route("/", page)], middleware=[Middleware(RequestId)])
        with TestClient(app) as client:
            client.get("/", headers={"X-Request-ID": "abcdef-123456"})
        logging.getLogger("aigrowth.test").info("outside any request")
    """
    done = _run(code, {**app_env, "LOG_FORMAT": "json"})
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stderr.splitlines() if line.startswith("{")]
    served = [e for e in lines if e["message"].startswith("serving")]
    assert served, done.stderr
    assert served[0]["request_id"] == "abcdef-123456"
    assert served[0]["level"] == "WARNING" and served[0]["logger"] == "aigrowth.test"
    assert "hunter2hunter2" not in done.stderr and "[REDACTED]" in served[0]["message"]
    outside = [e for e in lines if e["message"] == "outside any request"]
    assert outside and "request_id" not in outside[0]


def _start_worker(env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "workers.worker"],
        cwd=PROJECT_ROOT,
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


def _wait_for(predicate, timeout: float = 30.0) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def test_worker_job_failure_reaches_sentry_redacted_and_logs_its_job_id(app_env) -> None:
    with FakeSentry() as sentry:
        env = {**app_env, "SENTRY_DSN": sentry.dsn, "LOG_FORMAT": "json"}
        worker = _start_worker(env)
        try:
            queue = Queue("default", connection=get_redis())
            job = queue.enqueue(
                "tests.integration.observability_jobs.explode", "access_token=sk-live-abcdef123456"
            )
            assert _wait_for(lambda: "RuntimeError" in sentry.exception_types()), sentry.events
        finally:
            worker.send_signal(signal.SIGTERM)
            output, _ = worker.communicate(timeout=30)
    event = next(e for e in sentry.events if e.get("exception"))
    text = json.dumps(event)
    assert "sk-live-abcdef123456" not in text and "[REDACTED]" in text
    assert event["extra"]["rq-job"]["job_id"] == job.id
    assert event["release"].startswith("aigrowth@")
    log_lines = [json.loads(x) for x in output.decode().splitlines() if x.startswith("{")]
    assert any(e.get("job_id") == job.id and "about to fail" in e["message"] for e in log_lines)


def test_unhandled_error_in_a_process_reaches_sentry(app_env) -> None:
    code = """
        from aigrowth.logging_setup import configure_logging
        configure_logging()
        raise ValueError("web process broke with password=correct-horse-battery")
    """
    with FakeSentry() as sentry:
        done = _run(code, {**app_env, "SENTRY_DSN": sentry.dsn})
        assert done.returncode != 0
        assert _wait_for(lambda: "ValueError" in sentry.exception_types(), timeout=10)
    assert "correct-horse-battery" not in json.dumps(sentry.events)


def test_without_dsn_nothing_is_sent(app_env) -> None:
    code = """
        from aigrowth.logging_setup import configure_logging
        import sentry_sdk
        configure_logging()
        print("client active:", sentry_sdk.get_client().is_active())
    """
    done = _run(code, {**app_env, "SENTRY_DSN": ""})
    assert done.returncode == 0, done.stderr
    assert "client active: False" in done.stdout
