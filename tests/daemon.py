"""
Run ``qom-py`` (or ``qemu-storage-daemon``) as a subprocess for end-to-end tests.

Not a test module: `running` starts a daemon with a QMP monitor on a unix socket
in a short temporary directory, waits for the socket, yields a `Daemon` handle
and stops the daemon on exit (QMP ``quit``, else SIGTERM, else SIGKILL), checking
that it exited 0 and removed its socket.  `QMPConnection` is a raw-socket QMP
client that can also send malformed input; `run` runs a daemon that is expected
to exit by itself (help, version, start-up errors).  `normalize` and `reply_key`
implement tests/data/vectors.json's comparison rules.

Every blocking wait here has a timeout (`TIMEOUT`).
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, Final

import qom_py

__all__ = [
    "MONITOR_ID",
    "QOM_PY",
    "QSD",
    "TIMEOUT",
    "Daemon",
    "DaemonStartupError",
    "Finished",
    "QMPConnection",
    "child_env",
    "connect_tcp",
    "connect_unix",
    "free_tcp_port",
    "monitor_args",
    "normalize",
    "pid_alive",
    "reply_key",
    "run",
    "running",
    "short_tmpdir",
    "wait_for",
]

#: Upper bound for any single blocking wait (start-up, a reply, an exit).
TIMEOUT: Final = 10.0
#: How ``qom-py`` is started (the module resolves whether installed or not).
QOM_PY: Final = (sys.executable, "-m", "qom_py")
#: The real ``qemu-storage-daemon``, when installed (differential tests).
QSD: Final = shutil.which("qemu-storage-daemon")
#: Chardev id of the monitor that `running` adds.
MONITOR_ID: Final = "qpmon"


def short_tmpdir() -> str:
    """A fresh directory under /tmp with a short name (unix socket paths < 108 bytes)."""
    return tempfile.mkdtemp(prefix="qp", dir="/tmp")


def child_env() -> dict[str, str]:
    """
    The environment for a daemon subprocess: ours, with ``PYTHONPATH`` made absolute.

    When the ``qom_py`` under test comes from a source checkout (not installed), its
    directory goes first, so the child runs the very code the tests imported.
    """
    env = dict(os.environ)
    entries = [os.path.abspath(p) for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
    root = Path(qom_py.__file__).resolve().parent.parent
    if (root / "pyproject.toml").exists() and str(root) not in entries:
        entries.insert(0, str(root))
    if entries:
        env["PYTHONPATH"] = os.pathsep.join(entries)
    env.pop("QMP_SOCKET", None)
    return env


def monitor_args(path: str, *, pretty: bool = False, chardev_id: str = MONITOR_ID) -> list[str]:
    """qsd-style options for a QMP monitor on the unix socket *path*."""
    monitor = f"{chardev_id},pretty=on" if pretty else chardev_id
    return ["--chardev", f"socket,id={chardev_id},path={path},server=on,wait=off", "--monitor", monitor]


def free_tcp_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(predicate: Callable[[], object], timeout: float = TIMEOUT, interval: float = 0.01) -> bool:
    """Poll *predicate* until it is true or *timeout* seconds have passed; return it."""
    deadline = time.monotonic() + timeout
    while True:
        if predicate():
            return True
        if time.monotonic() >= deadline:
            return bool(predicate())
        time.sleep(interval)


def pid_alive(pid: int) -> bool:
    """Whether process *pid* exists and is not a zombie (it may not be our child)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as f:
            stat = f.read()
    except FileNotFoundError:
        return False
    # "pid (comm) S ...": the state follows the last ')'.
    return stat.rpartition(")")[2].split()[0] not in ("Z", "X")


# ---------------------------------------------------------------------------
# A raw QMP client.
# ---------------------------------------------------------------------------
class QMPConnection:
    """
    One QMP client on a socket: raw bytes in and out, JSON values parsed as a stream.

    Events are kept apart in `events`; every byte received is kept in `raw`.

    A greeting after the first is kept apart too, in `repeated_greetings`, and is
    never taken for a reply: qemu-storage-daemon 7.2 greets twice when a client's
    connection is accepted by the main loop while the monitor's I/O thread is
    still installing its handlers (the main thread's ``CHR_EVENT_OPENED`` and the
    handler set-up's "already open" replay both send one).  That race, under load,
    once made `negotiate` read the second greeting as ``qmp_capabilities``'s reply.
    qom-py must never greet twice: `Daemon.stop` checks it.
    """

    def __init__(self, sock: socket.socket, timeout: float = TIMEOUT) -> None:
        self.sock = sock
        self.timeout = timeout
        #: Every byte received so far.
        self.raw = bytearray()
        #: Events received so far (messages with an ``event`` member), in order.
        self.events: list[dict[str, Any]] = []
        self._buffer = ""
        self._pending = bytearray()
        self._decoder = json.JSONDecoder()
        self._eof = False
        #: Greetings received after the first (qsd's start-up race; see the class).
        self.repeated_greetings: list[dict[str, Any]] = []
        sock.settimeout(timeout)
        #: The greeting (the first message).
        self.greeting: dict[str, Any] = self.read_message()

    # -- transport ---------------------------------------------------------

    def send_raw(self, data: bytes | str) -> None:
        """Send *data* as is."""
        self.sock.sendall(data.encode() if isinstance(data, str) else data)

    def send(self, message: dict[str, Any]) -> None:
        """Send one JSON object (no newline, as the ``qemu.qmp`` client does)."""
        self.send_raw(json.dumps(message))

    def _fill(self, deadline: float) -> bool:
        """Receive more bytes; False at end of stream."""
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            msg = f"no complete QMP message within {self.timeout} s; got {bytes(self.raw)[-500:]!r}"
            raise TimeoutError(msg)
        self.sock.settimeout(remaining)
        try:
            data = self.sock.recv(65536)
        except TimeoutError:
            msg = f"no complete QMP message within {self.timeout} s; got {bytes(self.raw)[-500:]!r}"
            raise TimeoutError(msg) from None
        except ConnectionResetError:
            data = b""
        if not data:
            self._eof = True
            return False
        self.raw += data
        self._pending += data
        try:
            self._buffer += self._pending.decode()
            self._pending.clear()
        except UnicodeDecodeError:
            pass  # a multi-byte character split between reads: wait for the rest
        return True

    def read_message(self) -> dict[str, Any]:
        """
        The next JSON value received (event or not).

        Raises:
            EOFError: the server closed the connection first.
            TimeoutError: nothing complete arrived within `timeout`.
        """
        deadline = time.monotonic() + self.timeout
        while True:
            self._buffer = self._buffer.lstrip()
            if self._buffer:
                try:
                    value, end = self._decoder.raw_decode(self._buffer)
                except json.JSONDecodeError:
                    pass  # incomplete: read more
                else:
                    self._buffer = self._buffer[end:]
                    assert isinstance(value, dict), value
                    return value
            if self._eof or not self._fill(deadline):
                msg = f"connection closed; unparsed: {self._buffer!r}"
                raise EOFError(msg)

    def _read_not_greeting(self) -> dict[str, Any]:
        """The next message that is not a repeated greeting (those go to `repeated_greetings`)."""
        while True:
            message = self.read_message()
            if "QMP" in message:
                self.repeated_greetings.append(message)
                continue
            return message

    def read_reply(self) -> dict[str, Any]:
        """The next reply: neither an event (events go to `events`) nor a repeated greeting."""
        while True:
            message = self._read_not_greeting()
            if "event" in message:
                self.events.append(message)
                continue
            return message

    def wait_event(self, name: str) -> dict[str, Any]:
        """Return the first event called *name*, reading further if needed."""
        while True:
            for event in self.events:
                if event["event"] == name:
                    return event
            message = self._read_not_greeting()
            if "event" not in message:
                msg = f"expected event {name}, got {message}"
                raise AssertionError(msg)
            self.events.append(message)

    def read_eof(self) -> None:
        """Wait until the server closes the connection (events are kept)."""
        deadline = time.monotonic() + self.timeout
        while not self._eof:
            self._fill(deadline)
        while True:
            try:
                message = self._read_not_greeting()
            except EOFError:
                return
            if "event" not in message:
                msg = f"unexpected message before end of stream: {message}"
                raise AssertionError(msg)
            self.events.append(message)

    # -- commands ----------------------------------------------------------

    def request(self, execute: str, arguments: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
        """Send one command (with optional ``arguments`` and ``id``) and return its reply."""
        message: dict[str, Any] = {"execute": execute}
        if arguments is not None:
            message["arguments"] = arguments
        message.update(extra)
        self.send(message)
        return self.read_reply()

    def command(self, execute: str, **arguments: Any) -> Any:
        """Run a command that must succeed (arguments by wire name via ``**{...}``); its return."""
        reply = self.request(execute, arguments or None)
        assert "return" in reply, f"{execute} {arguments}: {reply}"
        return reply["return"]

    def negotiate(self) -> None:
        """Send ``qmp_capabilities``; it must succeed."""
        reply = self.request("qmp_capabilities")
        assert reply == {"return": {}}, reply

    def replies_to(self, data: bytes | str | dict[str, Any]) -> list[dict[str, Any]]:
        """
        Every reply *data* (a command, or raw bytes) causes, however many there are.

        A sentinel with ``id`` ``"qp-sync"`` follows *data*; the replies up to the
        sentinel's are returned (events excluded).  The sentinel is
        ``qmp_capabilities``, which after negotiation only fails (and before it,
        negotiates: call this after `negotiate`).
        """
        if isinstance(data, dict):
            self.send(data)
        else:
            self.send_raw(data)
        self.send({"execute": "qmp_capabilities", "id": "qp-sync"})
        replies: list[dict[str, Any]] = []
        while True:
            reply = self.read_reply()
            if reply.get("id") == "qp-sync":
                assert "error" in reply, f"the sync command succeeded: not negotiated? {reply}"
                return replies
            replies.append(reply)

    def close(self) -> None:
        """Close the socket (idempotent)."""
        self.sock.close()

    def __enter__(self) -> QMPConnection:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def connect_unix(path: str, *, timeout: float = TIMEOUT, alive: Callable[[], bool] | None = None) -> QMPConnection:
    """
    Connect to the QMP socket *path*, retrying while it is not there yet.

    Args:
        alive: a callable; when it turns false the retries stop (the daemon died).
    """
    deadline = time.monotonic() + timeout
    while True:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(timeout)
        try:
            sock.connect(path)
        except OSError as exc:
            sock.close()
            if exc.errno not in (errno.ENOENT, errno.ECONNREFUSED, errno.EAGAIN):
                raise
            if time.monotonic() >= deadline or (alive is not None and not alive()):
                raise
            time.sleep(0.01)
            continue
        try:
            return QMPConnection(sock, timeout)
        except BaseException:
            sock.close()
            raise


def connect_tcp(host: str, port: int, *, timeout: float = TIMEOUT) -> QMPConnection:
    """Connect to QMP on TCP *host*:*port*."""
    sock = socket.create_connection((host, port), timeout=timeout)
    try:
        return QMPConnection(sock, timeout)
    except BaseException:
        sock.close()
        raise


# ---------------------------------------------------------------------------
# Running a daemon.
# ---------------------------------------------------------------------------
class DaemonStartupError(AssertionError):
    """The daemon exited before serving: *returncode* and *stderr* say how."""

    def __init__(self, argv: Sequence[str], returncode: int, stderr: str) -> None:
        super().__init__(argv, returncode, stderr)
        self.argv = list(argv)
        self.returncode = returncode
        self.stderr = stderr

    def __str__(self) -> str:
        return f"{self.argv} exited with {self.returncode}; stderr: {self.stderr!r}"


class Daemon:
    """A running daemon: its process, its tmp dir, its QMP socket and its output files."""

    def __init__(self, proc: subprocess.Popen[bytes], tmpdir: str, socket_path: str, argv: list[str]) -> None:
        #: The process.
        self.proc = proc
        #: The full command line.
        self.argv = argv
        #: The short temporary directory (removed afterwards).
        self.tmpdir = tmpdir
        #: The QMP unix socket.
        self.socket_path = socket_path
        self._connections: list[QMPConnection] = []

    @property
    def pid(self) -> int:
        return self.proc.pid

    def path(self, name: str) -> str:
        """A path in the daemon's tmp dir."""
        return os.path.join(self.tmpdir, name)

    def stdout(self) -> str:
        """What the daemon wrote to stdout so far."""
        return Path(self.path("stdout")).read_text(errors="replace")

    def stderr(self) -> str:
        """What the daemon wrote to stderr so far."""
        return Path(self.path("stderr")).read_text(errors="replace")

    def is_running(self) -> bool:
        return self.proc.poll() is None

    def connect(self, *, negotiate: bool = True, timeout: float = TIMEOUT) -> QMPConnection:
        """A new QMP connection (closed when the daemon is stopped)."""
        try:
            conn = connect_unix(self.socket_path, timeout=timeout, alive=self.is_running)
        except (OSError, EOFError) as exc:
            self._raise_if_exited(exc)
            raise
        self._connections.append(conn)
        if negotiate:
            # qsd greets from its monitor thread even while start-up goes on, so
            # a failing start-up may hang up only now.
            try:
                conn.negotiate()
            except (OSError, EOFError) as exc:
                self._raise_if_exited(exc)
                raise
        return conn

    def _raise_if_exited(self, cause: BaseException | None = None) -> None:
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(0.5)
        if self.proc.returncode is not None:
            raise DaemonStartupError(self.argv, self.proc.returncode, self.stderr()) from cause

    def wait(self, timeout: float = TIMEOUT) -> int:
        """Wait for the daemon to exit; kill it (and fail) if it does not in time."""
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout)
            msg = f"{self.argv} did not exit within {timeout} s (killed)"
            raise AssertionError(msg) from None

    def quit(self, timeout: float = TIMEOUT) -> bool:
        """Ask the daemon to ``quit`` over a fresh connection; False if that failed."""
        for conn in self._connections:
            conn.close()
        self._connections.clear()
        if not os.path.exists(self.socket_path):
            return False
        try:
            with connect_unix(self.socket_path, timeout=timeout, alive=self.is_running) as conn:
                conn.negotiate()
                reply = conn.request("quit")
                return reply == {"return": {}}
        except (OSError, EOFError, AssertionError):
            return False

    def stop(self, *, check: bool = True, timeout: float = TIMEOUT) -> None:
        """
        End the daemon (``quit``, else SIGTERM; SIGKILL after *timeout*).

        With *check*: it must exit 0, remove its socket and print no traceback, and
        qom-py must have greeted each connection once.
        """
        repeated = [g for conn in self._connections for g in conn.repeated_greetings]
        for conn in self._connections:
            conn.close()
        self._connections.clear()
        if self.is_running() and not self.quit(timeout):
            with contextlib.suppress(ProcessLookupError):
                self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.wait(timeout)
        except AssertionError:
            if check:
                raise
            return
        if check:
            assert rc == 0, f"{self.argv} exited with {rc}; stderr: {self.stderr()!r}"
            assert not os.path.exists(self.socket_path), f"socket left behind: {self.socket_path}"
            assert "Traceback" not in self.stderr(), self.stderr()
            if self.argv[: len(QOM_PY)] == list(QOM_PY):
                assert not repeated, f"qom-py greeted a connection more than once: {repeated}"


@contextlib.contextmanager
def running(
    argv: Sequence[str] = (),
    *,
    program: Sequence[str] = QOM_PY,
    monitor: bool = True,
    pretty: bool = False,
    socket_name: str = "qmp.sock",
    wait_for_socket: str | None = None,
    check: bool = True,
    timeout: float = TIMEOUT,
) -> Iterator[Daemon]:
    """
    Start *program* with *argv* and (unless not *monitor*) a QMP monitor first.

    In *argv*, ``{tmp}`` stands for the daemon's tmp dir and ``{sock}`` for
    `Daemon.socket_path` (say, for ``--qmp unix:{sock}``).  The monitor options come
    *before* *argv*, so the socket exists before any ``--object`` is created: a
    start-up failure must remove it again.  Waits (up to *timeout*) for the socket
    (or *wait_for_socket*, a path) to appear, then yields the `Daemon`.  On exit the daemon is stopped with `Daemon.stop` (checked
    unless the block raised or *check* is false) and the tmp dir removed.

    Raises:
        DaemonStartupError: the daemon exited before its socket appeared.
    """
    tmpdir = short_tmpdir()
    try:
        socket_path = os.path.join(tmpdir, socket_name)
        args = [a.replace("{sock}", socket_path).replace("{tmp}", tmpdir) for a in argv]
        full = [*program, *(monitor_args(socket_path, pretty=pretty) if monitor else ()), *args]
        with open(os.path.join(tmpdir, "stdout"), "wb") as out, open(os.path.join(tmpdir, "stderr"), "wb") as err:
            proc = subprocess.Popen(full, stdin=subprocess.DEVNULL, stdout=out, stderr=err, env=child_env())
        daemon = Daemon(proc, tmpdir, socket_path, full)
        try:
            target = wait_for_socket.replace("{sock}", socket_path) if wait_for_socket else None
            target = target or (socket_path if monitor else None)
            if target is not None:
                appeared = wait_for(lambda: os.path.exists(target) or proc.poll() is not None, timeout)
                if proc.poll() is not None:
                    daemon._raise_if_exited()
                assert appeared, f"{target} did not appear within {timeout} s"
        except BaseException:
            daemon.stop(check=False, timeout=timeout)
            raise
        try:
            yield daemon
        except BaseException:
            daemon.stop(check=False, timeout=timeout)
            raise
        daemon.stop(check=check, timeout=timeout)
    finally:
        shutil.rmtree(tmpdir, ignore_errors=True)


class Finished:
    """A daemon run that ended by itself: exit status, output, and what it left behind."""

    def __init__(self, returncode: int, stdout: str, stderr: str, leftovers: list[str], tmpdir: str) -> None:
        self.returncode = returncode
        self.stdout = stdout
        self.stderr = stderr
        #: Files left in the tmp dir besides our own stdout/stderr captures.
        self.leftovers = leftovers
        #: The tmp dir that ``{tmp}`` stood for (removed by now).
        self.tmpdir = tmpdir

    def __repr__(self) -> str:
        return f"Finished(rc={self.returncode}, stdout={self.stdout!r}, stderr={self.stderr!r}, leftovers={self.leftovers})"


def run(
    argv: Sequence[str],
    *,
    program: Sequence[str] = QOM_PY,
    monitor: bool = False,
    timeout: float = TIMEOUT,
) -> Finished:
    """
    Run *program* with *argv* (``{tmp}`` replaced by a short tmp dir) to its exit.

    With *monitor*, a QMP monitor on ``{tmp}/qmp.sock`` comes first.  Fails if it
    does not exit within *timeout* (it is killed).
    """
    tmpdir = short_tmpdir()
    try:
        args = [a.replace("{tmp}", tmpdir) for a in argv]
        if monitor:
            args = monitor_args(os.path.join(tmpdir, "qmp.sock")) + args
        capture = os.path.join(tmpdir, "captured")
        os.mkdir(capture)
        with open(os.path.join(capture, "stdout"), "w+b") as out, open(os.path.join(capture, "stderr"), "w+b") as err:
            proc = subprocess.Popen(
                [*program, *args], stdin=subprocess.DEVNULL, stdout=out, stderr=err, env=child_env()
            )
            try:
                rc = proc.wait(timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout)
                msg = f"{args} did not exit within {timeout} s (killed)"
                raise AssertionError(msg) from None
            out.seek(0)
            err.seek(0)
            stdout = out.read().decode(errors="replace")
            stderr = err.read().decode(errors="replace")
        leftovers = sorted(name for name in os.listdir(tmpdir) if name != "captured")
        return Finished(rc, stdout, stderr, leftovers, tmpdir)
    finally:
        shutil.rmtree(tmpdir, ignore_errors=True)


# ---------------------------------------------------------------------------
# Comparing replies (tests/data/vectors.json's rules).
# ---------------------------------------------------------------------------
_THREAD_ID: Final = "<thread-id>"


def normalize(value: Any) -> str:
    """
    A canonical text for a QMP value: lists as multisets, any positive ``thread-id``.

    ``true`` and ``1`` stay different (JSON text, not Python equality).
    """

    def walk(v: Any) -> Any:
        if isinstance(v, dict):
            out = {}
            for key, item in v.items():
                if key == "thread-id":
                    assert type(item) is int and item > 0, f"thread-id {item!r} is not a positive integer"
                    out[key] = _THREAD_ID
                else:
                    out[key] = walk(item)
            return out
        if isinstance(v, list):
            return sorted((walk(item) for item in v), key=lambda x: json.dumps(x, sort_keys=True))
        return v

    return json.dumps(walk(value), sort_keys=True)


def reply_key(reply: dict[str, Any]) -> tuple[str, str, str]:
    """
    What must match between two replies: the echoed ``id``, and the ``error``'s
    class and desc or the normalized ``return``.
    """
    echoed = json.dumps(reply.get("id", "<no id>"))
    if "error" in reply:
        return ("error", json.dumps([reply["error"].get("class"), reply["error"].get("desc")]), echoed)
    assert "return" in reply, reply
    return ("return", normalize(reply["return"]), echoed)
