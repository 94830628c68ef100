"""Runs an asyncio loop (uvloop, as the master does) in a thread, so that a
test can drive the control server with ordinary blocking clients."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine, Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from typing import Any, TypeVar

import uvloop

T = TypeVar("T")


class LoopThread:
    def __init__(self) -> None:
        self.loop = uvloop.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)

    def run(self, coro: Coroutine[Any, Any, T], timeout: float = 10.0) -> T:
        """Run ``coro`` in the loop and wait for its result."""
        future: Future[T] = asyncio.run_coroutine_threadsafe(coro, self.loop)
        return future.result(timeout)

    def call(self, fn: Any, *args: Any) -> Any:
        async def wrapper() -> Any:
            return fn(*args)
        return self.run(wrapper())


@contextmanager
def loop_thread() -> Iterator[LoopThread]:
    runner = LoopThread()
    runner.thread.start()
    try:
        yield runner
    finally:
        async def cancel_all() -> None:
            me = asyncio.current_task()
            tasks = [t for t in asyncio.all_tasks() if t is not me]
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        runner.run(cancel_all())
        runner.loop.call_soon_threadsafe(runner.loop.stop)
        runner.thread.join(5)
        runner.loop.close()
