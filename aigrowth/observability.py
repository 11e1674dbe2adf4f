"""Error reporting to Sentry (or any Sentry-compatible service, e.g. GlitchTip).

Off unless SENTRY_DSN is set. Every process turns it on through
``aigrowth.logging_setup.configure_logging``: the web process (Starlette/ASGI
integrations, auto-enabled), RQ workers (the RQ integration reports failed jobs with
their job id, function and queue) and the scheduler. Logged errors become events too
(the logging integration). Events pass the same redaction as log lines before they
leave the process, and no personal data is sent by default (``send_default_pii``
off: no cookies, no request bodies, no user addresses).
"""

from __future__ import annotations

from typing import Any

from aigrowth.settings import VERSION, Settings

_initialised_dsn: str | None = None


def _scrub(value: Any) -> Any:
    """A copy of an event with every string passed through the log redaction."""
    from aigrowth.logging_setup import redact

    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {k: _scrub(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrub(v) for v in value]
    return value


def _before_send(event: Any, _hint: dict[str, Any]) -> Any:
    """Sentry's event (a dict) with secrets redacted; typed loosely because sentry-sdk
    declares the type only in a private module."""
    return _scrub(event)


def init_sentry(settings: Settings) -> bool:
    """Start the Sentry client once per process when SENTRY_DSN is set; True if on."""
    global _initialised_dsn
    dsn = settings.sentry_dsn.strip()
    if not dsn:
        return False
    if _initialised_dsn == dsn:
        return True
    import sentry_sdk
    from sentry_sdk.integrations.logging import LoggingIntegration
    from sentry_sdk.integrations.rq import RqIntegration

    sentry_sdk.init(
        dsn=dsn,
        release=f"aigrowth@{VERSION}",
        environment=settings.sentry_environment,
        traces_sample_rate=settings.sentry_traces_sample_rate,
        send_default_pii=False,
        integrations=[RqIntegration(), LoggingIntegration()],
        before_send=_before_send,
        before_send_transaction=_before_send,
    )
    _initialised_dsn = dsn
    return True
