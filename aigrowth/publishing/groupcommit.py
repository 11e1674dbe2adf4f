"""Group commit: the small writes of many publishing threads share one transaction.

Why: a burst publishes hundreds of posts at once from one process, and each post needs
a few tiny writes (start the attempt, save an idempotency value, store the result).
One commit per write means one fsync and one trip through SQLite's single write lock
per write; with dozens of threads the lock is contended and writers sleep in SQLite's
busy handler. Here one writer thread takes every write queued while the previous
commit was running, runs them in one transaction and commits once.

Semantics are unchanged for the caller: `write(fn)` returns only after the
transaction holding `fn`'s statements has COMMITTED (or raises), so "committed before
the platform call" still means committed. If a batch fails, nothing of it is kept and
each write is run again in its own transaction, so one bad write only fails itself.
Write functions must therefore be pure database work (no side effects outside the
session) and safe to run again after a rollback.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from typing import Any, TypeVar

from sqlalchemy.engine import Engine
from sqlmodel import Session

log = logging.getLogger(__name__)

T = TypeVar("T")
WriteFn = Callable[[Session], Any]

_STOP = object()


class GroupCommitter:
    """One writer thread per engine and job; use as a context manager."""

    def __init__(self, engine: Engine, *, max_batch: int = 256) -> None:
        self.engine = engine
        self.max_batch = max_batch
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self.batches = 0
        self.writes = 0

    def __enter__(self) -> GroupCommitter:
        self._thread = threading.Thread(target=self._loop, name="group-commit", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            self._queue.put(_STOP)
            self._thread.join()
        self._thread = None

    def write(self, fn: Callable[[Session], T]) -> T:
        """Run `fn(session)` in a shared transaction; return once it is committed."""
        thread = self._thread
        if thread is None or not thread.is_alive() or thread is threading.current_thread():
            return run_alone(self.engine, fn)
        fut: Future[T] = Future()
        self._queue.put((fn, fut))
        return fut.result()

    # ------------------------------------------------------------------ writer
    def _loop(self) -> None:
        stop = False
        while not stop:
            item = self._queue.get()
            if item is _STOP:
                break
            batch = [item]
            while len(batch) < self.max_batch:
                try:
                    nxt = self._queue.get_nowait()
                except queue.Empty:
                    break
                if nxt is _STOP:
                    stop = True
                    break
                batch.append(nxt)
            self._run(batch)

    def _run(self, batch: list[tuple[WriteFn, Future]]) -> None:
        self.batches += 1
        self.writes += len(batch)
        if len(batch) > 1:
            try:
                with Session(self.engine) as s:
                    results = [fn(s) for fn, _ in batch]
                    s.commit()
            except Exception as exc:  # one bad write: run them one by one
                log.warning("Group commit of %d writes failed (%s); one by one", len(batch), exc)
            else:
                for (_, fut), result in zip(batch, results, strict=True):
                    fut.set_result(result)
                return
        for fn, fut in batch:
            try:
                fut.set_result(run_alone(self.engine, fn))
            except BaseException as exc:  # delivered to the caller, who decides
                fut.set_exception(exc)


def run_alone(engine: Engine, fn: Callable[[Session], T]) -> T:
    """`fn` in its own transaction, committed before returning."""
    with Session(engine) as s:
        result = fn(s)
        s.commit()
        return result


# The committer of the publish job running in this process, per engine.
_ACTIVE: dict[int, GroupCommitter] = {}


@contextmanager
def job_committer(engine: Engine) -> Iterator[GroupCommitter]:
    """Share commits between the threads of one publish job (nested use reuses it)."""
    existing = _ACTIVE.get(id(engine))
    if existing is not None:
        yield existing
        return
    committer = GroupCommitter(engine).__enter__()
    _ACTIVE[id(engine)] = committer
    try:
        yield committer
    finally:
        _ACTIVE.pop(id(engine), None)
        committer.close()


def write(engine: Engine, fn: Callable[[Session], T]) -> T:
    """`fn` in the running job's group commit, or alone; COMMITTED when this returns."""
    committer = _ACTIVE.get(id(engine))
    if committer is not None and committer.engine is engine:
        return committer.write(fn)
    return run_alone(engine, fn)
