"""Fixtures shared by integration tests (the root conftest has the real services)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.integration.billing_support import stripe_fake  # noqa: F401  (fixture)
from tests.integration.mail_support import MailWorker


@pytest.fixture
def mail_worker(app_env: dict[str, str]) -> Iterator[MailWorker]:
    """A listening RQ worker for account mails; `deliver()` runs the queued ones."""
    worker = MailWorker()
    yield worker
    worker.close()
