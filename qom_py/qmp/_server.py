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
import contextlib
import os
import socket
import stat
from collections.abc import Iterable, Mapping
from typing import Any, Final, final

from ._dispatch import Dispatcher, QMPSession
from ._protocol import MAX_NESTING, MAX_TOKEN_COUNT, MAX_TOKEN_SIZE

__all__ = ["QMPServer"]

#: How long `QMPServer.close` lets clients take their last replies before
#: dropping them (arbitrary; a client that does not read must not hang close).
CLOSE_GRACE: Final = 5.0
_BACKLOG: Final = 16  # arbitrary; QEMU uses 1 for a monitor socket but serves many here


@final
class _Connection(asyncio.Protocol):
    """One client. Models QEMU's QMP monitor on a socket chardev."""

    def __init__(self, server: QMPServer, pretty: bool) -> None:
        self._server = server
        self._pretty = pretty
        self._transport: asyncio.Transport | None = None
        self._session: QMPSession | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport
        server = self._server
        if server.is_closing:
            transport.abort()
            return
        self._session = session = server.dispatcher.open_session(
            transport.write,
            pretty=self._pretty,
            max_token_size=server.max_token_size,
            max_token_count=server.max_token_count,
            max_nesting=server.max_nesting,
        )
        server._connections.add(self)
        transport.write(session.greeting_bytes())

    def data_received(self, data: bytes) -> None:
        session = self._session
        if session is not None:
            session.feed(data)

    def eof_received(self) -> bool:
        return False  # close our side too, as QEMU does

    def pause_writing(self) -> None:
        # The client does not read its replies: stop reading its requests.
        if self._transport is not None and not self._transport.is_closing():
            self._transport.pause_reading()

    def resume_writing(self) -> None:
        if self._transport is not None and not self._transport.is_closing():
            self._transport.resume_reading()

    def connection_lost(self, exc: Exception | None) -> None:
        session = self._session
        self._session = None
        tasks = session.close() if session is not None else []
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
    ) -> None:
        #: The command table.
        self.dispatcher = dispatcher
        #: Default output layout.
        self.pretty = pretty
        #: JSON limits handed to every session.
        self.max_token_size = max_token_size
        self.max_token_count = max_token_count
        self.max_nesting = max_nesting
        self._close_on_quit = close_on_quit
        self._servers: list[asyncio.AbstractServer] = []
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

    async def listen_unix(self, path: str | os.PathLike[str], *, pretty: bool | None = None) -> str:
        """
        Listen on the unix socket *path* (created with mode 0600, removed by `close`).

        A stale socket at *path* is replaced, as QEMU does; any other file there
        is an error.

        Returns:
            The path.

        Raises:
            FileExistsError: *path* exists and is not a socket.
            OSError: the socket cannot be created.
        """
        loop = self._bind_loop()
        path = os.fspath(path)
        with contextlib.suppress(FileNotFoundError):
            if not stat.S_ISSOCK(os.lstat(path).st_mode):
                msg = f"{path} exists and is not a socket; not replacing it"
                raise FileExistsError(msg)
            os.unlink(path)
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        bound = False
        try:
            sock.bind(path)
            bound = True
            # Restrict before listen(): until then nobody can connect, so the
            # umask-dependent mode of bind() is never usable.
            os.chmod(path, 0o600)
            info = os.stat(path)
            sock.listen(_BACKLOG)
            sock.setblocking(False)
            use_pretty = self.pretty if pretty is None else pretty
            server = await loop.create_unix_server(
                lambda: _Connection(self, use_pretty), sock=sock
            )
        except BaseException:
            sock.close()
            if bound:
                with contextlib.suppress(OSError):
                    os.unlink(path)
            raise
        self._servers.append(server)
        self._unix_paths.append((path, (info.st_dev, info.st_ino)))
        self._addresses.append(path)
        return path

    async def listen_tcp(
        self, host: str = "127.0.0.1", port: int = 0, *, pretty: bool | None = None
    ) -> tuple[str, int]:
        """
        Listen on TCP *host*:*port*; port 0 picks a free port.

        Returns:
            The bound ``(host, port)`` of the first socket.
        """
        loop = self._bind_loop()
        use_pretty = self.pretty if pretty is None else pretty
        server = await loop.create_server(
            lambda: _Connection(self, use_pretty),
            host,
            port,
            reuse_address=True,
            backlog=_BACKLOG,
        )
        self._servers.append(server)
        bound: tuple[str, int] | None = None
        for sock in server.sockets:
            name = sock.getsockname()
            address = (str(name[0]), int(name[1]))
            self._addresses.append(address)
            if bound is None:
                bound = address
        assert bound is not None
        return bound

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
        count = 0
        for conn in self._connections:
            name = conn._transport.get_extra_info("sockname") if conn._transport is not None else None
            if name is not None and (name if isinstance(name, str) else (str(name[0]), int(name[1]))) == address:
                count += 1
        return count

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
            for server in self._servers:
                server.close()
            for connection in list(self._connections):
                connection.close()
            for server in self._servers:
                await server.wait_closed()
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
            self._servers.clear()
            self._closed.set()

    async def wait_closed(self) -> None:
        """Wait until the server has closed (after `close` or ``quit``)."""
        if self._closed is None:
            msg = "The QMPServer was never started"
            raise RuntimeError(msg)
        await self._closed.wait()
        if self._close_task is not None and self._close_task is not asyncio.current_task():
            await self._close_task
