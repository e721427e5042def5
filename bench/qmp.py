"""
Benchmark of the ``qom-py`` daemon over QMP, against ``qemu-storage-daemon`` 7.2.

Usage::

    python bench/qmp.py [--calls N] [--cycles C] [--rounds R] [--batch B]
                        [--startup-runs S] [--quick]

Both daemons are started with the same arguments::

    --object iothread,id=io0 --chardev socket,id=m,path=SOCK,server=on,wait=off --monitor m

(``qom-py`` as ``sys.executable -m qom_py``, with the repository root on
``PYTHONPATH`` when ``qom_py`` is not importable otherwise; qsd only if it is on
``PATH``).  Measurements, with the ``qemu.qmp`` ``QMPClient``:

* ``qom-get`` ``{"path": "/objects/io0", "property": "poll-max-ns"}`` round trips,
  sequential (each reply awaited before the next request) and pipelined (batches
  of *B* concurrent ``execute`` calls via ``asyncio.gather``), in requests/s;
* ``object-add`` ``{"qom-type": "iothread", "id": "b0"}`` + ``object-del``
  ``{"id": "b0"}`` cycles, in cycles/s (each creates and joins a thread);
* start-up: time from spawn until a client connected to the socket has read the
  QMP greeting (a plain unix socket: poll for the path, connect, read one line),
  for a fresh daemon each run; the yardstick is ``python -c 'import asyncio'``
  from spawn to exit, in the same Python environment as qom-py.  Two modes for
  qom-py and the yardstick: ``.pyc cached`` (a bytecode cache in the temporary
  directory, ``PYTHONPYCACHEPREFIX``, filled by a warm-up run: what an installed
  package gets) and ``no .pyc`` (``PYTHONDONTWRITEBYTECODE=1``: ``qom_py`` is
  compiled from source on every start, as in a checkout without ``__pycache__``
  under that setting).  Nothing is written into the repository.  Runs are
  interleaved (yardstick, qom-py per mode, then qsd).

Rates are interleaved per round between the two daemons; every figure is the
median over rounds (runs).  Ratios are qom-py over qsd (over the yardstick for
the start-up target, same mode).  Targets: qom-get sequential >= 1.4x qsd, pipelined >= 3x
qsd, add/del >= 1x qsd, start-up <= 2x ``python -c 'import asyncio'``.

Every wait has a timeout, and every daemon started here is stopped (SIGTERM,
then SIGKILL) and its socket removed on every exit path, including SIGTERM,
SIGHUP and Ctrl-C of the benchmark itself.  The host's CPU count and load
average are printed: the figures are only comparable on an otherwise idle host.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib.util
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any, ClassVar, TypeVar

from _timing import run_to_exit

REPO = Path(__file__).resolve().parent.parent

QOM_GET_ARGS = {"path": "/objects/io0", "property": "poll-max-ns"}
ADD_ARGS = {"qom-type": "iothread", "id": "b0"}
DEL_ARGS = {"id": "b0"}

START_TIMEOUT = 15.0  # seconds for a daemon to create its socket / send its greeting
STOP_TIMEOUT = 10.0  # seconds for a daemon to exit after SIGTERM (then SIGKILL)
PHASE_TIMEOUT = 60.0  # seconds for one measured round (or warm-up) over QMP
CONNECT_TIMEOUT = 10.0
POLL_INTERVAL = 0.001

T = TypeVar("T")


def daemon_args(sock: str) -> list[str]:
    return [
        "--object",
        "iothread,id=io0",
        "--chardev",
        f"socket,id=m,path={sock},server=on,wait=off",
        "--monitor",
        "m",
    ]


def qom_py_env() -> dict[str, str]:
    """The environment for ``python -m qom_py``: the repo root on PYTHONPATH unless installed."""
    env = dict(os.environ)
    if importlib.util.find_spec("qom_py") is None:  # sys.path[0] is bench/, not the repo root
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH", "")) if p)
    return env


# -- daemons ------------------------------------------------------------------


class Daemon:
    """One daemon process on a unix socket; `stop` is idempotent and always removes the socket."""

    live: ClassVar[set[Daemon]] = set()

    def __init__(self, name: str, argv0: list[str], sock: str, env: dict[str, str] | None) -> None:
        self.name = name
        self.sock = sock
        self.log_path = sock + ".log"
        self.proc: subprocess.Popen[bytes] | None = None
        self._log = open(self.log_path, "wb")  # noqa: SIM115 - closed in stop()
        Daemon.live.add(self)
        try:
            self.proc = subprocess.Popen(
                [*argv0, *daemon_args(sock)],
                stdin=subprocess.DEVNULL,
                stdout=self._log,
                stderr=self._log,
                env=env,
            )
        except BaseException:
            self.stop()
            raise

    def failure(self, what: str) -> RuntimeError:
        code = None if self.proc is None else self.proc.poll()
        self._log.flush()
        try:
            tail = Path(self.log_path).read_text(errors="replace")[-2000:]
        except OSError:
            tail = ""
        status = "still running" if code is None else f"exit status {code}"
        return RuntimeError(f"{self.name}: {what} ({status}); output:\n{tail}")

    def wait_for_socket(self, deadline: float) -> None:
        while not os.path.exists(self.sock):
            if self.proc is None or self.proc.poll() is not None:
                raise self.failure("exited before creating its socket")
            if time.monotonic() > deadline:
                raise self.failure(f"no socket after {START_TIMEOUT:.0f} s")
            time.sleep(POLL_INTERVAL)

    def stop(self) -> None:
        """SIGTERM, then SIGKILL; remove the socket.  Stays in `live` (for a retry) if interrupted."""
        try:
            proc = self.proc
            if proc is not None and proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(STOP_TIMEOUT)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(STOP_TIMEOUT)
            self.proc = None
        finally:
            with contextlib.suppress(OSError):
                os.unlink(self.sock)
            if self.proc is None:
                with contextlib.suppress(OSError):
                    self._log.close()
                with contextlib.suppress(OSError):
                    os.unlink(self.log_path)
                Daemon.live.discard(self)


def stop_all() -> None:
    """Stop whatever is still running (an interrupted `Daemon.stop` gets a second try)."""
    for d in list(Daemon.live):
        with contextlib.suppress(Exception):
            d.stop()


@contextlib.contextmanager
def daemon(name: str, argv0: list[str], sock: str, env: dict[str, str] | None) -> Iterator[Daemon]:
    d = Daemon(name, argv0, sock, env)
    try:
        yield d
    finally:
        d.stop()


def _exit_on_signal(signum: int, _frame: Any) -> None:
    raise SystemExit(128 + signum)


# -- start-up -----------------------------------------------------------------


def read_greeting(d: Daemon, deadline: float) -> bytes:
    """Connect to *d*'s socket as soon as it accepts, and read the greeting line."""
    while True:
        if d.proc is None or d.proc.poll() is not None:
            raise d.failure("exited before sending its greeting")
        if time.monotonic() > deadline:
            raise d.failure(f"no greeting after {START_TIMEOUT:.0f} s")
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            s.settimeout(max(0.001, deadline - time.monotonic()))
            try:
                s.connect(d.sock)
            except (FileNotFoundError, ConnectionRefusedError):
                time.sleep(POLL_INTERVAL)
                continue
            data = b""
            while not data.endswith(b"\n"):
                s.settimeout(max(0.001, deadline - time.monotonic()))
                chunk = s.recv(4096)
                if not chunk:
                    raise d.failure("closed the connection before the greeting")
                data += chunk
            return data
        except TimeoutError:
            raise d.failure(f"no greeting after {START_TIMEOUT:.0f} s") from None
        finally:
            s.close()


def time_startup(name: str, argv0: list[str], sock: str, env: dict[str, str] | None) -> float:
    """Seconds from spawn to greeting for one fresh daemon."""
    start = time.perf_counter()
    with daemon(name, argv0, sock, env) as d:
        greeting = read_greeting(d, time.monotonic() + START_TIMEOUT)
        elapsed = time.perf_counter() - start
    if not greeting.startswith(b'{"QMP"'):
        msg = f"{name}: unexpected greeting {greeting[:200]!r}"
        raise RuntimeError(msg)
    return elapsed


def time_yardstick(env: dict[str, str] | None) -> float:
    return run_to_exit([sys.executable, "-c", "import asyncio"], env, timeout=START_TIMEOUT)


STARTUP_MODES = {
    "cached": ".pyc cached",
    "source": "no .pyc, compiled",
}


def startup_envs(base: dict[str, str], sockdir: str) -> dict[str, dict[str, str]]:
    """
    The Python environments of the start-up modes (qom-py and the yardstick alike).

    ``cached``: bytecode written to and read from a cache under *sockdir*
    (``PYTHONPYCACHEPREFIX``), filled by the warm-up run, so nothing is written into
    the repository; ``source``: ``PYTHONDONTWRITEBYTECODE=1`` and no prefix, so
    ``qom_py`` (which has no ``__pycache__`` unless someone made one) is compiled
    from source on every start, while the standard library uses its installed .pyc.
    """
    cached = {k: v for k, v in base.items() if k != "PYTHONDONTWRITEBYTECODE"}
    cached["PYTHONPYCACHEPREFIX"] = os.path.join(sockdir, "pyc")
    source = {k: v for k, v in base.items() if k != "PYTHONPYCACHEPREFIX"}
    source["PYTHONDONTWRITEBYTECODE"] = "1"
    return {"cached": cached, "source": source}


def bench_startup(
    contenders: dict[str, list[str]], py_envs: dict[str, dict[str, str]], sockdir: str, runs: int
) -> dict[str, float]:
    """
    Median seconds: ``yardstick/MODE`` (spawn to exit), ``qom-py/MODE`` and ``qsd`` (spawn to greeting).

    Runs are interleaved: per run and mode, the yardstick, then qom-py; then qsd once.
    """
    times: dict[str, list[float]] = {}
    for run in range(runs + 1):  # run 0 warms the page cache and fills the .pyc cache
        for mode, env in py_envs.items():
            yard = time_yardstick(env)
            ours = time_startup("qom-py", contenders["qom-py"], os.path.join(sockdir, f"q{mode[0]}{run}.s"), env)
            if run:
                times.setdefault(f"yardstick/{mode}", []).append(yard)
                times.setdefault(f"qom-py/{mode}", []).append(ours)
        if "qsd" in contenders:
            theirs = time_startup("qsd", contenders["qsd"], os.path.join(sockdir, f"qsd{run}.s"), None)
            if run:
                times.setdefault("qsd", []).append(theirs)
    return {name: statistics.median(values) for name, values in times.items()}


# -- round trips --------------------------------------------------------------


async def timed(aw: Awaitable[T], what: str) -> T:
    try:
        return await asyncio.wait_for(aw, PHASE_TIMEOUT)
    except TimeoutError:
        msg = f"{what}: no completion within {PHASE_TIMEOUT:.0f} s"
        raise RuntimeError(msg) from None


async def sequential(client: Any, calls: int) -> float:
    start = time.perf_counter()
    for _ in range(calls):
        await client.execute("qom-get", QOM_GET_ARGS)
    return calls / (time.perf_counter() - start)


async def pipelined(client: Any, calls: int, batch: int) -> float:
    batches = max(1, calls // batch)
    start = time.perf_counter()
    for _ in range(batches):
        replies = await asyncio.gather(*[client.execute("qom-get", QOM_GET_ARGS) for _ in range(batch)])
        if not isinstance(replies[-1], int):
            msg = f"qom-get returned {replies[-1]!r}"
            raise TypeError(msg)
    return batches * batch / (time.perf_counter() - start)


async def add_del(client: Any, cycles: int) -> float:
    start = time.perf_counter()
    for _ in range(cycles):
        await client.execute("object-add", ADD_ARGS)
        await client.execute("object-del", DEL_ARGS)
    return cycles / (time.perf_counter() - start)


async def round_trips(
    socks: dict[str, str], calls: int, cycles: int, rounds: int, batch: int
) -> dict[str, dict[str, float]]:
    """Median rates per metric per daemon; rounds alternate between the daemons."""
    from qemu.qmp import QMPClient

    clients: dict[str, Any] = {}
    try:
        for name, sock in socks.items():
            client = QMPClient(f"bench-{name}")
            clients[name] = client
            await timed(client.connect(sock), f"{name}: connect")
            value = await timed(client.execute("qom-get", QOM_GET_ARGS), f"{name}: qom-get")
            if not isinstance(value, int):
                msg = f"{name}: qom-get poll-max-ns returned {value!r}"
                raise TypeError(msg)
        for name, client in clients.items():  # warm up
            await timed(sequential(client, 200), f"{name}: warm-up")
            await timed(pipelined(client, 200, batch), f"{name}: warm-up")
            await timed(add_del(client, 10), f"{name}: warm-up")
        metrics: dict[str, Callable[[Any], Awaitable[float]]] = {
            "seq": lambda c: sequential(c, calls),
            "pipe": lambda c: pipelined(c, calls, batch),
            "adddel": lambda c: add_del(c, cycles),
        }
        samples: dict[str, dict[str, list[float]]] = {metric: {name: [] for name in clients} for metric in metrics}
        for metric, run in metrics.items():
            for _ in range(rounds):
                for name, client in clients.items():
                    samples[metric][name].append(await timed(run(client), f"{name}: {metric}"))
        return {
            metric: {name: statistics.median(values) for name, values in by_name.items()}
            for metric, by_name in samples.items()
        }
    finally:
        for client in clients.values():
            with contextlib.suppress(Exception):
                await asyncio.wait_for(client.disconnect(), CONNECT_TIMEOUT)


def bench_round_trips(
    contenders: dict[str, list[str]],
    envs: dict[str, dict[str, str] | None],
    sockdir: str,
    calls: int,
    cycles: int,
    rounds: int,
    batch: int,
) -> dict[str, dict[str, float]]:
    with contextlib.ExitStack() as stack:
        socks: dict[str, str] = {}
        daemons: list[Daemon] = []
        for name, argv0 in contenders.items():
            sock = os.path.join(sockdir, f"{name[:3]}.s")
            daemons.append(stack.enter_context(daemon(name, argv0, sock, envs[name])))
            socks[name] = sock
        deadline = time.monotonic() + START_TIMEOUT
        for d in daemons:
            d.wait_for_socket(deadline)
            read_greeting(d, deadline)  # accepting connections, not just bound
        return asyncio.run(round_trips(socks, calls, cycles, rounds, batch))


# -- report -------------------------------------------------------------------


def report(
    rates: dict[str, dict[str, float]],
    startup: dict[str, float],
    have_qsd: bool,
    options: argparse.Namespace,
) -> None:
    def fmt(value: float | None, spec: str) -> str:
        return "n/a" if value is None else format(value, spec)

    def verdict(measured: float | None, ok: bool | None) -> str:
        if measured is None:
            return "n/a (no qsd)"
        return f"{'yes' if ok else 'NO '} ({measured:.2f}x)"

    # label, qom-py, qsd, target text, measured ratio against the target, met, format
    rows: list[tuple[str, float, float | None, str, float | None, bool | None, str]] = []
    for metric, label, unit, target in (
        ("seq", "qom-get sequential", "req/s", 1.4),
        ("pipe", f"qom-get pipelined, {options.batch} at once", "req/s", 3.0),
        ("adddel", "object-add + object-del iothread", "cycles/s", 1.0),
    ):
        ours = rates[metric]["qom-py"]
        theirs = rates[metric].get("qsd")
        ratio = None if theirs is None else ours / theirs
        rows.append(
            (
                f"{label} ({unit})",
                ours,
                theirs,
                f">= {target:g}x qsd",
                ratio,
                None if ratio is None else ratio >= target,
                ".0f",
            )
        )
    qsd_ms = startup["qsd"] * 1e3 if have_qsd else None
    for mode, mode_label in STARTUP_MODES.items():
        ours_ms = startup[f"qom-py/{mode}"] * 1e3
        to_yard = ours_ms / (startup[f"yardstick/{mode}"] * 1e3)
        rows.append(
            (
                f"start-up to greeting, {mode_label} (ms)",
                ours_ms,
                qsd_ms,
                "<= 2x yardstick",
                to_yard,
                to_yard <= 2.0,
                ".1f",
            )
        )

    print()
    print(
        f"qom-py vs qemu-storage-daemon 7.2 over QMP (qemu.qmp QMPClient): medians of {options.rounds} rounds "
        f"of {options.calls} qom-get calls / {options.cycles} add+del cycles; start-up: median of "
        f"{options.startup_runs} runs"
    )
    header = f"{'metric':44} | {'qom-py':>9} | {'qsd':>9} | {'qom-py/qsd':>10} | {'target':16} | met (measured)"
    print(header)
    print("-" * len(header))
    for label, ours, theirs, target_text, measured, met, spec in rows:
        ratio = None if theirs is None else ours / theirs
        ratio_text = "n/a" if ratio is None else f"{ratio:.2f}x"
        print(
            f"{label:44} | {fmt(ours, spec):>9} | {fmt(theirs, spec):>9} | {ratio_text:>10} | "
            f"{target_text:16} | {verdict(measured, met)}"
        )
    yards = ", ".join(f"{STARTUP_MODES[m]} {startup[f'yardstick/{m}'] * 1e3:.1f} ms" for m in STARTUP_MODES)
    print(f"yardstick, python -c 'import asyncio' from spawn to exit: {yards}")
    print("start-up 'measured' = qom-py / yardstick of the same mode")
    print(f"host: {os.cpu_count()} CPUs, 1-min load average {options.load[0]:.2f} before, {options.load[1]:.2f} after")
    if not have_qsd:
        print("qemu-storage-daemon not found on PATH: qsd columns and rate targets are n/a")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=2000, help="qom-get calls per round")
    parser.add_argument("--cycles", type=int, default=200, help="object-add+del cycles per round")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--batch", type=int, default=50, help="concurrent calls per pipelined batch")
    parser.add_argument("--startup-runs", type=int, default=15)
    parser.add_argument("--quick", action="store_true", help="fewer calls, cycles, rounds and runs")
    options = parser.parse_args()
    if options.quick:
        options.calls, options.cycles, options.rounds, options.startup_runs = 300, 30, 3, 3

    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _exit_on_signal)
    qsd = shutil.which("qemu-storage-daemon")
    contenders: dict[str, list[str]] = {"qom-py": [sys.executable, "-m", "qom_py"]}
    if qsd is not None:
        contenders["qsd"] = [qsd]
    load_before = os.getloadavg()[0]
    sockdir = tempfile.mkdtemp(prefix="qb-", dir="/tmp")  # short: sun_path is 108 bytes
    try:
        py_envs = startup_envs(qom_py_env(), sockdir)
        envs: dict[str, dict[str, str] | None] = {"qom-py": py_envs["cached"], "qsd": None}
        rates = bench_round_trips(
            contenders, envs, sockdir, options.calls, options.cycles, options.rounds, options.batch
        )
        startup = bench_startup(contenders, py_envs, sockdir, options.startup_runs)
    finally:
        stop_all()
        shutil.rmtree(sockdir, ignore_errors=True)
    options.load = (load_before, os.getloadavg()[0])
    report(rates, startup, qsd is not None, options)
    return 0


if __name__ == "__main__":
    sys.exit(main())
