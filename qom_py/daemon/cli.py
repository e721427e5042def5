"""
``qom-py``: the object daemon, command-line compatible with ``qemu-storage-daemon`` 7.2.

Start-up, in qsd's order:

1. the whole command line is split into options (``iter_options``), in order: an
   unknown option or a missing argument is reported before anything happens;
   ``--help`` and ``--version`` print and exit 0 (the first of these wins); an
   ``--object`` help request that takes effect before any other object, chardev or
   monitor is served after the plugins are loaded, without an event loop or QMP;
2. with ``--daemonize`` the process forks; the parent exits once start-up is done;
3. the main thread's asyncio loop becomes the main `AioContext`'s loop;
4. the plugins are loaded: every entry point of the group ``qom_py.plugins``, then
   each ``--plugin MODULE`` in command-line order -- all of them before any
   ``--object``, wherever ``--plugin`` is written (`qom_py.daemon._plugins`);
5. ``--object``, ``--chardev`` and ``--monitor`` (and ``--qmp``) take effect one
   by one, in command-line order (a stray word there is ``X: Unexpected
   argument``); the first failure prints
   ``qom-py: --object STR: MESSAGE`` (plus QEMU's hint line, if any) and exits 1;
6. the pid file is written (locked and written before the first socket is bound,
   so a second instance never touches the first one's socket); with ``-v`` a
   start-up summary is logged; the daemon serves until QMP ``quit``, SIGTERM, SIGINT or SIGHUP.

Logging (the ``qom_py`` logger) goes to stderr in QEMU's ``error_report`` form:
quiet by default as qsd is (errors and warnings only), ``-v`` adds ``info:`` and
``debug:`` lines and tracebacks.

Every exit path stops the servers (removing their unix sockets), deletes every
object (joining iothreads and pool workers), stops the main context's pool and
removes the pid file.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import signal
import sys
import time
from collections.abc import Iterator, Sequence
from typing import IO, TYPE_CHECKING, Final

from .._gc_pause import GCPause
from .._log import blamed, logger
from ..errors import PropertyCallbackError, QOMError
from ..qapi._keyval import keyval_parse_with_help
from ..qom._registry import default_registry
from ..qom._user_creatable import object_option_parse
from ._chardev import chardev_socket_add, chardevs_remove
from ._cmdline import (
    ARGUMENT,
    ChardevSpec,
    CmdlineError,
    MonitorSpec,
    Option,
    iter_options,
    message_bytes,
    parse_chardev,
    parse_monitor,
    parse_qmp_shorthand,
)
from ._plugins import PluginError, PluginInterrupted, interruptible, load_entry_points, load_module

if TYPE_CHECKING:
    import asyncio

# asyncio, the event loops and QMP are imported by `_run` once it is clear the daemon
# runs: ``--help``, ``--version`` and ``--object help`` need none of them.

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

  --monitor [chardev=]name[,mode=control][,pretty[=on|off]][,max-clients=N]
                         configure a QMP monitor (serving at most N clients
                         at a time, default 256)

  --object help          list object types that can be added
  --object <type>,help   list properties for the given object type
  --object <type>[,<property>=<value>...]
                         create a new object of type <type>, setting
                         properties in schema order (the min/max pair is
                         checked as a pair). Note that the 'id' property
                         must be set. JSON ('{"qom-type": ...}') works too.
  -object ...            the same as --object

  --pidfile <path>       write process ID to a file after startup

  --plugin <module>      import <module> (which registers its QOM types) before
                         any --object is created; repeatable, imported in
                         command-line order. Entry points of the group
                         qom_py.plugins of installed distributions are loaded
                         first (a module is imported, a callable is called)

  --print-schema         print a JSON Schema of every creatable object type
                         (what object-add and --object '{...}' accept) and exit

  --qmp unix:<path>[,server=on][,wait=off][,pretty=on]
  --qmp tcp:<host>:<port>[,server=on][,wait=off][,pretty=on]
                         shorthand for a --chardev socket and a --monitor on it

  -v, --verbose          log a start-up summary (plugins, objects, monitors) and
                         tracebacks of failures to stderr

qom-py hosts the QOM types iothread and main-loop (and the plugins' types);
block devices, exports and the NBD server of qemu-storage-daemon are not hosted.
"""


def _version() -> str:
    from .. import __version__

    return (
        f"{PROGRAM} version {__version__} (QEMU 7.2 compatible)\n"
        "QEMU's object model and qemu-storage-daemon's command line, in Python\n"
    )


#: ``QOM_PY_STARTUP_TRACE=1``: print a monotonic timestamp per start-up step to stderr
#: (``qom-py: startup: STEP SECONDS``), for ``bench/startup.py``.  Off, it costs one test per step.
_TRACE: Final = bool(os.environ.get("QOM_PY_STARTUP_TRACE"))


def _mark(step: str) -> None:
    if _TRACE:
        print(f"{PROGRAM}: startup: {step} {time.monotonic():.6f}", file=sys.stderr, flush=True)


class StartupError(Exception):
    """A start-up failure: *text* is printed after ``qom-py: ``, exit status 1."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text


def load_plugins(options: Sequence[Option]) -> list[str]:
    """
    Load every ``qom_py.plugins`` entry point, then each ``--plugin`` in *options*, in order.

    Returns:
        what was loaded, for the start-up summary.

    A signal (SIGTERM, SIGINT, SIGHUP) meanwhile interrupts even a plugin that
    blocks: `PluginInterrupted` goes up to `main`, which dies by the signal
    after the cleanup (nothing is bound or written before the plugins load).

    Raises:
        StartupError: ``--plugin NAME: WHY`` (or the entry point's name and why).
        PluginInterrupted: a signal arrived.
    """
    try:
        with interruptible():
            loaded = load_entry_points()
            for opt in options:
                if opt.name == "plugin":
                    assert opt.value is not None
                    load_module(opt.value)
                    loaded.append(opt.value)
    except PluginError as err:
        raise StartupError(str(err)) from None
    return loaded


def _located(opt: Option, err: QOMError) -> StartupError:
    text = f"{opt.location}: {err}"
    if err.hint:
        text += "\n" + err.hint
    return StartupError(text)


def _startup_error(opt: Option, exc: Exception) -> StartupError:
    """The `StartupError` for *exc* raised by *opt*; *exc* itself if it is nobody's fault."""
    if isinstance(exc, QOMError):
        if isinstance(exc, PropertyCallbackError):  # a user type's code: -v logs its traceback
            logger.debug("%s: %s", opt.location, exc, exc_info=exc.__cause__)
        return _located(opt, exc)
    where = blamed(exc)
    if where is None:
        raise exc
    # A user type's hook failed: say whose, on one line; -v logs the traceback.
    logger.debug("%s: %s raised", opt.location, where, exc_info=exc)
    text = f"{opt.location}: {where} raised {type(exc).__name__}: {exc}"
    return StartupError(text.splitlines()[0])


#: Options that take effect in `Daemon.apply` (the others are read where they matter).
_APPLIED: Final = frozenset(
    {ARGUMENT, "object", "chardev", "monitor", "qmp", "trace", "blockdev", "export", "nbd-server"}
)


def _object_help_first(options: Sequence[Option]) -> Option | None:
    """
    The ``--object`` help request that takes effect first, if nothing before it needs the daemon.

    Then the help is all the run does (after the plugins), as in qsd, and no event
    loop, QMP server or asyncio is needed for it.
    """
    if any(o.name == "daemonize" for o in options):
        return None
    opt = next((o for o in options if o.name in _APPLIED), None)
    if opt is None or opt.name != "object" or opt.value is None or opt.value.startswith("{"):
        return None
    try:
        _, help_requested = keyval_parse_with_help(opt.value, "qom-type")
    except Exception:  # noqa: BLE001 - malformed: the daemon's path reports it
        return None
    return opt if help_requested else None


def _object_help(options: Sequence[Option], opt: Option) -> int:
    """Load the plugins and print the help *opt* asks for; return the exit status."""
    try:
        try:
            load_plugins(options)
            assert opt.value is not None
            object_option_parse(opt.value)
        except StartupError:
            raise
        except Exception as exc:
            raise _startup_error(opt, exc) from None
    except StartupError as err:
        _print_error(f"{PROGRAM}: {err.text}")
        return 1
    return 0


#: Signals that end the daemon cleanly (exit status 0).
_SHUTDOWN_SIGNALS: Final = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)


class Daemon:
    """One run of ``qom-py``: its loop, chardevs, monitors, pid file; and their cleanup."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        import asyncio

        from ..qmp import Dispatcher, QMPServer, register_qom_commands

        self.loop = loop
        self.dispatcher = Dispatcher()
        self.server = QMPServer(self.dispatcher)
        self.chardevs: dict[str, ChardevSpec] = {}
        #: Where each monitor listens (``unix:PATH``, ``tcp:HOST:PORT``), for the summary.
        self.monitors: list[str] = []
        #: The plugins loaded, in load order, for the summary.
        self.plugins: list[str] = []
        #: Where each listening chardev is bound (by id), as the server reports it.
        self._bound: dict[str, str | tuple[str, int]] = {}
        self.pidfile: str | None = None
        #: The ``--pidfile`` of the command line, locked by the first bind (or at the end).
        self.pending_pidfile: str | None = None
        self._pidfile_fd: int | None = None
        self.shutdown = asyncio.Event()
        register_qom_commands(self.dispatcher)
        self.dispatcher.on_quit = self.shutdown.set

    # -- start-up --------------------------------------------------------------

    def apply(self, opt: Option, index: int) -> None:
        """Carry out one option (objects, chardevs, monitors), or raise `StartupError`."""
        try:
            if opt.name == ARGUMENT:
                raise QOMError("Unexpected argument")
            if opt.name == "object":
                assert opt.value is not None
                if object_option_parse(opt.value) is None:  # help was printed
                    raise _HelpPrinted
            elif opt.name == "chardev":
                assert opt.value is not None
                spec = parse_chardev(opt.value)
                if spec.id in self.chardevs:
                    # qsd 7.2's words: a socket chardev registers its yank instance
                    # (keyed by id) before anything else notices the duplicate.
                    raise QOMError("duplicate yank instance")
                self._add_chardev(spec)
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
                self._add_chardev(chardev)
                self._listen(chardev, monitor)
            elif opt.name == "trace":
                msg = f"{opt.spelled} is not supported by qom-py (QEMU's trace events do not exist here)"
                raise QOMError(msg)
            elif opt.name in ("blockdev", "export", "nbd-server"):
                msg = f"{opt.spelled} is not supported by qom-py (it hosts QOM objects, not block devices)"
                raise QOMError(msg)
        except Exception as exc:
            raise _startup_error(opt, exc) from None

    def load_plugins(self, options: Sequence[Option]) -> None:
        """Load the entry-point plugins, then each ``--plugin`` of *options* (see `load_plugins`)."""
        self.plugins += load_plugins(options)

    def log_summary(self) -> None:
        """Log what started (``-v``): plugins, objects, monitors, pid file."""
        objects = [f"{name} ({child.type_name})" for name, child in default_registry.objects_root.children()]
        logger.info("plugins: %s", ", ".join(self.plugins) or "none")
        logger.info("objects: %s", ", ".join(objects) or "none")
        logger.info("monitors: %s", ", ".join(self.monitors) or "none")
        logger.info("ready, pid %d%s", os.getpid(), f", pid file {self.pidfile}" if self.pidfile else "")

    def _add_chardev(self, spec: ChardevSpec) -> None:
        """Record *spec* and add its ``/chardevs/ID`` object, as qsd does for each chardev."""

        def address() -> str | tuple[str, int]:
            bound = self._bound.get(spec.id)
            if bound is not None:
                return bound
            if spec.path is not None:
                return spec.path
            assert spec.host is not None and spec.port is not None
            return (spec.host, spec.port)

        def is_connected() -> bool:
            bound = self._bound.get(spec.id)
            return bound is not None and self.server.clients_on(bound) > 0

        chardev_socket_add(spec.id, address, is_connected)
        self.chardevs[spec.id] = spec

    def _listen(self, chardev: ChardevSpec, monitor: MonitorSpec) -> None:
        # The pid file is locked before the first socket is bound, so that a second
        # start with the same command line fails on the lock without touching the
        # first instance's socket (qsd 7.2 binds first, and replaces the socket).
        if self.pending_pidfile is not None and self.pidfile is None:
            self.write_pidfile(self.pending_pidfile)
        bound: str | tuple[str, int]
        try:
            if chardev.path is not None:
                bound = self.loop.run_until_complete(
                    self.server.listen_unix(chardev.path, pretty=monitor.pretty, max_clients=monitor.max_clients)
                )
            else:
                assert chardev.host is not None and chardev.port is not None
                coro = self.server.listen_tcp(
                    chardev.host, chardev.port, pretty=monitor.pretty, max_clients=monitor.max_clients
                )
                bound = self.loop.run_until_complete(coro)
            self._bound[chardev.id] = bound
            self.monitors.append(
                f"unix:{chardev.path}" if chardev.path is not None else f"tcp:{chardev.host}:{chardev.port}"
            )
        except OSError as exc:
            where = chardev.path or f"{chardev.host}:{chardev.port}"
            msg = f"Failed to bind socket to {where}: {exc.strerror or exc}"
            raise QOMError(msg) from None

    def write_pidfile(self, path: str) -> None:
        """Write and lock the pid file (mode 0600), with qsd's messages on failure."""
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
        except OSError as exc:
            msg = f"cannot create PID file: Could not create '{path}': {exc.strerror}"
            raise StartupError(msg) from None
        try:
            fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            os.close(fd)
            msg = f"cannot create PID file: Cannot lock pid file: {exc.strerror}"
            raise StartupError(msg) from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self.pidfile = path
        self._pidfile_fd = fd

    # -- running ----------------------------------------------------------------

    def install_signal_handlers(self) -> None:
        """
        Make SIGTERM, SIGINT and SIGHUP request a clean shutdown, from now on.

        Installed before start-up, as qsd does: a signal during start-up only sets
        the request (`serve` then returns at once), so the socket and pid file are
        still removed and the exit status is 0.
        """
        for sig in _SHUTDOWN_SIGNALS:
            self.loop.add_signal_handler(sig, self.on_signal)

    def on_signal(self) -> None:
        """
        A shutdown signal: tell the clients with ``SHUTDOWN``, then request the shutdown.

        qemu-system sends ``{"guest": false, "reason": "host-signal"}`` on SIGTERM,
        SIGINT and SIGHUP, as it sends ``host-qmp-quit`` after ``quit``; qsd 7.2
        sends neither.  Sent once: not after ``quit`` or an earlier signal.
        """
        if not self.shutdown.is_set():
            self.dispatcher.emit_event("SHUTDOWN", {"guest": False, "reason": "host-signal"})
            self.shutdown.set()

    def remove_signal_handlers(self) -> None:
        for sig in _SHUTDOWN_SIGNALS:
            self.loop.remove_signal_handler(sig)

    def serve(self) -> None:
        """Run until QMP ``quit``, SIGTERM, SIGINT or SIGHUP."""
        self.loop.run_until_complete(self.shutdown.wait())

    def cleanup(self) -> None:
        """Stop serving, delete every object, stop the pools, remove files."""
        from ..loop import reset_main_aio_context

        with contextlib.suppress(Exception):
            self.loop.run_until_complete(self.server.close())
        with contextlib.suppress(Exception):
            chardevs_remove()
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


#: Seconds the tasks left at exit get to end by themselves (arbitrary: they are
#: accepts racing the shutdown, done in one or two loop iterations).
_TASK_GRACE: Final = 1.0


def _finish_tasks(loop: asyncio.AbstractEventLoop) -> None:
    """
    Let the tasks still on *loop* end, then cancel the rest, as `asyncio.run` does.

    A client connecting while the listeners close leaves asyncio accept tasks
    behind; closing the loop over them would print "Task was destroyed but it is
    pending!" after the start-up error, which must be the only message.
    """
    import asyncio

    tasks = [task for task in asyncio.all_tasks(loop) if not task.done()]
    if not tasks:
        return
    loop.run_until_complete(asyncio.wait(tasks, timeout=_TASK_GRACE))
    for task in tasks:
        task.cancel()
    loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))


class _StderrFormatter(logging.Formatter):
    """QEMU's ``error_report`` form: ``qom-py: MSG``, ``qom-py: warning: MSG``, ``qom-py: info: MSG``."""

    _PREFIX: Final = {logging.DEBUG: "debug: ", logging.INFO: "info: ", logging.WARNING: "warning: "}

    def __init__(self, *, tracebacks: bool) -> None:
        super().__init__()
        self.tracebacks = tracebacks

    def format(self, record: logging.LogRecord) -> str:
        text = f"{PROGRAM}: {self._PREFIX.get(record.levelno, '')}{record.getMessage()}"
        if self.tracebacks and record.exc_info:
            text += "\n" + self.formatException(record.exc_info).rstrip("\n")
        return text


@contextlib.contextmanager
def _logging_to_stderr(verbose: bool) -> Iterator[None]:
    """Send the ``qom_py`` logger to stderr (quiet unless *verbose*) for the block."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_StderrFormatter(tracebacks=verbose))
    old_level = logger.level
    logger.setLevel(logging.DEBUG if verbose else logging.WARNING)
    logger.addHandler(handler)
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old_level)


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


def _print_error(text: str) -> None:
    """Print a start-up error on stderr, command-line bytes echoed as given (qsd does)."""
    stream = sys.stderr
    binary = getattr(stream, "buffer", None)
    if binary is None:  # a text-only stand-in (tests): the text as it is
        print(text, file=stream)
        return
    stream.flush()
    binary.write(message_bytes(text) + b"\n")
    binary.flush()


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``qom-py`` with *argv* (default: ``sys.argv[1:]``); return the exit status."""
    _mark("main")
    try:
        with GCPause() as pause:  # until the daemon is ready, then frozen (see qom_py._gc_pause)
            return _main(list(sys.argv[1:] if argv is None else argv), pause)
    except PluginInterrupted as stop:  # cleaned up on the way here
        stop.die()


def _main(args: list[str], pause: GCPause) -> int:
    """`main` with the collector paused; *pause* is resumed once the daemon is ready."""
    # qsd's first pass: in command-line order, --help / --version act at once and a
    # malformed option is fatal; whichever comes first wins (`--help --foo` helps).
    options: list[Option] = []
    try:
        for opt in iter_options(args):
            if opt.name == "help":
                print(HELP, end="")
                return 0
            if opt.name == "version":
                print(_version(), end="")
                return 0
            if opt.name == "print-schema":
                # The plugins' types are part of the schema: load them (those given so far).
                try:
                    with _logging_to_stderr(any(o.name == "verbose" for o in options)):
                        load_plugins(options)
                except StartupError as err:
                    print(f"{PROGRAM}: {err.text}", file=sys.stderr)
                    return 1
                from ..qom._object_schema import object_schema

                print(json.dumps(object_schema().json_schema(), indent=2))
                return 0
            options.append(opt)
    except CmdlineError as err:
        _print_error(f"{PROGRAM}: {err}")
        return 1
    with _logging_to_stderr(any(o.name == "verbose" for o in options)):
        return _run(options, pause)


def _run(options: list[Option], pause: GCPause) -> int:
    """Start-up from the parsed *options* (step 2 on), serve, clean up; return the exit status."""
    help_opt = _object_help_first(options)
    if help_opt is not None:
        return _object_help(options, help_opt)
    import asyncio

    from ..loop import adopt_main_loop

    daemon_pipe = _daemonize() if any(o.name == "daemonize" for o in options) else None
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    adopt_main_loop(loop)
    daemon = Daemon(loop)
    daemon.install_signal_handlers()
    _mark("loop")
    try:
        pidfiles = [o.value for o in options if o.name == "pidfile" and o.value is not None]
        daemon.pending_pidfile = pidfiles[-1] if pidfiles else None
        try:
            daemon.load_plugins(options)
            _mark("plugins")
            if _TRACE:
                from ..qom._object_schema import object_schema

                object_schema()  # built by the first --object anyway; traced apart
                _mark("schema")
            for index, opt in enumerate(options):
                daemon.apply(opt, index)
                _mark("objects" if opt.name == "object" else "options")
            if daemon.pending_pidfile is not None and daemon.pidfile is None:
                daemon.write_pidfile(daemon.pending_pidfile)
            daemon.log_summary()
            _mark("ready")
            pause.resume(freeze=True)  # start-up is over: its objects live as long as the daemon
        except _HelpPrinted:
            return 0
        except StartupError as err:
            _print_error(f"{PROGRAM}: {err.text}")
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
        _finish_tasks(loop)
        daemon.remove_signal_handlers()
        asyncio.set_event_loop(None)
        loop.close()
        if daemon_pipe is not None:
            daemon_pipe.close()
