"""
Benchmark qom_py's ThreadPool against asyncio's run_in_executor and a bare
ThreadPoolExecutor, measured in the same run.

Run from the project's root:  python bench/thread_pool.py
Prints medians over several repetitions, and ratios (> 1 means qom_py is better).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import gc
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from qom_py.loop import ThreadPool

WORKERS = 4  # threads in every pool compared
LATENCY_SAMPLES = 2000  # sequential submit -> completion round trips per repetition
LATENCY_WARMUP = 200
LATENCY_REPS = 5
THROUGHPUT_JOBS = 100_000
THROUGHPUT_REPS = 3
BURST_JOBS = WORKERS * 2  # the first burst; min=N keeps that many workers warm
BURST_REPS = 5


def noop() -> None:
    """A trivial job."""


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


# -- latency ------------------------------------------------------------------------


async def latency_pool(pool: ThreadPool) -> list[float]:
    clock = time.perf_counter
    for _ in range(LATENCY_WARMUP):
        await pool.submit(noop)
    samples = []
    for _ in range(LATENCY_SAMPLES):
        start = clock()
        await pool.submit(noop)
        samples.append(clock() - start)
    return samples


async def latency_executor(executor: concurrent.futures.ThreadPoolExecutor) -> list[float]:
    loop = asyncio.get_running_loop()
    clock = time.perf_counter
    for _ in range(LATENCY_WARMUP):
        await loop.run_in_executor(executor, noop)
    samples = []
    for _ in range(LATENCY_SAMPLES):
        start = clock()
        await loop.run_in_executor(executor, noop)
        samples.append(clock() - start)
    return samples


def latency_cf(executor: concurrent.futures.ThreadPoolExecutor) -> list[float]:
    clock = time.perf_counter
    wait = concurrent.futures.wait
    for _ in range(LATENCY_WARMUP):
        wait([executor.submit(noop)])
    samples = []
    for _ in range(LATENCY_SAMPLES):
        start = clock()
        wait([executor.submit(noop)])
        samples.append(clock() - start)
    return samples


# -- throughput -------------------------------------------------------------------------


async def throughput_pool(pool: ThreadPool) -> float:
    start = time.perf_counter()
    await asyncio.gather(*[pool.submit(noop) for _ in range(THROUGHPUT_JOBS)])
    return THROUGHPUT_JOBS / (time.perf_counter() - start)


async def throughput_executor(executor: concurrent.futures.ThreadPoolExecutor) -> float:
    loop = asyncio.get_running_loop()
    start = time.perf_counter()
    await asyncio.gather(*[loop.run_in_executor(executor, noop) for _ in range(THROUGHPUT_JOBS)])
    return THROUGHPUT_JOBS / (time.perf_counter() - start)


def throughput_cf(executor: concurrent.futures.ThreadPoolExecutor) -> float:
    start = time.perf_counter()
    concurrent.futures.wait([executor.submit(noop) for _ in range(THROUGHPUT_JOBS)])
    return THROUGHPUT_JOBS / (time.perf_counter() - start)


# -- first burst ------------------------------------------------------------------------


async def first_burst(min_threads: int) -> tuple[int, float]:
    """Return (threads spawned during the burst, the burst's max submit->delivery latency)."""
    loop = asyncio.get_running_loop()
    pool = ThreadPool(loop, name="burst", min_threads=min_threads, max_threads=BURST_JOBS)
    try:
        # Let the configured workers settle, as they would between configuration and use.
        deadline = time.monotonic() + 5
        while pool.statistics().idle_threads < min_threads and time.monotonic() < deadline:
            await asyncio.sleep(0.001)
        before = pool.statistics().spawned
        clock = time.perf_counter
        latencies: list[float] = []
        futures = []
        for _ in range(BURST_JOBS):
            start = clock()
            fut = pool.submit(noop)
            fut.add_done_callback(_record_latency(latencies, start))
            futures.append(fut)
        spawned = pool.statistics().spawned - before
        await asyncio.gather(*futures)
        await asyncio.sleep(0)  # let the last done callback run
        return spawned, max(latencies)
    finally:
        pool.shutdown(wait=True, timeout=10)


def _record_latency(latencies: list[float], start: float) -> Callable[[asyncio.Future[None]], None]:
    def done(_fut: asyncio.Future[None]) -> None:
        latencies.append(time.perf_counter() - start)

    return done


# -- driver ---------------------------------------------------------------------------------


def main() -> None:
    loop = asyncio.new_event_loop()
    pool = ThreadPool(loop, name="bench", min_threads=WORKERS, max_threads=WORKERS)
    executor = concurrent.futures.ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="tpe")
    t0 = time.perf_counter()
    try:
        latency_runs: dict[str, Callable[[], list[float]]] = {
            "pool": lambda: loop.run_until_complete(latency_pool(pool)),
            "rie": lambda: loop.run_until_complete(latency_executor(executor)),
            "cf": lambda: latency_cf(executor),
        }
        throughput_runs: dict[str, Callable[[], float]] = {
            "pool": lambda: loop.run_until_complete(throughput_pool(pool)),
            "rie": lambda: loop.run_until_complete(throughput_executor(executor)),
            "cf": lambda: throughput_cf(executor),
        }
        lat: dict[str, list[tuple[float, float]]] = {name: [] for name in latency_runs}
        for _ in range(LATENCY_REPS):
            for name, measure_latency in latency_runs.items():
                gc.collect()
                samples = measure_latency()
                lat[name].append((percentile(samples, 0.50), percentile(samples, 0.99)))
        thr: dict[str, list[float]] = {name: [] for name in throughput_runs}
        for _ in range(THROUGHPUT_REPS):
            for name, measure_throughput in throughput_runs.items():
                gc.collect()
                thr[name].append(measure_throughput())
        bursts: dict[int, list[tuple[int, float]]] = {BURST_JOBS: [], 0: []}
        for _ in range(BURST_REPS):
            for min_threads in (BURST_JOBS, 0):
                gc.collect()
                bursts[min_threads].append(loop.run_until_complete(first_burst(min_threads)))
    finally:
        pool.shutdown(wait=True, timeout=10)
        executor.shutdown(wait=True)
        loop.close()
    elapsed = time.perf_counter() - t0

    med = statistics.median
    p50 = {k: med(x[0] for x in v) * 1e6 for k, v in lat.items()}
    p99 = {k: med(x[1] for x in v) * 1e6 for k, v in lat.items()}
    tput = {k: med(v) for k, v in thr.items()}

    print(
        f"qom_py ThreadPool benchmark - Python {platform.python_version()}, {os.cpu_count()} CPUs, "
        f"{WORKERS} workers per pool; medians of {LATENCY_REPS} (latency) / {THROUGHPUT_REPS} (throughput) / "
        f"{BURST_REPS} (burst) repetitions; {elapsed:.1f} s"
    )
    print()
    print("ratio = competitor / qom_py for latency, qom_py / competitor for throughput (> 1: qom_py better)")
    header = f"{'metric':<28}{'qom_py pool':>14}{'run_in_executor':>17}{'TPE+cf.wait':>14}{'vs rie':>9}{'vs cf':>8}"
    print(header)
    print("-" * len(header))
    for label, values, unit_fmt, better_low in (
        ("submit->done p50 (us)", p50, "{:.1f}", True),
        ("submit->done p99 (us)", p99, "{:.1f}", True),
        (f"throughput {THROUGHPUT_JOBS // 1000}k jobs (jobs/s)", tput, "{:,.0f}", False),
    ):
        if better_low:
            r_rie, r_cf = values["rie"] / values["pool"], values["cf"] / values["pool"]
        else:
            r_rie, r_cf = values["pool"] / values["rie"], values["pool"] / values["cf"]
        print(
            f"{label:<28}{unit_fmt.format(values['pool']):>14}{unit_fmt.format(values['rie']):>17}"
            f"{unit_fmt.format(values['cf']):>14}{r_rie:>8.2f}x{r_cf:>7.2f}x"
        )
    print()
    warm_p99 = p99["pool"]
    header2 = f"{f'first burst of {BURST_JOBS} jobs':<34}{f'min={BURST_JOBS}':>10}{'min=0':>10}"
    print(header2)
    print("-" * len(header2))
    spawned = {k: med(x[0] for x in v) for k, v in bursts.items()}
    worst = {k: med(x[1] for x in v) * 1e6 for k, v in bursts.items()}
    print(f"{'threads created during burst':<34}{spawned[BURST_JOBS]:>10g}{spawned[0]:>10g}")
    print(f"{'burst max latency (us)':<34}{worst[BURST_JOBS]:>10.1f}{worst[0]:>10.1f}")
    print(f"{'burst max / warm p99':<34}{worst[BURST_JOBS] / warm_p99:>9.2f}x{worst[0] / warm_p99:>9.2f}x")
    print(f"(warm p99 of the qom_py pool: {warm_p99:.1f} us)")


if __name__ == "__main__":
    main()
