"""Account mails (sign-up confirmation, password reset, email change) off the request.

Enqueued by dotted path by `aigrowth.accounts.service.queue_account_mail`, so a web
request never waits for SMTP and answers in the same time whatever the mail. Thin: the
service decides what to send (it looks the address up here, not in the request).
"""

from __future__ import annotations

from aigrowth.accounts import service


def deliver_account_mail(kind: str, *refs: str) -> None:
    """One account mail; RQ retries it (the request set Retry) if SMTP fails."""
    service.deliver_account_mail(kind, *refs)
