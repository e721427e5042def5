"""
`ThreadPoolStatistics`: a snapshot of a thread pool (``ThreadPool.statistics``, QMP ``query-thread-pools``).

A module of its own: a daemon that never asks for statistics does not build the class.
"""

from __future__ import annotations

from typing import final

import attrs

__all__ = ["ThreadPoolStatistics"]


@final
@attrs.frozen
class ThreadPoolStatistics:
    """A snapshot of a `ThreadPool`, taken under its lock (never a live view)."""

    #: Workers kept even when idle (``thread-pool-min``).
    min_threads: int
    #: Upper bound of workers (``thread-pool-max``).
    max_threads: int
    #: Workers alive and not committed to exit.
    threads: int
    #: Workers waiting for a job.
    idle_threads: int
    #: Jobs submitted and not yet started (cancelled ones excluded).
    queued: int
    #: Jobs running on a worker now.
    running: int
    #: Workers started since the pool was created.
    spawned: int
    #: Workers that have exited (idle time-out, lowered limits, shutdown).
    exited: int
    #: Jobs that ran to completion (returned or raised).
    completed: int
    #: Jobs cancelled while queued (by the caller or by shutdown).
    cancelled: int
    #: Completions waiting for the loop to deliver them.
    pending_completions: int
    #: Loop wake-ups requested by workers (``call_soon_threadsafe`` calls).
    wakeups: int
    #: Loop callbacks that delivered completions.
    drains: int
    #: Completions delivered per loop callback at most (``aio-max-batch``; 0 = default).
    max_batch: int
