"""
Stress benchmark of issue #13: a bystander's round trip under hostile clients, bounds, fds.

Usage::

    python bench/stress.py [--seconds S] [--skip-qsd]

Starts ``qom-py`` (``sys.executable -m qom_py``) and, when it is on ``PATH``,
``qemu-storage-daemon`` 7.2, each with ``--object iothread,id=io0 --chardev
socket,id=m,path=SOCK,server=on,wait=off --monitor m``, and measures:

* **bystander**: ``query-version`` round trips of one negotiated client (p50/p99,
  in ms) for *S* seconds, alone and while a hostile client keeps sending, over and
  over on fresh connections: ``open-list`` (``[`` then ``1,`` x 131072, never
  closed, then the connection is dropped), ``2Mi-tokens`` (a closed request of
  2 Mi tokens, the token-count limit), ``60MiB-string`` (a request with a 60 MiB
  string argument, near the 64 MiB token-size limit) and, qom-py only (QEMU 7.2
  has no such command), ``list-get-100k`` (``qom-list-get`` of 100,000 copies of
  ``/objects/io0``, with the daemon's RSS growth);
* **memory**: five connections each holding an unfinished 2 Mi-token message,
  then five holding an unfinished 60 MiB string: the daemon's RSS growth and how
  many clients were told off (qom-py's ``max_buffered_input``);
* **burst**: 200 non-blocking connects at once: how many are refused, how many
  get a greeting within 10 s;
* **fds**: qom-py with ``RLIMIT_NOFILE`` 64 and 80 clients: log lines and
  tracebacks written, whether the first client is served meanwhile and whether
  every client is greeted once the first 40 leave.

Every wait has a timeout; every daemon and socket is cleaned up on exit.  The
host's CPU count and load average are printed: the figures are only comparable
on an otherwise idle host.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

TIMEOUT = 10.0
MONITORS = 6
ROOT = Path(__file__).resolve().parent.parent
OPEN_LIST = b"[" + b"1," * 131072
TOKENS_2MI = b'{"execute":"query-version","arguments":{"x":[' + b"1," * ((2 << 20) // 2 - 10) + b"1]}}"
STRING_60MIB = b'{"execute":"query-version","arguments":{"x":"' + b"x" * (60 << 20) + b'"}}'
LIST_GET_100K = b'{"execute":"qom-list-get","arguments":{"paths":[' + b",".join([b'"/objects/io0"'] * 100_000) + b"]}}"


def env() -> dict[str, str]:
    result = dict(os.environ)
    result["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), result.get("PYTHONPATH", "")]))
    return result


@contextlib.contextmanager
def daemon(program: list[str], directory: str, name: str) -> Iterator[tuple[list[str], int]]:
    """
    Start *program* with MONITORS monitors on DIRECTORY/NAME-I.sock; yield (socket paths, pid).

    Several monitors because a qsd socket chardev serves one client at a time: the
    bystander uses the first, hostile clients the others (the same for qom-py).
    """
    paths = [os.path.join(directory, f"{name}-{i}.sock") for i in range(MONITORS)]
    argv = [*program, "--object", "iothread,id=io0"]
    for i, path in enumerate(paths):
        argv += ["--chardev", f"socket,id=m{i},path={path},server=on,wait=off", "--monitor", f"m{i}"]
    proc = subprocess.Popen(argv, env=env(), stdin=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + TIMEOUT
        while not os.path.exists(paths[-1]):
            if proc.poll() is not None or time.monotonic() > deadline:
                msg = f"{name} did not start"
                raise RuntimeError(msg)
            time.sleep(0.02)
        yield paths, proc.pid
    finally:
        proc.terminate()
        try:
            proc.wait(TIMEOUT)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(TIMEOUT)
        for path in paths:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path)


class Client:
    """A blocking raw QMP client (one-line replies)."""

    def __init__(self, path: str, *, negotiate: bool = True, timeout: float = TIMEOUT) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        self.sock.connect(path)
        self.buffer = b""
        self.greeting = self.line()
        if negotiate:
            self.sock.sendall(b'{"execute":"qmp_capabilities"}')
            self.line()

    def line(self) -> bytes:
        while b"\r\n" not in self.buffer:
            data = self.sock.recv(1 << 20)
            if not data:
                msg = f"EOF after {self.buffer[:200]!r}"
                raise EOFError(msg)
            self.buffer += data
        message, _, self.buffer = self.buffer.partition(b"\r\n")
        return message

    def close(self) -> None:
        self.sock.close()


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def percentiles(times: list[float]) -> str:
    if not times:
        return "no round trip"
    ordered = sorted(times)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return f"p50 {statistics.median(ordered) * 1e3:7.2f} ms  p99 {p99 * 1e3:7.2f} ms  max {ordered[-1] * 1e3:7.1f} ms  (n={len(ordered)})"


def hostile_loop(path: str, payload: bytes, stop: threading.Event, read_reply: bool) -> Callable[[], int]:
    """Send *payload* on fresh connections until *stop*; return a counter of sends."""
    sent = [0]

    def run() -> None:
        while not stop.is_set():
            try:
                client = Client(path)
            except (OSError, EOFError):
                time.sleep(0.01)
                continue
            try:
                client.sock.sendall(payload)
                if read_reply:
                    client.line()
                else:
                    time.sleep(0.05)  # let the daemon chew on it, then drop it
                sent[0] += 1
            except (OSError, EOFError):
                pass
            finally:
                client.close()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()

    def join() -> int:
        stop.set()
        thread.join(120)
        return sent[0]

    return join


def bystander(path: str, seconds: float) -> list[float]:
    client = Client(path)
    times: list[float] = []
    try:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            start = time.perf_counter()
            client.sock.sendall(b'{"execute":"query-version"}')
            client.line()
            times.append(time.perf_counter() - start)
    finally:
        client.close()
    return times


def scenario_bystander(name: str, paths: list[str], pid: int, seconds: float, is_qom: bool) -> None:
    path = paths[0]
    print(f"  {name:7} alone           {percentiles(bystander(path, seconds))}")
    hostiles = [("open-list", OPEN_LIST, False), ("2Mi-tokens", TOKENS_2MI, True), ("60MiB-string", STRING_60MIB, True)]
    if is_qom:
        hostiles.append(("list-get-100k", LIST_GET_100K, True))
    for label, payload, read_reply in hostiles:
        before = rss_kib(pid)
        stop = threading.Event()
        join = hostile_loop(paths[1], payload, stop, read_reply)
        time.sleep(0.2)
        times = bystander(path, seconds)
        peak = rss_kib(pid)
        sends = join()
        print(
            f"  {name:7} {label:15} {percentiles(times)}  hostile sends {sends}, RSS +{(peak - before) / 1024:.0f} MiB"
        )


def scenario_memory(name: str, paths: list[str], pid: int) -> None:
    for label, payload in (("2Mi-tokens", TOKENS_2MI[:-5]), ("60MiB-string", STRING_60MIB[:-5])):
        before = rss_kib(pid)
        clients: list[Client] = []
        refused = 0
        try:
            for path in paths[1:]:
                client = Client(path)
                clients.append(client)
            senders = [threading.Thread(target=_send_quietly, args=(c, payload), daemon=True) for c in clients]
            for sender in senders:
                sender.start()
            for sender in senders:
                sender.join(TIMEOUT)
            stalled = sum(sender.is_alive() for sender in senders)
            time.sleep(1.0)
            peak = rss_kib(pid)
            for client in clients:
                client.sock.settimeout(0.2)
                with contextlib.suppress(TimeoutError, EOFError, OSError):
                    if b"error" in client.line():
                        refused += 1
        finally:
            for client in clients:
                client.close()
        note = f", {stalled} sends not done after {TIMEOUT:.0f} s" if stalled else ""
        print(
            f"  {name:7} {len(clients)} x unfinished {label:13} RSS +{(peak - before) / 1024:.0f} MiB, "
            f"clients told off: {refused}{note}"
        )
        time.sleep(0.5)


def _send_quietly(client: Client, payload: bytes) -> None:
    with contextlib.suppress(OSError):
        client.sock.sendall(payload)


def scenario_burst(name: str, path: str) -> None:
    socks = []
    refused = greeted = 0
    try:
        for _ in range(200):
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            socks.append(sock)
            sock.setblocking(False)
            try:
                sock.connect(path)
            except (BlockingIOError, ConnectionRefusedError):
                refused += 1
                sock.close()
                socks.pop()
        deadline = time.monotonic() + TIMEOUT
        for sock in socks:
            sock.settimeout(max(0.01, deadline - time.monotonic()))
            with contextlib.suppress(OSError):
                if sock.recv(7) == b'{"QMP":':
                    greeted += 1
    finally:
        for sock in socks:
            sock.close()
    print(f"  {name:7} burst of 200 connects: refused {refused}, greeted within 10 s {greeted}")


#: The child of the descriptor-exhaustion scenario (shared with tests/qmp/test_reliability.py).
FD_CHILD = str(ROOT / "tests" / "fd_limited_qmp.py")


def scenario_fds(directory: str) -> None:
    path = os.path.join(directory, "fd.sock")
    child = subprocess.Popen(
        [sys.executable, FD_CHILD, path], env=env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    socks: list[socket.socket] = []
    served = False
    try:
        assert child.stdout is not None
        child.stdout.readline()
        first = Client(path)
        for _ in range(79):
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.settimeout(TIMEOUT)
            sock.connect(path)
            socks.append(sock)
        time.sleep(2.0)
        first.sock.sendall(b'{"execute":"query-version"}')
        served = first.line().startswith(b'{"return"')
        for sock in socks[:40]:
            sock.close()
        greeted = 0
        for sock in socks[40:]:
            with contextlib.suppress(OSError):
                if sock.recv(7) == b'{"QMP":':
                    greeted += 1
        first.close()
    finally:
        for sock in socks:
            sock.close()
        child.send_signal(signal.SIGTERM)
        _, err = child.communicate(timeout=TIMEOUT)
    log = err.decode(errors="replace")
    print(
        f"  qom-py  ulimit -n 64, 80 clients (2 s): log lines {len(log.splitlines())}, "
        f"tracebacks {log.count('Traceback')}, first client served {served}, "
        f"the last 39 greeted after 40 left: {greeted}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="bystander time per scenario")
    parser.add_argument("--skip-qsd", action="store_true")
    args = parser.parse_args()
    print(f"host: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}")
    qsd = None if args.skip_qsd else shutil.which("qemu-storage-daemon")
    programs: list[tuple[str, list[str], bool]] = [("qom-py", [sys.executable, "-m", "qom_py"], True)]
    if qsd:
        programs.append(("qsd", [qsd], False))
    with tempfile.TemporaryDirectory(prefix="stress") as directory:
        print("bystander query-version round trip")
        for name, program, is_qom in programs:
            with daemon(program, directory, name) as (paths, pid):
                scenario_bystander(name, paths, pid, args.seconds, is_qom)
        print("memory")
        for name, program, _ in programs:
            with daemon(program, directory, name) as (paths, pid):
                scenario_memory(name, paths, pid)
        print("accept")
        for name, program, _ in programs:
            with daemon(program, directory, name) as (paths, _pid):
                scenario_burst(name, paths[0])
        scenario_fds(directory)
    return 0


if __name__ == "__main__":
    sys.exit(main())
