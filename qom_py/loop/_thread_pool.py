"""
The AIO thread pool of one `AioContext`.  Models QEMU's ``util/thread-pool.c``.

A `ThreadPool` runs blocking functions on worker threads and hands each result back
to its owning asyncio loop.  Its size follows QEMU's ``thread-pool-min`` and
``thread-pool-max`` (QOM-REFERENCE §2.6), with this project's two changes
(ARCHITECTURE.md decisions 8 and 9): the ``min`` workers start as soon as the limits
are set, and lowering ``min`` lets idle surplus workers exit at once.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import math
import threading
import time
import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Final, Generic, TypeVar, TypeVarTuple, cast, final

from ..errors import QOMError

if TYPE_CHECKING:
    from ._pool_statistics import ThreadPoolStatistics

__all__ = [
    "DEFAULT_IDLE_TIMEOUT",
    "DEFAULT_MAX_BATCH",
    "DEFAULT_MAX_THREADS",
    "MAX_WARM_START",
    "JobHandle",
    "ThreadPool",
]

_T = TypeVar("_T")
_Ts = TypeVarTuple("_Ts")

#: QEMU's ``THREAD_POOL_MAX_THREADS_DEFAULT``.
DEFAULT_MAX_THREADS: Final = 64
#: Seconds an idle worker above ``min_threads`` waits for a job before it exits
#: (QEMU's 10 s; a constructor parameter so that tests can shorten it).
DEFAULT_IDLE_TIMEOUT: Final = 10.0
#: Completions delivered per loop callback when ``max_batch`` is 0 ("engine default").
#: Arbitrary: large enough that a burst costs few loop callbacks, small enough that a
#: flood of completions does not hold up the loop's other callbacks for long.
DEFAULT_MAX_BATCH: Final = 256
#: The most workers started ahead of any job to honour ``min_threads`` (decision 8).
#: Arbitrary, but it bounds what a configuration alone can cost: QEMU accepts
#: ``thread-pool-min=2147483647`` and starts nothing until a job arrives; here the
#: first 256 are warm at once and any further ones start as jobs need them, as in
#: QEMU, and are then kept (idle workers at or below the minimum never exit).
MAX_WARM_START: Final = 256
#: Seconds `ThreadPool.shutdown` waits for the workers, by default.
DEFAULT_SHUTDOWN_TIMEOUT: Final = 10.0

# Guarantees (each one has a test in tests/loop/test_thread_pool.py):
# - Jobs start in FIFO order of submission.
# - A job's result is delivered on the owning loop's thread only: never inline on a
#   worker, never synchronously inside submit(); a future is resolved, or a callback
#   called, from a loop callback.
# - Completions are batched: workers append to one deque, and the first completion of
#   a burst schedules one drain with call_soon_threadsafe; later completions of the
#   burst ride on that drain.  One drain delivers at most `max_batch` completions and
#   re-schedules itself (call_soon, no wake-up) for the rest.
# - Cancelling a queued job removes it: it never runs, its future is cancelled (the
#   callback form gets CancelledError).  A running or finished job cannot be
#   cancelled: cancel() returns False and the job completes normally.
# - A worker is spawned on submit only when no idle or already-waking worker can take
#   the job and fewer than `max_threads` exist; never more than `max_threads` run.
# - With min_threads > 0 the `min` workers are started when the limits are set (also
#   at construction), so a first burst of `min` jobs spawns no thread (decision 8).
# - An idle worker exits after `idle_timeout` s without work while more than
#   `min_threads` workers exist; lowering `max_threads` makes idle surplus workers
#   exit at once and busy ones after their current job; lowering `min_threads` makes
#   idle workers above the new minimum exit at once, and busy or starting ones as
#   soon as they run out of work (decision 9).
# - Idle workers are reused LIFO, so a sequential producer keeps one warm thread and
#   the cold ones are the ones that time out (or are retired first).
# - shutdown() cancels the queued jobs, lets running ones finish and joins every
#   worker.  Workers are not daemons; they are named "worker-<pool name>-<N>".
# - At interpreter exit, pools still open are shut down before Python joins its
#   non-daemon threads, so a program that never calls shutdown() still exits.

# Job phases (``job._phase``; not ``_state``, which asyncio.Future already uses).  A job
# moves QUEUED -> RUNNING -> DONE, or QUEUED -> CANCELLED.  Written under
# ThreadPool._lock; read without it only as a hint that is re-checked under it.
_QUEUED: Final = 0
_RUNNING: Final = 1
_DONE: Final = 2
_CANCELLED: Final = 3

# Queued jobs cancelled in place are left in the deque as tombstones (O(1) cancel) and
# skipped by workers; past this many, and once they are half the deque, the deque is
# compacted.  Arbitrary.
_COMPACT_MIN_TOMBSTONES: Final = 64


class _Worker:
    """One worker thread's private hand-off state."""

    __slots__ = ("idle", "retire", "thread", "wakeup", "woken")

    def __init__(self) -> None:
        # Locked means "nothing for you"; released (always under the pool's lock) by
        # whoever pops this worker off the idle stack.  The worker acquires it.
        self.wakeup = threading.Lock()
        self.wakeup.acquire()
        # The four fields below are read and written under the pool's lock only.
        #: On the pool's idle stack.
        self.idle = False
        #: Counted in ThreadPool._waking: woken or just started, and bound to look at
        #: the queue before it sleeps again.
        self.woken = False
        #: Told to exit (already uncounted from ThreadPool._threads).
        self.retire = False
        self.thread: threading.Thread | None = None


class _FutureJob(asyncio.Future[_T]):
    """A job submitted with `ThreadPool.submit`: it is its own future."""

    __slots__ = ("_args", "_error", "_fn", "_phase", "_pool", "_value")

    _pool: ThreadPool
    _fn: Callable[..., _T] | None
    _args: tuple[Any, ...]
    _phase: int
    _value: _T | None
    _error: BaseException | None

    def cancel(self, msg: Any | None = None) -> bool:
        """
        Cancel the job if it is still queued; a running job completes normally.

        Returns:
            True if the job was removed from the queue and this future cancelled.
        """
        if self._phase == _QUEUED and self._pool._cancel_queued(self):
            return super().cancel(msg)
        return False

    def _deliver(self) -> None:
        if self.done():
            return
        error = self._error
        if error is None:
            self.set_result(cast("_T", self._value))  # a _T once DONE
        else:
            self._error = None  # don't keep a traceback cycle through the job
            self.set_exception(_storable(error))
        self._value = None


@final
class JobHandle(Generic[_T]):
    """A job submitted with `ThreadPool.submit_callback`."""

    __slots__ = ("_args", "_callback", "_delivered", "_error", "_fn", "_phase", "_pool", "_value")

    def __init__(
        self,
        pool: ThreadPool,
        fn: Callable[..., _T],
        args: tuple[Any, ...],
        callback: Callable[[_T | None, BaseException | None], object],
    ) -> None:
        self._pool = pool
        self._fn: Callable[..., _T] | None = fn
        self._args = args
        self._callback = callback
        self._phase = _QUEUED
        self._value: _T | None = None
        self._error: BaseException | None = None
        self._delivered = False

    def cancel(self) -> bool:
        """
        Cancel the job if it is still queued; a running job completes normally.

        The callback of a cancelled job is still called, later and on the loop, with
        an `asyncio.CancelledError` (QEMU completes it with ``-ECANCELED``).

        Returns:
            True if the job was removed from the queue.
        """
        if self._phase == _QUEUED and self._pool._cancel_queued(self):
            self._error = asyncio.CancelledError()
            self._pool._post_completion(self)
            return True
        return False

    def cancelled(self) -> bool:
        """Return True if the job was cancelled before it started."""
        return self._phase == _CANCELLED

    def done(self) -> bool:
        """Return True once the callback has been called."""
        return self._delivered

    def _deliver(self) -> None:
        self._delivered = True
        value, error = self._value, self._error
        self._value = self._error = None
        self._callback(value, error)


_Job = _FutureJob[Any] | JobHandle[Any]


def _storable(error: BaseException) -> BaseException:
    """Return *error*, or a RuntimeError wrapping it if a Future refuses it."""
    if isinstance(error, StopIteration):
        wrapped = RuntimeError("thread-pool job raised StopIteration")
        wrapped.__cause__ = error
        return wrapped
    return error


@final
class ThreadPool:
    """
    Models QEMU's AIO thread pool (``util/thread-pool.c``): one per `AioContext`.

    Threading rule: `submit`, `submit_callback` and the jobs' ``cancel`` are called
    on the owning loop's thread (the futures belong to that loop).  `set_limits`,
    `statistics`, `shutdown` and the ``max_batch`` / ``idle_timeout`` setters take
    the pool's lock and may be called from any thread; `AioContext` forwards its own
    calls to the loop thread anyway.  Other threads reach the pool through the
    context (a bottom half, or ``asyncio.run_coroutine_threadsafe`` on its loop).

    Lifecycle: created with its limits (the ``min`` workers start at once) → jobs →
    `set_limits` any number of times → `shutdown` (idempotent).

    Args:
        loop: the owning asyncio loop; results are delivered there.
        name: used in worker thread names, ``worker-<name>-<N>``.
        min_threads: workers kept alive even when idle (``thread-pool-min``).
        max_threads: upper bound of workers (``thread-pool-max``).
        idle_timeout: seconds an idle worker above *min_threads* waits before it
            exits (`math.inf`: never).
        max_batch: completions delivered per loop callback (0: `DEFAULT_MAX_BATCH`).

    Raises:
        QOMError: the limits are not sane (see `set_limits`).
    """

    __slots__ = (
        "__weakref__",
        "_cancelled",
        "_closed",
        "_completed",
        "_completions",
        "_dead",
        "_drain_scheduled",
        "_drains",
        "_exited",
        "_idle",
        "_idle_wait",
        "_lock",
        "_max",
        "_max_batch",
        "_min",
        "_queue",
        "_queued",
        "_running",
        "_spawned",
        "_threads",
        "_tombstones",
        "_trim",
        "_wakeups",
        "_waking",
        "_workers",
        "loop",
        "name",
    )

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        *,
        name: str = "pool",
        min_threads: int = 0,
        max_threads: int = DEFAULT_MAX_THREADS,
        idle_timeout: float = DEFAULT_IDLE_TIMEOUT,
        max_batch: int = 0,
    ) -> None:
        _check_limits(min_threads, max_threads)
        #: The owning loop.
        self.loop: Final = loop
        #: Name used in worker thread names.
        self.name: Final = name

        # Everything below is shared between the loop thread, the workers and
        # whichever thread calls set_limits/statistics/shutdown, and is read and
        # written only under _lock, except where a comment says otherwise.
        self._lock = threading.Lock()
        # Submitted jobs in FIFO order, with cancelled tombstones (_tombstones of them).
        # Appended by submit (loop thread), popped by workers.
        self._queue: collections.deque[_Job] = collections.deque()
        self._tombstones = 0
        # Finished jobs waiting for delivery.  Appended by workers (and by cancel of a
        # callback job), swapped out or popped by _drain on the loop thread.
        self._completions: collections.deque[_Job] = collections.deque()
        # True from the moment a drain is scheduled on the loop until a drain empties
        # _completions: while it is set, workers add completions without waking the loop.
        self._drain_scheduled = False
        # Idle workers, most recently idle last (LIFO reuse; retire from the front).
        self._idle: list[_Worker] = []
        # Every started worker not yet exited, and exited ones not yet joined.
        self._workers: set[_Worker] = set()
        self._dead: list[threading.Thread] = []
        self._min = min_threads
        self._max = max_threads
        self._max_batch = 0
        self._idle_wait = -1.0
        self._closed = False
        # Set when min is lowered while surplus workers are busy or starting: a worker
        # that runs out of work then exits instead of idling, until threads <= min.
        self._trim = False
        # Counters: workers not committed to exit; workers woken or starting that will
        # look at the queue (a submit needs no new worker while queued <= _waking).
        self._threads = 0
        self._waking = 0
        self._queued = 0
        self._running = 0
        self._spawned = 0
        self._exited = 0
        self._completed = 0
        self._cancelled = 0
        self._wakeups = 0
        self._drains = 0
        self.max_batch = max_batch
        self.idle_timeout = idle_timeout
        _live_pools.add(self)
        with self._lock:
            self._adjust_locked()

    # -- configuration ---------------------------------------------------------------

    @property
    def min_threads(self) -> int:
        """Workers kept even when idle."""
        return self._min

    @property
    def max_threads(self) -> int:
        """Upper bound of workers."""
        return self._max

    @property
    def max_batch(self) -> int:
        """Completions delivered per loop callback at most (0: `DEFAULT_MAX_BATCH`)."""
        return self._max_batch

    @max_batch.setter
    def max_batch(self, value: int) -> None:
        if value < 0:
            msg = f"max_batch must be >= 0, not {value}"
            raise QOMError(msg)
        self._max_batch = value  # a plain int store: read by _drain on the loop thread

    @property
    def idle_timeout(self) -> float:
        """Seconds an idle worker above ``min_threads`` waits before it exits."""
        return math.inf if self._idle_wait < 0 else self._idle_wait

    @idle_timeout.setter
    def idle_timeout(self, value: float) -> None:
        if not value > 0:
            msg = f"idle_timeout must be > 0, not {value}"
            raise QOMError(msg)
        # Lock.acquire wants -1 for "forever".  Read by idle workers at their next wait.
        self._idle_wait = -1.0 if math.isinf(value) else float(value)

    def set_limits(self, min_threads: int, max_threads: int) -> None:
        """
        Change ``min`` and ``max`` live.  Models ``thread_pool_update_params``.

        Raising *min_threads* starts the missing workers now (decision 8).  Lowering
        *max_threads* makes idle surplus workers exit now and busy ones after their
        current job.  Lowering *min_threads* makes idle workers above the new minimum
        exit now (decision 9).  Raising *max_threads* while jobs wait starts workers
        for them.  Only basic sanity is checked here; `AioContext` applies QEMU's
        rules before calling this.

        Raises:
            QOMError: ``min_threads < 0``, ``max_threads < 1``, ``min > max``, or the
                pool is shut down.
        """
        _check_limits(min_threads, max_threads)
        with self._lock:
            if self._closed:
                msg = f"thread pool '{self.name}' is shut down"
                raise QOMError(msg)
            old_min = self._min
            self._min = min_threads
            self._max = max_threads
            idle = self._idle
            # Surplus above max: the idle ones go now (coldest first), busy ones see
            # _threads > _max after their job.
            while self._threads > max_threads and idle:
                self._retire_locked(idle.pop(0))
            if min_threads < old_min:
                while self._threads > min_threads and idle:
                    self._retire_locked(idle.pop(0))
                # Workers busy or still starting now leave as soon as they run out
                # of work, until no more than min are left.
                self._trim = self._threads > min_threads
            elif min_threads > old_min:
                self._trim = False
            self._adjust_locked()

    # -- jobs ------------------------------------------------------------------------

    def submit(self, fn: Callable[[*_Ts], _T], /, *args: *_Ts) -> asyncio.Future[_T]:
        """
        Run ``fn(*args)`` on a worker; return a future of the owning loop.

        Cancelling the future while the job is queued removes the job; once the job
        runs, ``cancel()`` returns False and the job completes normally.

        Raises:
            QOMError: called from another thread while the loop runs, or the pool is
                shut down.
        """
        loop = self.loop
        if asyncio._get_running_loop() is not loop and loop.is_running():
            _wrong_thread(self.name)
        job: _FutureJob[_T] = _FutureJob(loop=loop)
        job._pool = self
        job._fn = fn
        job._args = args
        job._phase = _QUEUED
        job._value = None
        job._error = None
        self._enqueue(job)
        return job

    def submit_callback(
        self,
        fn: Callable[..., _T],
        args: tuple[Any, ...],
        callback: Callable[[_T | None, BaseException | None], object],
    ) -> JobHandle[_T]:
        """
        Run ``fn(*args)`` on a worker; later call ``callback(result, error)`` on the loop.

        *error* is None when *fn* returned *result*; otherwise it is the exception *fn*
        raised (or `asyncio.CancelledError` for a cancelled job) and *result* is None.
        The callback runs on the owning loop's thread, never inside this call.  An
        exception escaping it goes to the loop's exception handler.

        Raises:
            QOMError: called from another thread while the loop runs, or the pool is
                shut down.
        """
        loop = self.loop
        if asyncio._get_running_loop() is not loop and loop.is_running():
            _wrong_thread(self.name)
        job = JobHandle(self, fn, args, callback)
        self._enqueue(job)
        return job

    def statistics(self) -> ThreadPoolStatistics:
        """Return a frozen snapshot of the pool's counters."""
        from ._pool_statistics import ThreadPoolStatistics

        with self._lock:
            return ThreadPoolStatistics(
                min_threads=self._min,
                max_threads=self._max,
                threads=self._threads,
                idle_threads=len(self._idle),
                queued=self._queued,
                running=self._running,
                spawned=self._spawned,
                exited=self._exited,
                completed=self._completed,
                cancelled=self._cancelled,
                pending_completions=len(self._completions),
                wakeups=self._wakeups,
                drains=self._drains,
                max_batch=self._max_batch,
            )

    def shutdown(self, wait: bool = True, timeout: float | None = DEFAULT_SHUTDOWN_TIMEOUT) -> bool:
        """
        Cancel the queued jobs, let running ones finish, and join every worker.

        Idempotent.  Queued jobs' futures are cancelled (on the loop: directly when
        called there or when the loop is not running, else through
        ``call_soon_threadsafe``).  Called on the loop thread with *wait*, the results
        of the jobs that were running are delivered before it returns.

        Args:
            wait: join the workers.
            timeout: seconds to wait for all of them (None: forever).

        Returns:
            True if every worker has been joined (always False without *wait*, unless
            none was left).
        """
        with self._lock:
            self._closed = True
            self._min = 0
            self._max = 0
            cancelled = [job for job in self._queue if job._phase == _QUEUED]
            for job in cancelled:
                job._phase = _CANCELLED
            self._cancelled += len(cancelled)
            self._queue.clear()
            self._queued = 0
            self._tombstones = 0
            while self._idle:
                self._retire_locked(self._idle.pop())
        futures = [job for job in cancelled if isinstance(job, _FutureJob)]
        for job in cancelled:
            if isinstance(job, JobHandle):
                job._error = asyncio.CancelledError()
                self._post_completion(job)
        on_loop = asyncio._get_running_loop() is self.loop
        if futures:
            if on_loop or not self.loop.is_running():
                _cancel_futures(futures)
            else:
                with contextlib.suppress(RuntimeError):  # loop closed: nobody can await them
                    self.loop.call_soon_threadsafe(_cancel_futures, futures)
        if not wait:
            with self._lock:
                return not self._workers and not self._dead
        joined = self._join(timeout)
        if joined:
            _live_pools.discard(self)
        if on_loop:
            self._drain_all()
        return joined

    # -- internals: submit side (loop thread) -------------------------------------------

    def _enqueue(self, job: _Job) -> None:
        with self._lock:
            if self._closed:
                msg = f"thread pool '{self.name}' is shut down"
                raise QOMError(msg)
            self._queue.append(job)
            self._queued += 1
            if self._queued > self._waking:
                idle = self._idle
                if idle:
                    w = idle.pop()  # LIFO: the warmest worker
                    w.idle = False
                    w.woken = True
                    self._waking += 1
                    w.wakeup.release()
                elif self._threads < self._max:
                    try:
                        self._spawn_locked()
                    except QOMError:
                        if self._threads == 0:  # nobody would ever run it: take it back
                            self._queue.pop()
                            self._queued -= 1
                            raise

    def _cancel_queued(self, job: _Job) -> bool:
        """Mark *job* cancelled if it is still queued; its slot becomes a tombstone."""
        with self._lock:
            if job._phase != _QUEUED:
                return False
            job._phase = _CANCELLED
            job._fn = None
            self._queued -= 1
            self._cancelled += 1
            self._tombstones += 1
            queue = self._queue
            if self._tombstones >= _COMPACT_MIN_TOMBSTONES and 2 * self._tombstones >= len(queue):
                live = [j for j in queue if j._phase == _QUEUED]
                queue.clear()
                queue.extend(live)
                self._tombstones = 0
            return True

    def _post_completion(self, job: _Job) -> None:
        """Queue *job* for delivery from a non-worker path (callback-job cancellation)."""
        with self._lock:
            self._completions.append(job)
            wake = not self._drain_scheduled
            if wake:
                self._drain_scheduled = True
                self._wakeups += 1
        if wake:
            self._wake_loop()

    # -- internals: delivery (loop thread) ----------------------------------------------

    def _drain(self) -> None:
        """Deliver up to max_batch completions; re-schedule itself for the rest."""
        with self._lock:
            pending = self._completions
            limit = self._max_batch or DEFAULT_MAX_BATCH
            self._drains += 1
            more = len(pending) > limit
            if more:
                # _drain_scheduled stays set: workers keep appending without waking
                # the loop, and the drain re-scheduled below picks their jobs up.
                batch: collections.deque[_Job] | list[_Job] = [pending.popleft() for _ in range(limit)]
            else:
                self._completions = collections.deque()
                self._drain_scheduled = False
                batch = pending
        try:
            for job in batch:
                try:
                    job._deliver()
                except Exception as exc:  # a callback's bug must not lose the rest of the batch
                    self.loop.call_exception_handler(
                        {"message": f"thread pool '{self.name}': job callback failed", "exception": exc}
                    )
        finally:
            if more:
                # Re-scheduled after delivering, so the callbacks this batch made ready
                # (awaiting tasks, done callbacks) run before the next batch.
                self.loop.call_soon(self._drain)

    def _drain_all(self) -> None:
        """Deliver every pending completion now (loop thread, at shutdown)."""
        while True:
            with self._lock:
                batch = self._completions
                self._completions = collections.deque()
            if not batch:
                return
            for job in batch:
                try:
                    job._deliver()
                except Exception as exc:
                    self.loop.call_exception_handler(
                        {"message": f"thread pool '{self.name}': job callback failed", "exception": exc}
                    )

    def _wake_loop(self) -> None:
        # RuntimeError: the loop is closed and nobody is left to deliver to.  The flag
        # stays set, so that later completions do not try again.
        with contextlib.suppress(RuntimeError):
            self.loop.call_soon_threadsafe(self._drain)

    # -- internals: workers ----------------------------------------------------------------

    def _adjust_locked(self) -> None:
        """Spawn up to min (at most `MAX_WARM_START`), and for waiting jobs up to max."""
        while self._threads < min(self._min, MAX_WARM_START):
            self._spawn_locked()
        idle = self._idle
        while self._queued > self._waking and idle:
            w = idle.pop()
            w.idle = False
            w.woken = True
            self._waking += 1
            w.wakeup.release()
        while self._queued > self._waking and self._threads < self._max:
            self._spawn_locked()

    def _spawn_locked(self) -> None:
        # The thread is started under the lock, so that a concurrent shutdown always
        # sees it in _workers with a started thread to join.  Thread.start() only
        # waits for the new thread's bootstrap, which does not need this lock.
        self._prune_dead_locked()
        w = _Worker()
        index = self._spawned + 1
        thread = threading.Thread(target=self._worker_main, args=(w,), name=f"worker-{self.name}-{index}", daemon=False)
        w.thread = thread
        w.woken = True  # it looks at the queue before its first sleep
        try:
            thread.start()
        except RuntimeError as exc:
            msg = f"cannot start a worker thread for thread pool '{self.name}': {exc}"
            raise QOMError(msg) from exc
        self._spawned = index
        self._waking += 1
        self._threads += 1
        self._workers.add(w)

    def _retire_locked(self, w: _Worker) -> None:
        """Tell idle worker *w* (already popped off the stack) to exit."""
        w.idle = False
        w.retire = True
        self._threads -= 1
        w.wakeup.release()

    def _bury_locked(self, w: _Worker) -> None:
        """Record that *w* is exiting (called by *w* itself, under the lock)."""
        self._exited += 1
        self._workers.discard(w)
        assert w.thread is not None
        self._dead.append(w.thread)

    def _prune_dead_locked(self) -> None:
        if len(self._dead) > 32:  # arbitrary: keeps the list short without scanning often
            self._dead = [t for t in self._dead if t.is_alive()]

    def _worker_main(self, w: _Worker) -> None:
        lock = self._lock
        job: _Job | None = None
        while True:
            wake = False
            exiting = False
            with lock:
                if w.woken:
                    w.woken = False
                    self._waking -= 1
                if job is not None:
                    job._phase = _DONE
                    self._running -= 1
                    self._completed += 1
                    self._completions.append(job)
                    if not self._drain_scheduled:
                        self._drain_scheduled = wake = True
                        self._wakeups += 1
                    job = None
                if w.retire:
                    exiting = True
                elif self._threads > self._max:
                    self._threads -= 1
                    exiting = True
                else:
                    queue = self._queue
                    while queue:
                        candidate = queue.popleft()
                        if candidate._phase == _QUEUED:
                            candidate._phase = _RUNNING
                            self._queued -= 1
                            self._running += 1
                            job = candidate
                            break
                        self._tombstones -= 1
                    else:
                        if self._trim and self._threads > self._min:
                            self._threads -= 1  # surplus after min was lowered
                            exiting = True
                        else:
                            self._trim = False
                            w.idle = True
                            self._idle.append(w)
                if exiting:
                    self._bury_locked(w)
                    self._adjust_locked()  # hand what we leave to someone else
            if wake:
                self._wake_loop()
            if exiting:
                return
            if job is None:
                if not self._wait_for_job(w):
                    return
                continue
            try:
                fn = job._fn
                assert fn is not None  # set while RUNNING
                job._value = fn(*job._args)
            except BaseException as exc:  # delivered to the loop, not swallowed
                job._error = exc
            job._fn = None
            job._args = ()

    def _wait_for_job(self, w: _Worker) -> bool:
        """Sleep until woken; False if the idle time-out says this worker must exit."""
        while True:
            if w.wakeup.acquire(timeout=self._idle_wait):
                return True
            with self._lock:
                if not w.idle:
                    # Popped off the stack (woken or retired) between our time-out and
                    # here.  Tokens are released under the lock, so this cannot block.
                    w.wakeup.acquire()
                    return True
                if self._threads > self._min:
                    self._idle.remove(w)
                    w.idle = False
                    self._threads -= 1
                    self._bury_locked(w)
                    return False
            # At or below min: idle forever.

    def _join(self, timeout: float | None) -> bool:
        # Called after _closed is set, so no worker can be spawned any more: one
        # snapshot covers them all (a worker moves itself from _workers to _dead
        # under the lock, so it is in exactly one of them).
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._lock:
            threads = [w.thread for w in self._workers if w.thread is not None] + self._dead
        for thread in threads:
            remaining = None if deadline is None else max(0.0, deadline - time.monotonic())
            thread.join(remaining)
        with self._lock:
            self._dead = [t for t in self._dead if t.is_alive()]
            return not self._workers and not self._dead


# Pools not yet shut down (any thread adds; the exit hook reads).  WeakSet is safe
# enough here: entries are only added under the GIL and iterated over a copy.
_live_pools: weakref.WeakSet[ThreadPool] = weakref.WeakSet()


def _shutdown_pools_at_exit() -> None:
    for pool in list(_live_pools):
        pool.shutdown(wait=True, timeout=DEFAULT_SHUTDOWN_TIMEOUT)


# Runs before the interpreter joins non-daemon threads (an atexit hook would run after,
# i.e. never, while an idle worker waits); concurrent.futures uses the same hook.
#: ``threading._register_atexit``: hooks that run before non-daemon threads are joined.
register_atexit: Final[Callable[[Callable[[], object]], None]] = threading._register_atexit  # type: ignore[attr-defined]  # private, stable since 3.9
register_atexit(_shutdown_pools_at_exit)


def _cancel_futures(futures: list[_FutureJob[Any]]) -> None:
    for fut in futures:
        # The base method: the job is already unqueued.  RuntimeError: loop closed.
        with contextlib.suppress(RuntimeError):
            asyncio.Future.cancel(fut)


def _check_limits(min_threads: int, max_threads: int) -> None:
    if min_threads < 0 or max_threads < 1 or min_threads > max_threads:
        msg = "bad thread-pool-min/thread-pool-max values"
        raise QOMError(msg)


def _wrong_thread(name: str) -> None:
    msg = (
        f"thread pool '{name}' used outside its loop's thread; "
        "schedule a bottom half or use asyncio.run_coroutine_threadsafe on the context's loop"
    )
    raise QOMError(msg)
