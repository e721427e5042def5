"""
Event loops: `AioContext` (an asyncio loop with a thread pool and adaptive polling),
its `ThreadPool`, the process's main context, and the QOM types ``event-loop-base``,
``iothread`` and ``main-loop``.

Threading rule: a context's pool is used from that context's loop thread; other
threads go through `AioContext.bh_schedule`, `AioContext.run_coroutine` or
``asyncio.run_coroutine_threadsafe(coro, ctx.loop)``.
"""

from __future__ import annotations

from ._aio_context import (
    DEFAULT_POLL_MAX_NS,
    INT_MAX,
    MAIN_LOOP_THREAD_NAME,
    AioContext,
    BottomHalf,
    PollingSelector,
    PollState,
    Timer,
    adjust_poll_ns,
    adopt_main_loop,
    check_thread_pool_params,
    main_aio_context,
    peek_main_aio_context,
    reset_main_aio_context,
)
from ._event_loop_base import TYPE_EVENT_LOOP_BASE, TYPE_MAIN_LOOP, EventLoopBase, MainLoop, main_loop_object
from ._iothread import TYPE_IOTHREAD, IOThread, query_iothreads
from ._thread_pool import (
    DEFAULT_IDLE_TIMEOUT,
    DEFAULT_MAX_BATCH,
    DEFAULT_MAX_THREADS,
    MAX_WARM_START,
    JobHandle,
    ThreadPool,
    ThreadPoolStatistics,
)

__all__ = [
    "DEFAULT_IDLE_TIMEOUT",
    "DEFAULT_MAX_BATCH",
    "DEFAULT_MAX_THREADS",
    "DEFAULT_POLL_MAX_NS",
    "INT_MAX",
    "MAIN_LOOP_THREAD_NAME",
    "MAX_WARM_START",
    "TYPE_EVENT_LOOP_BASE",
    "TYPE_IOTHREAD",
    "TYPE_MAIN_LOOP",
    "AioContext",
    "BottomHalf",
    "EventLoopBase",
    "IOThread",
    "JobHandle",
    "MainLoop",
    "PollState",
    "PollingSelector",
    "ThreadPool",
    "ThreadPoolStatistics",
    "Timer",
    "adjust_poll_ns",
    "adopt_main_loop",
    "check_thread_pool_params",
    "main_aio_context",
    "main_loop_object",
    "peek_main_aio_context",
    "query_iothreads",
    "reset_main_aio_context",
]
