"""
One client's QMP conversation (`QMPSession`), independent of any socket.

A session holds its JSON stream parser, its negotiation state (QEMU's two
command lists) and the order of its replies.  Whatever transport carries it
passes bytes in (`QMPSession.feed`) and gets bytes out through a ``write``
callable; its `Dispatcher` runs the requests.
"""

from __future__ import annotations

import asyncio
import collections
import inspect
import logging
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any, Final, TypeAlias, final

from ..errors import JSONParseError, QOMError, QOMInternalError
from ..qapi._json_parser import JSONValue
from ..qapi._json_streamer import JSONStreamParser
from ..qapi._json_writer import EncodedJSON, to_json

if TYPE_CHECKING:
    from ._dispatch import Dispatcher

__all__ = ["CAPABILITIES", "QMPError", "QMPSession"]

logger = logging.getLogger("qom_py.qmp")

#: The capabilities offered in the greeting, as qemu-storage-daemon 7.2 on a socket.
CAPABILITIES: Final = ("oob",)


class QMPError(QOMError):
    """
    An error reply, as seen by a client (`InProcessQMP.execute`).

    Args:
        error_class: the reply's ``error.class`` (``GenericError``, ...).
        desc: the reply's ``error.desc``.
    """

    def __init__(self, error_class: str, desc: str) -> None:
        super().__init__(desc)
        self.args = (error_class, desc)
        #: QMP ``error.class`` of the reply.
        self.error_class = error_class
        #: QMP ``error.desc`` of the reply.
        self.desc = desc

    def __repr__(self) -> str:
        return f"QMPError({self.error_class!r}, {self.desc!r})"


_NO_ID: Final = object()
_Reply: TypeAlias = tuple[bytes, tuple[Callable[[], object], ...]]


def _wire(text: str) -> bytes:
    """One message on the wire: QEMU's monitor turns every newline into CRLF."""
    if "\n" in text:
        text = text.replace("\n", "\r\n")
    return text.encode("utf-8") + b"\r\n"


@final
class QMPSession:
    """
    One client's QMP conversation. Models QEMU's ``MonitorQMP``.

    Created by `Dispatcher.open_session`.  Feed it the bytes the client sends
    (`feed`); it writes replies and events, CRLF-terminated, through *write*.
    Replies keep the order of the requests, even when an async handler finishes
    after a later sync one.

    Threading: use a session from one thread; async handlers run as tasks of
    the event loop running in that thread.
    """

    def __init__(
        self,
        dispatcher: Dispatcher,
        write: Callable[[bytes], object],
        *,
        pretty: bool,
        parser: JSONStreamParser,
        run_sync: Callable[[Coroutine[Any, Any, Any]], Any] | None,
    ) -> None:
        #: The dispatcher this session belongs to.
        self.dispatcher = dispatcher
        #: Whether output uses QEMU's ``pretty=on`` layout.
        self.pretty = pretty
        #: Whether ``qmp_capabilities`` succeeded.
        self.negotiated = False
        #: Whether the client enabled the ``oob`` capability.
        self.oob_enabled = False
        #: Capabilities the client may enable.
        self.offered_capabilities: frozenset[str] = frozenset(CAPABILITIES)
        self._write = write
        self._parser = parser
        self._run_sync = run_sync
        self._out: list[bytes] = []
        self._feeding = False
        self._closed = False
        # Replies waiting for an earlier async reply: encoded replies and tasks.
        self._pending: collections.deque[_Reply | asyncio.Task[_Reply]] = collections.deque()
        self._tasks: set[asyncio.Task[_Reply]] = set()
        self._drained: asyncio.Event | None = None

    def greeting_bytes(self) -> bytes:
        """The greeting as this session writes it."""
        return _wire(to_json(self.dispatcher.greeting(), pretty=self.pretty))

    @property
    def closed(self) -> bool:
        """True once `close` was called."""
        return self._closed

    @property
    def pending(self) -> int:
        """Replies queued behind an unfinished async command."""
        return len(self._pending)

    def feed(self, data: bytes) -> None:
        """Process *data* from the client: parse, dispatch, write the replies."""
        if self._closed:
            return
        self._handle_all(self._parser.feed(data))

    def push(self, data: bytes) -> None:
        """Queue *data* from the client for `run` (nothing is parsed yet)."""
        if not self._closed:
            self._parser.push(data)

    def run(self, budget: int, max_messages: int) -> bool:
        """
        Parse about *budget* bytes of queued input and answer what completes (at most *max_messages*).

        A server calls it once per event-loop callback, so that one client's
        input, however large, is worked through in slices and other clients get
        their turn in between.

        Returns:
            True when the queued input is used up (False: call again).
        """
        if self._closed:
            return True
        self._handle_all(self._parser.run(budget, max_messages=max_messages))
        return self.closed or not self._parser.has_work

    @property
    def buffered(self) -> int:
        """Bytes of input held for this client (an estimate: queued input, unfinished message)."""
        return self._parser.buffered

    def _handle_all(self, items: list[JSONValue | JSONParseError]) -> None:
        if not items:
            return
        self._feeding = True
        try:
            for item in items:
                if self.closed:  # a handler (quit) may close the session
                    break
                self._handle(item)
        finally:
            self._feeding = False
            self._flush()

    def _handle(self, item: JSONValue | JSONParseError) -> None:
        if isinstance(item, JSONParseError):
            self._enqueue((self._error_reply(item, _NO_ID), ()))
            return
        outcome = self.dispatcher._dispatch(self, item)
        if type(outcome) is tuple:
            self._enqueue(outcome)
            return
        assert inspect.iscoroutine(outcome)
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            loop = None
        if loop is None:
            if self._run_sync is None:
                outcome.close()
                msg = "An async QMP handler needs a running event loop (or a run_sync runner)"
                raise QOMInternalError(msg) from None
            self._enqueue(self._run_sync(outcome))
            return
        task = loop.create_task(outcome)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)
        self._pending.append(task)

    def _enqueue(self, reply: _Reply) -> None:
        if self._pending:
            self._pending.append(reply)
        else:
            self._send_reply(reply)

    def _send_reply(self, reply: _Reply) -> None:
        data, after = reply
        self._out.append(data)
        if after:
            self._flush()
            for callback in after:
                callback()

    def _task_done(self, task: asyncio.Task[_Reply]) -> None:
        self._tasks.discard(task)
        if self._closed:
            return
        while self._pending:
            head = self._pending[0]
            if isinstance(head, asyncio.Task):
                if not head.done():
                    break
                self._pending.popleft()
                if head.cancelled():
                    continue
                exc = head.exception()
                if exc is not None:
                    # Only with raise_internal_errors: the reply is lost; say so.
                    logger.error("QMP command failed", exc_info=exc)
                    reply: _Reply = (self._error_reply(exc, _NO_ID), ())
                else:
                    reply = head.result()
            else:
                self._pending.popleft()
                reply = head
            self._send_reply(reply)
        self._flush()
        if not self._pending and self._drained is not None:
            self._drained.set()

    async def wait_drained(self) -> None:
        """Wait until no reply is queued behind an async command."""
        while self._pending and not self._closed:
            if self._drained is None or self._drained.is_set():
                self._drained = asyncio.Event()
            await self._drained.wait()

    def _flush(self) -> None:
        if self._out and not self._closed:
            data = b"".join(self._out) if len(self._out) > 1 else self._out[0]
            self._out.clear()
            self._write(data)

    def _send_event(self, data: bytes) -> None:
        if self._closed:
            return
        self._out.append(data)
        if not self._feeding:
            self._flush()

    def close(self) -> list[asyncio.Task[_Reply]]:
        """
        End the session: no more output; unfinished async commands are cancelled.

        Returns:
            The cancelled tasks, for the caller to await.
        """
        if self._closed:
            return []
        self._flush()
        self._closed = True
        self.dispatcher._forget(self)
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        self._pending.clear()
        if self._drained is not None:
            self._drained.set()
        return tasks

    # -- encoding ----------------------------------------------------------

    def _return_reply(self, result: JSONValue, request_id: object) -> bytes:
        if result is None:
            result = {}  # QEMU: a command without 'returns' answers {}
        if self.pretty:
            assert type(result) is not EncodedJSON, "pretty sessions get plain values"
            message: dict[str, object] = {"return": result}
            if request_id is not _NO_ID:
                message["id"] = request_id
            return _wire(to_json(message, pretty=True))
        # QDict order puts "return" before "id".
        body = str.__str__(result) if type(result) is EncodedJSON else to_json(result)
        if request_id is _NO_ID:
            return b'{"return": ' + body.encode("utf-8") + b"}\r\n"
        return b'{"return": ' + body.encode("utf-8") + b', "id": ' + to_json(request_id).encode("utf-8") + b"}\r\n"

    def _error_reply(self, exc: BaseException, request_id: object) -> bytes:
        if isinstance(exc, QMPError):
            error_class = exc.error_class
        elif isinstance(exc, QOMError):
            error_class = exc.qmp_class
        else:
            error_class = "GenericError"
        error = {"class": error_class, "desc": str(exc)}
        if self.pretty:
            message: dict[str, object] = {"error": error}
            if request_id is not _NO_ID:
                message["id"] = request_id
            return _wire(to_json(message, pretty=True))
        # QDict order puts "id" before "error", and "class" before "desc".
        body = to_json(error)
        if request_id is _NO_ID:
            return b'{"error": ' + body.encode("utf-8") + b"}\r\n"
        return b'{"id": ' + to_json(request_id).encode("utf-8") + b', "error": ' + body.encode("utf-8") + b"}\r\n"
