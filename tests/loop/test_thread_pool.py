"""Tests of qom_py.loop._thread_pool (QOM-REFERENCE §2.6, §4.3; ARCHITECTURE decisions 8-9)."""

from __future__ import annotations

import asyncio
import re
import threading
import time
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

import attrs
import pytest

import qom_py.testing
from qom_py.errors import QOMError
from qom_py.loop import DEFAULT_MAX_THREADS, JobHandle, ThreadPool, ThreadPoolStatistics

_T = TypeVar("_T")

Run = Callable[[Coroutine[Any, Any, _T]], _T]
MakePool = Callable[..., ThreadPool]

TIMEOUT = 10.0


def wait_until(predicate: Callable[[], bool], timeout: float = TIMEOUT) -> bool:
    """Poll *predicate* until it holds (at most *timeout* seconds)."""
    return qom_py.testing.wait_until(predicate, timeout)


BAD_LIMITS = "bad thread-pool-min/thread-pool-max values"


async def async_wait_until(predicate: Callable[[], bool], timeout: float = TIMEOUT) -> bool:
    """Poll *predicate* while the running loop keeps working."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() >= deadline:
            return predicate()
        await asyncio.sleep(0.002)
    return True


def live_workers(name: str) -> list[threading.Thread]:
    """The live worker threads of pool *name*."""
    prefix = f"worker-{name}-"
    return [t for t in threading.enumerate() if t.name.startswith(prefix) and t.is_alive()]


def hold_workers(pool: ThreadPool, run: Run[None], n: int) -> None:
    """Keep *n* workers busy at once (each blocks until all *n* run), then let them finish."""
    gate = threading.Event()

    async def main() -> None:
        futures = [pool.submit(gate.wait, TIMEOUT) for _ in range(n)]
        assert await async_wait_until(lambda: pool.statistics().running == n)
        gate.set()
        await asyncio.gather(*futures)

    run(main())


class WorkerData:
    """QEMU's WorkerTestData: n, ret and the job, with atomic n updates."""

    _lock = threading.Lock()

    def __init__(self) -> None:
        self.n = 0
        self.ret: object = "EINPROGRESS"
        self.job: asyncio.Future[int] | JobHandle[int] | None = None

    def worker_cb(self) -> int:
        """Increment n; return its old value."""
        with self._lock:
            old = self.n
            self.n += 1
        return old

    def cmpxchg(self, old: int, new: int) -> int:
        with self._lock:
            seen = self.n
            if seen == old:
                self.n = new
            return seen

    def long_cb(self, gate: threading.Event) -> int:
        """Claim the job (n 0 -> 1), block until *gate* opens, then set bit 2 (n == 3)."""
        if self.cmpxchg(0, 1) == 0:
            gate.wait(TIMEOUT)
            with self._lock:
                self.n |= 2
        return 0


class TestQemuThreadPoolTests:
    """A port of QEMU's tests/unit/test-thread-pool.c (default min=0, max=64)."""

    def test_submit_no_complete(self, make_pool: MakePool, run: Run[None]) -> None:
        """A job submitted without waiting for it runs exactly once."""
        pool = make_pool()
        data = WorkerData()

        async def main() -> None:
            pool.submit(data.worker_cb)
            assert await async_wait_until(lambda: data.n != 0)

        run(main())
        assert data.n == 1

    def test_submit_aio(self, make_pool: MakePool, run: Run[None]) -> None:
        """The callback runs only from the loop: right after submit the job is in progress."""
        pool = make_pool()
        data = WorkerData()
        active = 0
        loop_thread = threading.get_ident()
        callback_threads: list[int] = []

        def done_cb(ret: int | None, error: BaseException | None) -> None:
            nonlocal active
            assert data.ret in ("EINPROGRESS", "ECANCELED")
            assert error is None
            callback_threads.append(threading.get_ident())
            data.ret = ret
            data.job = None
            active -= 1

        async def main() -> None:
            nonlocal active
            data.job = pool.submit_callback(data.worker_cb, (), done_cb)
            active += 1
            time.sleep(0.05)  # the worker finishes meanwhile; the loop cannot deliver
            assert data.ret == "EINPROGRESS"
            assert active == 1
            assert await async_wait_until(lambda: data.ret != "EINPROGRESS")

        run(main())
        assert active == 0
        assert data.n == 1
        assert data.ret == 0
        assert callback_threads == [loop_thread]

    def test_submit_co(self, make_pool: MakePool, run: Run[None]) -> None:
        """An awaiting coroutine is resumed by the loop with the job's return value."""
        pool = make_pool()
        data = WorkerData()
        active = 0

        async def co_test() -> None:
            nonlocal active
            active += 1
            data.ret = await pool.submit(data.worker_cb)
            assert data.n == 1
            active -= 1

        async def main() -> None:
            task = asyncio.ensure_future(co_test())
            await asyncio.sleep(0)  # the coroutine has yielded
            assert active == 1
            assert data.ret == "EINPROGRESS"
            await task

        run(main())
        assert active == 0
        assert data.ret == 0

    def test_submit_many(self, make_pool: MakePool, run: Run[None]) -> None:
        """More jobs than max_threads all run once, through callbacks, on at most max workers."""
        pool = make_pool(max_threads=8)
        data = [WorkerData() for _ in range(100)]
        active = 0

        def make_done(d: WorkerData) -> Callable[[int | None, BaseException | None], None]:
            def done_cb(ret: int | None, error: BaseException | None) -> None:
                nonlocal active
                assert error is None
                d.ret = ret
                active -= 1

            return done_cb

        async def main() -> None:
            nonlocal active
            for d in data:
                d.job = pool.submit_callback(d.worker_cb, (), make_done(d))
                active += 1
            assert pool.statistics().threads <= 8
            assert await async_wait_until(lambda: active == 0)

        run(main())
        assert all(d.n == 1 and d.ret == 0 for d in data)
        stats = pool.statistics()
        assert stats.spawned <= 8
        assert stats.completed == 100

    @pytest.mark.parametrize("form", ["future", "callback"], ids=["cancel", "cancel-async"])
    def test_cancel(self, form: str, make_pool: MakePool, run: Run[None]) -> None:
        """Queued jobs are cancelled and never start; running ones complete (n == 3 or n == 4).

        QEMU's long jobs sleep 2 s and the test sleeps 1 s before cancelling; here they
        block on a gate and the test waits until the 64 workers run them, which keeps
        the same states without depending on timing.
        """
        pool = make_pool()  # min 0, max 64, like QEMU's test
        gate = threading.Event()
        data = [WorkerData() for _ in range(100)]
        active = 0

        def make_done(d: WorkerData) -> Callable[[int | None, BaseException | None], None]:
            def done_cb(ret: int | None, error: BaseException | None) -> None:
                nonlocal active
                assert d.ret in ("EINPROGRESS", "ECANCELED")
                d.ret = "ECANCELED" if isinstance(error, asyncio.CancelledError) else ret
                d.job = None
                active -= 1

            return done_cb

        def future_done(d: WorkerData) -> Callable[[asyncio.Future[int]], None]:
            def done(fut: asyncio.Future[int]) -> None:
                make_done(d)(
                    None if fut.cancelled() else fut.result(), asyncio.CancelledError() if fut.cancelled() else None
                )

            return done

        async def main() -> None:
            nonlocal active
            # Warm the pool up first, as QEMU's test does.
            await asyncio.gather(*(pool.submit(WorkerData().worker_cb) for _ in range(100)))
            for d in data:
                if form == "future":
                    fut = pool.submit(d.long_cb, gate)
                    fut.add_done_callback(future_done(d))
                    d.job = fut
                else:
                    d.job = pool.submit_callback(d.long_cb, (gate,), make_done(d))
                active += 1
            await asyncio.sleep(0)  # one non-blocking loop iteration
            assert active == 100
            assert wait_until(lambda: pool.statistics().running == DEFAULT_MAX_THREADS)
            assert active == 100  # callbacks run only from the loop
            num_canceled = 0
            for d in data:
                # A successful cancel means the job never started: n is still 0.
                if d.n == 0 and d.job is not None and d.job.cancel():
                    assert d.cmpxchg(0, 4) == 0
                    num_canceled += 1
            assert active > 0
            assert 0 < num_canceled < 100
            for d in data:
                if d.job is not None and d.n < 4:
                    assert not d.job.cancel()  # running: cannot be cancelled
            gate.set()
            assert await async_wait_until(lambda: active == 0)

        run(main())
        for d in data:
            assert d.job is None
            assert d.n in (3, 4), "never started without being cancelled, or cut off while running"
            assert d.ret == (0 if d.n == 3 else "ECANCELED")
        stats = pool.statistics()
        assert stats.cancelled == sum(d.n == 4 for d in data)
        assert stats.queued == 0
        assert stats.running == 0


class TestSubmit:
    def test_awaitable_result_and_error(self, make_pool: MakePool, run: Run[None]) -> None:
        """The future carries the return value, or the exception the job raised."""
        pool = make_pool()

        def boom() -> None:
            msg = "boom"
            raise ValueError(msg)

        async def main() -> None:
            assert await pool.submit(divmod, 7, 2) == (3, 1)
            with pytest.raises(ValueError, match="boom"):
                await pool.submit(boom)

        run(main())

    def test_future_belongs_to_owning_loop(
        self, make_pool: MakePool, run: Run[None], loop: asyncio.AbstractEventLoop
    ) -> None:
        """submit() returns an asyncio.Future of the owning loop, resolved on its thread."""
        pool = make_pool()
        seen: list[int] = []

        async def main() -> None:
            fut = pool.submit(threading.get_ident)
            assert isinstance(fut, asyncio.Future)
            assert fut.get_loop() is loop
            assert "pending" in repr(fut)  # asyncio's own repr works on pool futures
            fut.add_done_callback(lambda _: seen.append(threading.get_ident()))
            worker = await fut
            assert worker != threading.get_ident()
            await asyncio.sleep(0)

        run(main())
        assert seen == [threading.get_ident()]

    def test_never_inside_submit(self, make_pool: MakePool, run: Run[None]) -> None:
        """Neither a finished nor a cancelled job delivers synchronously inside submit or cancel."""
        pool = make_pool(min_threads=1, max_threads=1)
        calls: list[tuple[object, object]] = []

        async def main() -> None:
            handle = pool.submit_callback(int, ("5",), lambda r, e: calls.append((r, e)))
            time.sleep(0.05)
            assert calls == []
            blocker = threading.Event()
            pool.submit_callback(blocker.wait, (TIMEOUT,), lambda r, e: None)
            queued = pool.submit_callback(int, ("6",), lambda r, e: calls.append((r, e)))
            assert queued.cancel()
            assert queued.cancelled()
            assert len(calls) == 0
            blocker.set()
            assert await async_wait_until(lambda: len(calls) == 2)
            assert handle.done()

        run(main())
        assert calls[0] == (5, None)
        assert calls[1][0] is None
        assert isinstance(calls[1][1], asyncio.CancelledError)

    def test_callback_error_goes_to_exception_handler(
        self, make_pool: MakePool, run: Run[None], loop: asyncio.AbstractEventLoop
    ) -> None:
        """A failing callback is reported to the loop and does not lose the rest of its batch."""
        pool = make_pool(max_threads=1)
        reported: list[dict[str, Any]] = []
        results: list[object] = []
        loop.set_exception_handler(lambda _loop, context: reported.append(context))

        def bad(_r: object, _e: object) -> None:
            msg = "callback bug"
            raise RuntimeError(msg)

        async def main() -> None:
            pool.submit_callback(int, ("1",), bad)
            pool.submit_callback(int, ("2",), lambda r, e: results.append(r))
            assert await async_wait_until(lambda: results == [2])

        run(main())
        assert len(reported) == 1
        assert isinstance(reported[0]["exception"], RuntimeError)

    def test_fifo(self, make_pool: MakePool, run: Run[None]) -> None:
        """Jobs start in submission order."""
        pool = make_pool(max_threads=1)
        order: list[int] = []

        async def main() -> None:
            await asyncio.gather(*(pool.submit(order.append, i) for i in range(50)))

        run(main())
        assert order == list(range(50))

    def test_submit_from_other_thread_is_refused(self, make_pool: MakePool, run: Run[None]) -> None:
        """While the loop runs, submit() from another thread raises instead of racing."""
        pool = make_pool()
        errors: list[BaseException] = []

        def other() -> None:
            try:
                pool.submit(int)
            except QOMError as exc:
                errors.append(exc)

        async def main() -> None:
            thread = threading.Thread(target=other, name="other")
            thread.start()
            while thread.is_alive():
                await asyncio.sleep(0.005)
            thread.join(TIMEOUT)

        run(main())
        assert len(errors) == 1
        assert "outside its loop's thread" in str(errors[0])

    def test_sequential_jobs_reuse_one_worker(self, make_pool: MakePool, run: Run[None]) -> None:
        """A sequential producer keeps one warm worker (LIFO reuse)."""
        pool = make_pool()

        async def main() -> None:
            for i in range(20):
                assert await pool.submit(abs, -i) == i

        run(main())
        assert pool.statistics().spawned == 1

    def test_spawn_failure_takes_the_job_back(
        self, make_pool: MakePool, run: Run[None], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """If no worker exists and none can be started, submit raises and queues nothing."""
        pool = make_pool()

        def cannot_start(self: threading.Thread) -> None:
            msg = "can't start new thread"
            raise RuntimeError(msg)

        async def main() -> None:
            with monkeypatch.context() as patch:
                patch.setattr(threading.Thread, "start", cannot_start)
                with pytest.raises(QOMError, match="cannot start a worker thread"):
                    pool.submit(int, "1")
            stats = pool.statistics()
            assert (stats.queued, stats.threads, stats.spawned) == (0, 0, 0)
            assert await pool.submit(int, "3") == 3

        run(main())


class TestCancel:
    def test_cancel_queued_removes_job(self, make_pool: MakePool, run: Run[None]) -> None:
        """A queued job's future cancels; the job never runs and leaves the queue."""
        pool = make_pool(max_threads=1)
        gate = threading.Event()
        ran: list[int] = []

        async def main() -> None:
            first = pool.submit(gate.wait, TIMEOUT)
            second = pool.submit(ran.append, 2)
            third = pool.submit(ran.append, 3)
            assert await async_wait_until(lambda: pool.statistics().running == 1)
            assert pool.statistics().queued == 2
            assert second.cancel()
            assert second.cancelled()
            assert pool.statistics().queued == 1
            gate.set()
            assert await first is True
            await third
            with pytest.raises(asyncio.CancelledError):
                await second

        run(main())
        assert ran == [3]
        assert pool.statistics().cancelled == 1

    def test_cancel_running_completes_normally(self, make_pool: MakePool, run: Run[None]) -> None:
        """A running job cannot be cancelled; its future gets the result."""
        pool = make_pool()
        gate = threading.Event()

        async def main() -> None:
            fut = pool.submit(lambda: gate.wait(TIMEOUT) and "done")
            assert await async_wait_until(lambda: pool.statistics().running == 1)
            assert not fut.cancel()
            gate.set()
            assert await fut == "done"
            assert not fut.cancel()  # finished: nothing to cancel either

        run(main())

    def test_cancelled_task_waits_for_running_job(self, make_pool: MakePool, run: Run[None]) -> None:
        """Cancelling a task awaiting a running job takes effect when the job completes."""
        pool = make_pool()
        gate = threading.Event()
        finished = threading.Event()

        def job() -> None:
            gate.wait(TIMEOUT)
            finished.set()

        async def waiter() -> None:
            await pool.submit(job)

        async def main() -> None:
            task = asyncio.ensure_future(waiter())
            assert await async_wait_until(lambda: pool.statistics().running == 1)
            task.cancel()
            gate.set()
            with pytest.raises(asyncio.CancelledError):
                await task
            assert finished.is_set()

        run(main())

    def test_many_cancellations_compact_the_queue(self, make_pool: MakePool, run: Run[None]) -> None:
        """Cancelling many queued jobs keeps the queue small and the rest in order."""
        pool = make_pool(max_threads=1)
        gate = threading.Event()
        order: list[int] = []

        async def main() -> None:
            blocker = pool.submit(gate.wait, TIMEOUT)
            assert await async_wait_until(lambda: pool.statistics().running == 1)
            futures = [pool.submit(order.append, i) for i in range(300)]
            for fut in futures[:250]:
                assert fut.cancel()
            assert pool.statistics().queued == 50
            assert len(pool._queue) < 150  # tombstones were compacted away
            gate.set()
            await blocker
            await asyncio.gather(*futures[250:])

        run(main())
        assert order == list(range(250, 300))


class TestLimits:
    @pytest.mark.parametrize(
        ("lo", "hi"), [(-1, 4), (0, 0), (5, 4), (0, -3)], ids=["neg-min", "zero-max", "min>max", "neg-max"]
    )
    def test_sanity(self, lo: int, hi: int, make_pool: MakePool) -> None:
        """The pool refuses insane limits at construction and in set_limits, changing nothing."""
        with pytest.raises(QOMError, match=re.escape(BAD_LIMITS)):
            make_pool(min_threads=lo, max_threads=hi)
        pool = make_pool(min_threads=1, max_threads=2)
        with pytest.raises(QOMError, match=re.escape(BAD_LIMITS)):
            pool.set_limits(lo, hi)
        stats = pool.statistics()
        assert (stats.min_threads, stats.max_threads, stats.threads) == (1, 2, 1)

    def test_defaults(self, make_pool: MakePool) -> None:
        """A pool defaults to QEMU's min 0 / max 64 and starts no thread."""
        pool = make_pool()
        stats = pool.statistics()
        assert (stats.min_threads, stats.max_threads) == (0, DEFAULT_MAX_THREADS)
        assert stats.threads == stats.spawned == 0

    def test_never_more_than_max(self, make_pool: MakePool, run: Run[None]) -> None:
        """A flood of blocking jobs runs on exactly max workers; the rest wait in the queue."""
        pool = make_pool(max_threads=5)
        gate = threading.Event()

        async def main() -> None:
            futures = [pool.submit(gate.wait, TIMEOUT) for _ in range(50)]
            assert await async_wait_until(lambda: pool.statistics().running == 5)
            stats = pool.statistics()
            assert (stats.threads, stats.spawned, stats.queued) == (5, 5, 45)
            assert len(live_workers("t")) == 5
            gate.set()
            await asyncio.gather(*futures)

        run(main())
        assert pool.statistics().spawned == 5

    def test_decision_8_min_workers_start_with_the_pool(self, make_pool: MakePool, run: Run[None]) -> None:
        """With min=4 the workers exist at once, and a first burst of 4 jobs spawns no thread."""
        pool = make_pool(min_threads=4, max_threads=8)
        assert pool.statistics().spawned == 4  # before any job, even before they are idle
        gate = threading.Event()

        async def main() -> None:
            before = pool.statistics().spawned
            futures = [pool.submit(gate.wait, TIMEOUT) for _ in range(4)]
            assert await async_wait_until(lambda: pool.statistics().running == 4)
            assert pool.statistics().spawned == before
            gate.set()
            await asyncio.gather(*futures)

        run(main())
        assert pool.statistics().spawned == 4
        assert len(live_workers("t")) == 4

    def test_without_min_a_burst_spawns(self, make_pool: MakePool, run: Run[None]) -> None:
        """With min=0 the same burst of 4 concurrent jobs spawns 4 threads."""
        pool = make_pool(min_threads=0, max_threads=8)
        hold_workers(pool, run, 4)
        assert pool.statistics().spawned == 4

    def test_raise_min_spawns_at_once(self, make_pool: MakePool) -> None:
        """Raising min starts the missing workers immediately (QEMU: 4 -> 6 gives 6)."""
        pool = make_pool(min_threads=4, max_threads=8)
        pool.set_limits(6, 8)
        assert pool.statistics().threads == 6
        assert wait_until(lambda: pool.statistics().idle_threads == 6)
        assert len(live_workers("t")) == 6

    def test_lower_max_shrinks_at_once(self, make_pool: MakePool, run: Run[None]) -> None:
        """Lowering max below the count makes idle surplus workers exit at once."""
        pool = make_pool(min_threads=0, max_threads=8, idle_timeout=60.0)
        hold_workers(pool, run, 5)
        assert wait_until(lambda: pool.statistics().idle_threads == 5)
        pool.set_limits(0, 2)  # QEMU: min=0,max=2 took 5 workers to 2 at once
        assert pool.statistics().threads == 2
        assert wait_until(lambda: len(live_workers("t")) == 2, timeout=1.0)

    def test_lower_max_while_busy(self, make_pool: MakePool, run: Run[None]) -> None:
        """Busy surplus workers exit after their current job, which completes normally."""
        pool = make_pool(max_threads=4, idle_timeout=60.0)
        gate = threading.Event()

        async def main() -> None:
            futures = [pool.submit(gate.wait, TIMEOUT) for _ in range(4)]
            assert await async_wait_until(lambda: pool.statistics().running == 4)
            pool.set_limits(0, 1)
            gate.set()
            assert await asyncio.gather(*futures) == [True] * 4
            assert await async_wait_until(lambda: len(live_workers("t")) == 1, timeout=1.0)

        run(main())
        stats = pool.statistics()
        assert (stats.threads, stats.exited) == (1, 3)

    def test_decision_9_lower_min_lets_idle_surplus_exit_at_once(self, make_pool: MakePool) -> None:
        """Lowering min (6 -> 2) with 6 idle workers leaves 2 at once, not in 10 s waves."""
        pool = make_pool(min_threads=6, max_threads=8, idle_timeout=60.0)
        assert wait_until(lambda: pool.statistics().idle_threads == 6)
        start = time.monotonic()
        pool.set_limits(2, 8)
        assert pool.statistics().threads == 2
        assert wait_until(lambda: len(live_workers("t")) == 2, timeout=1.0)
        assert time.monotonic() - start < 1.0
        pool.set_limits(0, 8)
        assert wait_until(lambda: not live_workers("t"), timeout=1.0)
        assert pool.statistics().exited == 6

    def test_decision_9_busy_surplus_leaves_when_done(self, make_pool: MakePool, run: Run[None]) -> None:
        """Workers busy when min is lowered exit once out of work; then idling is normal again."""
        pool = make_pool(min_threads=4, max_threads=8, idle_timeout=60.0)
        gate = threading.Event()

        async def burst(n: int) -> None:
            futures = [pool.submit(gate.wait, TIMEOUT) for _ in range(n)]
            assert await async_wait_until(lambda: pool.statistics().running == n)
            if n == 4:
                pool.set_limits(1, 8)  # nobody is idle: nobody can leave yet
                assert pool.statistics().threads == 4
            gate.set()
            await asyncio.gather(*futures)
            gate.clear()

        run(burst(4))
        assert wait_until(lambda: len(live_workers("t")) == 1, timeout=1.0)
        assert pool.statistics().threads == 1
        run(burst(3))  # back at min: surplus workers idle until their time-out again
        time.sleep(0.1)
        stats = pool.statistics()
        assert (stats.threads, stats.idle_threads) == (3, 3)

    def test_raise_max_serves_waiting_jobs(self, make_pool: MakePool, run: Run[None]) -> None:
        """Raising max while jobs wait starts workers for them."""
        pool = make_pool(max_threads=1)
        gate = threading.Event()

        async def main() -> None:
            futures = [pool.submit(gate.wait, TIMEOUT) for _ in range(3)]
            assert await async_wait_until(lambda: pool.statistics().running == 1)
            pool.set_limits(0, 3)
            assert await async_wait_until(lambda: pool.statistics().running == 3)
            gate.set()
            await asyncio.gather(*futures)

        run(main())

    def test_idle_exit_above_min(self, make_pool: MakePool, run: Run[None]) -> None:
        """Idle workers above min exit after idle_timeout; min of them stay."""
        pool = make_pool(min_threads=1, max_threads=4, idle_timeout=0.1)
        hold_workers(pool, run, 4)
        assert pool.statistics().threads == 4
        assert wait_until(lambda: pool.statistics().threads == 1, timeout=2.0)
        assert wait_until(lambda: len(live_workers("t")) == 1, timeout=1.0)
        time.sleep(0.3)  # several more time-outs: the last worker stays (min)
        stats = pool.statistics()
        assert (stats.threads, stats.idle_threads, stats.exited) == (1, 1, 3)


class TestBatching:
    @staticmethod
    def counting_loop() -> tuple[asyncio.AbstractEventLoop, list[int]]:
        wakeups = [0]

        class CountingLoop(asyncio.SelectorEventLoop):
            def call_soon_threadsafe(self, *args: Any, **kwargs: Any) -> asyncio.Handle:  # type: ignore[override]  # counting wrapper
                wakeups[0] += 1
                return super().call_soon_threadsafe(*args, **kwargs)

        return CountingLoop(), wakeups

    def test_burst_costs_few_wakeups(self) -> None:
        """1000 completions cost far fewer than 1000 loop wake-ups."""
        loop, wakeups = self.counting_loop()
        pool = ThreadPool(loop, name="b", min_threads=4, max_threads=4)
        try:
            n = 1000

            async def main() -> None:
                await asyncio.gather(*(pool.submit(abs, -i) for i in range(n)))

            loop.run_until_complete(asyncio.wait_for(main(), TIMEOUT))
            stats = pool.statistics()
            assert stats.completed == n
            assert wakeups[0] == stats.wakeups
            assert wakeups[0] <= n // 10
        finally:
            assert pool.shutdown(timeout=TIMEOUT)
            loop.close()

    def test_max_batch_bounds_each_drain(self) -> None:
        """With max_batch=10, 100 pending completions take 10 drains but one wake-up."""
        loop, wakeups = self.counting_loop()
        pool = ThreadPool(loop, name="b", min_threads=2, max_threads=2, max_batch=10)
        try:

            async def main() -> None:
                futures = [pool.submit(abs, -i) for i in range(100)]
                # Block the loop: every completion piles up behind one wake-up.
                assert wait_until(lambda: pool.statistics().pending_completions == 100)
                assert pool.statistics().wakeups == 1
                assert await asyncio.gather(*futures) == list(range(100))

            loop.run_until_complete(asyncio.wait_for(main(), TIMEOUT))
            stats = pool.statistics()
            assert (stats.wakeups, stats.drains) == (1, 10)
            assert wakeups[0] == 1
        finally:
            assert pool.shutdown(timeout=TIMEOUT)
            loop.close()

    def test_max_batch_lets_other_callbacks_run(self, make_pool: MakePool, run: Run[None]) -> None:
        """Each bounded drain lets the loop run other callbacks before the next batch."""
        pool = make_pool(min_threads=1, max_threads=1, max_batch=5)
        done_when_first_callback_ran: list[int] = []

        async def main() -> None:
            futures = [pool.submit(abs, -i) for i in range(20)]
            assert wait_until(lambda: pool.statistics().pending_completions == 20)
            futures[0].add_done_callback(lambda _: done_when_first_callback_ran.append(sum(f.done() for f in futures)))
            await asyncio.gather(*futures)

        run(main())
        # The first batch's callbacks ran before the second drain: only 5 were done.
        assert done_when_first_callback_ran == [5]

    def test_invalid_max_batch(self, make_pool: MakePool) -> None:
        """A negative max_batch is refused."""
        pool = make_pool()
        with pytest.raises(QOMError):
            pool.max_batch = -1


class TestShutdown:
    def test_shutdown(self, make_pool: MakePool, run: Run[None]) -> None:
        """Queued jobs are cancelled, the running one finishes, every worker is joined."""
        pool = make_pool(max_threads=1)
        gate = threading.Event()
        callbacks: list[tuple[object, object]] = []

        async def main() -> None:
            running = pool.submit(gate.wait, TIMEOUT)
            queued = pool.submit(int, "1")
            pool.submit_callback(int, ("2",), lambda r, e: callbacks.append((r, e)))
            assert await async_wait_until(lambda: pool.statistics().running == 1)
            threading.Timer(0.05, gate.set).start()
            assert pool.shutdown(wait=True, timeout=TIMEOUT)
            assert running.done()
            assert running.result() is True
            assert queued.cancelled()
            await asyncio.sleep(0.01)
            assert len(callbacks) == 1
            assert isinstance(callbacks[0][1], asyncio.CancelledError)
            assert pool.shutdown() is True  # idempotent
            with pytest.raises(QOMError, match="shut down"):
                pool.submit(int)
            with pytest.raises(QOMError, match="shut down"):
                pool.set_limits(0, 4)

        run(main())
        stats = pool.statistics()
        assert (stats.threads, stats.idle_threads, stats.queued, stats.cancelled) == (0, 0, 0, 2)
        assert not live_workers("t")

    def test_workers_are_named_non_daemon(self, make_pool: MakePool) -> None:
        """Workers are non-daemon threads named worker-<name>-<N>."""
        pool = make_pool(name="io7", min_threads=3, max_threads=3)
        workers = live_workers("io7")
        assert sorted(t.name for t in workers) == ["worker-io7-1", "worker-io7-2", "worker-io7-3"]
        assert not any(t.daemon for t in workers)
        assert pool.shutdown(timeout=TIMEOUT)
        assert not live_workers("io7")

    def test_shutdown_from_another_thread(self, make_pool: MakePool, run: Run[None]) -> None:
        """shutdown() from a foreign thread cancels queued futures on the loop."""
        pool = make_pool(max_threads=1)
        gate = threading.Event()
        joined: list[bool] = []

        async def main() -> None:
            running = pool.submit(gate.wait, TIMEOUT)
            queued = pool.submit(int, "1")
            assert await async_wait_until(lambda: pool.statistics().running == 1)
            thread = threading.Thread(target=lambda: joined.append(pool.shutdown(timeout=TIMEOUT)), name="stopper")
            thread.start()
            await asyncio.sleep(0.05)
            gate.set()
            assert await running is True
            with pytest.raises(asyncio.CancelledError):
                await queued
            while thread.is_alive():
                await asyncio.sleep(0.005)
            thread.join(TIMEOUT)

        run(main())
        assert joined == [True]


def test_statistics_is_a_frozen_snapshot(make_pool: MakePool) -> None:
    """statistics() returns a frozen record with the contract's fields."""
    pool = make_pool(min_threads=1, max_threads=3)
    stats = pool.statistics()
    assert isinstance(stats, ThreadPoolStatistics)
    for field in ("min_threads", "max_threads", "threads", "idle_threads", "queued", "spawned", "completed"):
        assert isinstance(getattr(stats, field), int)
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        stats.threads = 5  # type: ignore[misc]  # checking that it is frozen
    pool.set_limits(2, 3)
    assert stats.threads == 1  # a snapshot, not a live view


class TestWarmStartLimit:
    """The warm minimum is bounded, so a huge thread-pool-min cannot exhaust the host."""

    def test_huge_min_starts_at_most_the_limit(self, make_pool: MakePool) -> None:
        """min=2147483647 (accepted by QEMU) warms MAX_WARM_START workers and no more."""
        from qom_py.loop import MAX_WARM_START

        pool = make_pool()
        pool.set_limits(2147483647, 2147483647)
        assert wait_until(lambda: pool.statistics().threads == MAX_WARM_START)
        assert pool.statistics().spawned == MAX_WARM_START

    def test_demand_grows_past_the_limit_and_keeps_them(self, make_pool: MakePool, run: Run[None]) -> None:
        """Beyond the warm limit, workers start as jobs need them and stay (they are <= min)."""
        from qom_py.loop import MAX_WARM_START

        pool = make_pool(idle_timeout=0.05)
        pool.set_limits(MAX_WARM_START + 8, MAX_WARM_START + 8)
        assert wait_until(lambda: pool.statistics().idle_threads == MAX_WARM_START)
        gate = threading.Event()

        async def main() -> None:
            futures = [pool.submit(gate.wait, 10) for _ in range(MAX_WARM_START + 8)]
            assert await async_wait_until(lambda: pool.statistics().threads == MAX_WARM_START + 8)
            gate.set()
            await asyncio.gather(*futures)

        run(main())
        time.sleep(0.2)  # several idle time-outs: workers at or below min stay
        assert pool.statistics().threads == MAX_WARM_START + 8
