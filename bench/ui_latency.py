"""UI latency under load: 50 concurrent sessions speaking Reflex's websocket event
protocol against the production stack, alone and while 5 sign-ins per second run.

How: the stack `make serve` runs (prod build on one port, SQLite, the embedded Redis,
a worker, the scheduler) is started; one real Chromium session is recorded doing what
a founder does (open the calendar, switch week/month, open a post, edit and save it;
and a sign-in on /login), capturing the socket.io packets it sends. Then 50
python-socketio clients, each its own tab (own token, the founder's session cookie),
replay that walk in a loop with a short think time, timing each event from emit to the
first state update it causes (what the user sees as "the UI answered"). A second run
adds a sign-in storm: 5 new connections per second sending the recorded sign-in with
one of 10 accounts (argon2 verification each). Also prints the stack's idle memory.

Target (issue 14): p95 < 100 ms in both runs; idle memory < 700 MB.
`python -m bench.ui_latency [--sessions 50] [--seconds 30]`
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import json
import random
import re
import statistics
import sys
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from bench._stack import Stack, start_stack

CHROMIUM = "/usr/bin/chromium"
FOUNDER = "founder@example.com"
PASSWORD = "lantern over the bay"
STORM_USERS = 10
_PACKET = re.compile(r"^4([0-9])(/[^,\[{]*)?,?(.*)$", re.S)


@dataclass
class Recording:
    """What the browser sent: the socket.io path and namespace, the CONNECT auth (boot
    event) and the events after it, each with whether the server answered it."""

    path: str
    namespace: str
    auth: dict[str, Any]
    events: list[tuple[dict[str, Any], bool]] = field(default_factory=list)


def _seed(env: dict[str, str]) -> tuple[str, str]:
    """The founder (a business, 40 posts this month, one draft) and the storm's accounts;
    returns (the founder's session token, the draft's id)."""
    from datetime import UTC, datetime, timedelta

    from sqlmodel import Session

    import aigrowth.models  # noqa: F401
    from aigrowth.accounts import service as accounts
    from aigrowth.businesses.models import Business
    from aigrowth.content.models import Content
    from aigrowth.db import make_engine

    engine = make_engine(env["DATABASE_URL"])
    now = datetime.now(UTC)
    with Session(engine, expire_on_commit=False) as db:
        user = accounts.create_user(FOUNDER, PASSWORD, session=db, full_name="Ada")
        business = Business(user_id=user.id, name="Lantern Bay", onboarding_completed=True)
        db.add(business)
        db.flush()
        for i in range(40):
            db.add(
                Content(
                    business_id=business.id,
                    platform=("bluesky", "mastodon", "x", "linkedin")[i % 4],
                    text=f"Post {i}: what we learned this week about harbour lanterns.",
                    status="draft" if i % 3 else "scheduled",
                    scheduled_for=now + timedelta(hours=7 * i - 100),
                )
            )
        draft = Content(business_id=business.id, platform="bluesky", text="A draft to save.")
        db.add(draft)
        for i in range(STORM_USERS):
            accounts.create_user(f"storm{i}@example.com", PASSWORD, session=db)
        db.commit()
        token = accounts.create_session(user.id, session=db)
    engine.dispose()
    return token, str(draft.id)


def _record(stack: Stack, cookie: str, draft_id: str) -> tuple[Recording, Recording]:
    """Drive Chromium once through the founder's walk and through a sign-in."""
    from playwright.sync_api import sync_playwright

    from aigrowth.accounts.service import SESSION_COOKIE

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        context = browser.new_context(base_url=stack.url)
        context.add_cookies(
            [{"name": SESSION_COOKIE, "value": cookie, "url": stack.url, "httpOnly": True}]
        )
        page = context.new_page()
        page.set_default_timeout(60_000)
        walk = _Recorder(page)
        page.goto("/calendar")
        page.locator("#calendar-title").wait_for()
        page.wait_for_timeout(1000)
        for mode in ("Week", "Month", "Week", "Month"):
            page.get_by_text(mode, exact=True).first.click()
            page.wait_for_timeout(500)
        page.goto(f"/content/{draft_id}")
        page.locator("#post-text").wait_for()
        page.wait_for_timeout(500)
        page.locator("#post-text").fill("A draft to save, edited by the bench.")
        page.locator("#save-post").click()
        page.get_by_text("Saved.").first.wait_for()
        page.wait_for_timeout(500)
        context.close()

        login_page = browser.new_context(base_url=stack.url).new_page()
        login_page.set_default_timeout(60_000)
        sign_in = _Recorder(login_page)
        login_page.goto("/login")
        login_page.get_by_label("Email").fill(FOUNDER)
        login_page.get_by_label("Password").fill(PASSWORD)
        login_page.locator("form button[type=submit]").click()
        login_page.wait_for_url(lambda url: "/login" not in url)
        browser.close()
    return walk.recording(), sign_in.recording()


class _Recorder:
    """Collects the socket.io packets of one page, across its websockets (a full page
    load opens a new one); the CONNECT auth is the first one's."""

    def __init__(self, page: Any) -> None:
        self.sent: list[str] = []
        self.order: list[str] = []  # "s" sent event, "r" received event, in order
        self.url = ""
        self.sent_connect = False
        page.on("websocket", self._attach)

    def _attach(self, ws: Any) -> None:
        if "/_event" not in ws.url:
            return
        self.url = self.url or ws.url
        ws.on("framesent", self._sent)
        ws.on("framereceived", self._received)

    def _sent(self, payload: str | bytes) -> None:
        if isinstance(payload, str) and payload.startswith("4"):
            # Events: "42" packets, and the boot event of every CONNECT but the first.
            if payload.startswith("42") or (payload.startswith("40") and self.sent_connect):
                self.order.append("s")
            self.sent_connect = self.sent_connect or payload.startswith("40")
            self.sent.append(payload)

    def _received(self, payload: str | bytes) -> None:
        if isinstance(payload, str) and payload.startswith("42"):
            self.order.append("r")

    def recording(self) -> Recording:
        path = re.sub(r"^wss?://[^/]+", "", self.url).split("?")[0]
        namespace, auth = "/", {}
        events: list[dict[str, Any]] = []
        for packet in self.sent:
            match = _PACKET.match(packet)
            if not match:
                continue
            kind, ns, body = match.groups()
            namespace = ns or "/"
            if kind == "0" and body and not auth:
                auth = json.loads(body)
            elif kind == "0" and body:
                # A later page load's boot event is an event of the walk too.
                events.append(json.loads(body)["event"])
            elif kind == "2":
                name, data = json.loads(body)[:2]
                if name == "event":
                    events.append(data)
        answered = []
        for i, mark in enumerate(self.order):
            if mark == "s":
                answered.append(i + 1 < len(self.order) and self.order[i + 1] == "r")
        return Recording(
            path=path,
            namespace=namespace,
            auth=auth,
            events=list(zip(events, answered, strict=False)),
        )


async def _session(
    stack: Stack, rec: Recording, cookie: str, until: float, rtts: list[float], errors: list[str]
) -> None:
    import socketio

    client = socketio.AsyncClient(reconnection=False)
    waiter: dict[str, asyncio.Future[float]] = {}

    @client.on("event", namespace=rec.namespace)
    async def _update(_data: Any) -> None:
        future = waiter.get("f")
        if future is not None and not future.done():
            future.set_result(time.perf_counter())

    loop = asyncio.get_running_loop()
    waiter["f"] = loop.create_future()
    try:
        await client.connect(
            f"{stack.url}?token={uuid.uuid4()}",
            socketio_path=rec.path.strip("/"),
            namespaces=[rec.namespace],
            transports=["websocket"],
            headers={"Cookie": cookie, "Origin": stack.url},
            auth=copy.deepcopy(rec.auth),
            wait_timeout=30,
        )
        await asyncio.wait_for(waiter["f"], 30)  # hydrated
        while time.monotonic() < until:
            for event, answered in rec.events:
                waiter["f"] = loop.create_future()
                started = time.perf_counter()
                await client.emit("event", copy.deepcopy(event), namespace=rec.namespace)
                if answered:
                    try:
                        rtts.append(await asyncio.wait_for(waiter["f"], 10) - started)
                    except TimeoutError:
                        errors.append(f"no answer to {event.get('name')}")
                await asyncio.sleep(random.uniform(0.3, 0.9))  # think time
                if time.monotonic() >= until:
                    break
    except Exception as exc:
        errors.append(f"{type(exc).__name__}: {exc}")
    finally:
        await client.disconnect()


async def _sign_in(stack: Stack, rec: Recording, n: int, times: list[float], errors: list[str]):  # type: ignore[no-untyped-def]
    """One visitor: open /login, send the recorded sign-in with storm account n."""
    recorded = json.dumps([e for e, _ in rec.events])
    events = json.loads(recorded.replace(FOUNDER, f"storm{n % STORM_USERS}@example.com"))
    session = Recording(rec.path, rec.namespace, rec.auth, [(e, False) for e in events])
    started = time.perf_counter()
    await _session(stack, session, "", 0, [], errors)  # connect, hydrate, send once
    times.append(time.perf_counter() - started)


async def _run(stack: Stack, walk: Recording, login: Recording, cookie: str, sessions: int,
               seconds: float, storm: bool) -> dict[str, Any]:  # fmt: skip
    rtts: list[float] = []
    errors: list[str] = []
    sign_ins: list[float] = []
    until = time.monotonic() + seconds
    tasks = [
        asyncio.create_task(_session(stack, walk, cookie, until, rtts, errors))
        for _ in range(sessions)
    ]
    storm_tasks = []
    n = 0
    while storm and time.monotonic() < until:
        storm_tasks.append(asyncio.create_task(_sign_in(stack, login, n, sign_ins, errors)))
        n += 1
        await asyncio.sleep(0.2)
    await asyncio.gather(*tasks, *storm_tasks)
    return {"rtts": rtts, "errors": errors, "sign_ins": sign_ins}


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def _report(label: str, result: dict[str, Any], seconds: float) -> bool:
    rtts = result["rtts"]
    if not rtts:
        print(f"{label}: no event answered; errors: {result['errors'][:5]}")
        return False
    p95 = _pct(rtts, 0.95)
    print(
        f"{label}: {len(rtts)} events in {seconds:.0f} s ({len(rtts) / seconds:.0f}/s); "
        f"round trip p50/p95/p99 {_pct(rtts, 0.5):.0f}/{p95:.0f}/{_pct(rtts, 0.99):.0f} ms, "
        f"max {max(rtts) * 1000:.0f} ms; errors {len(result['errors'])}"
        + (f" (first: {result['errors'][0]})" if result["errors"] else "")
    )
    if result["sign_ins"]:
        s = result["sign_ins"]
        print(
            f"   sign-ins: {len(s)} ({len(s) / seconds:.1f}/s), each connect+hydrate+submit "
            f"p50 {statistics.median(s) * 1000:.0f} ms"
        )
    return p95 < 100 and not result["errors"]


def _restart_time(stack: Stack) -> None:
    """Restart-to-healthy of the web process (`make serve`'s): SIGTERM, start, wait."""
    from bench._stack import start_web, web_ready

    web = stack.proc("web1")
    web.stop()
    mark = web.log.stat().st_size
    started = time.monotonic()
    start_web(stack, 0)
    while time.monotonic() - started < 900:
        try:
            if web_ready(stack.web_ports[0]):
                break
        except Exception:
            pass
        time.sleep(0.25)
    with web.log.open() as handle:
        handle.seek(mark)
        rebuilt = "unchanged" not in handle.read()
    print(
        f"web restart-to-healthy: {time.monotonic() - started:.1f} s "
        + (
            "(the UI had changed: frontend rebuilt)"
            if rebuilt
            else "(frontend unchanged: no build)"
        )
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=30)
    args = parser.parse_args(argv)
    started = time.monotonic()
    stack = start_stack(webs=1, workers=1, embedded_redis=True)
    try:
        print(f"stack up in {time.monotonic() - started:.0f} s (prod build): {stack.url}")
        token, draft_id = _seed(stack.env)
        # First, while the tree is as it was built: a restart without UI changes.
        _restart_time(stack)
        time.sleep(20)  # let start-up work settle before measuring idle memory
        for label, pss in (("RSS", False), ("PSS", True)):
            parts = {p.name: p.rss_bytes(proportional=pss) for p in stack.procs}
            print(
                f"idle memory ({label}): "
                + ", ".join(f"{k} {v / 2**20:.0f}" for k, v in parts.items())
                + f" MiB; whole stack {sum(parts.values()) / 2**20:.0f} MiB (target < 700)"
            )
        walk, login = _record(stack, token, draft_id)
        print(
            f"recorded {len(walk.events)} events of the founder's walk "
            f"({sum(a for _, a in walk.events)} answered), {len(login.events)} of a sign-in: "
            + ", ".join(e.get("name", "?").rsplit(".", 1)[-1] for e, _ in walk.events)
        )
        from aigrowth.accounts.service import SESSION_COOKIE

        cookie = f"{SESSION_COOKIE}={token}"
        ok = _report(
            f"{args.sessions} sessions",
            asyncio.run(_run(stack, walk, login, cookie, args.sessions, args.seconds, False)),
            args.seconds,
        )
        ok &= _report(
            f"{args.sessions} sessions + 5 sign-ins/s",
            asyncio.run(_run(stack, walk, login, cookie, args.sessions, args.seconds, True)),
            args.seconds,
        )
    finally:
        stack.close()
    print("ui latency:", "within target" if ok else "OVER TARGET (see above)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
