"""
Start-up of ``import qom_py``, ``qom-py --object help`` and the daemon, against ``import asyncio``.

Usage: python bench/startup.py [--runs N]

Every contender is a whole process, spawned once per round, in turn (interleaved
rounds, one warm-up round first); the figure is the median over rounds, with the
spread (min-max) beside it.  The yardstick is ``python -c 'import asyncio'`` of the
same interpreter and environment.  Contenders:

* ``python -c 'import qom_py'`` (spawn to exit), target <= 1.3x;
* ``qom-py --object help`` (spawn to exit), target <= 1.4x;
* ``qom-py --object main-loop,id=ml,thread-pool-min=1 --object iothread,id=io0``
  with a monitor on a unix socket: spawn until a client connected to the socket
  has read the QMP greeting, target <= 1.5x.

The phases of the daemon's start-up come from a separate (interleaved) daemon run
with ``QOM_PY_STARTUP_TRACE=1``, which makes ``qom-py`` print a monotonic timestamp
per step to stderr (``qom-py: startup: STEP SECONDS``; nothing is checked or
printed without the variable):

* interpreter: ``python -c pass`` (interpreter and ``site``);
* imports: spawn to ``qom_py.daemon.cli.main`` minus the interpreter;
* loop: the event loop, the QMP dispatcher and server objects (their imports included);
* plugins: the entry points and ``--plugin`` modules;
* schema: building the object schema (`object_schema`), done first when traced;
* objects: every ``--object``;
* socket: chardev and monitor (bind, listen), pid file, summary;
* greeting: ready until the client has read the greeting line.

``PYTHONDONTWRITEBYTECODE`` is removed from the children's environment, so the
standard library and an installed ``qom_py`` use their ``.pyc`` (as after ``pip
install``) and a source tree's bytecode is cached after the warm-up round.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from _timing import run_to_exit, wait_exit

REPO = Path(__file__).resolve().parent.parent
START_TIMEOUT = 15.0
STOP_TIMEOUT = 10.0
POLL_INTERVAL = 0.0005

YARD = "python -c 'import asyncio'"
PHASES = ("interpreter", "imports", "loop", "plugins", "schema", "objects", "socket", "greeting")


def child_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONDONTWRITEBYTECODE", "QOM_PY_STARTUP_TRACE")}
    try:
        import qom_py  # noqa: F401 - only: is it importable as installed?
    except ImportError:
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH", "")) if p)
    return env


def qom_py_argv0() -> list[str]:
    """The ``qom-py`` script next to this interpreter (as users run it), else ``python -m qom_py``."""
    script = Path(sys.executable).parent / "qom-py"
    if script.exists():
        return [str(script)]
    return [sys.executable, "-m", "qom_py"]


#: The children's working directory: not the repository, whose ``qom_py/`` would shadow
#: an installed one for ``python -c``.
CWD = tempfile.gettempdir()


def daemon_argv(argv0: list[str], sock: str) -> list[str]:
    return [
        *argv0,
        "--object",
        "main-loop,id=ml,thread-pool-min=1",
        "--object",
        "iothread,id=io0",
        "--chardev",
        f"socket,id=m,path={sock},server=on,wait=off",
        "--monitor",
        "chardev=m",
    ]


def read_greeting(proc: subprocess.Popen[bytes], sock: str, deadline: float) -> bytes:
    while True:
        if proc.poll() is not None:
            msg = f"daemon exited ({proc.returncode}) before its greeting"
            raise RuntimeError(msg)
        if time.monotonic() > deadline:
            msg = "no greeting in time"
            raise RuntimeError(msg)
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            try:
                s.connect(sock)
            except (FileNotFoundError, ConnectionRefusedError):
                time.sleep(POLL_INTERVAL)
                continue
            s.settimeout(max(0.001, deadline - time.monotonic()))
            data = b""
            while not data.endswith(b"\n"):
                chunk = s.recv(4096)
                if not chunk:
                    msg = "connection closed before the greeting"
                    raise RuntimeError(msg)
                data += chunk
            return data
        finally:
            s.close()


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        wait_exit(proc, STOP_TIMEOUT)  # kills it if it does not stop in time


def run_daemon(argv0: list[str], sock: str, env: dict[str, str], trace: dict[str, float] | None) -> float:
    """Seconds from spawn to greeting; with *trace*, fill it with the daemon's step timestamps."""
    if trace is not None:
        env = {**env, "QOM_PY_STARTUP_TRACE": "1"}
    err_path = sock + ".err"
    with open(err_path, "wb") as err:
        spawned = time.monotonic()
        start = time.perf_counter()
        proc = subprocess.Popen(
            daemon_argv(argv0, sock), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err, env=env, cwd=CWD
        )
        try:
            greeting = read_greeting(proc, sock, time.monotonic() + START_TIMEOUT)
            elapsed = time.perf_counter() - start
            greeted = time.monotonic()
        finally:
            stop(proc)
    if not greeting.startswith(b'{"QMP"'):
        msg = f"unexpected greeting {greeting[:200]!r}"
        raise RuntimeError(msg)
    if trace is not None:
        trace["spawn"] = spawned
        trace["greeted"] = greeted
        for line in Path(err_path).read_text().splitlines():
            parts = line.split()
            if len(parts) == 4 and parts[:2] == ["qom-py:", "startup:"]:
                trace[parts[2]] = float(parts[3])
    return elapsed


STEPS = ("main", "loop", "plugins", "schema", "objects", "ready", "greeted")


def phases_of(trace: dict[str, float], interpreter: float) -> dict[str, float]:
    """Milliseconds per phase of one traced run (see the module docstring)."""
    ms = {
        name: (trace[b] - trace[a]) * 1e3
        for name, a, b in (
            ("loop", "main", "loop"),
            ("plugins", "loop", "plugins"),
            ("schema", "plugins", "schema"),
            ("objects", "schema", "objects"),
            ("socket", "objects", "ready"),
            ("greeting", "ready", "greeted"),
        )
    }
    ms["interpreter"] = interpreter * 1e3
    ms["imports"] = (trace["main"] - trace["spawn"] - interpreter) * 1e3
    return ms


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=15, help="timed rounds (default 15)")
    options = parser.parse_args()
    env = child_env()
    py = sys.executable
    argv0 = qom_py_argv0()
    sockdir = tempfile.mkdtemp(prefix="qom-startup-")
    traces: list[dict[str, float]] = []
    contenders: list[tuple[str, Callable[[int], float]]] = [
        ("python -c pass", lambda _r: run_to_exit([py, "-c", "pass"], env, cwd=CWD)),
        ("python -c 'import asyncio'", lambda _r: run_to_exit([py, "-c", "import asyncio"], env, cwd=CWD)),
        ("python -c 'import qom_py'", lambda _r: run_to_exit([py, "-c", "import qom_py"], env, cwd=CWD)),
        ("qom-py --object help", lambda _r: run_to_exit([*argv0, "--object", "help"], env, cwd=CWD)),
        ("qom-py daemon, spawn to greeting", lambda r: run_daemon(argv0, os.path.join(sockdir, f"d{r}.s"), env, None)),
    ]

    def traced(r: int) -> float:
        trace: dict[str, float] = {}
        seconds = run_daemon(argv0, os.path.join(sockdir, f"t{r}.s"), env, trace)
        if r:
            traces.append(trace)
        return seconds

    contenders.append(("(traced daemon)", traced))
    samples: dict[str, list[float]] = {label: [] for label, _ in contenders}
    try:
        for r in range(options.runs + 1):  # round 0 warms up (page cache, bytecode)
            for label, run in contenders:
                seconds = run(r)
                if r:
                    samples[label].append(seconds)
    finally:
        shutil.rmtree(sockdir, ignore_errors=True)
    med = {label: statistics.median(v) for label, v in samples.items()}
    yard = med[YARD]
    targets = {"python -c 'import qom_py'": 1.3, "qom-py --object help": 1.4, "qom-py daemon, spawn to greeting": 1.5}
    print(f"{sys.executable} ({sys.version.split()[0]}), {options.runs} interleaved rounds, medians (min-max)")
    print("| command | ms | / `import asyncio` | target |")
    print("|---|---|---|---|")
    for label, values in samples.items():
        if label.startswith("("):
            continue
        target = targets.get(label)
        verdict = "" if target is None else f"<= {target}x ({'met' if med[label] / yard <= target else 'MISSED'})"
        rounds = [v / y for v, y in zip(values, samples[YARD], strict=True)]
        ratio = f"{med[label] / yard:.2f}x (per round {min(rounds):.2f}-{max(rounds):.2f})"
        print(
            f"| {label} | {med[label] * 1e3:.1f} ({min(values) * 1e3:.1f}-{max(values) * 1e3:.1f}) | {ratio} | {verdict} |"
        )
    interp = med["python -c pass"]
    print()
    if any(step not in t for t in traces for step in STEPS):
        print("daemon start-up phases: not reported (this qom-py does not support QOM_PY_STARTUP_TRACE)")
        return 0
    per_run = [phases_of(t, interp) for t in traces]
    print("daemon start-up phases, ms (median over the traced runs, min-max):")
    for phase in PHASES:
        values = [p[phase] for p in per_run]
        print(f"  {phase:12} {statistics.median(values):6.1f}  ({min(values):.1f}-{max(values):.1f})")
    total = statistics.median(samples["(traced daemon)"]) * 1e3
    print(f"  {'total':12} {total:6.1f}  (traced run, spawn to greeting)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
