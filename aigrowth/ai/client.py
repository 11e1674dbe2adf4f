"""One wrapper over the `openai` package for every LLM call (DESIGN §5).

- Base URL and key from settings: OpenAI, OpenRouter or any OpenAI-compatible server
  (Ollama, vLLM...). Timeout ≤ 60 s, at most 2 retries (the SDK honours Retry-After),
  max output tokens always set, no tools ever.
- Structured output: strict JSON schema when the provider accepts it; otherwise the
  schema goes in the prompt. Either way the answer is validated with Pydantic and gets
  one repair call when it does not fit; a second failure raises `AIOutputError`, so a
  half-parsed result never reaches the database.
- Cache: a validated answer is kept in Redis for 24 h under (scope, prompt hash, model);
  the same request is then served with no LLM call.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import openai
from openai.lib._pydantic import to_strict_json_schema
from pydantic import BaseModel, ValidationError

from aigrowth.ai.errors import (
    AIAuthError,
    AIError,
    AIOutputError,
    AIQuotaError,
    AITimeoutError,
    AIUnavailableError,
)
from aigrowth.settings import Settings, get_settings

log = logging.getLogger(__name__)

T = TypeVar("T", bound=BaseModel)

CACHE_TTL_S = 24 * 3600
CACHE_PREFIX = "aigrowth:ai:cache:"
MAX_TIMEOUT_S = 60.0
MAX_RETRIES = 2
# Keywords strict mode rejects on some providers; Pydantic still enforces them locally.
_UNSUPPORTED_KEYWORDS = {"minLength", "maxLength", "default", "title"}
# Base URLs that refused strict JSON-schema output, so later calls skip the attempt.
_NO_STRICT: set[str] = set()


@dataclass
class LLMResult:
    data: BaseModel
    model: str
    tokens_in: int = 0
    tokens_out: int = 0
    calls: int = 0
    cache_hit: bool = False
    repaired: bool = False
    mode: str = ""
    raw: str = field(default="", repr=False)


def strict_schema(schema: type[BaseModel]) -> dict[str, Any]:
    """The JSON schema for strict structured output, minus keywords strict mode rejects."""

    def clean(node: Any) -> Any:
        if isinstance(node, dict):
            return {k: clean(v) for k, v in node.items() if k not in _UNSUPPORTED_KEYWORDS}
        if isinstance(node, list):
            return [clean(v) for v in node]
        return node

    return clean(to_strict_json_schema(schema))


def prompt_hash(model: str, schema: type[BaseModel], messages: list[dict[str, str]]) -> str:
    body = json.dumps(
        {"model": model, "schema": schema.__name__, "messages": messages},
        sort_keys=True,
        ensure_ascii=False,
    )
    return hashlib.sha256(body.encode()).hexdigest()


def cache_key(scope: str, digest: str, model: str) -> str:
    return f"{CACHE_PREFIX}{scope}:{model}:{digest}"


def _extract_json(text: str) -> str:
    """Tolerate ```json fences and prose around the object (prompt mode)."""
    text = text.strip()
    if text.startswith("```"):
        text = text.strip("`")
        if text.lower().startswith("json"):
            text = text[4:]
    start, end = text.find("{"), text.rfind("}")
    if start != -1 and end > start:
        return text[start : end + 1]
    return text


def _error_summary(err: Exception) -> str:
    if isinstance(err, ValidationError):
        parts = []
        for item in err.errors()[:12]:
            loc = ".".join(str(x) for x in item.get("loc", ()))
            parts.append(f"{loc}: {item.get('msg')}" if loc else str(item.get("msg")))
        return "; ".join(parts)
    return str(err)[:500]


class LLMClient:
    """Structured calls against the configured provider."""

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        redis: Any | None = None,
        on_request: Callable[[], None] | None = None,
    ) -> None:
        self.settings = settings or get_settings()
        if self.settings.ai_offline:
            raise AIUnavailableError("No AI key is configured; the offline generator is used.")
        self.base_url = self.settings.effective_llm_base_url
        self.timeout_s = min(float(self.settings.llm_timeout_s), MAX_TIMEOUT_S)
        self._client = openai.OpenAI(
            api_key=self.settings.llm_api_key,
            base_url=self.base_url,
            timeout=self.timeout_s,
            max_retries=max(0, min(int(self.settings.llm_max_retries), MAX_RETRIES)),
        )
        self._redis = redis
        self._on_request = on_request

    # ------------------------------------------------------------------ cache
    def _cache(self) -> Any | None:
        if self._redis is not None:
            return self._redis
        try:
            from aigrowth.redis_client import get_redis

            return get_redis()
        except Exception:  # pragma: no cover - Redis down must not stop generation
            return None

    def _cache_get(self, key: str) -> str | None:
        redis = self._cache()
        if redis is None:
            return None
        try:
            value = redis.get(key)
        except Exception:
            log.warning("AI cache read failed; calling the model")
            return None
        return value.decode() if isinstance(value, bytes) else value

    def _cache_set(self, key: str, value: str) -> None:
        redis = self._cache()
        if redis is None:
            return
        try:
            redis.set(key, value, ex=CACHE_TTL_S)
        except Exception:
            log.warning("AI cache write failed")

    # ------------------------------------------------------------------ calls
    def structured(
        self,
        *,
        schema: type[T],
        system: str,
        user: str,
        model: str,
        max_tokens: int,
        cache_scope: str | None = None,
        before_call: Callable[[], None] | None = None,
        check: Callable[[Any], None] | None = None,
    ) -> LLMResult:
        """Ask for `schema`; return it validated, from the cache when possible.

        `before_call` runs before the first real request (not on a cache hit): the
        allowance check lives there, so a cached answer never counts against the plan.
        `check` adds rules the schema cannot express (e.g. one post per slot): it raises
        ValueError, which gets the same single repair call as a schema mismatch.
        """
        messages = [{"role": "system", "content": system}, {"role": "user", "content": user}]
        key = None
        if cache_scope:
            key = cache_key(cache_scope, prompt_hash(model, schema, messages), model)
            cached = self._cache_get(key)
            if cached is not None:
                try:
                    data = schema.model_validate_json(cached)
                    return LLMResult(data=data, model=model, cache_hit=True, raw=cached)
                except ValidationError:
                    log.warning("Ignoring a cached AI answer that no longer validates")

        if before_call is not None:
            before_call()
        result = LLMResult(data=None, model=model)  # type: ignore[arg-type]
        use_strict = self.settings.llm_structured_output != "prompt" and (
            self.settings.llm_structured_output == "json_schema"
            or (self.base_url or "openai") not in _NO_STRICT
        )
        if use_strict:
            try:
                content = self._chat(messages, schema, model, max_tokens, result, strict=True)
                result.mode = "json_schema"
            except _StrictRefused:
                _NO_STRICT.add(self.base_url or "openai")
                use_strict = False
        if not use_strict:
            messages = self._prompt_mode_messages(messages, schema)
            content = self._chat(messages, schema, model, max_tokens, result, strict=False)
            result.mode = "prompt"

        try:
            data = self._parse(schema, content, check)
        except (ValidationError, ValueError) as err:
            log.info("AI answer did not fit %s; one repair call", schema.__name__)
            repair = [
                *messages,
                {"role": "assistant", "content": content[:20000]},
                {
                    "role": "user",
                    "content": (
                        "Your answer did not match the required JSON schema: "
                        f"{_error_summary(err)}. Reply with the corrected JSON object only."
                    ),
                },
            ]
            content = self._chat(repair, schema, model, max_tokens, result, strict=use_strict)
            result.repaired = True
            try:
                data = self._parse(schema, content, check)
            except (ValidationError, ValueError) as err2:
                raise AIOutputError(
                    "The AI answer was malformed twice, so nothing was saved. Please try "
                    f"again. ({_error_summary(err2)[:200]})"
                ) from err2
        result.data = data
        result.raw = data.model_dump_json()
        if key:
            self._cache_set(key, result.raw)
        return result

    @staticmethod
    def _parse(schema: type[T], content: str, check: Callable[[Any], None] | None) -> T:
        data = schema.model_validate_json(_extract_json(content))
        if check is not None:
            check(data)
        return data

    def _prompt_mode_messages(
        self, messages: list[dict[str, str]], schema: type[BaseModel]
    ) -> list[dict[str, str]]:
        schema_text = json.dumps(strict_schema(schema), ensure_ascii=False)
        system = (
            messages[0]["content"]
            + "\n\nReply with one JSON object only (no prose, no code fences) that matches "
            + "this JSON schema:\n"
            + schema_text
        )
        return [{"role": "system", "content": system}, *messages[1:]]

    def _chat(
        self,
        messages: list[dict[str, str]],
        schema: type[BaseModel],
        model: str,
        max_tokens: int,
        result: LLMResult,
        *,
        strict: bool,
    ) -> str:
        kwargs: dict[str, Any] = {
            "model": model,
            "messages": messages,
            "max_tokens": max_tokens,
            "temperature": 0.7,
        }
        if strict:
            kwargs["response_format"] = {
                "type": "json_schema",
                "json_schema": {
                    "name": schema.__name__,
                    "schema": strict_schema(schema),
                    "strict": True,
                },
            }
        if self._on_request is not None:
            self._on_request()
        try:
            completion = self._client.chat.completions.create(**kwargs)
        except openai.BadRequestError as err:
            text = str(err).lower()
            if strict and ("response_format" in text or "json_schema" in text):
                raise _StrictRefused() from err
            raise AIError(f"The AI provider refused the request: {_provider_message(err)}") from err
        except openai.APIError as err:
            raise translate_error(err, self.timeout_s, model) from err
        finally:
            result.calls += 1
        usage = getattr(completion, "usage", None)
        if usage is not None:
            result.tokens_in += int(getattr(usage, "prompt_tokens", 0) or 0)
            result.tokens_out += int(getattr(usage, "completion_tokens", 0) or 0)
        if not completion.choices:
            return ""
        choice = completion.choices[0]
        refusal = getattr(choice.message, "refusal", None)
        if refusal:
            raise AIOutputError(f"The AI declined to answer: {str(refusal)[:200]}")
        return choice.message.content or ""


class _StrictRefused(Exception):
    """The provider does not support strict JSON-schema output."""


def _provider_message(err: Exception) -> str:
    body = getattr(err, "body", None)
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict) and inner.get("message"):
            return str(inner["message"])[:300]
    return str(getattr(err, "message", "") or err)[:300]


def translate_error(err: Exception, timeout_s: float, model: str) -> AIError:
    """Map SDK exceptions to messages a founder (or operator) can act on."""
    if isinstance(err, openai.APITimeoutError):
        return AITimeoutError(
            f"The AI provider did not answer within {timeout_s:g} seconds. "
            "Please try again in a moment."
        )
    if isinstance(err, openai.APIConnectionError):
        return AIUnavailableError(
            "Could not reach the AI provider. Check LLM_BASE_URL and the network, then retry."
        )
    if isinstance(err, openai.AuthenticationError | openai.PermissionDeniedError):
        return AIAuthError(
            "The AI provider rejected the API key. Ask the operator to check "
            "OPENAI_API_KEY / OPENROUTER_API_KEY."
        )
    if isinstance(err, openai.RateLimitError):
        body = getattr(err, "body", None)
        code = ""
        if isinstance(body, dict):
            inner = body.get("error", body)
            if isinstance(inner, dict):
                code = str(inner.get("code") or inner.get("type") or "")
        if "quota" in code or "quota" in str(err).lower():
            return AIQuotaError(
                "The AI provider account has run out of quota or credit. "
                "Ask the operator to top it up."
            )
        return AIQuotaError(
            "The AI provider is rate-limiting requests right now. Please retry in a minute."
        )
    if isinstance(err, openai.NotFoundError):
        return AIError(f"The AI model '{model}' was not found at the provider.")
    if isinstance(err, openai.APIStatusError):
        return AIUnavailableError(
            f"The AI provider failed (HTTP {err.status_code}). Please try again later."
        )
    return AIError("The AI request failed. Please try again.")
