"""
AioContext: an asyncio event loop with a thread pool, bottom halves, timers and
adaptive busy-polling.  Models QEMU's ``AioContext`` (``util/async.c``,
``util/aio-posix.c``).

Threading rule (ARCHITECTURE.md, "Contracts"): a context's thread pool, futures and
tasks are used from that context's loop thread.  Other threads reach the context
through `AioContext.bh_schedule` / `BottomHalf.schedule`, `AioContext.timer_new`,
`AioContext.run_coroutine` or ``asyncio.run_coroutine_threadsafe(coro, ctx.loop)``.
The parameter setters (`AioContext.set_thread_pool_params`, `set_aio_params`,
`set_poll_params`) may be called from any thread: they validate in the caller's
thread, then apply on the loop thread and wait for it.

Seam for the QOM types: the ``event-loop-base`` property setters call
`set_thread_pool_params`, `set_aio_params` and (iothread) `set_poll_params`; an
``iothread``'s ``complete`` creates ``AioContext(name=id)``, applies its parameters,
then calls ``start_thread(f"IO {id}")``; its deletion calls `AioContext.stop`.  The
``main-loop`` type configures `main_aio_context`.

At interpreter exit, contexts not yet stopped are stopped (before Python joins its
non-daemon threads), so a program that never calls `AioContext.stop` still exits.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import selectors
import threading
import time
import weakref
from collections.abc import Callable, Coroutine, Mapping
from typing import Any, Final, TypeVar, TypeVarTuple, final

from ..errors import QOMError
from ._params import INT_MAX, check_int64, check_thread_pool_params
from ._thread_pool import DEFAULT_IDLE_TIMEOUT, DEFAULT_MAX_THREADS, ThreadPool, register_atexit

__all__ = [
    "DEFAULT_POLL_MAX_NS",
    "INT_MAX",
    "MAIN_LOOP_THREAD_NAME",
    "AioContext",
    "BottomHalf",
    "PollState",
    "PollingSelector",
    "Timer",
    "adjust_poll_ns",
    "adopt_main_loop",
    "check_int64",
    "check_thread_pool_params",
    "main_aio_context",
    "reset_main_aio_context",
]

_T = TypeVar("_T")
_Ts = TypeVarTuple("_Ts")

#: QEMU's default ``poll-max-ns`` of an iothread on POSIX hosts.  A plain context
#: starts with 0 (polling off), as QEMU's ``aio_context_new`` does.
DEFAULT_POLL_MAX_NS: Final = 32768
#: First poll time when growing from 0 (QEMU: "start polling at 4 microseconds").
POLL_START_NS: Final = 4000
#: Name of the thread running the main context's loop for library users.
MAIN_LOOP_THREAD_NAME: Final = "qom-main-loop"
#: Name of the main context (its pool's workers are ``worker-main-N``).
MAIN_CONTEXT_NAME: Final = "main"
#: Seconds to wait for a loop thread to start, or for a forwarded call to run.
#: Arbitrary, generous for a loaded CI machine.
DEFAULT_CALL_TIMEOUT: Final = 10.0
#: Seconds `AioContext.stop` waits for the loop thread and the pool's workers.
DEFAULT_STOP_TIMEOUT: Final = 10.0


# -- adaptive polling (QOM-REFERENCE §2.7) -----------------------------------------------


def adjust_poll_ns(poll_ns: int, block_ns: int, max_ns: int, grow: int, shrink: int) -> int:
    """
    Return the next poll time after a blocking wait of *block_ns*.

    QEMU's rule (``adjust_polling_time`` in util/aio-posix.c), pure:

    * ``block_ns <= poll_ns``: unchanged (the sweet spot);
    * ``block_ns > max_ns``: divided by *shrink*, or 0 when *shrink* is 0;
    * ``poll_ns < max_ns`` and ``block_ns < max_ns``: multiplied by *grow* (2 when
      *grow* is 0), starting from 4000 ns when it was 0, capped at *max_ns*;
    * otherwise unchanged.

    With ``max_ns == 0`` polling is off and the poll time stays 0.
    """
    if max_ns == 0:
        return 0
    if block_ns <= poll_ns:
        return poll_ns
    if block_ns > max_ns:
        return poll_ns // shrink if shrink else 0
    if poll_ns < max_ns and block_ns < max_ns:
        grown = poll_ns * (grow or 2) if poll_ns else POLL_START_NS
        return min(grown, max_ns)
    return poll_ns


@final
class PollState:
    """
    The poll parameters and current poll time of one context (QEMU keeps them in
    ``AioContext``).  Touched only by the loop thread once the loop runs.
    """

    __slots__ = ("grow", "max_ns", "poll_ns", "shrink")

    def __init__(self, max_ns: int = 0, grow: int = 0, shrink: int = 0) -> None:
        #: ``poll-max-ns``: the longest busy-poll; 0 turns polling off.
        self.max_ns = max_ns
        #: ``poll-grow``: growth factor (0 means 2).
        self.grow = grow
        #: ``poll-shrink``: shrink divisor (0 means "drop to 0").
        self.shrink = shrink
        #: Current busy-poll time in ns.
        self.poll_ns = 0

    def set_params(self, max_ns: int, grow: int, shrink: int) -> None:
        """Store new parameters and reset the poll time to 0, as QEMU does."""
        self.max_ns = max_ns
        self.grow = grow
        self.shrink = shrink
        self.poll_ns = 0

    def update(self, block_ns: int) -> int:
        """Adapt the poll time to a blocking wait of *block_ns*; return it."""
        self.poll_ns = adjust_poll_ns(self.poll_ns, block_ns, self.max_ns, self.grow, self.shrink)
        return self.poll_ns


@final
class PollingSelector(selectors.BaseSelector):
    """
    A selector that busy-polls before it blocks.  Models ``try_poll_mode`` and the
    poll-time adaptation of QEMU's ``aio_poll``.

    Before a blocking ``select(timeout)`` it calls the inner selector with timeout 0
    for up to `PollState.poll_ns` (bounded by *timeout*); if nothing is ready it then
    blocks for the rest of *timeout*.  After each blocking call (timeout None or > 0)
    it feeds the whole time spent, polling included, to `PollState.update`.
    Non-blocking calls (timeout <= 0) neither poll nor adapt.  With ``max_ns == 0``
    it is a plain pass-through.  Used by the loop thread only.

    Args:
        inner: the selector that does the work (default: `selectors.DefaultSelector`).
    """

    def __init__(self, inner: selectors.BaseSelector | None = None) -> None:
        self._inner = inner if inner is not None else selectors.DefaultSelector()
        #: Parameters and current poll time.
        self.state = PollState()
        #: Blocking selects that were adapted.
        self.blocking_selects = 0
        #: Blocking selects answered by busy-polling (no blocking system call).
        self.poll_hits = 0

    def register(self, fileobj: Any, events: int, data: Any = None) -> selectors.SelectorKey:
        """Register *fileobj* with the inner selector."""
        return self._inner.register(fileobj, events, data)

    def unregister(self, fileobj: Any) -> selectors.SelectorKey:
        """Unregister *fileobj* from the inner selector."""
        return self._inner.unregister(fileobj)

    def modify(self, fileobj: Any, events: int, data: Any = None) -> selectors.SelectorKey:
        """Change the events or data of *fileobj* in the inner selector."""
        return self._inner.modify(fileobj, events, data)

    def get_key(self, fileobj: Any) -> selectors.SelectorKey:
        """Return the key of *fileobj*."""
        return self._inner.get_key(fileobj)

    def get_map(self) -> Mapping[Any, selectors.SelectorKey]:
        """Return the inner selector's map."""
        return self._inner.get_map()

    def close(self) -> None:
        """Close the inner selector."""
        self._inner.close()

    def select(self, timeout: float | None = None) -> list[tuple[selectors.SelectorKey, int]]:
        """Busy-poll for up to the poll time, then block; adapt the poll time."""
        state = self.state
        inner = self._inner
        if state.max_ns == 0 or (timeout is not None and timeout <= 0):
            return inner.select(timeout)
        clock = time.perf_counter_ns
        start = clock()
        self.blocking_selects += 1
        poll_ns = state.poll_ns
        if poll_ns:
            limit = poll_ns if timeout is None else min(poll_ns, int(timeout * 1e9))
            deadline = start + limit
            while True:
                ready = inner.select(0)
                now = clock()
                if ready:
                    self.poll_hits += 1
                    state.update(now - start)
                    return ready
                if now >= deadline:
                    break
            if timeout is not None:
                timeout = max(0.0, timeout - (now - start) / 1e9)
        ready = inner.select(timeout)
        state.update(clock() - start)
        return ready


# -- bottom halves and timers ----------------------------------------------------------------


@final
class BottomHalf:
    """
    A reusable callback run on its context's loop thread.  Models QEMU's ``QEMUBH``.

    `schedule` may be called from any thread; while the bottom half is pending,
    further calls do nothing (one run per burst of schedules).  Create with
    `AioContext.bh_new`.
    """

    __slots__ = ("_args", "_ctx", "_fn", "_lock", "_scheduled")

    def __init__(self, ctx: AioContext, fn: Callable[..., object], args: tuple[Any, ...]) -> None:
        self._ctx = ctx
        self._fn = fn
        self._args = args
        # _scheduled is flipped by any thread under _lock; _run clears it on the loop.
        self._lock = threading.Lock()
        self._scheduled = False

    def schedule(self) -> None:
        """Run the callback once on the loop thread, soon (no-op if already pending)."""
        with self._lock:
            if self._scheduled:
                return
            self._scheduled = True
        self._ctx.bh_schedule(self._run)

    def cancel(self) -> None:
        """Un-schedule a pending run (``qemu_bh_cancel``); a running one is not stopped."""
        with self._lock:
            self._scheduled = False

    def is_scheduled(self) -> bool:
        """Return True while a run is pending."""
        return self._scheduled

    def _run(self) -> None:
        with self._lock:
            if not self._scheduled:
                return
            self._scheduled = False
        self._fn(*self._args)


@final
class Timer:
    """
    A one-shot timer on a context's loop (QEMU's ``QEMUTimer`` armed once).

    Created by `AioContext.timer_new`.  `cancel` may be called from any thread: called
    on the loop thread, the callback is guaranteed not to run afterwards; from another
    thread, a callback already starting may still run.
    """

    __slots__ = ("_args", "_cancelled", "_ctx", "_fired", "_fn", "_handle", "when")

    def __init__(self, ctx: AioContext, when: float, fn: Callable[..., object], args: tuple[Any, ...]) -> None:
        self._ctx = ctx
        self._fn = fn
        self._args = args
        #: Deadline in the loop's clock (``loop.time()``).
        self.when = when
        # _cancelled: set by any thread, read by the loop thread.  _handle: loop thread.
        self._cancelled = False
        self._fired = False
        self._handle: asyncio.TimerHandle | None = None

    def cancel(self) -> None:
        """Disarm the timer (idempotent)."""
        self._cancelled = True
        if self._ctx._on_loop_thread():
            self._disarm()
        else:
            with contextlib.suppress(RuntimeError):  # loop closed: it will never fire anyway
                self._ctx.loop.call_soon_threadsafe(self._disarm)

    def cancelled(self) -> bool:
        """Return True if `cancel` was called."""
        return self._cancelled

    def fired(self) -> bool:
        """Return True once the callback has run."""
        return self._fired

    def _arm(self) -> None:
        if not self._cancelled:
            self._handle = self._ctx.loop.call_at(self.when, self._fire)

    def _disarm(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None

    def _fire(self) -> None:
        self._handle = None
        if self._cancelled:
            return
        self._fired = True
        self._fn(*self._args)


# -- the context --------------------------------------------------------------------------


@final
class AioContext:
    """
    Models QEMU's ``AioContext``: an event loop with its thread pool.

    Lifecycle: ``AioContext(name)`` creates the loop (with a `PollingSelector`) and
    the pool; parameters may be set; `start_thread` runs the loop in a dedicated
    thread (iothreads, the library's main context); `stop` shuts the pool down, stops
    the loop, joins the thread and closes the loop.  Alternatively, *loop* adopts a
    loop run by someone else (the daemon's main thread): then `stop` only shuts the
    pool down, and the poll parameters are stored but have no effect.

    Args:
        name: the context's name (an iothread's id; ``main`` for the main context).
        loop: adopt this loop instead of creating one.
        idle_timeout: the pool's idle time-out in seconds (tests shorten it).
    """

    __slots__ = (
        "__weakref__",
        "_owns_loop",
        "_selector",
        "_state_lock",
        "_stopped",
        "_thread",
        "aio_max_batch",
        "loop",
        "name",
        "poll_grow",
        "poll_max_ns",
        "poll_shrink",
        "thread_id",
        "thread_pool",
        "thread_pool_max",
        "thread_pool_min",
    )

    def __init__(
        self,
        name: str = "ctx",
        *,
        loop: asyncio.AbstractEventLoop | None = None,
        idle_timeout: float = DEFAULT_IDLE_TIMEOUT,
    ) -> None:
        #: The context's name.
        self.name: Final = name
        self._selector: PollingSelector | None
        if loop is None:
            self._selector = PollingSelector()
            loop = asyncio.SelectorEventLoop(self._selector)
            self._owns_loop = True
        else:
            self._selector = None
            self._owns_loop = False
        #: The asyncio loop; results of `thread_pool` jobs are delivered there.
        self.loop: Final = loop
        #: The context's AIO thread pool.
        self.thread_pool: Final = ThreadPool(loop, name=name, idle_timeout=idle_timeout)
        #: Applied parameters (read from any thread; written on the loop thread).
        self.thread_pool_min = 0
        self.thread_pool_max = DEFAULT_MAX_THREADS
        self.aio_max_batch = 0
        self.poll_max_ns = 0
        self.poll_grow = 0
        self.poll_shrink = 0
        #: Host thread id of the loop's thread (``threading.get_native_id()``), -1 before.
        self.thread_id = -1
        # _thread and _stopped change under _state_lock (start_thread / stop).
        self._state_lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._stopped = False
        _live_contexts.add(self)
        if not self._owns_loop:
            if asyncio._get_running_loop() is loop:
                self.thread_id = threading.get_native_id()
            else:
                loop.call_soon_threadsafe(self._note_thread_id)

    def __repr__(self) -> str:
        state = "stopped" if self._stopped else "running" if self.loop.is_running() else "idle"
        return f"<AioContext {self.name!r} {state} thread_id={self.thread_id}>"

    # -- properties ----------------------------------------------------------------

    @property
    def poll_ns(self) -> int:
        """The current busy-poll time in ns (0 for an adopted loop)."""
        return self._selector.state.poll_ns if self._selector is not None else 0

    @property
    def selector(self) -> PollingSelector | None:
        """The polling selector (None for an adopted loop)."""
        return self._selector

    @property
    def thread(self) -> threading.Thread | None:
        """The thread started by `start_thread` (None otherwise)."""
        return self._thread

    # -- parameters (QOM-REFERENCE §2.4, §2.7, §2.8) ------------------------------------

    def set_thread_pool_params(
        self, min_threads: int, max_threads: int, *, timeout: float = DEFAULT_CALL_TIMEOUT
    ) -> None:
        """
        Validate and apply ``thread-pool-min`` / ``thread-pool-max`` live.

        Models ``aio_context_set_thread_pool_params``.  A failed call changes nothing.

        Raises:
            QOMError: ``bad thread-pool-min/thread-pool-max values`` if min > max,
                max <= 0, min < 0, or either exceeds `INT_MAX`; or the context is
                stopped, or its loop did not run the change within *timeout*.
        """
        check_thread_pool_params(min_threads, max_threads)
        self._call(self._apply_thread_pool_params, min_threads, max_threads, timeout=timeout)

    def set_aio_params(self, max_batch: int, *, timeout: float = DEFAULT_CALL_TIMEOUT) -> None:
        """
        Apply ``aio-max-batch`` live: completions the pool delivers per loop callback.

        0 means the engine's default (`DEFAULT_MAX_BATCH`).

        Raises:
            QOMError: the value is outside [0, 2^63-1], or the context is stopped.
        """
        check_int64("aio-max-batch", max_batch)
        self._call(self._apply_aio_params, max_batch, timeout=timeout)

    def set_poll_params(self, max_ns: int, grow: int, shrink: int, *, timeout: float = DEFAULT_CALL_TIMEOUT) -> None:
        """
        Apply ``poll-max-ns`` / ``poll-grow`` / ``poll-shrink`` live; resets the poll time.

        Raises:
            QOMError: a value is outside [0, 2^63-1], or the context is stopped.
        """
        check_int64("poll-max-ns", max_ns)
        check_int64("poll-grow", grow)
        check_int64("poll-shrink", shrink)
        self._call(self._apply_poll_params, max_ns, grow, shrink, timeout=timeout)

    def _apply_thread_pool_params(self, min_threads: int, max_threads: int) -> None:
        self.thread_pool.set_limits(min_threads, max_threads)
        self.thread_pool_min = min_threads
        self.thread_pool_max = max_threads

    def _apply_aio_params(self, max_batch: int) -> None:
        self.thread_pool.max_batch = max_batch
        self.aio_max_batch = max_batch

    def _apply_poll_params(self, max_ns: int, grow: int, shrink: int) -> None:
        if self._selector is not None:
            self._selector.state.set_params(max_ns, grow, shrink)
        self.poll_max_ns = max_ns
        self.poll_grow = grow
        self.poll_shrink = shrink

    # -- scheduling ----------------------------------------------------------------------

    def bh_schedule(self, fn: Callable[[*_Ts], object], /, *args: *_Ts) -> asyncio.Handle:
        """
        Run ``fn(*args)`` once on the loop thread, soon.  Callable from any thread.

        Models a one-shot ``aio_bh_schedule_oneshot``.

        Returns:
            The asyncio handle (``cancel()`` it on the loop thread to drop the call).
        """
        if self._on_loop_thread():
            return self.loop.call_soon(fn, *args)
        return self.loop.call_soon_threadsafe(fn, *args)

    def bh_new(self, fn: Callable[[*_Ts], object], /, *args: *_Ts) -> BottomHalf:
        """Return a reusable, coalescing `BottomHalf` running ``fn(*args)`` (``aio_bh_new``)."""
        return BottomHalf(self, fn, args)

    def timer_new(self, delay_s: float, fn: Callable[[*_Ts], object], /, *args: *_Ts) -> Timer:
        """
        Run ``fn(*args)`` on the loop thread *delay_s* seconds from now.  Any thread.

        Returns:
            A `Timer`; ``cancel()`` disarms it.
        """
        timer = Timer(self, self.loop.time() + delay_s, fn, args)
        if self._on_loop_thread():
            timer._arm()
        else:
            self.loop.call_soon_threadsafe(timer._arm)
        return timer

    def run_coroutine(self, coro: Coroutine[Any, Any, _T], *, timeout: float | None = None) -> _T:
        """
        Run *coro* on the loop from another thread and return its result.

        Raises:
            QOMError: called on the loop thread (it would deadlock) or the loop is not
                running.
            TimeoutError: *timeout* passed (the coroutine is cancelled).
        """
        if self._on_loop_thread():
            coro.close()
            msg = (
                f"AioContext '{self.name}': run_coroutine() called on its own loop thread; await the coroutine instead"
            )
            raise QOMError(msg)
        if not self.loop.is_running():
            coro.close()
            msg = f"AioContext '{self.name}' is not running"
            raise QOMError(msg)
        future = asyncio.run_coroutine_threadsafe(coro, self.loop)
        try:
            return future.result(timeout)
        except TimeoutError:
            future.cancel()
            raise

    def call(self, fn: Callable[[*_Ts], _T], /, *args: *_Ts, timeout: float = DEFAULT_CALL_TIMEOUT) -> _T:
        """
        Run ``fn(*args)`` on the loop thread and return its result; any thread.

        On the loop thread, or while no thread runs the loop, *fn* is called directly.

        Raises:
            QOMError: the loop did not start *fn* within *timeout* (then it never
                will), or the context is stopped.
        """
        return self._call(fn, *args, timeout=timeout)

    # -- running --------------------------------------------------------------------------

    def start_thread(self, thread_name: str, *, timeout: float = DEFAULT_CALL_TIMEOUT) -> int:
        """
        Run the loop forever in a new non-daemon thread called *thread_name*.

        Waits until the thread reports its host thread id and the loop runs.

        Returns:
            The thread id (also `thread_id`).

        Raises:
            QOMError: the loop is adopted, the context was started or stopped before,
                or the thread did not report within *timeout*.
        """
        ready = threading.Event()
        with self._state_lock:
            if not self._owns_loop:
                msg = f"AioContext '{self.name}' runs an adopted loop; it cannot start a thread"
                raise QOMError(msg)
            if self._thread is not None or self._stopped:
                msg = f"AioContext '{self.name}' was already started"
                raise QOMError(msg)
            thread = threading.Thread(target=self._thread_main, args=(ready,), name=thread_name, daemon=False)
            self._thread = thread
            thread.start()
        if not ready.wait(timeout):
            msg = f"AioContext '{self.name}': thread '{thread_name}' did not start within {timeout} s"
            raise QOMError(msg)
        return self.thread_id

    def stop(self, *, timeout: float = DEFAULT_STOP_TIMEOUT) -> None:
        """
        Shut the pool down, stop the loop, join the thread and close the loop.

        Idempotent; call it from any thread but the context's own.  Queued pool jobs
        are cancelled and running ones finish first.  For an adopted loop only the
        pool is shut down (the loop belongs to its owner).

        Raises:
            QOMError: called from the context's own thread, or the thread or the
                pool's workers did not finish within *timeout* (calling again retries).
        """
        deadline = time.monotonic() + timeout
        with self._state_lock:
            thread = self._thread
            if thread is not None and thread is threading.current_thread():
                msg = f"AioContext '{self.name}': stop() called from its own thread '{thread.name}'"
                raise QOMError(msg)
            self._stopped = True
        if thread is not None:
            if thread.is_alive():
                with contextlib.suppress(RuntimeError):  # the loop already closed itself
                    self.loop.call_soon_threadsafe(self._stop_in_loop, timeout)
                thread.join(timeout)
            if thread.is_alive():
                msg = f"AioContext '{self.name}': thread '{thread.name}' did not stop within {timeout} s"
                raise QOMError(msg)
        joined = self.thread_pool.shutdown(wait=True, timeout=max(0.0, deadline - time.monotonic()))
        if self._owns_loop and not self.loop.is_closed() and not self.loop.is_running():
            self.loop.close()
        if not joined:
            msg = f"AioContext '{self.name}': thread pool workers did not finish within {timeout} s"
            raise QOMError(msg)
        _live_contexts.discard(self)

    def is_stopped(self) -> bool:
        """Return True once `stop` was called."""
        return self._stopped

    # -- internals ------------------------------------------------------------------------

    def _on_loop_thread(self) -> bool:
        return asyncio._get_running_loop() is self.loop

    def _note_thread_id(self) -> None:
        self.thread_id = threading.get_native_id()

    def _call(self, fn: Callable[..., _T], /, *args: Any, timeout: float) -> _T:
        if self._stopped:
            msg = f"AioContext '{self.name}' is stopped"
            raise QOMError(msg)
        loop = self.loop
        if self._on_loop_thread() or not loop.is_running():
            return fn(*args)
        future: concurrent.futures.Future[_T] = concurrent.futures.Future()

        def run() -> None:
            if not future.set_running_or_notify_cancel():
                return
            try:
                future.set_result(fn(*args))
            except BaseException as exc:  # handed to the caller's thread
                future.set_exception(exc)

        try:
            loop.call_soon_threadsafe(run)
        except RuntimeError:
            msg = f"AioContext '{self.name}' is stopped"
            raise QOMError(msg) from None
        try:
            return future.result(timeout)
        except TimeoutError:
            if future.cancel():  # not started: it never will, nothing changed
                msg = f"AioContext '{self.name}': its loop did not run the call within {timeout} s"
                raise QOMError(msg) from None
        return future.result(timeout)  # started meanwhile: it is short, wait for it

    def _thread_main(self, ready: threading.Event) -> None:
        loop = self.loop
        asyncio.set_event_loop(loop)
        self.thread_id = threading.get_native_id()
        loop.call_soon(ready.set)
        try:
            loop.run_forever()
        finally:
            try:
                _cancel_all_tasks(loop)
                loop.run_until_complete(loop.shutdown_asyncgens())
                loop.run_until_complete(loop.shutdown_default_executor())
            finally:
                asyncio.set_event_loop(None)
                loop.close()

    def _stop_in_loop(self, timeout: float) -> None:
        # On the loop thread: running jobs finish and their results are delivered
        # before the loop stops (a job that waits for this loop holds this up until
        # the time-out).
        try:
            self.thread_pool.shutdown(wait=True, timeout=timeout)
        finally:
            self.loop.stop()


def _cancel_all_tasks(loop: asyncio.AbstractEventLoop) -> None:
    """Cancel what is left on *loop* and let it unwind (as `asyncio.run` does)."""
    tasks = [task for task in asyncio.all_tasks(loop) if not task.done()]
    if not tasks:
        return
    for task in tasks:
        task.cancel()
    loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))


def peek_main_aio_context() -> AioContext | None:
    """The main context if it exists (never creates it)."""
    return _main_context


# Contexts not yet stopped (any thread adds; the exit hook reads a copy).
_live_contexts: weakref.WeakSet[AioContext] = weakref.WeakSet()


def _stop_contexts_at_exit() -> None:
    for ctx in list(_live_contexts):
        with contextlib.suppress(QOMError):  # nothing better to do at exit
            ctx.stop(timeout=DEFAULT_STOP_TIMEOUT)


# Runs before the interpreter joins non-daemon threads (see _thread_pool).  Hooks run
# in reverse order of registration, so this one runs before the pools' hook.
register_atexit(_stop_contexts_at_exit)


# -- the main context ------------------------------------------------------------------------

# _main_context is created, adopted and reset under _main_lock (any thread).
_main_lock = threading.Lock()
_main_context: AioContext | None = None


def main_aio_context() -> AioContext:
    """
    Return the process's main context, creating it on first use.

    Unless a loop was adopted first (`adopt_main_loop`, what the daemon does with its
    main thread's loop), the context runs its loop in a background non-daemon thread
    named `MAIN_LOOP_THREAD_NAME`; `reset_main_aio_context` stops it.
    """
    global _main_context
    with _main_lock:
        ctx = _main_context
        if ctx is None:
            ctx = AioContext(MAIN_CONTEXT_NAME)
            try:
                ctx.start_thread(MAIN_LOOP_THREAD_NAME)
            except BaseException:
                ctx.stop()
                raise
            _main_context = ctx
        return ctx


def adopt_main_loop(loop: asyncio.AbstractEventLoop | None = None) -> AioContext:
    """
    Make *loop* (default: the running loop) the main context's loop; return the context.

    For a program that runs the loop itself, such as the daemon in its main thread.
    Call it before anything uses `main_aio_context`.

    Raises:
        QOMError: the main context already exists with another loop, or no *loop* was
            given outside a running loop.
    """
    global _main_context
    if loop is None:
        loop = asyncio._get_running_loop()
        if loop is None:
            msg = "adopt_main_loop() needs a loop: pass one, or call it from a running loop"
            raise QOMError(msg)
    with _main_lock:
        ctx = _main_context
        if ctx is not None:
            if ctx.loop is loop:
                return ctx
            msg = "the main AioContext already exists; call adopt_main_loop() before main_aio_context()"
            raise QOMError(msg)
        ctx = AioContext(MAIN_CONTEXT_NAME, loop=loop)
        _main_context = ctx
        return ctx


def reset_main_aio_context(*, timeout: float = DEFAULT_STOP_TIMEOUT) -> None:
    """
    Stop and forget the main context (for tests); the next use creates a new one.

    Raises:
        QOMError: see `AioContext.stop`.
    """
    global _main_context
    with _main_lock:
        ctx = _main_context
        _main_context = None
    if ctx is not None:
        ctx.stop(timeout=timeout)
