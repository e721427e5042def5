"""Fixtures for the QMP tests: a server on a background loop, qsd (the leak check is tests/conftest.py's)."""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Coroutine, Iterator
from typing import Any, TypeVar

import pytest

from qom_py.qmp import Dispatcher, QMPServer

_T = TypeVar("_T")

#: Upper bound for any single blocking wait in these tests.
TIMEOUT: float = 10.0
#: The qemu-storage-daemon binary, when installed (differential tests need it).
QSD: str | None = shutil.which("qemu-storage-daemon")


class LoopThread:
    """An event loop running in a background thread, joined on `stop`."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, name="qmp-test-loop")
        self._thread.start()

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_forever()

    def run(self, coroutine: Coroutine[Any, Any, _T]) -> _T:
        """Run *coroutine* on the loop and wait for its result."""
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(TIMEOUT)

    def call(self, fn: Callable[[], _T]) -> _T:
        """Call *fn* on the loop thread and return its result."""

        async def wrapper() -> _T:
            return fn()

        return self.run(wrapper())

    def stop(self) -> None:
        """Stop the loop, join the thread, close the loop."""
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(TIMEOUT)
        assert not self._thread.is_alive()
        self.loop.close()


class ServerFixture:
    """A `QMPServer` on a background loop, with a unix socket and a TCP port."""

    def __init__(self, dispatcher: Dispatcher, directory: str, **options: Any) -> None:
        self.dispatcher = dispatcher
        self.thread = LoopThread()
        self.server = QMPServer(dispatcher, **options)
        self.path = os.path.join(directory, "qmp.sock")
        self.thread.run(self.server.listen_unix(self.path))
        self.tcp = self.thread.run(self.server.listen_tcp("127.0.0.1", 0))

    def close(self) -> None:
        try:
            self.thread.run(self.server.close())
        finally:
            self.thread.stop()


@pytest.fixture
def dispatcher() -> Dispatcher:
    """A dispatcher with test commands: ``echo`` (any), ``qom-get`` stub, async ``sleep``."""
    dispatcher = Dispatcher(raise_internal_errors=False)
    dispatcher.register("echo", lambda args: args.get("value"), {"*value": "any"})
    dispatcher.register(
        "qom-get",
        lambda args: "container" if args == {"path": "/objects", "property": "type"} else None,
        {"path": "str", "property": "str"},
    )

    async def sleep(args: dict[str, Any]) -> Any:
        await asyncio.sleep(float(args["seconds"]))
        return args.get("value")

    dispatcher.register("sleep", sleep, {"seconds": "number", "*value": "any"})
    return dispatcher


@pytest.fixture
def tmp_dir() -> Iterator[str]:
    """A short private directory (unix socket paths are limited to ~107 bytes)."""
    with tempfile.TemporaryDirectory(prefix="qmp-") as directory:
        yield directory


@pytest.fixture
def server(dispatcher: Dispatcher, tmp_dir: str) -> Iterator[ServerFixture]:
    """Our server on a background loop thread; closed and joined in teardown."""
    fixture = ServerFixture(dispatcher, tmp_dir)
    try:
        yield fixture
    finally:
        fixture.close()


class RawClient:
    """A blocking socket client that reads CRLF-terminated messages."""

    def __init__(self, address: str | tuple[str, int]) -> None:
        family = socket.AF_UNIX if isinstance(address, str) else socket.AF_INET
        self.sock = socket.socket(family, socket.SOCK_STREAM)
        self.sock.settimeout(TIMEOUT)
        self.sock.connect(address)
        self._buffer = b""
        self.greeting = self.read_message()

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def read_message(self) -> bytes:
        """One message, CRLF included (pretty messages end with ``}`` + CRLF at column 0)."""
        while True:
            end = self._find_end()
            if end >= 0:
                message, self._buffer = self._buffer[:end], self._buffer[end:]
                return message
            data = self.sock.recv(65536)
            if not data:
                msg = f"EOF; buffered {self._buffer!r}"
                raise EOFError(msg)
            self._buffer += data

    def _find_end(self) -> int:
        start = 0
        while True:
            index = self._buffer.find(b"\r\n", start)
            if index < 0:
                return -1
            line_start = self._buffer.rfind(b"\n", 0, index) + 1
            if self._buffer[line_start:index].startswith(b"}") or not self._buffer.startswith(b"{\r\n"):
                return index + 2
            start = index + 2

    def read_messages(self, count: int) -> list[bytes]:
        return [self.read_message() for _ in range(count)]

    def command(self, data: bytes) -> bytes:
        self.send(data)
        return self.read_message()

    def read_eof(self) -> bytes:
        """Read until the server closes; return what came."""
        rest = self._buffer
        self._buffer = b""
        while True:
            data = self.sock.recv(65536)
            if not data:
                return rest
            rest += data

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def raw_client(server: ServerFixture) -> Iterator[Callable[..., RawClient]]:
    """Factory of raw socket clients to the server; all closed in teardown."""
    clients: list[RawClient] = []

    def connect(address: str | tuple[str, int] | None = None) -> RawClient:
        client = RawClient(server.path if address is None else address)
        clients.append(client)
        return client

    yield connect
    for client in clients:
        client.close()


class QemuStorageDaemon:
    """A qemu-storage-daemon with a QMP monitor on a unix socket."""

    def __init__(self, directory: str, *extra: str) -> None:
        assert QSD is not None
        self.path = os.path.join(directory, "qsd.sock")
        self.proc = subprocess.Popen(
            [
                QSD,
                "--chardev",
                f"socket,id=m,path={self.path},server=on,wait=off",
                "--monitor",
                "m",
                *extra,
            ]
        )
        deadline = time.monotonic() + TIMEOUT
        while not os.path.exists(self.path):
            assert self.proc.poll() is None, "qemu-storage-daemon exited"
            assert time.monotonic() < deadline, "qemu-storage-daemon did not start"
            time.sleep(0.02)

    def close(self) -> None:
        self.proc.terminate()
        self.proc.wait(TIMEOUT)


@pytest.fixture
def qsd(tmp_dir: str) -> Iterator[QemuStorageDaemon]:
    """A running qemu-storage-daemon 7.2 (skips the test when it is not installed)."""
    if QSD is None:
        pytest.skip("qemu-storage-daemon is not installed")
    daemon = QemuStorageDaemon(tmp_dir)
    try:
        yield daemon
    finally:
        daemon.close()
