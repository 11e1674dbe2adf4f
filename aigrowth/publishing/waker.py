"""Wake the dispatcher at the instant the next post falls due, instead of polling.

The periodic dispatcher job (every 2 s, through RQ) made a post up to ~2 s late plus
the job's pick-up time. The waker runs in the scheduler process: it asks the database
when the next post is due, sleeps until then (at most `MAX_SLEEP_S`, so a post
scheduled meanwhile is seen within that), and dispatches in-process. Dispatching is
idempotent, so the periodic job stays as a safety net, and several schedulers may run.
"""

from __future__ import annotations

import logging
import threading
from datetime import timedelta

from sqlalchemy.engine import Engine

from aigrowth.db import get_engine
from aigrowth.publishing.clock import db_now
from aigrowth.publishing.dispatch import dispatch_due, next_due_at

log = logging.getLogger(__name__)

MAX_SLEEP_S = 1.0


def seconds_until_next_due(engine: Engine) -> float:
    """0 when something is due now; at most MAX_SLEEP_S."""
    due = next_due_at(engine=engine)
    if due is None:
        return MAX_SLEEP_S
    wait = (due - db_now(engine)) / timedelta(seconds=1)
    return max(0.0, min(MAX_SLEEP_S, wait))


class DueWaker(threading.Thread):
    def __init__(self, engine: Engine | None = None) -> None:
        super().__init__(name="due-waker", daemon=True)
        self.engine = engine or get_engine()
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.is_set():
            try:
                wait = seconds_until_next_due(self.engine)
                if wait > 0:
                    self.stopped.wait(wait)
                    continue
                if dispatch_due(engine=self.engine) == 0:
                    # Due but not claimable (e.g. an account paused): do not spin.
                    self.stopped.wait(0.2)
            except Exception:
                log.exception("Due-time dispatcher failed; retrying shortly")
                self.stopped.wait(MAX_SLEEP_S)

    def stop(self) -> None:
        self.stopped.set()
