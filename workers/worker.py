"""Worker entry point: `python -m workers.worker [queue ...]`."""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import sys
from types import FrameType

from rq import Worker

from aigrowth.logging_setup import configure_logging
from aigrowth.publishing.run import request_drain
from aigrowth.redis_client import get_redis
from workers.publish_jobs import preload
from workers.queues import ALL_QUEUES
from workers.wait import wait_for_redis

log = logging.getLogger(__name__)


def _drain(signum: int, frame: FrameType | None) -> None:
    """In the work horse: finish what is in flight, hand back the rest, then return."""
    log.warning("Stop requested: finishing posts in flight, handing back the rest")
    request_drain()


class DrainingWorker(Worker):
    """An RQ worker whose running job finishes cleanly on SIGTERM.

    RQ's work horse dies at once on SIGTERM (its default), which under systemd's
    default KillMode (the signal reaches every process of the unit) killed publishes
    mid-request. Here the horse drains instead, and the main process passes its own
    SIGTERM on to the horse (KillMode=mixed sends it to the main process only), then
    waits for it as RQ's warm shutdown does. A second signal still stops it cold.
    """

    def setup_work_horse_signals(self) -> None:
        super().setup_work_horse_signals()
        signal.signal(signal.SIGTERM, _drain)

    def request_stop(self, signum: int, frame: FrameType | None) -> None:
        if self.horse_pid:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.horse_pid, signal.SIGTERM)
        super().request_stop(signum, frame)


def main(argv: list[str] | None = None) -> None:
    configure_logging()
    queues = (argv if argv is not None else sys.argv[1:]) or ALL_QUEUES
    redis = get_redis()
    wait_for_redis(redis)
    preload()  # forked work horses inherit the imports (fast job start)
    log.info("Worker listening on %s", ", ".join(queues))
    DrainingWorker(queues, connection=redis).work(with_scheduler=False)


if __name__ == "__main__":
    main()
