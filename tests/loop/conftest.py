"""Fixtures for the event-loop tests: loops, pools and contexts (the leak check is tests/conftest.py's)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine, Iterator
from typing import Any, TypeVar

import pytest

from qom_py.loop import AioContext, ThreadPool

_T = TypeVar("_T")

#: Upper bound for any single blocking wait in these tests.
TIMEOUT: float = 10.0


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
