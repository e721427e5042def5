"""
The test harness itself (`tests/daemon.py`): what its QMP reader takes for a reply.

qemu-storage-daemon 7.2 can greet a connection twice during its start-up (see
`QMPConnection`); the reader must never take the second greeting for a reply,
however the bytes are split, and qom-py must never send one.
"""

from __future__ import annotations

import json
import socket
import threading

import pytest

from tests.daemon import QMPConnection, running

_GREETING = {"QMP": {"version": {"qemu": {"micro": 0, "minor": 2, "major": 7}, "package": ""}, "capabilities": ["oob"]}}


def _serve(server: socket.socket, chunks: list[bytes]) -> None:
    # Send the chunks once the client's command has arrived (as qsd answers it).
    server.sendall(chunks[0])
    server.settimeout(5)
    server.recv(65536)
    for chunk in chunks[1:]:
        server.sendall(chunk)


@pytest.mark.parametrize("split", [False, True], ids=["whole", "split"])
def test_repeated_greeting_is_not_a_reply(split: bool) -> None:
    """A second greeting before the reply is kept apart, not returned by `read_reply`."""
    greeting = json.dumps(_GREETING).encode() + b"\r\n"
    reply = b'{"return": {}}\r\n'
    event = b'{"event": "X", "timestamp": {"seconds": 1, "microseconds": 2}, "data": {}}\r\n'
    tail = greeting + event + reply
    chunks = [greeting, tail[:7], tail[7:]] if split else [greeting, tail]
    client_sock, server_sock = socket.socketpair()
    with client_sock, server_sock:
        thread = threading.Thread(target=_serve, args=(server_sock, chunks))
        thread.start()
        try:
            conn = QMPConnection(client_sock, timeout=5)
            conn.negotiate()
        finally:
            thread.join(5)
        assert not thread.is_alive()
        assert conn.greeting == _GREETING
        assert conn.repeated_greetings == [_GREETING]
        assert [e["event"] for e in conn.events] == ["X"]


def test_qom_py_greets_once() -> None:
    """qom-py greets each connection exactly once (`Daemon.stop` checks it on every run)."""
    with running() as daemon:
        conns = [daemon.connect() for _ in range(3)]
        for conn in conns:
            assert conn.command("qom-get", path="/", property="type") == "container"
            assert conn.repeated_greetings == []
