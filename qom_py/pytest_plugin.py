"""
The qom_py pytest plugin, loaded by pytest through the ``pytest11`` entry point once qom-py is installed.

Fixtures:

* ``qmp`` -- an in-process QMP client (`qom_py.qmp.InProcessQMP`) on this process's
  object model; after the test every object is deleted, the types registered
  since the test's set-up began (by the test or its fixtures) are forgotten
  (those registered before, by imports, ``conftest.py`` or plugins, are kept)
  and the main-loop singleton is cleared (`qom_py.testing.reset`).
* ``qom_daemon`` -- a ``qom-py`` subprocess started for the test, with a QMP monitor
  on a unix socket (`QOMDaemon.socket_path`, `QOMDaemon.pid`); stopped after the
  test (SIGTERM, then SIGKILL if it does not exit in time) and its files removed.
  Per-test options come from the marker ``@pytest.mark.qom_daemon(args=[...])``.

A local fixture of the same name (in a ``conftest.py``) overrides these, as usual.
This module imports only pytest and the standard library at load time, so the
plugin costs nothing in test runs that do not use it.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Final

import pytest

if TYPE_CHECKING:
    from .qmp import InProcessQMP

__all__ = ["DEFAULT_TIMEOUT", "QOMDaemon", "qmp", "qom_daemon"]

#: Seconds to wait for the daemon's socket at start and for its exit at the end.
DEFAULT_TIMEOUT: Final = 10.0
#: The chardev id of the fixture's monitor.
MONITOR_ID: Final = "qom-daemon"
#: Unix socket paths longer than this do not fit ``sun_path`` (108 bytes with the NUL).
_MAX_SOCKET_PATH: Final = 100

_MARKER_HELP: Final = (
    "qom_daemon(args=(), *, timeout=10.0, env=None): options for the qom_daemon fixture: extra qom-py "
    "command-line arguments ('{tmp}' stands for the daemon's directory), the start/stop timeout, "
    "environment variables to add"
)


#: The QOM types registered when a test's set-up began (absent: qom_py was not imported yet).
_TYPES_BEFORE: Final = pytest.StashKey[frozenset[str]]()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", _MARKER_HELP)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """Note the types registered before the test's fixtures run: the ones ``qmp`` keeps."""
    # Without qom_py imported nobody registered a type yet (and the plugin imports nothing).
    if "qom_py.testing" in sys.modules:
        from .testing import registered_type_names

        item.stash[_TYPES_BEFORE] = registered_type_names()


@pytest.fixture
def qmp(request: pytest.FixtureRequest) -> Iterator[InProcessQMP]:
    """An in-process QMP client; after the test, the objects and the types the test registered are gone."""
    import qom_py.testing

    # Registered during the test's set-up (by its fixtures, whatever their order) counts as the test's.
    before = request.node.stash.get(_TYPES_BEFORE, frozenset())
    client = qom_py.testing.qmp_client()
    try:
        yield client
    finally:
        client.close()
        qom_py.testing.reset(keep=before)


class QOMDaemon:
    """A running ``qom-py`` for one test: its process, monitor socket and directory."""

    def __init__(
        self,
        proc: subprocess.Popen[bytes],
        argv: list[str],
        directory: Path,
        socket_path: Path,
        stderr_path: Path,
        timeout: float,
    ) -> None:
        self.proc = proc
        #: The full command line.
        self.argv = argv
        #: The daemon's directory (``{tmp}`` in marker arguments).
        self.directory = directory
        #: The QMP monitor's unix socket (a `str`, as socket APIs take it).
        self.socket_path = str(socket_path)
        self._stderr_path = stderr_path
        self.timeout = timeout

    def __repr__(self) -> str:
        state = "running" if self.proc.poll() is None else f"exited {self.proc.returncode}"
        return f"<QOMDaemon pid={self.pid} {state} socket={self.socket_path!r}>"

    @property
    def pid(self) -> int:
        """The daemon's process id."""
        return self.proc.pid

    @property
    def returncode(self) -> int | None:
        """The exit status once the daemon has exited, else None."""
        return self.proc.poll()

    def stderr(self) -> str:
        """What the daemon wrote to stderr so far."""
        return self._stderr_path.read_text(errors="replace")

    def stop(self, timeout: float | None = None) -> int:
        """SIGTERM the daemon and wait for it (SIGKILL after *timeout*); return its exit status."""
        wait = self.timeout if timeout is None else timeout
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(wait)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(wait)
        return self.proc.returncode


def _child_env(extra: Mapping[str, str] | None) -> dict[str, str]:
    """Our environment, so the child imports the very qom_py this process runs (also from a checkout)."""
    import qom_py

    env = dict(os.environ)
    root = Path(qom_py.__file__).resolve().parent.parent
    if (root / "pyproject.toml").exists():
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(root), env.get("PYTHONPATH", "")]))
    env.update(extra or {})
    return env


def _start(args: Sequence[str], directory: Path, timeout: float, env: Mapping[str, str] | None) -> QOMDaemon:
    socket_path = directory / "qmp.sock"
    stderr_path = directory / "stderr"
    argv = [
        sys.executable, "-m", "qom_py",
        "--chardev", f"socket,id={MONITOR_ID},path={socket_path},server=on,wait=off",
        "--monitor", MONITOR_ID,
        *(str(a).replace("{tmp}", str(directory)) for a in args),
    ]  # fmt: skip
    with stderr_path.open("wb") as err:
        proc = subprocess.Popen(
            argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err, env=_child_env(env)
        )
    daemon = QOMDaemon(proc, argv, directory, socket_path, stderr_path, timeout)
    # The socket exists before the --object options are processed, so its presence
    # does not mean start-up succeeded: the daemon is ready once it sends a greeting
    # (it serves only after start-up; a failed start-up closes the socket).
    deadline = time.monotonic() + timeout
    while not _greets(socket_path, deadline):
        if proc.poll() is not None:
            pytest.fail(
                f"qom-py exited with status {proc.returncode} at start-up: {daemon.stderr().strip()}", pytrace=False
            )
        if time.monotonic() >= deadline:
            daemon.stop()
            pytest.fail(
                f"qom-py did not greet on its QMP socket within {timeout} s: {daemon.stderr().strip()}", pytrace=False
            )
        time.sleep(0.01)
    return daemon


def _greets(path: Path, deadline: float) -> bool:
    """Whether a QMP greeting arrives on the unix socket *path* (by *deadline*)."""
    received = b""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        try:
            sock.settimeout(max(0.01, deadline - time.monotonic()))
            sock.connect(str(path))
            while b"\n" not in received:
                chunk = sock.recv(4096)
                if not chunk:
                    return False
                received += chunk
        except OSError:  # not there yet, refused, reset, or timed out
            return False
    return received.startswith(b'{"QMP"')


@pytest.fixture
def qom_daemon(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[QOMDaemon]:
    """A ``qom-py`` with a QMP monitor on a unix socket, stopped and cleaned up after the test."""
    marker = request.node.get_closest_marker("qom_daemon")
    args: Sequence[str] = ()
    timeout = DEFAULT_TIMEOUT
    env: Mapping[str, str] | None = None
    if marker is not None:
        args = marker.kwargs.get("args", marker.args[0] if marker.args else ())
        timeout = float(marker.kwargs.get("timeout", DEFAULT_TIMEOUT))
        env = marker.kwargs.get("env")
    short: str | None = None
    directory = tmp_path
    if len(str(tmp_path / "qmp.sock")) > _MAX_SOCKET_PATH:
        short = tempfile.mkdtemp(prefix="qom")
        directory = Path(short)
    try:
        daemon = _start(args, directory, timeout, env)
        try:
            yield daemon
        finally:
            daemon.stop()
    finally:
        if short is not None:
            shutil.rmtree(short, ignore_errors=True)
