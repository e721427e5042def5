"""
The ``qom-py`` daemon under issue #13's conditions: a second start, argv bytes, big requests.

Each test starts its daemons as subprocesses with unix sockets in a short tmp dir
and waits with timeouts; qemu-storage-daemon is compared where it is installed.
"""

from __future__ import annotations

import os
import socket
import subprocess
import threading
import time

import pytest

from qom_py.qmp._commands import MAX_LIST_GET_REPLY
from tests.daemon import QOM_PY, QSD, TIMEOUT, child_env, running

PID_LOCKED = b"cannot create PID file: Cannot lock pid file: Resource temporarily unavailable\n"


def test_second_start_keeps_the_socket() -> None:
    """A second qom-py with the same command line fails on the pid file and leaves the first one's socket alone."""
    with running(["--pidfile", "{tmp}/pid"]) as daemon:
        before = os.stat(daemon.socket_path).st_ino
        argv = [*daemon.argv]
        second = subprocess.run(argv, capture_output=True, timeout=TIMEOUT, env=child_env(), check=False)
        assert second.returncode == 1
        assert second.stderr == b"qom-py: " + PID_LOCKED
        assert os.stat(daemon.socket_path).st_ino == before
        with daemon.connect() as client:
            assert client.command("query-version")["qemu"] == {"major": 7, "minor": 2, "micro": 0}
        with open(daemon.path("pid")) as pid_file:
            assert pid_file.read() == f"{daemon.pid}\n"


def test_live_socket_is_not_replaced() -> None:
    """Without a pid file, binding a socket a live daemon answers on fails with QEMU's bind message."""
    with running() as daemon:
        before = os.stat(daemon.socket_path).st_ino
        argv = [*QOM_PY, "--chardev", f"socket,id=m,path={daemon.socket_path},server=on,wait=off", "--monitor", "m"]
        second = subprocess.run(argv, capture_output=True, timeout=TIMEOUT, env=child_env(), check=False)
        assert second.returncode == 1
        assert second.stderr == (
            f"qom-py: --monitor m: Failed to bind socket to {daemon.socket_path}: Address already in use\n".encode()
        )
        assert os.stat(daemon.socket_path).st_ino == before
        with daemon.connect() as client:
            client.command("query-version")


@pytest.mark.skipif(QSD is None, reason="qemu-storage-daemon is not installed")
def test_qsd_pid_file_wording() -> None:
    """qsd 7.2 words the locked pid file the same way (it replaces the socket first, which qom-py does not)."""
    assert QSD is not None
    with running(["--pidfile", "{tmp}/pid"], program=[QSD], check=False) as daemon:
        argv = [QSD, *daemon.argv[1:]]
        second = subprocess.run(argv, capture_output=True, timeout=TIMEOUT, check=False)
        assert second.returncode == 1
        assert second.stderr == b"qemu-storage-daemon: " + PID_LOCKED
        # The second qsd replaced the socket before it failed: no `quit` can reach the first one.
        daemon.proc.terminate()
        daemon.wait(TIMEOUT)


ARGV_BYTES = [
    b"iothread,id=a\xffb",
    b"nosuch\xe9,id=x",
    b'{"qom-type":"iothread","id":"\xff"}',
    b"iothread,id=x,\xe9=1",
    b'{"qom-type":"iothread","id":"x","\xe9":1}',
    b"iothread,id=x,poll-max-ns=1\xe9",
]
EXPECTED = [
    b"--object iothread,id=a\xffb: Parameter 'id' expects an identifier\n"
    b"Identifiers consist of letters, digits, '-', '.', '_', starting with a letter.\n",
    b"--object nosuch\xe9,id=x: Parameter 'qom-type' does not accept value 'nosuch\xe9'\n",
    b'--object {"qom-type":"iothread","id":"\xff"}: JSON parse error, stray \'"\xff\'\n',
    b"--object iothread,id=x,\xe9=1: Invalid parameter '\xe9'\n",
    b'--object {"qom-type":"iothread","id":"x","\xe9":1}: JSON parse error, invalid UTF-8 sequence in string\n',
    b"--object iothread,id=x,poll-max-ns=1\xe9: Parameter 'poll-max-ns' expects integer\n",
]


@pytest.mark.parametrize(("arg", "expected"), list(zip(ARGV_BYTES, EXPECTED, strict=True)))
def test_argv_bytes_echoed(arg: bytes, expected: bytes) -> None:
    """Bytes that are not UTF-8 in --object come back in the error as the same bytes (as qsd prints them)."""
    argv = [os.fsencode(a) for a in QOM_PY] + [b"--object", arg]
    result = subprocess.run(argv, capture_output=True, timeout=TIMEOUT, env=child_env(), check=False)
    assert result.returncode == 1
    assert result.stderr == b"qom-py: " + expected
    if QSD is not None:
        qsd = subprocess.run([os.fsencode(QSD), b"--object", arg], capture_output=True, timeout=TIMEOUT, check=False)
        assert qsd.stderr == b"qemu-storage-daemon: " + expected


def test_list_get_amplification() -> None:
    """qom-list-get of 100k copies of a path is refused with a GenericError, and others are answered meanwhile."""
    with running(["--object", "iothread,id=io0"]) as daemon:
        with daemon.connect() as big, daemon.connect() as bystander:
            times: list[float] = []
            done = threading.Event()

            def measure() -> None:
                while not done.is_set() and len(times) < 500:
                    start = time.perf_counter()
                    bystander.command("query-version")
                    times.append(time.perf_counter() - start)

            thread = threading.Thread(target=measure, name="bystander")
            thread.start()
            try:
                reply = big.request("qom-list-get", {"paths": ["/objects/io0"] * 100_000})
            finally:
                done.set()
                thread.join(TIMEOUT)
            assert not thread.is_alive()
            assert reply == {
                "error": {
                    "class": "GenericError",
                    "desc": f"Parameter 'paths' expects fewer paths: the reply would exceed {MAX_LIST_GET_REPLY} bytes",
                }
            }
            assert times and max(times) < 1.0, sorted(times)[-5:]  # before: ~5 s
            small = big.command("qom-list-get", paths=["/objects/io0", "/objects", "/objects/io0"])
            assert small[0] == small[2]
            assert {"name": "io0", "type": "child<iothread>", "value": "/objects/io0"} in small[1]["properties"]


def test_max_clients_option() -> None:
    """--monitor ...,max-clients=1 serves one client; the next gets an error line and EOF."""
    with running(
        monitor=False,
        argv=["--chardev", "socket,id=m,path={sock},server=on,wait=off", "--monitor", "m,max-clients=1"],
        wait_for_socket="{sock}",
    ) as daemon:
        with daemon.connect():
            extra = connect_unix_raw(daemon.socket_path)
            assert extra == (
                b'{"error": {"class": "GenericError", "desc": "Too many clients on this QMP monitor '
                b'(at most 1); try again later"}}\r\n'
            )


def connect_unix_raw(path: str) -> bytes:
    """Connect to *path* and read until EOF."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(TIMEOUT)
        sock.connect(path)
        data = b""
        while chunk := sock.recv(4096):
            data += chunk
        return data
