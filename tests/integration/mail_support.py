"""Account mails go out from RQ jobs: a real RQ worker on the test's Redis runs them.

`MailWorker` registers a listening worker (so the web side enqueues instead of using
its thread fallback) and `deliver()` runs what is queued with a real SimpleWorker in
this process (same settings, same test database), then returns the outbox.
"""

from __future__ import annotations

from rq import Queue, SimpleWorker, Worker

from aigrowth.accounts import service
from aigrowth.mail import read_outbox
from aigrowth.redis_client import get_redis


class MailWorker:
    def __init__(self) -> None:
        self.listener = Worker([service.MAIL_QUEUE], connection=get_redis(), name="mail-listener")
        self.listener.register_birth()

    def queued(self) -> int:
        return Queue(service.MAIL_QUEUE, connection=get_redis()).count

    def deliver(self) -> list[dict[str, str]]:
        SimpleWorker([service.MAIL_QUEUE], connection=get_redis()).work(burst=True)
        return read_outbox()

    def close(self) -> None:
        self.listener.register_death()
