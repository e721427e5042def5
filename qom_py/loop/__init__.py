"""
Event loops: `AioContext` (an asyncio loop with a thread pool and adaptive polling),
its `ThreadPool`, the process's main context, and the QOM types ``event-loop-base``,
``iothread`` and ``main-loop``.

Threading rule: a context's pool is used from that context's loop thread; other
threads go through `AioContext.bh_schedule`, `AioContext.run_coroutine` or
``asyncio.run_coroutine_threadsafe(coro, ctx.loop)``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._util.lazy import lazy_getattr
from ._event_loop_base import TYPE_EVENT_LOOP_BASE, TYPE_MAIN_LOOP, EventLoopBase, MainLoop, main_loop_object
from ._iothread import TYPE_IOTHREAD, IOThread, install_event_loop_types, query_iothreads
from ._params import INT_MAX, check_thread_pool_params

if TYPE_CHECKING:  # at run time imported on first access (__getattr__): they import asyncio
    from ._aio_context import (
        DEFAULT_POLL_MAX_NS,
        MAIN_LOOP_THREAD_NAME,
        AioContext,
        BottomHalf,
        PollingSelector,
        PollState,
        Timer,
        adjust_poll_ns,
        adopt_main_loop,
        main_aio_context,
        peek_main_aio_context,
        reset_main_aio_context,
    )
    from ._pool_statistics import ThreadPoolStatistics
    from ._thread_pool import (
        DEFAULT_IDLE_TIMEOUT,
        DEFAULT_MAX_BATCH,
        DEFAULT_MAX_THREADS,
        MAX_WARM_START,
        JobHandle,
        ThreadPool,
    )

#: Names of the asyncio-based modules, imported on first access (PEP 562): the QOM
#: types above (their help, their schema) need no event loop.
_LAZY = {
    **dict.fromkeys(
        (
            "DEFAULT_POLL_MAX_NS",
            "MAIN_LOOP_THREAD_NAME",
            "AioContext",
            "BottomHalf",
            "PollingSelector",
            "PollState",
            "Timer",
            "adjust_poll_ns",
            "adopt_main_loop",
            "main_aio_context",
            "peek_main_aio_context",
            "reset_main_aio_context",
        ),
        "._aio_context",
    ),
    **dict.fromkeys(
        (
            "DEFAULT_IDLE_TIMEOUT",
            "DEFAULT_MAX_BATCH",
            "DEFAULT_MAX_THREADS",
            "MAX_WARM_START",
            "JobHandle",
            "ThreadPool",
        ),
        "._thread_pool",
    ),
    "ThreadPoolStatistics": "._pool_statistics",
}


__getattr__ = lazy_getattr(__name__, _LAZY, globals())


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
    "install_event_loop_types",
    "main_aio_context",
    "main_loop_object",
    "peek_main_aio_context",
    "query_iothreads",
    "reset_main_aio_context",
]
