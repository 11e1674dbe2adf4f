"""Running a coroutine from a synchronous test, whatever else the test session runs."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any


def run_async(coroutine: Coroutine[Any, Any, Any]) -> Any:
    """Run the coroutine on a loop of its own thread: a session-scoped Playwright (e2e)
    keeps an event loop running in the main thread, where asyncio.run() would fail."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()
