"""
The server under hostile and heavy clients (issue #13): no stalls, bounded memory, fd exhaustion.

Latency bounds here are generous (a loaded 2-core machine must not make them
flaky); the strict figures come from ``bench/stress.py``.  Every wait has a
timeout, and every socket and thread is closed in the test that opened it.
"""

from __future__ import annotations

import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Final

import pytest

from qom_py.qapi._json_parser import PARSE_STEP
from qom_py.qapi._json_streamer import JSONStreamParser
from qom_py.qmp import Dispatcher
from qom_py.qmp._server import _BACKLOG
from tests.daemon import child_env, running

from .conftest import TIMEOUT, RawClient, ServerFixture

QUERY_VERSION = b'{"execute":"query-version"}'
#: Issue #13's hostile input: an open list of 131072 elements, never closed.
OPEN_LIST = b"[" + b"1," * 131072
#: The largest message within QEMU's token count limit: 2 Mi tokens, closed (2 MiB).
#: (query-version refuses the argument: the reply is small, the parse is the work.)
BIGGEST = b'{"execute":"query-version","arguments":{"x":[' + b"1," * ((2 << 20) // 2 - 8) + b"1]}}"


def negotiate(client: RawClient) -> None:
    assert client.command(b'{"execute":"qmp_capabilities"}') == b'{"return": {}}\r\n'


def round_trips(client: RawClient, stop: threading.Event, limit: int = 400) -> list[float]:
    """``query-version`` round trips of *client* until *stop* is set (at most *limit*)."""
    times: list[float] = []
    while not stop.is_set() and len(times) < limit:
        start = time.perf_counter()
        reply = client.command(QUERY_VERSION)
        times.append(time.perf_counter() - start)
        assert reply.startswith(b'{"return": {"qemu": ')
    return times


def send_in_thread(data: bytes, address: str) -> tuple[threading.Thread, list[RawClient], threading.Event]:
    """Connect a hostile client and send *data* from a thread; the event is set when all is sent."""
    client = RawClient(address)
    negotiate(client)
    done = threading.Event()

    def send() -> None:
        try:
            client.send(data)
        finally:
            done.set()

    thread = threading.Thread(target=send, name="hostile-sender")
    thread.start()
    return thread, [client], done


class TestParserBudget:
    """`JSONStreamParser.run` does bounded work per call, with `feed`'s results."""

    def test_open_list_is_sliced(self) -> None:
        """An open list of 131072 elements takes many bounded calls, none of which completes anything."""
        parser = JSONStreamParser()
        parser.push(OPEN_LIST)
        calls = 0
        while parser.has_work:
            before = parser.buffered
            assert parser.run(8192) == []
            calls += 1
            assert calls < 1000
            # Each call lexes at most the budget: the unread input shrinks by <= 8192.
            assert before - parser.buffered <= 8192
        assert calls >= len(OPEN_LIST) // 8192
        assert not parser.is_idle

    def test_big_parse_is_stepped(self) -> None:
        """A 2 Mi-token message is parsed over several calls and gives `feed`'s value."""
        parser = JSONStreamParser()
        parser.push(BIGGEST)
        results = []
        calls = 0
        while parser.has_work:
            results += parser.run(8192)
            calls += 1
        assert calls >= len(BIGGEST) // 8192 + (2 << 20) // PARSE_STEP // 2
        [value] = results
        assert isinstance(value, dict)
        assert value == JSONStreamParser().feed(BIGGEST)[0]
        assert parser.is_idle

    @pytest.mark.parametrize(
        "data",
        [
            b'{"a": [1, 2.5e3, -0, "x\\"y", \'q\']} [1,] {"b" 1} 1 x "\\u0000" tru',
            b"[" * 1100 + b"]" * 1100,
            b"[" + b"-1.5e+3, 0, 12, 'a', \"\\\\\", null, true, false, " * 3000 + b"1e5]",
            b"]]]}}} {'a':1e}" + b"\xff\xfe [1,2" + b"\x00",
        ],
        ids=["mixed", "nesting", "tokens", "errors"],
    )
    @pytest.mark.parametrize("budget", [1, 7, 8192])
    def test_budgeted_equals_whole(self, data: bytes, budget: int) -> None:
        """Any budget gives the same messages, errors included, as one `feed`."""
        reference = JSONStreamParser(max_token_count=4096)
        whole = reference.feed(data)
        parser = JSONStreamParser(max_token_count=4096)
        parser.push(data)
        sliced = []
        calls = 0
        while parser.has_work:
            sliced += parser.run(budget, max_messages=3)
            calls += 1
            assert calls < 10 * len(data) + 10
        assert [repr(r) for r in sliced] == [repr(r) for r in whole]
        assert parser.is_idle == reference.is_idle


class TestNoStall:
    """One client's input, however large, does not hold up another client's round trip."""

    @pytest.mark.parametrize("data", [OPEN_LIST, BIGGEST], ids=["open-list", "biggest-message"])
    def test_bystander(self, data: bytes) -> None:
        """
        While a client sends QEMU-sized input, another's query-version stays fast (median < 100 ms).

        The daemon runs in its own process: with the server on a thread of the test
        process, the clients' threads would measure the GIL, not the server.
        """
        with running() as daemon:
            bystander = RawClient(daemon.socket_path)
            negotiate(bystander)
            thread, clients, done = send_in_thread(data, daemon.socket_path)
            stop = threading.Event()
            try:
                times = round_trips(bystander, done)
                # The hostile input is being worked through for a while after the send.
                deadline = time.monotonic() + 0.3
                while time.monotonic() < deadline:
                    times += round_trips(bystander, stop, limit=1)
            finally:
                thread.join(TIMEOUT)
                for client in clients:
                    client.close()
                bystander.close()
        assert not thread.is_alive()
        assert len(times) >= 5
        # Before issue #13's fix: ~0.5 s per 256 KiB read, ~0.6 s for the parse.
        assert statistics.median(times) < 0.1, sorted(times)[-5:]


class TestBuffered:
    """The input held for all clients together is bounded; the client that crosses it is told."""

    def test_global_bound(self, dispatcher: Dispatcher, tmp_dir: str) -> None:
        """The second client to hold 600 kB of an unfinished message gets an error and EOF; the first goes on."""
        fixture = ServerFixture(dispatcher, tmp_dir, max_buffered_input=1 << 20)
        first, second = RawClient(fixture.path), RawClient(fixture.path)
        try:
            negotiate(first)
            negotiate(second)
            part = b'{"execute":"echo","arguments":{"value":["' + b"x" * 600_000
            first.send(part)
            assert _wait(lambda: fixture.thread.call(lambda: fixture.server.buffered_input) >= 600_000)
            second.send(part)
            assert second.read_eof() == (
                b'{"error": {"class": "GenericError", "desc": "QMP input buffer limit exceeded: '
                b"unfinished requests of all clients hold more than 1048576 bytes; closing this "
                b'connection"}}\r\n'
            )
            first.send(b'"]}}')
            assert first.read_message() == b'{"return": ["' + b"x" * 600_000 + b'"]}\r\n'
            assert first.command(QUERY_VERSION).startswith(b'{"return": {"qemu": ')
            assert _wait(lambda: fixture.thread.call(lambda: fixture.server.buffered_input) == 0)
        finally:
            first.close()
            second.close()
            fixture.close()

    def test_max_clients(self, dispatcher: Dispatcher, tmp_dir: str) -> None:
        """One client past max_clients gets an error instead of the greeting; a freed slot is reused."""
        fixture = ServerFixture(dispatcher, tmp_dir, max_clients=2)
        clients = [RawClient(fixture.path), RawClient(fixture.path)]
        extra = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            extra.settimeout(TIMEOUT)
            extra.connect(fixture.path)
            received = b""
            while chunk := extra.recv(4096):
                received += chunk
            assert received == (
                b'{"error": {"class": "GenericError", "desc": "Too many clients on this QMP monitor '
                b'(at most 2); try again later"}}\r\n'
            )
            clients.pop().close()
            assert _wait(lambda: fixture.thread.call(lambda: fixture.server.client_count) == 1)
            clients.append(RawClient(fixture.path))
            negotiate(clients[-1])
        finally:
            extra.close()
            for client in clients:
                client.close()
            fixture.close()


class TestAccept:
    """Backlog and file-descriptor exhaustion."""

    def test_burst_of_200(self, server: ServerFixture) -> None:
        """200 clients connecting while the loop is busy are all queued, then all greeted."""
        assert _BACKLOG >= 200
        busy = threading.Event()
        release = threading.Event()

        def block() -> None:
            busy.set()
            release.wait(TIMEOUT)

        server.thread.loop.call_soon_threadsafe(block)
        assert busy.wait(TIMEOUT)
        socks: list[socket.socket] = []
        try:
            refused = 0
            for _ in range(200):
                sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                socks.append(sock)
                sock.setblocking(False)
                try:
                    sock.connect(server.path)
                except BlockingIOError:
                    refused += 1  # the backlog is full
            release.set()
            assert refused == 0
            for sock in socks:
                sock.settimeout(TIMEOUT)
                assert sock.recv(7) == b'{"QMP":'
        finally:
            release.set()
            for sock in socks:
                sock.close()

    def test_fd_exhaustion(self, tmp_dir: str) -> None:
        """With 64 fds and 80 clients: one log line, existing clients served, the rest greeted once fds are free."""
        path = os.path.join(tmp_dir, "fd.sock")
        child = subprocess.Popen(
            [sys.executable, _FD_CHILD, path],
            env=child_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        clients: list[RawClient] = []
        waiting: list[socket.socket] = []
        try:
            assert child.stdout is not None
            assert child.stdout.readline() == b"ready\n"
            first = RawClient(path)
            clients.append(first)
            negotiate(first)
            for _ in range(79):
                sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                sock.settimeout(TIMEOUT)
                sock.connect(path)  # queued in the backlog at worst
                waiting.append(sock)
            time.sleep(0.5)  # several accept retries
            # The first client is still served while the others wait.
            assert first.command(QUERY_VERSION).startswith(b'{"return": {"qemu": ')
            greeted = [s for s in waiting if _has_greeting(s, 0.05)]
            assert 20 < len(greeted) < 79
            for sock in greeted:
                sock.close()
            rest = [s for s in waiting if s not in greeted]
            for sock in rest:
                assert _has_greeting(sock, TIMEOUT)
            waiting = greeted + rest
        finally:
            for sock in waiting:
                sock.close()
            for client in clients:
                client.close()
            child.terminate()
            _, err = child.communicate(timeout=TIMEOUT)
        log = err.decode()
        assert "out of system resource" not in log
        assert "Traceback" not in log
        assert log.count("cannot accept connections") == 1, log
        assert log.count("accepting connections again") == 1, log


def _has_greeting(sock: socket.socket, timeout: float) -> bool:
    sock.settimeout(timeout)
    try:
        data = sock.recv(7)
    except TimeoutError:
        return False
    finally:
        sock.settimeout(TIMEOUT)
    assert data == b'{"QMP":'
    return True


def _wait(predicate: Callable[[], bool]) -> bool:
    deadline = time.monotonic() + TIMEOUT
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


#: The child of test_fd_exhaustion: a QMPServer limited to 64 file descriptors.
_FD_CHILD: Final = str(Path(__file__).resolve().parent.parent / "fd_limited_qmp.py")
