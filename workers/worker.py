"""Worker entry point: `python -m workers.worker [queue ...]`."""

from __future__ import annotations

import logging
import sys

from rq import Worker

from aigrowth.logging_setup import configure_logging
from aigrowth.redis_client import get_redis
from workers.publish_jobs import preload
from workers.queues import ALL_QUEUES
from workers.wait import wait_for_redis


def main(argv: list[str] | None = None) -> None:
    configure_logging()
    queues = (argv if argv is not None else sys.argv[1:]) or ALL_QUEUES
    redis = get_redis()
    wait_for_redis(redis)
    preload()  # forked work horses inherit the imports (fast job start)
    logging.getLogger(__name__).info("Worker listening on %s", ", ".join(queues))
    Worker(queues, connection=redis).work(with_scheduler=False)


if __name__ == "__main__":
    main()
