"""
Benchmark of the QMP layer: in-process parse+dispatch, and socket round trips
against qemu-storage-daemon.

Usage::

    python bench/qmp_protocol.py [--calls N] [--rounds R] [--batch B] [--quick]

Round trips are measured with the ``qemu.qmp`` client, running ``qom-get`` on
path ``/objects``, property ``type``:

* qemu-storage-daemon 7.2 started with ``--object iothread,id=io0``;
* our `QMPServer` in a separate process.  It registers a *stub* ``qom-get``
  that answers ``"container"`` without any object model behind it: this is a
  **protocol-overhead measurement** (parsing, argument checks, dispatch,
  encoding, sockets), not a measurement of qom_py's ``qom-get``.

Sequential calls await each reply; pipelined calls send a batch of concurrent
``execute`` calls (``asyncio.gather``).  Each figure is the median over rounds;
ratios are our rate over qemu-storage-daemon's rate (higher is better).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from qom_py.qmp import Dispatcher, JSONStreamParser, QMPServer, to_json

QOM_GET_ARGS = {"path": "/objects", "property": "type"}
QOM_GET_REQUEST = b'{"execute":"qom-get","arguments":{"path":"/objects","property":"type"},"id":"__qmp#00001"}'


def protocol_overhead_qom_get(args: dict[str, Any]) -> Any:
    """Stub qom-get for the protocol-overhead measurement: no object model behind it."""
    if args["path"] == "/objects" and args["property"] == "type":
        return "container"
    return None


def make_dispatcher() -> Dispatcher:
    dispatcher = Dispatcher()
    dispatcher.register("qom-get", protocol_overhead_qom_get, {"path": "str", "property": "str"})
    return dispatcher


# -- in-process ---------------------------------------------------------------


def bench_in_process(iterations: int) -> dict[str, float]:
    """Microseconds per operation, best of 5 runs."""
    results: dict[str, float] = {}
    parser = JSONStreamParser()

    def parse() -> None:
        parser.feed(QOM_GET_REQUEST)

    sink: list[bytes] = []
    session = make_dispatcher().open_session(sink.append)
    session.feed(b'{"execute":"qmp_capabilities"}')

    def parse_dispatch() -> None:
        session.feed(QOM_GET_REQUEST)
        sink.clear()

    pipelined = QOM_GET_REQUEST * 50

    def parse_dispatch_50() -> None:
        session.feed(pipelined)
        sink.clear()

    reply = {"return": {"qemu": {"major": 7, "minor": 2, "micro": 0}, "package": "qom-py"}, "id": 1}

    def encode() -> None:
        to_json(reply)

    for name, fn, per in (
        ("parse qom-get request", parse, 1),
        ("parse+dispatch+encode qom-get", parse_dispatch, 1),
        ("same, 50 requests in one chunk (per request)", parse_dispatch_50, 50),
        ("encode query-version reply", encode, 1),
    ):
        best = float("inf")
        for _ in range(5):
            start = time.perf_counter()
            for _ in range(iterations // per):
                fn()
            best = min(best, (time.perf_counter() - start) / (iterations // per * per))
        results[name] = best * 1e6
    return results


# -- round trips --------------------------------------------------------------


def serve(path: str) -> None:
    """Run our server on *path* until quit (the child process of the benchmark)."""

    async def main() -> None:
        server = QMPServer(make_dispatcher())
        await server.listen_unix(path)
        print("ready", flush=True)
        await server.wait_closed()

    asyncio.run(main())


def wait_for_socket(path: str, proc: subprocess.Popen[bytes], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not os.path.exists(path):
        if proc.poll() is not None or time.monotonic() > deadline:
            msg = f"server for {path} did not start"
            raise RuntimeError(msg)
        time.sleep(0.02)


async def round_trips(path: str, calls: int, rounds: int, batch: int) -> tuple[float, float]:
    """Median calls per second: sequential, pipelined."""
    from qemu.qmp import QMPClient

    client = QMPClient("bench")
    await client.connect(path)
    try:
        for _ in range(200):  # warm up
            await client.execute("qom-get", QOM_GET_ARGS)
        sequential = []
        for _ in range(rounds):
            start = time.perf_counter()
            for _ in range(calls):
                await client.execute("qom-get", QOM_GET_ARGS)
            sequential.append(calls / (time.perf_counter() - start))
        pipelined = []
        for _ in range(rounds):
            start = time.perf_counter()
            for _ in range(max(1, calls // batch)):
                replies = await asyncio.gather(*[client.execute("qom-get", QOM_GET_ARGS) for _ in range(batch)])
                assert replies[-1] == "container"
            pipelined.append(max(1, calls // batch) * batch / (time.perf_counter() - start))
    finally:
        await client.disconnect()
    return statistics.median(sequential), statistics.median(pipelined)


def bench_round_trips(calls: int, rounds: int, batch: int) -> None:
    qsd = shutil.which("qemu-storage-daemon")
    with tempfile.TemporaryDirectory(prefix="qmp-bench-") as tmp:
        results: dict[str, tuple[float, float]] = {}
        ours_path = os.path.join(tmp, "ours.sock")
        ours = subprocess.Popen([sys.executable, __file__, "--serve", ours_path], stdout=subprocess.DEVNULL)
        try:
            wait_for_socket(ours_path, ours)
            results["qom-py (protocol overhead, stub qom-get)"] = asyncio.run(
                round_trips(ours_path, calls, rounds, batch)
            )
        finally:
            ours.terminate()
            ours.wait(10)
        if qsd is not None:
            qsd_path = os.path.join(tmp, "qsd.sock")
            proc = subprocess.Popen(
                [
                    qsd,
                    "--chardev",
                    f"socket,id=m,path={qsd_path},server=on,wait=off",
                    "--monitor",
                    "m",
                    "--object",
                    "iothread,id=io0",
                ]
            )
            try:
                wait_for_socket(qsd_path, proc)
                results["qemu-storage-daemon 7.2"] = asyncio.run(round_trips(qsd_path, calls, rounds, batch))
            finally:
                proc.terminate()
                proc.wait(10)
    print(f"\nRound trips, qemu.qmp QMPClient, qom-get /objects type ({calls} calls x {rounds} rounds, median):")
    print(f"  {'server':45} {'sequential/s':>14} {f'pipelined({batch})/s':>18}")
    for name, (seq, pipe) in results.items():
        print(f"  {name:45} {seq:14.0f} {pipe:18.0f}")
    ours_seq, ours_pipe = results["qom-py (protocol overhead, stub qom-get)"]
    if "qemu-storage-daemon 7.2" in results:
        qsd_seq, qsd_pipe = results["qemu-storage-daemon 7.2"]
        print(f"  ratio qom-py / qsd: sequential {ours_seq / qsd_seq:.2f}x, pipelined {ours_pipe / qsd_pipe:.2f}x")
    else:
        print("  qemu-storage-daemon not found: no ratio")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--batch", type=int, default=50)
    parser.add_argument("--quick", action="store_true", help="fewer calls and rounds")
    parser.add_argument("--serve", metavar="PATH", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.serve:
        serve(options.serve)
        return
    if options.quick:
        options.calls, options.rounds = 300, 3
    print("In-process (best of 5), microseconds per operation:")
    for name, value in bench_in_process(20000 if not options.quick else 2000).items():
        print(f"  {name:48} {value:8.2f}")
    bench_round_trips(options.calls, options.rounds, options.batch)


if __name__ == "__main__":
    main()
