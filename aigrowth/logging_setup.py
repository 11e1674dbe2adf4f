"""One logging format for every process, and no secret in any log line.

Every process (web, worker, scheduler) calls :func:`configure_logging`. Besides the
format it installs redaction at the root: a log record factory that scrubs every record
when it is created, whichever library made it and whichever handler writes it (the
uvicorn access log, RQ's own handlers, pytest's capture). Scrubbed are query and form
parameters that carry credentials (``access_token=``, ``client_secret=``, ``code=``,
...), the same names as JSON/dict keys, ``Authorization`` values, JWTs, passwords in
URLs, and the configured secrets themselves (app secrets, API keys). httpx logs every
request URL at INFO, and URLs carry Threads access tokens, Meta app secrets and OAuth
codes: its request lines are kept at WARNING (on top of the redaction).
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from aigrowth.settings import Settings, get_settings

MASK = "[REDACTED]"

# The id of the HTTP request being served (set by aigrowth.http.request_ids).
request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="")


def current_job_id() -> str:
    """The id of the RQ job this code runs in, or "" outside a job."""
    from rq import get_current_job

    try:
        job = get_current_job()
    except Exception:  # no job context (web process, scheduler)
        return ""
    return job.id if job is not None else ""


# Parameter / key names whose values are credentials (OAuth 2.0, Meta, Threads,
# Instagram, Bluesky, Mastodon, Stripe, our own sign-in links).
_NAMES = (
    r"access_token|refresh_token|id_token|client_secret|app_secret|appsecret_proof|"
    r"code|code_verifier|token|password|app_password|secret|api_key|apikey|key|"
    r"fb_exchange_token|input_token|th_exchange_token|ig_exchange_token|state|"
    r"accessJwt|refreshJwt|signature|sig|ticket"
)
# name=value in URLs, form bodies and "k=v" log text (not `status_code=`, `rkey=`).
_VALUE_END = r"&\s\"'#<>,;)\]}"
_PARAM = re.compile(rf"(?i)(?<![A-Za-z0-9_-])({_NAMES})=([^\[{_VALUE_END}][^{_VALUE_END}]*)")
# "name": "value" / 'name': 'value' / name: value (JSON, dict reprs, headers). Not
# `code` or `state` here: "error code: 190" is worth keeping.
_KEY_NAMES = (
    r"access_token|refresh_token|id_token|client_secret|app_secret|code_verifier|token|"
    r"password|app_password|secret|api_key|apikey|fb_exchange_token|input_token|"
    r"accessJwt|refreshJwt|authorization|cookie|set-cookie"
)
_KEYED = re.compile(
    rf"(?i)(?<![A-Za-z0-9_-])([\"']?(?:{_KEY_NAMES})[\"']?\s*[:=]\s*)"
    r"(\"[^\"]*\"|'[^']*'|[^\[\s,;}\]][^\s,;}\]]*)"
)
_AUTH_SCHEME = re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9\-._~+/=|:]{8,}")
_JWT = re.compile(r"\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*")
_URL_PASSWORD = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://[^/\s:@]*):([^@\s/]+)@")

_secret_values: tuple[str, ...] = ()


def _configured_secrets(settings: Settings) -> list[str]:
    """The secret values in the settings (each key of ENCRYPTION_KEY separately)."""
    values = [
        settings.secret_key,
        *settings.encryption_key.split(","),
        settings.openai_api_key,
        settings.openrouter_api_key,
        settings.stripe_secret_key,
        settings.stripe_webhook_secret,
        settings.x_client_secret,
        settings.linkedin_client_secret,
        settings.meta_app_secret,
        settings.threads_app_secret,
        settings.google_client_secret,
        settings.github_client_secret,
        settings.sentry_dsn,
        settings.metrics_token,
    ]
    for url in (settings.smtp_url, settings.database_url, settings.redis_url):
        try:
            values.append(urlsplit(url).password or "")
        except ValueError:
            continue
    return [v.strip() for v in values if v and len(v.strip()) >= 6]


def remember_secrets(values: Iterable[str]) -> None:
    """Add values that must never appear in a log line (longest first)."""
    global _secret_values
    merged = set(_secret_values) | {v for v in values if v and len(v) >= 6}
    _secret_values = tuple(sorted(merged, key=len, reverse=True))


def redact(text: str) -> str:
    """``text`` with every credential replaced by [REDACTED]."""
    for value in _secret_values:
        if value in text:
            text = text.replace(value, MASK)
    text = _URL_PASSWORD.sub(rf"\1:{MASK}@", text)
    text = _PARAM.sub(rf"\1={MASK}", text)
    text = _AUTH_SCHEME.sub(rf"\1 {MASK}", text)
    text = _KEYED.sub(lambda m: m.group(1) + _masked_like(m.group(2)), text)
    return _JWT.sub(MASK, text)


def _masked_like(value: str) -> str:
    if value == MASK or value.strip("\"'") == MASK:
        return value
    if value[:1] in "\"'":
        return f"{value[0]}{MASK}{value[0]}"
    return MASK


def _scrub_arg(arg: Any) -> Any:
    if arg is None or isinstance(arg, (bool, int, float)):
        return arg
    text = str(arg)
    clean = redact(text)
    return arg if clean == text else clean


def scrub_record(record: logging.LogRecord) -> None:
    """Redact a record in place: its message, its arguments, its traceback."""
    try:
        original: str | None = record.getMessage()
    except Exception:  # a broken format string: logging reports it itself
        original = None
    if isinstance(record.msg, str):
        record.msg = redact(record.msg)
    if isinstance(record.args, tuple):
        record.args = tuple(_scrub_arg(a) for a in record.args)
    elif isinstance(record.args, dict):
        record.args = {k: _scrub_arg(v) for k, v in record.args.items()}
    try:
        message = record.getMessage()
    except Exception:  # a broken format string: logging reports it itself
        message = None
    if message is None and original is not None:
        # Redacting "token=%s" ate the placeholder: keep the line, formatted and clean.
        record.msg, record.args = redact(original), ()
    elif message is not None and redact(message) != message:
        # A secret only appears once formatted (split across arguments).
        record.msg, record.args = redact(message), ()
    if record.exc_info and not record.exc_text:
        text = logging.Formatter().formatException(record.exc_info)
        clean = redact(text)
        if clean != text:
            record.exc_text = clean
    if record.stack_info:
        record.stack_info = redact(record.stack_info)


def install_redaction(settings: Settings | None = None) -> None:
    """Scrub every log record of this process from now on (idempotent)."""
    remember_secrets(_configured_secrets(settings or get_settings()))
    current = logging.getLogRecordFactory()
    if getattr(current, "_aigrowth_redacting", False):
        return

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = current(*args, **kwargs)
        scrub_record(record)
        return record

    factory._aigrowth_redacting = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(factory)


class ContextFilter(logging.Filter):
    """Adds ``request_id`` (HTTP routes) and ``job_id`` (RQ jobs) to every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get()
        record.job_id = current_job_id()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line (LOG_FORMAT=json) for log shippers. Runs after the
    redacting record factory; the rendered text is redacted once more, since a
    traceback is only rendered here."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": redact(record.getMessage()),
            "process": record.process,
        }
        for name in ("request_id", "job_id"):
            value = getattr(record, name, None)
            if value:
                entry[name] = value
        if record.exc_info:
            entry["exc"] = redact(record.exc_text or self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False, default=str)


TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def configure_logging() -> None:
    """Format, redaction and (with SENTRY_DSN) error reporting for this process."""
    settings = get_settings()
    level = settings.log_level.upper()
    handler = logging.StreamHandler()
    handler.addFilter(ContextFilter())
    if settings.log_format.lower() == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter(TEXT_FORMAT))
    logging.basicConfig(level=level, handlers=[handler], force=True)
    install_redaction()
    quiet: list[str] = ["httpx", "httpx2"]
    if level != "DEBUG":
        # RQ logs four INFO lines per job; the dispatcher runs every few seconds, so that
        # would drown what matters. Failures are still logged (WARNING and up); our own
        # jobs log their outcomes themselves.
        quiet += ["rq.worker", "rq.scheduler", "rq_scheduler.scheduler"]
    for noisy in quiet:
        logging.getLogger(noisy).setLevel(logging.WARNING)
    from aigrowth.observability import init_sentry

    init_sentry(settings)
