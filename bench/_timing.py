"""
Helpers shared by the benchmarks: interleaved rounds, medians, refusal checks.

Every contender is timed once per round, in turn, and the figure reported is
the median over rounds.  Interleaving matters on a shared machine: a slow
stretch then hits every contender of a round alike, so ratios stay honest
even when absolute times drift.  As ``timeit`` does, the garbage collector is
off while a contender runs.
"""

from __future__ import annotations

import gc
import os
import select
import statistics
import subprocess
import time
from collections.abc import Callable, Sequence

#: ``run(loops) -> seconds``: perform *loops* operations, return the time they took.
Runner = Callable[[int], float]


def refuses(fn: Callable[[], object]) -> bool:
    """Whether *fn* raises (sanity checks: a contender must refuse bad input)."""
    try:
        fn()
    except Exception:  # noqa: BLE001 - any refusal counts
        return True
    return False


def per_call(fn: Callable[[], object]) -> Runner:
    """A runner calling *fn* *loops* times."""

    def run(loops: int) -> float:
        start = time.perf_counter()
        for _ in range(loops):
            fn()
        return time.perf_counter() - start

    return run


def interleaved(contenders: Sequence[tuple[str, Runner]], loops: int, runs: int) -> list[tuple[str, float]]:
    """
    Time every contender *runs* times, round-robin; return ``(label, median seconds per op)``.

    One warm-up round (untimed) comes first.
    """
    samples: list[list[float]] = [[] for _ in contenders]
    for round_number in range(runs + 1):
        for index, (_, run) in enumerate(contenders):
            gc_was_enabled = gc.isenabled()
            gc.disable()
            try:
                seconds = run(loops)
            finally:
                if gc_was_enabled:
                    gc.enable()
            if round_number:  # round 0 warms up
                samples[index].append(seconds / loops)
    return [(label, statistics.median(times)) for (label, _), times in zip(contenders, samples, strict=True)]


def wait_exit(proc: subprocess.Popen[bytes], timeout: float) -> int:
    """
    Wait for *proc* to exit, at most *timeout* seconds (then kill it and raise); return its status.

    Not ``Popen.wait(timeout)``: that polls with sleeps growing to 50 ms, which puts
    every exit it times on a 50 ms step.  A pidfd is readable the moment the child exits.
    """
    fd = os.pidfd_open(proc.pid)
    try:
        poller = select.poll()
        poller.register(fd, select.POLLIN)
        if not poller.poll(timeout * 1e3):
            proc.kill()
            proc.wait()
            msg = f"{proc.args!r} did not exit in {timeout} s"
            raise RuntimeError(msg)
    finally:
        os.close(fd)
    return proc.wait()


def run_to_exit(argv: list[str], env: dict[str, str] | None, *, cwd: str | None = None, timeout: float = 15.0) -> float:
    """Seconds from spawning *argv* to its exit (status 0 required; stdout discarded)."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, env=env, cwd=cwd)
    status = wait_exit(proc, timeout)
    elapsed = time.perf_counter() - start
    if status != 0:
        msg = f"{argv!r} exited with status {status}"
        raise RuntimeError(msg)
    return elapsed
