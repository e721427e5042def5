"""
``qom-py``: the object daemon, command-line compatible with ``qemu-storage-daemon`` 7.2.

Start-up, in qsd's order:

1. the whole command line is split into options (``getopt``): an unknown option or
   a missing argument is reported before anything happens; ``--help`` and
   ``--version`` print and exit 0;
2. with ``--daemonize`` the process forks; the parent exits once start-up is done;
3. the main thread's asyncio loop becomes the main `AioContext`'s loop;
4. ``--object``, ``--chardev`` and ``--monitor`` (and ``--qmp``) take effect one
   by one, in command-line order; the first failure prints
   ``qom-py: --object STR: MESSAGE`` (plus QEMU's hint line, if any) and exits 1;
5. the pid file is written; the daemon serves until QMP ``quit``, SIGTERM or SIGINT.

Every exit path stops the servers (removing their unix sockets), deletes every
object (joining iothreads and pool workers), stops the main context's pool and
removes the pid file.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
import signal
import sys
from collections.abc import Sequence
from typing import IO, Final

from ._cmdline import ChardevSpec, CmdlineError, MonitorSpec, Option, getopt, parse_chardev, parse_monitor, parse_qmp_shorthand
from ._registry import default_registry
from ._user_creatable import object_option_parse
from .errors import QOMError
from .loop import adopt_main_loop, reset_main_aio_context
from .qmp import Dispatcher, QMPServer

__all__ = ["HELP", "PROGRAM", "main"]

PROGRAM: Final = "qom-py"

HELP: Final = """\
Usage: qom-py [options]
QEMU Object Model daemon (qemu-storage-daemon compatible)

  -h, --help             display this help and exit
  -V, --version          output version information and exit

  --chardev socket,id=<id>,path=<path>,server=on,wait=off
  --chardev socket,id=<id>,host=<host>,port=<port>,server=on,wait=off
                         configure a listening socket for a monitor

  --daemonize            daemonize the process, and have the parent exit
                         once startup is complete

  --monitor [chardev=]name[,mode=control][,pretty[=on|off]]
                         configure a QMP monitor

  --object help          list object types that can be added
  --object <type>,help   list properties for the given object type
  --object <type>[,<property>=<value>...]
                         create a new object of type <type>, setting
                         properties in schema order (the min/max pair is
                         checked as a pair). Note that the 'id' property
                         must be set. JSON ('{"qom-type": ...}') works too.
  -object ...            the same as --object

  --pidfile <path>       write process ID to a file after startup

  --qmp unix:<path>[,server=on][,wait=off][,pretty=on]
  --qmp tcp:<host>:<port>[,server=on][,wait=off][,pretty=on]
                         shorthand for a --chardev socket and a --monitor on it

qom-py hosts the QOM types iothread and main-loop (and user-registered types);
block devices, exports and the NBD server of qemu-storage-daemon are not hosted.
"""


def _version() -> str:
    from . import __version__

    return (
        f"{PROGRAM} version {__version__} (QEMU 7.2 compatible)\n"
        "QEMU's object model and qemu-storage-daemon's command line, in Python\n"
    )


class StartupError(Exception):
    """A start-up failure: *text* is printed after ``qom-py: ``, exit status 1."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text


def _located(opt: Option, err: QOMError) -> StartupError:
    text = f"{opt.spelled} {opt.value}: {err}"
    if err.hint:
        text += "\n" + err.hint
    return StartupError(text)


class Daemon:
    """One run of ``qom-py``: its loop, chardevs, monitors, pid file; and their cleanup."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.dispatcher = Dispatcher()
        self.server = QMPServer(self.dispatcher)
        self.chardevs: dict[str, ChardevSpec] = {}
        self.pidfile: str | None = None
        self._pidfile_fd: int | None = None
        self.shutdown = asyncio.Event()
        from .qmp import register_qom_commands

        register_qom_commands(self.dispatcher)
        self.dispatcher.on_quit = self.shutdown.set

    # -- start-up --------------------------------------------------------------

    def apply(self, opt: Option, index: int) -> None:
        """Carry out one option (objects, chardevs, monitors), or raise `StartupError`."""
        try:
            if opt.name == "object":
                assert opt.value is not None
                if object_option_parse(opt.value) is None:  # help was printed
                    raise _HelpPrinted
            elif opt.name == "chardev":
                assert opt.value is not None
                spec = parse_chardev(opt.value)
                if spec.id in self.chardevs:
                    msg = f"Duplicate ID '{spec.id}' for chardev"
                    raise QOMError(msg)
                self.chardevs[spec.id] = spec
            elif opt.name == "monitor":
                assert opt.value is not None
                monitor = parse_monitor(opt.value)
                chardev = self.chardevs.get(monitor.chardev)
                if chardev is None:
                    msg = f'chardev "{monitor.chardev}" not found'
                    raise QOMError(msg)
                if monitor.mode != "control":
                    raise QOMError("Only QMP is supported")
                self._listen(chardev, monitor)
            elif opt.name == "qmp":
                assert opt.value is not None
                chardev, monitor = parse_qmp_shorthand(opt.value, index)
                self._listen(chardev, monitor)
            elif opt.name in ("blockdev", "export", "nbd-server", "trace"):
                msg = f"{opt.spelled} is not supported by qom-py (it hosts QOM objects, not block devices)"
                raise QOMError(msg)
        except QOMError as err:
            raise _located(opt, err) from None

    def _listen(self, chardev: ChardevSpec, monitor: MonitorSpec) -> None:
        try:
            if chardev.path is not None:
                coro = self.server.listen_unix(chardev.path, pretty=monitor.pretty)
            else:
                assert chardev.host is not None and chardev.port is not None
                coro = self.server.listen_tcp(chardev.host, chardev.port, pretty=monitor.pretty)
            self.loop.run_until_complete(coro)
        except OSError as exc:
            where = chardev.path or f"{chardev.host}:{chardev.port}"
            msg = f"Failed to bind socket to {where}: {exc.strerror or exc}"
            raise QOMError(msg) from None

    def write_pidfile(self, path: str) -> None:
        """Write and lock the pid file (mode 0600), as qsd does."""
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
        except OSError as exc:
            msg = f"Cannot open pid file: {exc.strerror}"
            raise StartupError(msg) from None
        try:
            fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            os.close(fd)
            msg = f"Cannot lock pid file: {exc.strerror}"
            raise StartupError(msg) from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self.pidfile = path
        self._pidfile_fd = fd

    # -- running ----------------------------------------------------------------

    def serve(self) -> None:
        """Run until QMP ``quit``, SIGTERM or SIGINT."""
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            self.loop.add_signal_handler(sig, self.shutdown.set)
        try:
            self.loop.run_until_complete(self.shutdown.wait())
        finally:
            for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
                self.loop.remove_signal_handler(sig)

    def cleanup(self) -> None:
        """Stop serving, delete every object, stop the pools, remove files."""
        with contextlib.suppress(Exception):
            self.loop.run_until_complete(self.server.close())
        objects = default_registry.objects_root
        for name, _ in list(objects.children()):
            with contextlib.suppress(Exception):
                objects.property_del(name)
        with contextlib.suppress(Exception):
            reset_main_aio_context()
        if self.pidfile is not None:
            with contextlib.suppress(OSError):
                os.unlink(self.pidfile)
            if self._pidfile_fd is not None:
                os.close(self._pidfile_fd)
            self.pidfile = None


class _HelpPrinted(Exception):
    """``--object help`` printed its text: exit 0 after cleanup."""


def _daemonize() -> IO[bytes] | None:
    """
    Fork; the parent waits for the child's start-up verdict and exits with it.

    Returns:
        in the child, the pipe to report success on (write one byte, then close).
    """
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid > 0:
        os.close(write_fd)
        with os.fdopen(read_fd, "rb") as pipe:
            verdict = pipe.read(1)
        if verdict == b"\0":
            os._exit(0)
        _, status = os.waitpid(pid, 0)
        os._exit(os.waitstatus_to_exitcode(status) or 1)
    os.close(read_fd)
    os.setsid()
    return os.fdopen(write_fd, "wb")


def _detach_stdio() -> None:
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    os.close(devnull)


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``qom-py`` with *argv* (default: ``sys.argv[1:]``); return the exit status."""
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        options = getopt(args)
    except CmdlineError as err:
        print(f"{PROGRAM}: {err}", file=sys.stderr)
        return 1
    for opt in options:
        if opt.name == "help":
            print(HELP, end="")
            return 0
        if opt.name == "version":
            print(_version(), end="")
            return 0
    daemon_pipe = _daemonize() if any(o.name == "daemonize" for o in options) else None
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    adopt_main_loop(loop)
    daemon = Daemon(loop)
    try:
        try:
            for index, opt in enumerate(options):
                daemon.apply(opt, index)
            pidfiles = [o.value for o in options if o.name == "pidfile" and o.value is not None]
            if pidfiles:
                daemon.write_pidfile(pidfiles[-1])
        except _HelpPrinted:
            return 0
        except StartupError as err:
            print(f"{PROGRAM}: {err.text}", file=sys.stderr)
            return 1
        if daemon_pipe is not None:
            daemon_pipe.write(b"\0")
            daemon_pipe.close()
            daemon_pipe = None
            _detach_stdio()
        daemon.serve()
        return 0
    finally:
        daemon.cleanup()
        asyncio.set_event_loop(None)
        loop.close()
        if daemon_pipe is not None:
            daemon_pipe.close()
