"""Database work from async handlers, bounded so that an outage stays contained.

psycopg is used synchronously, each call in one of anyio's worker threads, which the
probes need too. At most `slots` requests (the pool's size) hold a thread for database
work at once; the others wait here without one. Waiting for a slot and then for a
connection shares one budget, `wait` seconds, after which the request is answered 503
with Retry-After: a dead database costs each request about `wait`, however many arrive.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import TypeVar

from starlette.concurrency import run_in_threadpool

from guestbook.database import UNAVAILABLE
from guestbook.problems import Problem

T = TypeVar("T")


class DatabaseGate:
    def __init__(self, *, slots: int, wait: float, retry_after: int) -> None:
        self._slots = asyncio.Semaphore(slots)
        self._wait = wait
        self._retry_after = str(retry_after)

    async def run(self, work: Callable[[float], T]) -> T:
        """`work(wait)` in a worker thread; `wait` is what is left of the budget for a connection."""
        deadline = time.monotonic() + self._wait
        try:
            async with asyncio.timeout(self._wait):
                await self._slots.acquire()
        except TimeoutError:
            raise self._unavailable(f"no database slot free within {self._wait}s") from None
        try:
            # A tiny positive floor: psycopg_pool refuses a timeout of 0 even with a connection free.
            return await run_in_threadpool(work, max(deadline - time.monotonic(), 0.001))
        except UNAVAILABLE as error:
            raise self._unavailable(f"{type(error).__name__}: {error}") from None
        finally:
            self._slots.release()

    def _unavailable(self, reason: str) -> Problem:
        return Problem(503, "database unavailable", headers={"Retry-After": self._retry_after}, reason=reason)
