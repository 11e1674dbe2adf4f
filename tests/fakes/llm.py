"""A local OpenAI-compatible server, driven through the real `openai` client.

Faithful to what the app relies on (OpenAI's documented Chat Completions behaviour):
- POST /v1/chat/completions with `Authorization: Bearer <key>`; a wrong key answers 401
  `{"error": {"code": "invalid_api_key", "type": "invalid_request_error", ...}}`.
- `response_format: {"type": "json_schema", "json_schema": {"strict": true, ...}}`:
  the schema is checked the way strict mode does (every property required,
  `additionalProperties: false`, no unsupported keywords) and the answer conforms.
  With `supports_strict=False` it answers 400 like providers without that feature.
- Every answer carries `usage` (prompt/completion/total tokens); `stream: true` answers
  server-sent events, with a final usage chunk when `stream_options.include_usage`.
- Error modes, scripted per request: 429 with `Retry-After` (rate limit) or
  `insufficient_quota`, 500, a slow answer (client timeout), malformed JSON content.

It writes plausible content itself: a strategy from the `<business_data>` block, one
post per slot of the `<slots>` block, a rewrite of the `<post>` block, and shortened
posts for a repair (`<posts>` block). `transform(kind, data)` lets a test bend the
answer (over-long posts, foreign URLs...). `calls` counts requests that reached it.
"""

from __future__ import annotations

import json
import re
import socket
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

STRICT_UNSUPPORTED = {"minLength", "maxLength", "default"}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _error(status: int, message: str, type_: str, code: str | None, headers: dict | None = None):
    body = {"error": {"message": message, "type": type_, "param": None, "code": code}}
    return JSONResponse(body, status_code=status, headers=headers or {})


def strict_schema_problems(schema: Any, path: str = "$") -> list[str]:
    """What OpenAI's strict mode would reject in this schema."""
    problems: list[str] = []
    if isinstance(schema, dict):
        for key in STRICT_UNSUPPORTED & set(schema):
            problems.append(f"{path}: '{key}' is not permitted")
        if schema.get("type") == "object":
            props = schema.get("properties", {})
            if schema.get("additionalProperties") is not False:
                problems.append(f"{path}: additionalProperties must be false")
            if sorted(schema.get("required", [])) != sorted(props):
                problems.append(f"{path}: all properties must be required")
        for key, value in schema.items():
            problems += strict_schema_problems(value, f"{path}.{key}")
    elif isinstance(schema, list):
        for i, value in enumerate(schema):
            problems += strict_schema_problems(value, f"{path}[{i}]")
    return problems


def _block(text: str, tag: str) -> Any:
    match = re.search(rf"<{tag}>\n(.*?)\n</{tag}>", text, re.S)
    return json.loads(match.group(1)) if match else None


TARGET = {
    "x": 200,
    "bluesky": 200,
    "threads": 320,
    "mastodon": 350,
    "linkedin": 900,
    "instagram": 600,
    "facebook": 350,
}


class FakeLLM:
    def __init__(self, api_key: str = "test-key", *, supports_strict: bool = True) -> None:
        self.api_key = api_key
        self.supports_strict = supports_strict
        self.requests: list[dict[str, Any]] = []
        self.calls = 0
        # Per-request behaviours consumed in order: "ok", "rate_limit", "quota", "500",
        # "slow", "malformed", "wrong_shape". Afterwards `default_mode` applies.
        self.script: list[str] = []
        self.default_mode = "ok"
        self.slow_seconds = 3.0
        self.retry_after = "1"
        self.transform: Callable[[str, dict[str, Any]], dict[str, Any]] | None = None
        self.port = _free_port()
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------ lifecycle
    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def start(self) -> FakeLLM:
        app = Starlette(routes=[Route("/v1/chat/completions", self._chat, methods=["POST"])])
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="error")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("fake LLM did not start")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> FakeLLM:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ------------------------------------------------------------------ handler
    async def _chat(self, request: Request) -> Response:
        auth = request.headers.get("authorization", "")
        if auth != f"Bearer {self.api_key}":
            return _error(
                401,
                "Incorrect API key provided. You can find your API key at "
                "https://platform.openai.com/account/api-keys.",
                "invalid_request_error",
                "invalid_api_key",
            )
        try:
            body = await request.json()
        except ValueError:
            return _error(400, "We could not parse the JSON body.", "invalid_request_error", None)
        self.calls += 1
        self.requests.append(body)
        mode = self.script.pop(0) if self.script else self.default_mode

        if not body.get("model"):
            return _error(400, "you must provide a model parameter", "invalid_request_error", None)
        if not isinstance(body.get("max_tokens") or body.get("max_completion_tokens"), int):
            return _error(400, "max_tokens is required by this fake", "invalid_request_error", None)
        if body.get("tools"):
            return _error(400, "tools are not expected", "invalid_request_error", None)
        fmt = body.get("response_format") or {}
        if fmt.get("type") == "json_schema":
            if not self.supports_strict:
                return _error(
                    400,
                    "response_format json_schema is not supported by this model",
                    "invalid_request_error",
                    "unsupported_parameter",
                )
            problems = strict_schema_problems(fmt.get("json_schema", {}).get("schema", {}))
            if problems:
                return _error(
                    400,
                    f"Invalid schema for response_format: {problems[0]}",
                    "invalid_request_error",
                    "invalid_json_schema",
                )

        if mode == "rate_limit":
            return _error(
                429,
                "Rate limit reached for requests. Please try again in 1s.",
                "requests",
                "rate_limit_exceeded",
                {"retry-after": self.retry_after},
            )
        if mode == "quota":
            return _error(
                429,
                "You exceeded your current quota, please check your plan and billing details.",
                "insufficient_quota",
                "insufficient_quota",
            )
        if mode == "500":
            return _error(
                500, "The server had an error while processing your request.", "server_error", None
            )
        if mode == "slow":
            import asyncio

            await asyncio.sleep(self.slow_seconds)

        messages = body.get("messages", [])
        user = next((m["content"] for m in reversed(messages) if m["role"] == "user"), "")
        first_user = next((m["content"] for m in messages if m["role"] == "user"), "")
        kind, data = self._answer(first_user, user)
        if self.transform is not None:
            data = self.transform(kind, data)
        content = json.dumps(data, ensure_ascii=False)
        if mode == "malformed":
            content = content[: len(content) // 2]  # cut off mid-object
        elif mode == "wrong_shape":
            content = json.dumps({"unexpected": True})
        prompt_tokens = sum(len(str(m.get("content", ""))) for m in messages) // 4 + 7
        completion_tokens = max(1, len(content) // 4)
        usage = {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        }
        cid = "chatcmpl-" + uuid.uuid4().hex[:24]
        created = int(time.time())
        if body.get("stream"):
            include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
            return StreamingResponse(
                self._stream(cid, created, body["model"], content, usage, include_usage),
                media_type="text/event-stream",
            )
        return JSONResponse(
            {
                "id": cid,
                "object": "chat.completion",
                "created": created,
                "model": body["model"],
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": content, "refusal": None},
                        "logprobs": None,
                        "finish_reason": "stop",
                    }
                ],
                "usage": usage,
                "system_fingerprint": "fp_fake",
            }
        )

    async def _stream(self, cid, created, model, content, usage, include_usage):  # type: ignore[no-untyped-def]
        def chunk(delta: dict, finish: str | None, with_usage: Any = None) -> str:
            payload = {
                "id": cid,
                "object": "chat.completion.chunk",
                "created": created,
                "model": model,
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
            }
            if with_usage is not None:
                payload = {**payload, "choices": [], "usage": with_usage}
            return f"data: {json.dumps(payload)}\n\n"

        yield chunk({"role": "assistant", "content": ""}, None)
        for i in range(0, len(content), 40):
            yield chunk({"content": content[i : i + 40]}, None)
        yield chunk({}, "stop")
        if include_usage:
            yield chunk({}, None, usage)
        yield "data: [DONE]\n\n"

    # ------------------------------------------------------------------ content
    def _answer(self, first_user: str, user: str) -> tuple[str, dict[str, Any]]:
        business = _block(first_user, "business_data") or {}
        if "<results>" in first_user:
            return "replan", self._replan(
                _block(first_user, "strategy") or {}, _block(first_user, "results") or {}
            )
        if "<slots>" in first_user:
            return "posts", self._posts(business, _block(first_user, "slots") or [])
        if "<posts>" in first_user:
            return "repair", self._repair(_block(first_user, "posts") or [])
        if "<post>" in first_user:
            return "rewrite", self._rewrite(
                _block(first_user, "post") or {}, _block(first_user, "feedback") or {}
            )
        return "strategy", self._strategy(business)

    def _replan(self, strategy: dict[str, Any], results: dict[str, Any]) -> dict[str, Any]:
        """Raise the best-rated pillar's share by 10 points, taken from the largest other."""
        rated = [p for p in results.get("pillars") or [] if p.get("engagement_rate") is not None]
        pillars = strategy.get("pillars") or []
        if not rated or len(pillars) < 2:
            return {"summary": "Nothing to change yet.", "changes": [], "strategy": strategy}
        best = max(rated, key=lambda p: p["engagement_rate"])
        win = next(p for p in pillars if p["name"] == best["key"])
        lose = max((p for p in pillars if p is not win), key=lambda p: p["share"])
        before = (win["share"], lose["share"])
        step = min(10, lose["share"] - 1)
        win["share"] += step
        lose["share"] -= step
        rate = f"{best['engagement_rate']:.1%} over {best['posts']} posts"
        changes = [
            {"area": "pillars", "item": win["name"], "before": f"{before[0]}%",
             "after": f"{win['share']}%", "why": f"Best engagement: {rate}"},
            {"area": "pillars", "item": lose["name"], "before": f"{before[1]}%",
             "after": f"{lose['share']}%", "why": f"Makes room for {win['name']} ({rate})"},
        ]  # fmt: skip
        return {"summary": f"Lean into {win['name']}.", "changes": changes, "strategy": strategy}

    def _strategy(self, business: dict[str, Any]) -> dict[str, Any]:
        wanted = business.get("platforms") or ["linkedin", "x", "instagram"]
        platforms = wanted[:3]
        name = business.get("name", "The business")
        goals = business.get("goals") or []
        return {
            "summary": f"{name} grows by teaching its audience and showing proof every week.",
            "platforms": [
                {"platform": p, "why": f"Where {name}'s audience spends time."} for p in platforms
            ],
            "pillars": [
                {"name": "Education", "description": "Teach the basics", "share": 40},
                {"name": "Proof", "description": "Customer results", "share": 35},
                {"name": "Behind the scenes", "description": "How we work", "share": 25},
            ],
            "cadence": [
                {
                    "platform": p,
                    "posts_per_week": [5, 3, 4][i % 3],
                    "best_times": ["09:00", "17:30"],
                }
                for i, p in enumerate(platforms)
            ],
            "tone": {"voice": "Warm and expert.", "do": ["Be specific"], "dont": ["Hype"]},
            "kpis": [
                {
                    "name": g.get("metric", "goal"),
                    "target": str(g.get("target", "")),
                    "by": g.get("by", ""),
                    "goal": g.get("label", ""),
                }
                for g in goals
            ]
            or [{"name": "Followers", "target": "1000", "by": "", "goal": "Grow"}],
        }

    def _posts(self, business: dict[str, Any], slots: list[dict[str, Any]]) -> dict[str, Any]:
        name = business.get("name", "We")
        posts = []
        for slot in slots:
            platform = slot["platform"]
            base = f"{name}: {slot['pillar']} tip #{slot['slot']}. "
            filler = "Small steady steps beat big launches. "
            text = base
            while len(text) + len(filler) < TARGET[platform]:
                text += filler
            parts = (
                ["Part two: keep going.", "Part three: measure it."]
                if slot["content_type"] == "thread"
                else []
            )
            posts.append(
                {
                    "slot": slot["slot"],
                    "text": text.strip(),
                    "hashtags": ["growth", "tips"],
                    "thread_parts": parts,
                }
            )
        return {"posts": posts}

    def _repair(self, posts: list[dict[str, Any]]) -> dict[str, Any]:
        out = []
        for post in posts:
            limit = {"x": 200, "bluesky": 200}.get(post["platform"], TARGET[post["platform"]])
            out.append(
                {
                    "slot": post["slot"],
                    "text": post["text"][:limit].rsplit(" ", 1)[0],
                    "hashtags": post.get("hashtags", [])[:2],
                    "thread_parts": [p[:200] for p in post.get("thread_parts", [])],
                }
            )
        return {"posts": out}

    def _rewrite(self, post: dict[str, Any], feedback: dict[str, Any]) -> dict[str, Any]:
        text = post.get("text", "")
        wish = str(feedback.get("feedback", "")).lower()
        if "short" in wish:
            text = text[: max(20, len(text) // 2)].rsplit(" ", 1)[0] + "."
        text = text + " What do you think?" if "question" in wish else "Rewritten: " + text
        return {
            "text": text,
            "hashtags": post.get("hashtags", [])[:3],
            "thread_parts": post.get("thread_parts", []),
        }


# ---------------------------------------------------------------------- pytest fixtures
try:
    import pytest
except ImportError:  # pragma: no cover - used outside pytest (bench)
    pytest = None  # type: ignore[assignment]

if pytest is not None:

    @pytest.fixture
    def fake_llm():  # type: ignore[no-untyped-def]
        """A running fake provider (import this fixture into a test module)."""
        with FakeLLM() as server:
            yield server

    @pytest.fixture
    def online_env(app_env, fake_llm, monkeypatch):  # type: ignore[no-untyped-def]
        """app_env plus an API key and LLM_BASE_URL pointing at the fake."""
        from aigrowth.ai import client as ai_client
        from aigrowth.settings import reset_settings_cache

        monkeypatch.setenv("OPENAI_API_KEY", fake_llm.api_key)
        monkeypatch.setenv("LLM_BASE_URL", fake_llm.base_url)
        monkeypatch.setenv("LLM_TIMEOUT_S", "2")
        ai_client._NO_STRICT.clear()
        reset_settings_cache()
        yield {**app_env, "OPENAI_API_KEY": fake_llm.api_key, "LLM_BASE_URL": fake_llm.base_url}
        ai_client._NO_STRICT.clear()
        reset_settings_cache()
