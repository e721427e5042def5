"""`InProcessQMP`: a QMP client on a `QMPSession` without a socket, for tests of management code."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Coroutine, Iterable, Mapping
from typing import Any, Final, final

from ..errors import QOMInternalError
from ..qapi._json_parser import JSONValue
from ._dispatch import Dispatcher
from ._session import QMPError, QMPSession

__all__ = ["InProcessQMP"]

_reply_decoder: Final = json.JSONDecoder()


@final
class InProcessQMP:
    """
    A QMP client talking to *dispatcher* in the same process, without a socket.

    It goes through the same bytes as a socket client (JSON parsing, QEMU's
    checks and messages, reply encoding), so what it sees is what a real
    client sees.

    Args:
        dispatcher: the command table to talk to.
        negotiate: send ``qmp_capabilities`` at once.
        pretty: ask for ``pretty=on`` output (only visible through `send_raw`).
        loop: run every request on this event loop (running in another
            thread), as the server would; by default requests run in the calling
            thread and async handlers on a private loop.
        timeout: how long to wait for replies when *loop* is given.
    """

    def __init__(
        self,
        dispatcher: Dispatcher,
        *,
        negotiate: bool = True,
        pretty: bool = False,
        loop: asyncio.AbstractEventLoop | None = None,
        timeout: float = 10.0,
    ) -> None:
        self._loop = loop
        self._timeout = timeout
        self._runner: asyncio.Runner | None = None
        self._received = bytearray()
        self._counter = 0
        #: Events received so far (each a decoded message).
        self.events: list[JSONValue] = []
        self._session = dispatcher.open_session(self._received.extend, pretty=pretty, run_sync=self._run_sync)
        #: The greeting, decoded.
        self.greeting: JSONValue = self._decode(self._session.greeting_bytes())[0]
        if negotiate:
            self.execute("qmp_capabilities")

    def __repr__(self) -> str:
        state = "closed" if self._session.closed else "negotiated" if self._session.negotiated else "greeted"
        where = "calling thread" if self._loop is None else "loop thread"
        return (
            f"<InProcessQMP {state}, {len(self._session.dispatcher.commands)} commands, "
            f"{len(self.events)} events, runs in the {where}>"
        )

    @property
    def session(self) -> QMPSession:
        """The server-side session."""
        return self._session

    def _run_sync(self, coroutine: Coroutine[Any, Any, Any]) -> Any:
        if self._runner is None:
            self._runner = asyncio.Runner()
        return self._runner.run(coroutine)

    def send_raw(self, data: str | bytes) -> list[JSONValue]:
        """
        Send *data* as is and return the replies it produced, decoded.

        Events that arrive meanwhile go to `events`.  Like a socket, the
        session keeps a partial message until the rest arrives.
        """
        raw = data.encode("utf-8") if isinstance(data, str) else bytes(data)
        if self._loop is None:
            self._session.feed(raw)
        else:
            future = asyncio.run_coroutine_threadsafe(self._feed_on_loop(raw), self._loop)
            future.result(self._timeout)
        received = bytes(self._received)
        self._received.clear()
        replies = []
        for message in self._decode(received):
            if isinstance(message, dict) and "event" in message:
                self.events.append(message)
            else:
                replies.append(message)
        return replies

    async def _feed_on_loop(self, data: bytes) -> None:
        self._session.feed(data)
        await self._session.wait_drained()

    def execute(self, command: str, args: Mapping[str, Any] | None = None) -> JSONValue:
        """
        Run *command* and return its ``return`` value.

        Raises:
            QMPError: the error reply (``error_class``, ``desc``).
        """
        self._counter += 1
        request_id = f"in-process-{self._counter}"
        request: dict[str, Any] = {"execute": command}
        if args is not None:
            request["arguments"] = dict(args)
        request["id"] = request_id
        for reply in self.send_raw(json.dumps(request)):
            if isinstance(reply, dict) and reply.get("id") == request_id:
                if "error" in reply:
                    error = reply["error"]
                    assert isinstance(error, dict)
                    raise QMPError(str(error["class"]), str(error["desc"]))
                return reply["return"]
        msg = f"No reply to {command!r}"
        raise QOMInternalError(msg)

    def close(self) -> None:
        """Close the session and the private event loop, if any."""
        tasks = self._session.close()
        if tasks and self._loop is not None:
            gathered = asyncio.run_coroutine_threadsafe(_gather(tasks), self._loop)
            gathered.result(self._timeout)
        if self._runner is not None:
            self._runner.close()
            self._runner = None

    def __enter__(self) -> InProcessQMP:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @staticmethod
    def _decode(data: bytes) -> list[JSONValue]:
        text = data.decode("utf-8")
        messages: list[JSONValue] = []
        pos = 0
        while True:
            while pos < len(text) and text[pos] in " \t\r\n":
                pos += 1
            if pos >= len(text):
                return messages
            message, pos = _reply_decoder.raw_decode(text, pos)
            messages.append(message)


async def _gather(tasks: Iterable[asyncio.Task[Any]]) -> None:
    await asyncio.gather(*tasks, return_exceptions=True)
