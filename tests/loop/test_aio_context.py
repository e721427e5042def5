"""Tests of qom_py.loop._aio_context (QOM-REFERENCE §2.4, §2.7, §2.8)."""

from __future__ import annotations

import asyncio
import re
import selectors
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import qom_py.testing
from qom_py.errors import QOMError
from qom_py.loop import (
    INT_MAX,
    MAIN_LOOP_THREAD_NAME,
    AioContext,
    PollingSelector,
    PollState,
    adjust_poll_ns,
    adopt_main_loop,
    main_aio_context,
    reset_main_aio_context,
)

MakeContext = Callable[..., AioContext]

TIMEOUT = 10.0


def wait_until(predicate: Callable[[], bool], timeout: float = TIMEOUT) -> bool:
    """Poll *predicate* until it holds (at most *timeout* seconds)."""
    return qom_py.testing.wait_until(predicate, timeout)


BAD_LIMITS = "bad thread-pool-min/thread-pool-max values"


def live(prefix: str) -> list[str]:
    """Names of live threads starting with *prefix*."""
    return sorted(t.name for t in threading.enumerate() if t.name.startswith(prefix) and t.is_alive())


class TestThreadPoolParams:
    @pytest.mark.parametrize(
        ("lo", "hi"),
        [(5, 4), (0, 0), (-1, 4), (0, -1), (100, 64), (0, INT_MAX + 1), (INT_MAX + 1, INT_MAX + 1)],
        ids=["min>max", "max=0", "min<0", "max<0", "min>default-max", "max>INT_MAX", "min>INT_MAX"],
    )
    def test_rejects(self, lo: int, hi: int, make_context: MakeContext) -> None:
        """QEMU's check rejects the pair with its exact message, and changes nothing."""
        ctx = make_context()
        ctx.set_thread_pool_params(1, 4)
        with pytest.raises(QOMError, match=f"^{re.escape(BAD_LIMITS)}$"):
            ctx.set_thread_pool_params(lo, hi)
        assert (ctx.thread_pool_min, ctx.thread_pool_max) == (1, 4)
        stats = ctx.thread_pool.statistics()
        assert (stats.min_threads, stats.max_threads, stats.threads) == (1, 4, 1)

    @pytest.mark.parametrize(("lo", "hi"), [(0, 1), (1, 1), (0, INT_MAX), (2, INT_MAX)])
    def test_accepts(self, lo: int, hi: int, make_context: MakeContext) -> None:
        """Valid pairs are stored and applied to the pool (min workers start at once)."""
        ctx = make_context()
        ctx.set_thread_pool_params(lo, hi)
        assert (ctx.thread_pool_min, ctx.thread_pool_max) == (lo, hi)
        stats = ctx.thread_pool.statistics()
        assert (stats.min_threads, stats.max_threads, stats.threads) == (lo, hi, lo)

    def test_defaults(self, make_context: MakeContext) -> None:
        """A new context has min 0, max 64, no worker, no thread id, polling off."""
        ctx = make_context()
        assert (ctx.thread_pool_min, ctx.thread_pool_max, ctx.aio_max_batch) == (0, 64, 0)
        assert (ctx.poll_max_ns, ctx.poll_grow, ctx.poll_shrink, ctx.poll_ns) == (0, 0, 0, 0)
        assert ctx.thread_id == -1
        assert ctx.thread_pool.statistics().threads == 0

    def test_live_update_from_another_thread(self, make_context: MakeContext) -> None:
        """On a running context the change is forwarded to the loop thread and waited for."""
        ctx = make_context("io1")
        ctx.start_thread("IO io1")
        busy_done: list[bool] = []

        def busy() -> None:
            time.sleep(0.1)
            busy_done.append(True)

        ctx.bh_schedule(busy)  # the loop is busy: the change must queue up behind it
        ctx.set_thread_pool_params(3, 8)
        assert busy_done == [True]  # it ran on the loop, after the busy callback
        assert ctx.thread_pool.statistics().threads == 3
        assert wait_until(lambda: len(live("worker-io1-")) == 3)
        ctx.set_thread_pool_params(0, 8)  # decision 9: the idle surplus goes at once
        assert wait_until(lambda: not live("worker-io1-"), timeout=1.0)

    def test_forward_timeout_changes_nothing(self, make_context: MakeContext) -> None:
        """If the loop cannot run the change in time, the call fails and nothing changes."""
        ctx = make_context()
        ctx.start_thread("IO io0")
        ctx.bh_schedule(time.sleep, 0.3)  # keep the loop busy
        with pytest.raises(QOMError, match="did not run the call"):
            ctx.set_thread_pool_params(2, 8, timeout=0.05)
        time.sleep(0.4)
        assert (ctx.thread_pool_min, ctx.thread_pool_max) == (0, 64)
        assert ctx.thread_pool.statistics().threads == 0

    def test_stopped_context_refuses(self, make_context: MakeContext) -> None:
        """Parameters cannot be applied to a stopped context."""
        ctx = make_context()
        ctx.stop()
        with pytest.raises(QOMError, match="is stopped"):
            ctx.set_thread_pool_params(0, 4)


class TestAioAndPollParams:
    def test_aio_max_batch(self, make_context: MakeContext) -> None:
        """aio-max-batch goes to the pool live; no upper bound below 2^63."""
        ctx = make_context()
        ctx.start_thread("IO io0")
        ctx.set_aio_params(16)
        assert ctx.aio_max_batch == ctx.thread_pool.max_batch == 16
        ctx.set_aio_params(9223372036854775807)
        assert ctx.thread_pool.max_batch == 9223372036854775807

    @pytest.mark.parametrize(
        ("call", "message"),
        [
            (lambda c: c.set_aio_params(-1), "aio-max-batch value must be in range [0, 9223372036854775807]"),
            (lambda c: c.set_poll_params(-1, 0, 0), "poll-max-ns value must be in range [0, 9223372036854775807]"),
            (lambda c: c.set_poll_params(0, -1, 0), "poll-grow value must be in range [0, 9223372036854775807]"),
            (lambda c: c.set_poll_params(0, 0, -1), "poll-shrink value must be in range [0, 9223372036854775807]"),
        ],
        ids=["aio-max-batch", "poll-max-ns", "poll-grow", "poll-shrink"],
    )
    def test_negative_rejected(
        self, call: Callable[[AioContext], None], message: str, make_context: MakeContext
    ) -> None:
        """Negative values are refused with QEMU's range message and change nothing."""
        ctx = make_context()
        with pytest.raises(QOMError, match=f"^{re.escape(message)}$"):
            call(ctx)
        assert (ctx.aio_max_batch, ctx.poll_max_ns, ctx.poll_grow, ctx.poll_shrink) == (0, 0, 0, 0)

    def test_poll_params_stored_and_reset(self, make_context: MakeContext) -> None:
        """set_poll_params stores the three values and resets the poll time."""
        ctx = make_context()
        assert ctx.selector is not None
        ctx.selector.state.poll_ns = 12345
        ctx.set_poll_params(32768, 3, 2)
        assert (ctx.poll_max_ns, ctx.poll_grow, ctx.poll_shrink, ctx.poll_ns) == (32768, 3, 2, 0)


class TestPollAdaptation:
    @pytest.mark.parametrize(
        ("poll_ns", "block_ns", "max_ns", "grow", "shrink", "expected"),
        [
            (8000, 5000, 32768, 0, 0, 8000),
            (8000, 8000, 32768, 0, 0, 8000),
            (16000, 40000, 32768, 0, 0, 0),
            (16000, 40000, 32768, 0, 2, 8000),
            (16000, 40000, 32768, 0, 3, 5333),
            (0, 1000, 32768, 0, 0, 4000),
            (0, 1000, 32768, 5, 0, 4000),
            (4000, 5000, 32768, 0, 0, 8000),
            (4000, 5000, 32768, 3, 0, 12000),
            (20000, 25000, 32768, 0, 0, 32768),
            (8000, 32768, 32768, 0, 0, 8000),
            (0, 1000, 2000, 0, 0, 2000),
            (0, 5000, 0, 0, 0, 0),
            (4000, 50000, 0, 0, 0, 0),
        ],
        ids=[
            "block<poll",
            "block==poll",
            "block>max-shrink0",
            "block>max-shrink2",
            "block>max-shrink3",
            "grow-from-0",
            "grow-from-0-ignores-factor",
            "grow-x2-default",
            "grow-x3",
            "grow-capped",
            "block==max",
            "start-capped-by-max",
            "max0-off",
            "max0-stays-0",
        ],
    )
    def test_adjust_poll_ns(
        self, poll_ns: int, block_ns: int, max_ns: int, grow: int, shrink: int, expected: int
    ) -> None:
        """The pure rule follows QOM-REFERENCE §2.7 case by case."""
        assert adjust_poll_ns(poll_ns, block_ns, max_ns, grow, shrink) == expected

    def test_poll_state_grows_then_shrinks(self) -> None:
        """Short waits grow the poll time to the cap; one long wait drops it to 0."""
        state = PollState(max_ns=32768)
        assert [state.update(1000) for _ in range(3)] == [4000, 4000, 4000]  # block <= poll
        assert [state.update(b) for b in (5000, 10000, 20000, 30000, 32500)] == [8000, 16000, 32000, 32000, 32768]
        assert state.update(40000) == 0
        state.update(1000)
        state.set_params(32768, 0, 0)
        assert state.poll_ns == 0


class _FakeSelector(selectors.BaseSelector):
    """Inner selector that records calls; the Nth non-blocking call may report ready."""

    def __init__(self, ready_on_poll: int | None = None, block_s: float = 0.0) -> None:
        self.calls: list[float | None] = []
        self.ready_on_poll = ready_on_poll
        self.block_s = block_s
        self.polls = 0

    def register(self, fileobj: Any, events: int, data: Any = None) -> selectors.SelectorKey:
        raise NotImplementedError

    def unregister(self, fileobj: Any) -> selectors.SelectorKey:
        raise NotImplementedError

    def get_map(self) -> Any:
        return {}

    def select(self, timeout: float | None = None) -> list[tuple[selectors.SelectorKey, int]]:
        self.calls.append(timeout)
        key = selectors.SelectorKey(0, 0, selectors.EVENT_READ, None)
        if timeout == 0:
            self.polls += 1
            if self.ready_on_poll is not None and self.polls >= self.ready_on_poll:
                return [(key, selectors.EVENT_READ)]
            return []
        time.sleep(self.block_s)
        return [(key, selectors.EVENT_READ)]


class TestPollingSelector:
    def test_pass_through_when_off(self) -> None:
        """With poll-max-ns 0 the selector neither polls nor adapts."""
        inner = _FakeSelector()
        sel = PollingSelector(inner)
        sel.select(1.0)
        assert inner.calls == [1.0]
        assert sel.state.poll_ns == 0

    def test_busy_polls_then_blocks_for_the_rest(self) -> None:
        """It polls with timeout 0 for about poll_ns, then blocks for the remaining time."""
        inner = _FakeSelector()
        sel = PollingSelector(inner)
        sel.state.set_params(10_000_000, 0, 0)
        sel.state.poll_ns = 2_000_000  # 2 ms
        start = time.perf_counter()
        sel.select(1.0)
        elapsed = time.perf_counter() - start
        assert elapsed >= 0.002
        assert inner.calls[:-1] == [0] * (len(inner.calls) - 1)
        assert len(inner.calls) > 2
        last = inner.calls[-1]
        assert last is not None
        assert 0.99 < last < 0.999
        assert sel.poll_hits == 0

    def test_poll_hit_skips_blocking(self) -> None:
        """Events found while polling are returned without a blocking call."""
        inner = _FakeSelector(ready_on_poll=3)
        sel = PollingSelector(inner)
        sel.state.set_params(1_000_000_000, 0, 0)
        sel.state.poll_ns = 500_000_000
        assert len(sel.select(None)) == 1
        assert inner.calls == [0, 0, 0]
        assert sel.poll_hits == 1

    def test_non_blocking_select_does_not_adapt(self) -> None:
        """select(0) (ready callbacks pending) neither polls nor changes the poll time."""
        inner = _FakeSelector()
        sel = PollingSelector(inner)
        sel.state.set_params(32768, 0, 0)
        sel.select(0)
        assert inner.calls == [0]
        assert sel.state.poll_ns == 0
        assert sel.blocking_selects == 0

    def test_long_block_shrinks(self) -> None:
        """A blocking wait longer than poll-max-ns drops the poll time to 0 (shrink 0)."""
        inner = _FakeSelector(block_s=0.002)
        sel = PollingSelector(inner)
        sel.state.set_params(100_000, 0, 0)
        sel.state.poll_ns = 50_000
        sel.select(1.0)
        assert sel.state.poll_ns == 0

    def test_running_iothread_poll_time_grows_and_resets(self, make_context: MakeContext) -> None:
        """Frequent short waits on a running context grow its poll time; new params reset it."""
        ctx = make_context("io0")
        # epoll's timeouts have 1 ms granularity, so a short timer wait lasts about
        # 1 ms: poll-max-ns must be above that for the wait to count as short.
        ctx.set_poll_params(20_000_000, 0, 0)
        ctx.start_thread("IO io0")

        async def short_waits() -> int:
            peak = 0
            for _ in range(30):
                await asyncio.sleep(0.0002)
                peak = max(peak, ctx.poll_ns)
            return peak

        grown = ctx.run_coroutine(short_waits(), timeout=TIMEOUT)
        assert grown > 0
        assert ctx.selector is not None
        assert ctx.selector.blocking_selects >= 30
        ctx.set_poll_params(20_000_000, 0, 0)
        assert ctx.poll_ns == 0
        ctx.set_poll_params(0, 0, 0)
        assert ctx.run_coroutine(short_waits(), timeout=TIMEOUT) == 0


class TestScheduling:
    def test_bh_schedule_from_other_thread(self, make_context: MakeContext) -> None:
        """bh_schedule from any thread runs the function on the loop thread."""
        ctx = make_context()
        ctx.start_thread("IO io0")
        ran_on: list[int] = []
        done = threading.Event()

        def bh(tag: str) -> None:
            assert tag == "x"
            ran_on.append(threading.get_native_id())
            done.set()

        ctx.bh_schedule(bh, "x")
        assert done.wait(TIMEOUT)
        assert ran_on == [ctx.thread_id]

    def test_bottom_half_coalesces(self, make_context: MakeContext) -> None:
        """A pending BottomHalf runs once however often it is scheduled; cancel drops it."""
        ctx = make_context()
        ctx.start_thread("IO io0")
        runs: list[int] = []
        bh = ctx.bh_new(runs.append, 1)
        hold = threading.Event()
        ctx.bh_schedule(hold.wait, TIMEOUT)  # hold the loop so the schedules pile up
        for _ in range(5):
            bh.schedule()
        assert bh.is_scheduled()
        hold.set()
        ctx.call(lambda: None)  # a fence: everything scheduled before it has run
        assert runs == [1]
        bh.schedule()
        ctx.call(lambda: None)
        assert runs == [1, 1]
        hold.clear()
        ctx.bh_schedule(hold.wait, TIMEOUT)
        bh.schedule()
        bh.cancel()
        assert not bh.is_scheduled()
        hold.set()
        ctx.call(lambda: None)
        assert runs == [1, 1]

    def test_timer_fires_on_loop(self, make_context: MakeContext) -> None:
        """A timer fires after its delay on the loop thread."""
        ctx = make_context()
        ctx.start_thread("IO io0")
        fired = threading.Event()
        ran_on: list[int] = []
        start = time.monotonic()

        def on_timer() -> None:
            ran_on.append(threading.get_native_id())
            fired.set()

        timer = ctx.timer_new(0.05, on_timer)
        assert fired.wait(TIMEOUT)
        assert time.monotonic() - start >= 0.045
        assert ran_on == [ctx.thread_id]
        assert timer.fired()
        assert not timer.cancelled()

    def test_timer_cancel(self, make_context: MakeContext) -> None:
        """A cancelled timer never fires (cancelled from another thread or on the loop)."""
        ctx = make_context()
        ctx.start_thread("IO io0")
        fired: list[str] = []
        timer = ctx.timer_new(0.2, fired.append, "other-thread")
        timer.cancel()

        async def on_loop() -> None:
            t = ctx.timer_new(0.01, fired.append, "loop")
            t.cancel()
            await asyncio.sleep(0.05)

        ctx.run_coroutine(on_loop(), timeout=TIMEOUT)
        time.sleep(0.3)
        assert fired == []
        assert timer.cancelled()
        assert not timer.fired()

    def test_run_coroutine(self, make_context: MakeContext) -> None:
        """run_coroutine returns the result; it times out; it refuses its own thread."""
        ctx = make_context()
        ctx.start_thread("IO io0")

        async def answer() -> int:
            await asyncio.sleep(0)
            return 42

        assert ctx.run_coroutine(answer(), timeout=TIMEOUT) == 42
        with pytest.raises(TimeoutError):
            ctx.run_coroutine(asyncio.sleep(5), timeout=0.05)

        async def nested() -> str:
            coro = answer()
            with pytest.raises(QOMError, match="own loop thread"):
                ctx.run_coroutine(coro)
            return "ok"

        assert ctx.run_coroutine(nested(), timeout=TIMEOUT) == "ok"

    def test_run_coroutine_needs_a_running_loop(self, make_context: MakeContext) -> None:
        """run_coroutine on a context whose loop does not run fails instead of hanging."""
        ctx = make_context()
        with pytest.raises(QOMError, match="not running"):
            ctx.run_coroutine(asyncio.sleep(0))

    def test_pool_jobs_on_a_running_context(self, make_context: MakeContext) -> None:
        """The iothread seam: create, apply params (workers start), start_thread, submit, stop."""
        ctx = make_context("io3")
        ctx.set_poll_params(32768, 0, 0)
        ctx.set_aio_params(0)
        ctx.set_thread_pool_params(2, 8)
        assert live("worker-io3-") == ["worker-io3-1", "worker-io3-2"]  # decision 8
        ctx.start_thread("IO io3")

        async def work() -> list[int]:
            return list(await asyncio.gather(*(ctx.thread_pool.submit(abs, -i) for i in range(10))))

        assert ctx.run_coroutine(work(), timeout=TIMEOUT) == list(range(10))
        ctx.stop()
        assert not live("worker-io3-")
        assert not live("IO io3")


class TestStartStop:
    def test_start_thread(self, make_context: MakeContext) -> None:
        """start_thread runs the loop in a named non-daemon thread and returns its native id."""
        ctx = make_context("io0")
        assert ctx.thread_id == -1
        tid = ctx.start_thread("IO io0")
        assert tid == ctx.thread_id
        assert ctx.thread is not None
        assert ctx.thread.name == "IO io0"
        assert not ctx.thread.daemon
        assert ctx.loop.is_running()
        assert ctx.call(threading.get_native_id) == tid
        with pytest.raises(QOMError, match="already started"):
            ctx.start_thread("IO io0")

    def test_stop(self, make_context: MakeContext) -> None:
        """stop joins the thread and the workers, closes the loop, and is idempotent."""
        ctx = make_context("io0")
        ctx.set_thread_pool_params(2, 4)
        ctx.start_thread("IO io0")
        ctx.stop()
        assert ctx.is_stopped()
        assert ctx.loop.is_closed()
        assert not live("IO io0")
        assert not live("worker-io0-")
        ctx.stop()

    def test_stop_delivers_running_jobs_and_cancels_queued(self, make_context: MakeContext) -> None:
        """Stopping lets the running job deliver its result; queued jobs are cancelled."""
        ctx = make_context("io0")
        ctx.set_thread_pool_params(0, 1)
        ctx.start_thread("IO io0")
        gate = threading.Event()
        outcome: dict[str, Any] = {}

        async def submit() -> None:
            running = ctx.thread_pool.submit(gate.wait, TIMEOUT)
            queued = ctx.thread_pool.submit(int, "1")
            running.add_done_callback(lambda f: outcome.setdefault("running", f.result()))
            queued.add_done_callback(lambda f: outcome.setdefault("queued", f.cancelled()))

        ctx.run_coroutine(submit(), timeout=TIMEOUT)
        assert wait_until(lambda: ctx.thread_pool.statistics().running == 1)
        threading.Timer(0.05, gate.set).start()
        ctx.stop()
        assert outcome == {"running": True, "queued": True}

    def test_stop_from_own_thread_is_refused(self, make_context: MakeContext) -> None:
        """stop() on the context's own thread raises instead of deadlocking."""
        ctx = make_context()
        ctx.start_thread("IO io0")
        with pytest.raises(QOMError, match="own thread"):
            ctx.call(ctx.stop)

    def test_stop_never_started(self, make_context: MakeContext) -> None:
        """A context that never ran stops cleanly, workers included."""
        ctx = make_context("io0")
        ctx.set_thread_pool_params(1, 2)
        ctx.stop()
        assert ctx.loop.is_closed()
        assert not live("worker-io0-")
        with pytest.raises(QOMError, match="already started"):
            ctx.start_thread("IO io0")

    def test_many_start_stop_cycles(self) -> None:
        """200 start/stop cycles return to the baseline thread count."""
        baseline = threading.active_count()
        for i in range(200):
            ctx = AioContext(f"c{i}")
            ctx.set_thread_pool_params(1, 2)
            ctx.start_thread(f"IO c{i}")
            ctx.stop(timeout=TIMEOUT)
        assert wait_until(lambda: threading.active_count() == baseline, timeout=2.0)


def test_interpreter_exits_without_stop() -> None:
    """A program that never stops its contexts and pools still exits (non-daemon threads)."""
    script = """
import asyncio
from qom_py.loop import AioContext, ThreadPool, main_aio_context
main_aio_context().set_thread_pool_params(1, 4)
ctx = AioContext("io9")
ctx.set_thread_pool_params(2, 4)
ctx.start_thread("IO io9")
loop = asyncio.new_event_loop()
pool = ThreadPool(loop, name="lone", min_threads=1)
print("done")
"""
    root = Path(__file__).resolve().parents[2]
    result = subprocess.run(
        [sys.executable, "-W", "ignore::ResourceWarning", "-c", script],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert (result.returncode, result.stdout.strip()) == (0, "done"), result.stderr


class TestMainContext:
    def test_created_on_first_use(self) -> None:
        """main_aio_context() is one context whose loop runs in 'qom-main-loop'."""
        ctx = main_aio_context()
        assert main_aio_context() is ctx
        assert ctx.name == "main"
        assert ctx.thread is not None
        assert ctx.thread.name == MAIN_LOOP_THREAD_NAME
        assert live(MAIN_LOOP_THREAD_NAME) == [MAIN_LOOP_THREAD_NAME]
        assert ctx.loop.is_running()

    def test_reset_stops_and_joins(self) -> None:
        """reset_main_aio_context stops the loop and its workers; the next use makes a new one."""
        ctx = main_aio_context()
        ctx.set_thread_pool_params(2, 4)
        assert live("worker-main-") == ["worker-main-1", "worker-main-2"]
        reset_main_aio_context()
        assert ctx.is_stopped()
        assert not live(MAIN_LOOP_THREAD_NAME)
        assert not live("worker-main-")
        assert main_aio_context() is not ctx

    def test_pool_from_another_thread_via_run_coroutine(self) -> None:
        """Other threads use the main pool through the context's loop."""
        ctx = main_aio_context()

        async def job() -> str:
            return await ctx.thread_pool.submit(str.upper, "ok")

        assert asyncio.run_coroutine_threadsafe(job(), ctx.loop).result(TIMEOUT) == "OK"

    def test_adopt_main_loop(self) -> None:
        """The daemon adopts its own loop; main_aio_context() then returns that context."""
        loop = asyncio.new_event_loop()
        try:

            async def main() -> AioContext:
                ctx = adopt_main_loop()
                assert adopt_main_loop() is ctx
                assert main_aio_context() is ctx
                assert ctx.loop is loop
                assert ctx.thread_id == threading.get_native_id()
                ctx.set_thread_pool_params(1, 4)
                assert await ctx.thread_pool.submit(len, "abc") == 3
                other = asyncio.new_event_loop()
                try:
                    with pytest.raises(QOMError, match="already exists"):
                        adopt_main_loop(other)
                finally:
                    other.close()
                return ctx

            ctx = loop.run_until_complete(asyncio.wait_for(main(), TIMEOUT))
            assert not live(MAIN_LOOP_THREAD_NAME)
            reset_main_aio_context()
            assert not live("worker-main-")
            assert not loop.is_closed()  # the loop belongs to its owner
            with pytest.raises(QOMError, match="adopted loop"):
                ctx.start_thread("x")
        finally:
            loop.close()

    def test_adopt_after_creation_is_refused(self) -> None:
        """Adopting a loop after the main context exists is an error."""
        main_aio_context()
        loop = asyncio.new_event_loop()
        try:
            with pytest.raises(QOMError, match="already exists"):
                adopt_main_loop(loop)
        finally:
            loop.close()

    def test_adopt_needs_a_loop(self) -> None:
        """Without a running loop, adopt_main_loop() needs one passed in."""
        with pytest.raises(QOMError, match="needs a loop"):
            adopt_main_loop()
