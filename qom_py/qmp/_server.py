"""
The QMP server: unix and TCP listeners on an asyncio loop, one `QMPSession` per client.

Each connection is an `asyncio.Protocol` (no streams): ``data_received`` feeds
the session, which parses, dispatches synchronously when the handler is sync,
and writes the replies straight to the transport.  This mirrors a
``qemu-storage-daemon --chardev socket,...,server=on --monitor`` pair: greeting on
connect, CRLF-terminated replies, events to every negotiated client, and
``quit`` closing everything.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import errno
import logging
import os
import socket
import stat
from collections.abc import Iterable, Mapping
from typing import Any, Final, final

from ..qapi._json_streamer import MAX_NESTING, MAX_TOKEN_COUNT, MAX_TOKEN_SIZE
from ..qapi._json_writer import to_json
from ._dispatch import Dispatcher
from ._session import QMPSession, _wire

__all__ = [
    "DEFAULT_MAX_BUFFERED_INPUT",
    "DEFAULT_MAX_CLIENTS",
    "INPUT_BUDGET",
    "MESSAGE_BUDGET",
    "QMPServer",
]

logger = logging.getLogger("qom_py.qmp")

#: How long `QMPServer.close` lets clients take their last replies before
#: dropping them (arbitrary; a client that does not read must not hang close).
CLOSE_GRACE: Final = 5.0
#: The listen() backlog: the kernel's maximum (``net.core.somaxconn`` caps it), as
#: Python's ``socket.listen()`` and asyncio's 100 aim at, so that a burst of
#: clients connecting at once waits in the queue instead of being refused.
#: (QEMU's socket chardev listens with 1 because it serves one client at a time.)
#: ``sizeof(sockaddr_un.sun_path)`` on Linux: the longest unix socket path, with its NUL.
_SUN_PATH_MAX: Final = 108
_BACKLOG: Final = socket.SOMAXCONN
#: Bytes of one client's input parsed per event-loop callback, and messages
#: answered per callback: a few milliseconds of work, after which other clients
#: get their turn (arbitrary; see the README's reliability section).
INPUT_BUDGET: Final = 4096
MESSAGE_BUDGET: Final = 128
#: Default bound on the input buffered for all clients together (unread
#: input and unfinished messages, as `QMPSession.buffered` estimates them).
#: Arbitrary: one message at QEMU's limits (64 MiB of tokens, or 2 Mi tokens)
#: fits, several do not.
DEFAULT_MAX_BUFFERED_INPUT: Final = 256 << 20
#: Default bound on the clients connected to one monitor at a time (arbitrary).
DEFAULT_MAX_CLIENTS: Final = 256
#: Delays before accept() is retried after running out of file descriptors:
#: doubling from the first to the last (arbitrary).
_ACCEPT_RETRY_FIRST: Final = 0.05
_ACCEPT_RETRY_MAX: Final = 1.0
#: Connections accepted per readiness event (asyncio's default batch).
_ACCEPT_BATCH: Final = 100
_OUT_OF_RESOURCES: Final = frozenset({errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM})


def _error_line(desc: str, *, pretty: bool) -> bytes:
    """An error message without an ``id``, as the server writes it outside any command."""
    return _wire(to_json({"error": {"class": "GenericError", "desc": desc}}, pretty=pretty))


@final
class _Listener:
    """
    One listening socket and its accept loop. Models a ``--monitor`` on a socket chardev.

    asyncio's own accept loop (CPython 3.11) goes on calling accept() after
    EMFILE within the same batch, logging a traceback and scheduling one more
    retry each time: thousands of tracebacks per second once the descriptors
    run out.  This one stops at the first EMFILE, logs one line per episode,
    retries with a doubling delay and logs again when it accepts once more.
    """

    def __init__(self, server: QMPServer, sock: socket.socket, pretty: bool, max_clients: int) -> None:
        self._server = server
        self._sock = sock
        name: Any = sock.getsockname()
        #: Where it listens, as `QMPServer.addresses` lists it (a unix socket renamed
        #: into place keeps its temporary name as ``getsockname()``: `listen_unix` sets it).
        self.address: str | tuple[str, int] = name if isinstance(name, str) else (str(name[0]), int(name[1]))
        self.pretty = pretty
        self.max_clients = max_clients
        #: The connections of this monitor.
        self.connections: set[_Connection] = set()
        assert server._loop is not None
        self._loop = server._loop
        self._retry: asyncio.TimerHandle | None = None
        self._delay = 0.0
        self._closed = False
        self._loop.add_reader(sock.fileno(), self._accept)

    def _accept(self) -> None:
        for _ in range(_ACCEPT_BATCH):
            try:
                conn, _address = self._sock.accept()
            except (BlockingIOError, InterruptedError, ConnectionAbortedError):
                return
            except OSError as exc:
                if exc.errno not in _OUT_OF_RESOURCES:
                    raise
                self._back_off(exc)
                return
            if self._delay:
                logger.warning("QMP: accepting connections again on %s", self._name())
                self._delay = 0.0
            conn.setblocking(False)
            self._server._start_connection(self, conn)

    def _back_off(self, exc: OSError) -> None:
        # The socket stays readable while clients wait: stop watching it.
        self._loop.remove_reader(self._sock.fileno())
        if not self._delay:
            logger.warning(
                "QMP: cannot accept connections on %s: %s; existing clients are served, "
                "new ones wait until file descriptors are free",
                self._name(),
                exc.strerror,
            )
            self._delay = _ACCEPT_RETRY_FIRST
        else:
            self._delay = min(self._delay * 2, _ACCEPT_RETRY_MAX)
        self._retry = self._loop.call_later(self._delay, self._resume)

    def _resume(self) -> None:
        self._retry = None
        if not self._closed:
            self._loop.add_reader(self._sock.fileno(), self._accept)
            self._accept()

    def _name(self) -> str:
        name = self.address
        return name if isinstance(name, str) else f"{name[0]}:{name[1]}"

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self._retry is not None:
            self._retry.cancel()
            self._retry = None
        self._loop.remove_reader(self._sock.fileno())
        self._sock.close()


@final
class _Connection(asyncio.Protocol):
    """One client. Models QEMU's QMP monitor on a socket chardev."""

    def __init__(self, server: QMPServer, listener: _Listener) -> None:
        self._server = server
        self._listener = listener
        self._pretty = listener.pretty
        self._transport: asyncio.Transport | None = None
        self._session: QMPSession | None = None
        # Reading is paused while the client does not read its replies, and
        # while its input is being worked through in slices.
        self._writing_paused = False
        self._working = False
        self._buffered = 0  # this client's share of QMPServer._buffered

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport
        server = self._server
        if server.is_closing:
            transport.abort()
            return
        listener = self._listener
        if len(listener.connections) >= listener.max_clients:
            desc = f"Too many clients on this QMP monitor (at most {listener.max_clients}); try again later"
            transport.write(_error_line(desc, pretty=self._pretty))
            transport.close()
            return
        self._session = session = server.dispatcher.open_session(
            transport.write,
            pretty=self._pretty,
            max_token_size=server.max_token_size,
            max_token_count=server.max_token_count,
            max_nesting=server.max_nesting,
        )
        server._connections.add(self)
        listener.connections.add(self)
        transport.write(session.greeting_bytes())

    def data_received(self, data: bytes) -> None:
        session = self._session
        if session is None:
            return
        session.push(data)
        if not self._working:
            self._work()

    def _work(self) -> bool:
        """
        Answer one slice of the queued input.

        Returns:
            True when input is left: the server's queue gives this connection its
            next slice after every other busy connection had one.
        """
        session = self._session
        if session is None:
            return False
        done = session.run(INPUT_BUDGET, MESSAGE_BUDGET)
        if session.closed or not self._account(session):
            return False
        if done:
            if self._working:
                self._working = False
                self._update_reading()
            return False
        if not self._working:
            self._working = True
            self._update_reading()
            self._server._queue_work(self)
        return True

    def _account(self, session: QMPSession) -> bool:
        """Update the daemon-wide count of buffered input; drop this client if it broke the bound."""
        server = self._server
        now = session.buffered
        grew = now > self._buffered
        server._buffered += now - self._buffered
        self._buffered = now
        if not grew or server._buffered <= server.max_buffered_input:
            return True
        limit = server.max_buffered_input
        desc = (
            f"QMP input buffer limit exceeded: unfinished requests of all clients hold more than "
            f"{limit} bytes; closing this connection"
        )
        self._drop(desc)
        return False

    def _drop(self, desc: str) -> None:
        """Send *desc* as an error, then close: the client loses its unfinished input only."""
        session = self._session
        transport = self._transport
        if session is not None:
            session.close()  # flushes what was answered before
        if transport is not None:
            transport.write(_error_line(desc, pretty=self._pretty))
            transport.close()
        self._release()

    def _release(self) -> None:
        self._server._buffered -= self._buffered
        self._buffered = 0

    def _update_reading(self) -> None:
        transport = self._transport
        if transport is None or transport.is_closing():
            return
        if self._writing_paused or self._working:
            transport.pause_reading()
        else:
            transport.resume_reading()

    def eof_received(self) -> bool:
        return False  # close our side too, as QEMU does

    def pause_writing(self) -> None:
        # The client does not read its replies: stop reading its requests.
        self._writing_paused = True
        self._update_reading()

    def resume_writing(self) -> None:
        self._writing_paused = False
        self._update_reading()

    def connection_lost(self, exc: Exception | None) -> None:
        session = self._session
        self._session = None
        self._release()
        tasks = session.close() if session is not None else []
        self._listener.connections.discard(self)
        self._server._forget(self, tasks)

    def close(self) -> None:
        """Stop the session and close the transport after its last bytes."""
        if self._session is not None:
            self._server._adopt(self._session.close())
        if self._transport is not None:
            self._transport.close()

    def abort(self) -> None:
        if self._transport is not None:
            self._transport.abort()


def _bind_private(sock: socket.socket, path: str) -> str:
    """
    Bind and listen *sock* at *path* so that *path* appears only with mode 0600, listening.

    The socket is bound under a temporary name beside *path*, restricted,
    set listening, then renamed into place: whoever sees *path* (a client, or
    a test checking its mode) sees the final socket, whatever the umask.
    Where the temporary name would be too long for ``AF_UNIX``, *path* is
    bound directly (restricted before ``listen()``: until then nobody can
    connect).  Returns the name this process created (to remove on failure).
    """
    directory, name = os.path.split(path)
    temporary = os.path.join(directory, f".{name}.{os.getpid()}~")
    if len(os.fsencode(temporary)) >= _SUN_PATH_MAX:
        sock.bind(path)
        try:
            os.chmod(path, 0o600)
            sock.listen(_BACKLOG)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(path)
            raise
        return path
    with contextlib.suppress(FileNotFoundError):
        os.unlink(temporary)  # a leftover of a dead process with our pid
    sock.bind(temporary)
    try:
        os.chmod(temporary, 0o600)
        sock.listen(_BACKLOG)
        os.rename(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    return path


def _probe_unix(path: str) -> bool:
    """True when a server answers on the unix socket *path* (a connect succeeds)."""
    probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        probe.setblocking(False)
        probe.connect(path)
    except BlockingIOError:
        return True  # backlog full: somebody is listening
    except OSError:
        return False  # ECONNREFUSED: a stale socket; ENOENT: gone meanwhile
    finally:
        probe.close()
    return True


@final
class QMPServer:
    """
    Serve QMP on unix and TCP sockets. Models qemu-storage-daemon's socket monitors.

    Args:
        dispatcher: the command table shared by every client.
        pretty: default ``pretty=on`` layout for listeners that do not choose.
        max_token_size: JSON limit per message (QEMU: 64 MiB).
        max_token_count: JSON limit per message (QEMU: 2 Mi tokens).
        max_nesting: JSON nesting limit (QEMU: 1024).
        max_buffered_input: bound on the input held for all clients together
            (`DEFAULT_MAX_BUFFERED_INPUT`); the client whose input crosses it gets
            a ``GenericError`` and is disconnected, the others are not touched.
        max_clients: clients one monitor (one ``listen_*`` call) serves at a time
            (`DEFAULT_MAX_CLIENTS`); one more gets a ``GenericError`` instead of
            the greeting, and is disconnected.
        close_on_quit: close the server once ``quit`` has been answered (as
            qemu-storage-daemon exits); `wait_closed` then returns.

    A daemon runs::

        server = QMPServer(dispatcher)
        await server.listen_unix("/run/qom.sock")      # and/or listen_tcp(...)
        await server.wait_closed()                    # until quit or close()

    and closes it from a signal handler with ``await server.close()`` (or sets
    ``dispatcher.on_quit`` to learn about ``quit``).  Every method runs on the
    server's event loop, except `emit_event_threadsafe`.
    """

    def __init__(
        self,
        dispatcher: Dispatcher,
        *,
        pretty: bool = False,
        max_token_size: int = MAX_TOKEN_SIZE,
        max_token_count: int = MAX_TOKEN_COUNT,
        max_nesting: int = MAX_NESTING,
        close_on_quit: bool = True,
        max_buffered_input: int = DEFAULT_MAX_BUFFERED_INPUT,
        max_clients: int = DEFAULT_MAX_CLIENTS,
    ) -> None:
        #: The command table.
        self.dispatcher = dispatcher
        #: Default output layout.
        self.pretty = pretty
        #: JSON limits handed to every session.
        self.max_token_size = max_token_size
        self.max_token_count = max_token_count
        self.max_nesting = max_nesting
        #: Bound on the input buffered for all clients (bytes, estimated).
        self.max_buffered_input = max_buffered_input
        #: Default bound on the clients of one monitor.
        self.max_clients = max_clients
        self._close_on_quit = close_on_quit
        self._listeners: list[_Listener] = []
        # Input buffered for all clients now: the sum of _Connection._buffered.
        self._buffered = 0
        # Connections with input left to work through, in turn (see _queue_work).
        self._busy: collections.deque[_Connection] = collections.deque()
        self._work_scheduled = False
        # Unix socket paths we created, with the (st_dev, st_ino) they had.
        self._unix_paths: list[tuple[str, tuple[int, int]]] = []
        self._addresses: list[str | tuple[str, int]] = []
        self._connections: set[_Connection] = set()
        self._tasks: set[asyncio.Task[Any]] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._closing = False
        self._closed: asyncio.Event | None = None
        self._connections_gone: asyncio.Event | None = None
        self._close_task: asyncio.Task[None] | None = None
        self._quit_hook_added = False

    # -- listening ---------------------------------------------------------

    def _bind_loop(self) -> asyncio.AbstractEventLoop:
        loop = asyncio.get_running_loop()
        if self._loop is None:
            self._loop = loop
            self._closed = asyncio.Event()
            self._connections_gone = asyncio.Event()
        elif self._loop is not loop:
            msg = "A QMPServer is bound to the event loop it was started on"
            raise RuntimeError(msg)
        if self._closing:
            msg = "The QMPServer is closed"
            raise RuntimeError(msg)
        if self._close_on_quit and not self._quit_hook_added:
            self.dispatcher.add_quit_hook(self._on_quit)
            self._quit_hook_added = True
        return loop

    async def listen_unix(
        self, path: str | os.PathLike[str], *, pretty: bool | None = None, max_clients: int | None = None
    ) -> str:
        """
        Listen on the unix socket *path* (created with mode 0600, removed by `close`).

        A stale socket at *path* (nobody answers a connect) is replaced, as QEMU
        does; a socket a live server answers on is left alone (QEMU would take it
        over, and leave the other server unreachable), and any other file there
        is an error.

        Returns:
            The path.

        Raises:
            FileExistsError: *path* exists and is not a socket.
            OSError: the socket cannot be created; ``EADDRINUSE`` when a server
                answers on *path*.
        """
        self._bind_loop()
        path = os.fspath(path)
        with contextlib.suppress(FileNotFoundError):
            if not stat.S_ISSOCK(os.lstat(path).st_mode):
                msg = f"{path} exists and is not a socket; not replacing it"
                raise FileExistsError(msg)
            if _probe_unix(path):
                raise OSError(errno.EADDRINUSE, os.strerror(errno.EADDRINUSE), path)
            os.unlink(path)
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        created: str | None = None
        try:
            created = _bind_private(sock, path)
            info = os.stat(path)
            sock.setblocking(False)
            self._add_listener(sock, pretty, max_clients).address = path
        except BaseException:
            sock.close()
            if created is not None:
                with contextlib.suppress(OSError):
                    os.unlink(created)
            raise
        self._unix_paths.append((path, (info.st_dev, info.st_ino)))
        self._addresses.append(path)
        return path

    async def listen_tcp(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        pretty: bool | None = None,
        max_clients: int | None = None,
    ) -> tuple[str, int]:
        """
        Listen on TCP *host*:*port* (every address *host* resolves to); port 0 picks a free port.

        All the sockets of one call are one monitor (*max_clients* counts them together).

        Returns:
            The bound ``(host, port)`` of the first socket.

        Raises:
            OSError: an address cannot be bound (nothing is left listening).
        """
        loop = self._bind_loop()
        try:
            # A numeric address needs no resolver (and no executor thread), as in asyncio.
            infos = socket.getaddrinfo(
                host,
                port,
                family=socket.AF_UNSPEC,
                type=socket.SOCK_STREAM,
                flags=socket.AI_PASSIVE | socket.AI_NUMERICHOST,
            )
        except socket.gaierror:
            infos = await loop.getaddrinfo(
                host, port, family=socket.AF_UNSPEC, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
            )
        socks: list[socket.socket] = []
        seen: set[tuple[int, Any]] = set()
        try:
            for family, kind, proto, _name, address in infos:
                if (family, address) in seen:
                    continue
                seen.add((family, address))
                sock = socket.socket(family, kind, proto)
                socks.append(sock)
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                if family == socket.AF_INET6:
                    sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
                sock.bind(address)
                sock.listen(_BACKLOG)
                sock.setblocking(False)
        except BaseException:
            for sock in socks:
                sock.close()
            raise
        if not socks:
            raise OSError(errno.EADDRNOTAVAIL, os.strerror(errno.EADDRNOTAVAIL), host)
        listeners = [self._add_listener(sock, pretty, max_clients) for sock in socks]
        # One monitor: the listeners share their set of connections.
        for listener in listeners[1:]:
            listener.connections = listeners[0].connections
        bound: tuple[str, int] | None = None
        for listener in listeners:
            tcp_address = listener.address
            assert not isinstance(tcp_address, str)
            self._addresses.append(tcp_address)
            if bound is None:
                bound = tcp_address
        assert bound is not None
        return bound

    def _add_listener(self, sock: socket.socket, pretty: bool | None, max_clients: int | None) -> _Listener:
        listener = _Listener(
            self,
            sock,
            self.pretty if pretty is None else pretty,
            self.max_clients if max_clients is None else max_clients,
        )
        self._listeners.append(listener)
        return listener

    def _start_connection(self, listener: _Listener, conn: socket.socket) -> None:
        """Wrap an accepted socket in a transport and a `_Connection` (asynchronously)."""
        assert self._loop is not None
        task = self._loop.create_task(self._loop.connect_accepted_socket(lambda: _Connection(self, listener), conn))
        self._tasks.add(task)
        task.add_done_callback(self._accepted)

    def _accepted(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            logger.warning("QMP: a connection could not be set up: %s", task.exception())

    def _queue_work(self, connection: _Connection) -> None:
        """
        Give *connection* slices of work, one per loop pass for all busy connections together.

        One slice per pass in total, round robin, so that a request from an idle
        client waits for one slice at most, however many clients send big input
        at once (a slice per busy client per pass would add up).
        """
        self._busy.append(connection)
        if not self._work_scheduled:
            self._work_scheduled = True
            assert self._loop is not None
            self._loop.call_soon(self._run_busy)

    def _run_busy(self) -> None:
        self._work_scheduled = False
        if not self._busy:
            return
        connection = self._busy.popleft()
        if connection._work():
            self._busy.append(connection)
        if self._busy:
            self._work_scheduled = True
            assert self._loop is not None
            self._loop.call_soon(self._run_busy)

    @property
    def buffered_input(self) -> int:
        """Input held for all clients now (bytes, estimated as `QMPSession.buffered`)."""
        return self._buffered

    @property
    def addresses(self) -> list[str | tuple[str, int]]:
        """Every listening address: unix paths and ``(host, port)`` pairs."""
        return list(self._addresses)

    @property
    def is_closing(self) -> bool:
        """True once `close` has started (or ``quit`` triggered it)."""
        return self._closing

    @property
    def client_count(self) -> int:
        """Clients connected now."""
        return len(self._connections)

    def clients_on(self, address: str | tuple[str, int]) -> int:
        """Clients connected now through the listener bound to *address* (as `addresses` lists it)."""
        # The TCP listeners of one monitor share one set of connections: count each set once.
        sets = {id(each.connections): each.connections for each in self._listeners if each.address == address}
        return sum(len(connections) for connections in sets.values())

    def emit_event_threadsafe(self, event: str, data: Mapping[str, Any] | None = None) -> None:
        """
        `Dispatcher.emit_event` from any thread: scheduled on the server's loop.

        Raises:
            RuntimeError: the server was never started.
        """
        if self._loop is None:
            msg = "The QMPServer was never started"
            raise RuntimeError(msg)
        self._loop.call_soon_threadsafe(self.dispatcher.emit_event, event, data)

    # -- closing -----------------------------------------------------------

    def _on_quit(self) -> None:
        # Called on the loop thread after the quit reply and SHUTDOWN are out.
        if self._loop is not None and self._close_task is None and not self._closing:
            self._close_task = self._loop.create_task(self.close())

    def _adopt(self, tasks: Iterable[asyncio.Task[Any]]) -> None:
        """Keep the cancelled handler tasks of a closed session until they end."""
        for task in tasks:
            if not task.done():
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)

    def _forget(self, connection: _Connection, tasks: Iterable[asyncio.Task[Any]]) -> None:
        self._connections.discard(connection)
        self._adopt(tasks)
        if not self._connections and self._connections_gone is not None:
            self._connections_gone.set()

    async def close(self) -> None:
        """
        Stop listening, close every client (after its pending output), and clean up.

        Returns once every connection is gone, every handler task has ended and
        every unix socket this server created is removed.  Safe to call twice.
        """
        if self._loop is None:
            self._closing = True
            return
        if self._closing:
            await self.wait_closed()
            return
        self._closing = True
        assert self._closed is not None and self._connections_gone is not None
        try:
            if self._quit_hook_added:
                self.dispatcher.remove_quit_hook(self._on_quit)
            for listener in self._listeners:
                listener.close()
            if self._tasks:
                # Connections accepted just before: let them set up, then close them.
                await asyncio.wait(list(self._tasks), timeout=CLOSE_GRACE)
            for connection in list(self._connections):
                connection.close()
            if self._connections:
                self._connections_gone.clear()
                try:
                    await asyncio.wait_for(self._connections_gone.wait(), CLOSE_GRACE)
                except TimeoutError:
                    for connection in list(self._connections):
                        connection.abort()
                    await self._connections_gone.wait()
            if self._tasks:
                await asyncio.gather(*self._tasks, return_exceptions=True)
                self._tasks.clear()
        finally:
            for path, identity in self._unix_paths:
                with contextlib.suppress(OSError):
                    info = os.lstat(path)
                    if (info.st_dev, info.st_ino) == identity:
                        os.unlink(path)
            self._unix_paths.clear()
            self._listeners.clear()
            self._closed.set()

    async def wait_closed(self) -> None:
        """Wait until the server has closed (after `close` or ``quit``)."""
        if self._closed is None:
            msg = "The QMPServer was never started"
            raise RuntimeError(msg)
        await self._closed.wait()
        if self._close_task is not None and self._close_task is not asyncio.current_task():
            await self._close_task
