"""Fixtures for the event-loop tests: leak checks, loops, pools and contexts."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Coroutine, Iterator
from typing import Any, TypeVar

import pytest

from qom_py.loop import AioContext, ThreadPool, reset_main_aio_context

_T = TypeVar("_T")

#: Seconds a test's leftover threads get to finish before they count as leaked.
LEAK_GRACE: float = 2.0
#: Upper bound for any single blocking wait in these tests.
TIMEOUT: float = 10.0


@pytest.fixture(autouse=True)
def no_loop_thread_leaks() -> Iterator[None]:
    """
    Fail a test that leaves threads behind; reset the main context around it.

    Named apart from tests/conftest.py's ``no_thread_leaks`` so that both apply.
    """
    reset_main_aio_context(timeout=TIMEOUT)
    before = set(threading.enumerate())
    yield
    reset_main_aio_context(timeout=TIMEOUT)
    deadline = time.monotonic() + LEAK_GRACE
    while True:
        leaked = [t for t in threading.enumerate() if t not in before and t.is_alive()]
        if not leaked:
            return
        if time.monotonic() >= deadline:
            names = sorted(t.name for t in leaked)
            pytest.fail(f"threads leaked by the test: {names}")
        for thread in leaked:
            thread.join(timeout=0.05)


@pytest.fixture
def loop() -> Iterator[asyncio.AbstractEventLoop]:
    """A fresh event loop run by the test's own thread; closed afterwards."""
    loop = asyncio.new_event_loop()
    try:
        yield loop
    finally:
        loop.close()


@pytest.fixture
def make_pool(loop: asyncio.AbstractEventLoop) -> Iterator[Callable[..., ThreadPool]]:
    """A factory of pools on `loop`; every pool made is shut down (and joined) afterwards."""
    pools: list[ThreadPool] = []

    def make(**kwargs: Any) -> ThreadPool:
        kwargs.setdefault("name", "t")
        pool = ThreadPool(loop, **kwargs)
        pools.append(pool)
        return pool

    yield make
    for pool in pools:
        assert pool.shutdown(wait=True, timeout=TIMEOUT)


@pytest.fixture
def run(loop: asyncio.AbstractEventLoop) -> Callable[[Coroutine[Any, Any, _T]], _T]:
    """Run a coroutine to completion on `loop`, with a time-out."""

    def run(coro: Coroutine[Any, Any, _T]) -> _T:
        return loop.run_until_complete(asyncio.wait_for(coro, TIMEOUT))

    return run


@pytest.fixture
def make_context() -> Iterator[Callable[..., AioContext]]:
    """A factory of contexts; every context made is stopped (and joined) afterwards."""
    contexts: list[AioContext] = []

    def make(name: str = "io0", **kwargs: Any) -> AioContext:
        ctx = AioContext(name, **kwargs)
        contexts.append(ctx)
        return ctx

    yield make
    for ctx in contexts:
        ctx.stop(timeout=TIMEOUT)
