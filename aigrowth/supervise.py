"""Run a command in its own process group and take the whole group down with it.

`reflex run` starts grandchildren (the Vite dev server, the ASGI server). A supervisor's
SIGTERM or Ctrl-C reaching only `reflex` can leave those running; this wrapper forwards
the signal to the whole group and kills what is left after a grace period, so Ctrl-C
on `make run` leaves no orphan behind.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time

GRACE_S = 8.0


def main(argv: list[str]) -> int:
    if not argv:
        print("usage: python -m aigrowth.supervise COMMAND [ARGS...]", file=sys.stderr)
        return 2
    child = subprocess.Popen(argv, start_new_session=True)
    stopping = False

    def _stop(signum: int, _frame: object) -> None:
        nonlocal stopping
        if stopping:
            return
        stopping = True
        with contextlib.suppress(ProcessLookupError):
            os.killpg(child.pid, signal.SIGTERM)

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGHUP, _stop)
    while True:
        try:
            code = child.wait(timeout=0.5)
            break
        except subprocess.TimeoutExpired:
            if stopping:
                deadline = time.monotonic() + GRACE_S
                while time.monotonic() < deadline and child.poll() is None:
                    time.sleep(0.2)
                code = child.poll()
                if code is None:
                    code = -signal.SIGKILL
                break
    # Whatever the command left in its group (grandchildren) goes too.
    with contextlib.suppress(ProcessLookupError):
        os.killpg(child.pid, signal.SIGKILL)
    return 0 if stopping else (code if code >= 0 else 1)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
