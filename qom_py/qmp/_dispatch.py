"""
QMP dispatch, independent of any socket: QEMU's ``qmp_dispatch()``.

`Dispatcher` owns a command table (`qom_py.qmp._command_table`: registration,
schema, argument checks; `Dispatcher.register`), the built-in commands
(``qmp_capabilities``, ``query-version``, ``query-commands``, ``quit``), its
sessions (`qom_py.qmp._session`), event broadcasting and the quit hooks.
The socket-less client `InProcessQMP` lives in `qom_py.qmp._inprocess`.
"""

from __future__ import annotations

import contextvars
import inspect
import logging
import time
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from typing import TYPE_CHECKING, Any, Final, final

from .._log import blamed
from ..errors import (
    CommandNotFoundError,
    PropertyCallbackError,
    QMPProtocolError,
    QOMError,
    QOMInternalError,
)
from ..qapi._json_parser import JSONValue
from ..qapi._json_streamer import MAX_NESTING, MAX_TOKEN_COUNT, MAX_TOKEN_SIZE, JSONStreamParser
from ..qapi._json_writer import to_json
from ..qom._registry import TypeRegistry, default_registry
from ._command_table import NO_ARGUMENTS, CommandTable, Handler, QMPCommand
from ._protocol import check_request
from ._session import _NO_ID, CAPABILITIES, QMPSession, _Reply, _wire

if TYPE_CHECKING:
    from ..qapi import QAPISchema
    from ._specs import TypeSpec

__all__ = ["QEMU_VERSION", "Dispatcher", "call_after_reply", "current_session"]

logger = logging.getLogger("qom_py.qmp")

#: What qom-py reports as the QEMU it follows (ARCHITECTURE.md contract).
QEMU_VERSION: Final = {"major": 7, "minor": 2, "micro": 0}


# ---------------------------------------------------------------------------
# The request context: QEMU's monitor_cur(), per request.
# ---------------------------------------------------------------------------
@final
class _RequestContext:
    __slots__ = ("after", "session")

    def __init__(self, session: QMPSession) -> None:
        self.session = session
        self.after: list[Callable[[], object]] = []


_CURRENT: Final[contextvars.ContextVar[_RequestContext]] = contextvars.ContextVar("qom_py_qmp_request")


def current_session() -> QMPSession:
    """
    Return the session whose command is running (QEMU's ``monitor_cur()``).

    Raises:
        QOMInternalError: called outside a command handler.
    """
    context = _CURRENT.get(None)
    if context is None:
        msg = "current_session() is only available inside a QMP command handler"
        raise QOMInternalError(msg)
    return context.session


def call_after_reply(callback: Callable[[], object]) -> None:
    """
    Run *callback* once the reply of the running command has been written.

    ``quit`` uses it so that its ``{"return": {}}`` goes out before the
    ``SHUTDOWN`` event and the shutdown itself.

    Raises:
        QOMInternalError: called outside a command handler.
    """
    context = _CURRENT.get(None)
    if context is None:
        msg = "call_after_reply() is only available inside a QMP command handler"
        raise QOMInternalError(msg)
    context.after.append(callback)


# ---------------------------------------------------------------------------
# The dispatcher.
# ---------------------------------------------------------------------------
def _package_version() -> str:
    from .._version import __version__

    return __version__


_PLAIN_RESULTS: Final = frozenset({str, int, dict, list, bool, float, type(None)})


@final
class Dispatcher:
    """
    The QMP command table and dispatcher. Models QEMU's ``qmp_dispatch()`` and its command lists.

    The built-in commands are registered at creation: ``qmp_capabilities``,
    ``query-version``, ``query-commands`` and ``quit``.  Add more with
    `register` (or the `command` decorator).

    Args:
        package: the ``package`` string of the greeting and ``query-version``;
            default ``qom-py X.Y.Z`` from the installed distribution.
        raise_internal_errors: let an exception that is not a `QOMError`
            propagate out of the handler (for tests) instead of logging it and
            answering ``GenericError``.
        registry: the type registry whose objects the QOM commands serve and
            whose types the schema holds (default: `default_registry`).

    Threading: a dispatcher and its sessions are used from one thread (the
    server's loop thread); `emit_event` too.
    """

    def __init__(
        self, *, package: str | None = None, raise_internal_errors: bool = False, registry: TypeRegistry | None = None
    ) -> None:
        #: Propagate non-`QOMError` exceptions from handlers instead of answering them.
        self.raise_internal_errors = raise_internal_errors
        self._table = CommandTable(default_registry if registry is None else registry)
        self._sessions: set[QMPSession] = set()
        self._quit_hooks: list[Callable[[], object]] = []
        #: Called (no arguments) after ``quit`` was answered, ``SHUTDOWN`` sent
        #: and the hooks of `add_quit_hook` ran: the daemon's "exit now".
        self.on_quit: Callable[[], object] | None = None
        if package is None:
            package = f"qom-py {_package_version()}"
        self._version: dict[str, JSONValue] = {"qemu": dict(QEMU_VERSION), "package": package}
        # Before negotiation only qmp_capabilities exists (QEMU's
        # qmp_cap_negotiation_commands); after it, the full table.
        self._capabilities_command = self.register("qmp_capabilities", self._qmp_capabilities)
        self.register("query-version", self._query_version)
        self.register("query-commands", self._query_commands)
        self.register("quit", self._quit)

    # -- the table (`CommandTable`) -----------------------------------------

    def register(
        self,
        name: str,
        handler: Handler,
        args: Mapping[str, TypeSpec] | None = NO_ARGUMENTS,
        *,
        allow_oob: bool = False,
    ) -> QMPCommand:
        """
        Add the command *name*, answered by *handler*.

        *args* is a QAPI-style spec of the ``arguments`` object, e.g.
        ``{"path": "str", "property": "str"}`` or ``{"*implements": "str",
        "*abstract": "bool"}`` (see `qom_py.qmp._specs`): it becomes the
        definition ``{'command': name, 'data': args}`` in the dispatcher's
        `schema`.  Omitted, the command is the shipped schema's (QEMU's
        definition, for the commands qom-py serves), or else takes no
        arguments (any member is unexpected, as in QEMU).  ``None`` hands the
        arguments object to the handler unchecked (``{}`` when the request has
        none), for a handler that checks it itself, as object-add does.

        Returns:
            The new `QMPCommand`.

        Raises:
            CommandRegistrationError: *name* is taken, or the spec is malformed.
        """
        return self._table.register(name, handler, args, allow_oob=allow_oob)

    def command(
        self,
        name: str,
        args: Mapping[str, TypeSpec] | None = NO_ARGUMENTS,
        *,
        allow_oob: bool = False,
    ) -> Callable[[Handler], Handler]:
        """Decorator form of `register`; returns the handler unchanged."""

        def decorate(handler: Handler) -> Handler:
            self.register(name, handler, args, allow_oob=allow_oob)
            return handler

        return decorate

    def unregister(self, name: str) -> None:
        """
        Remove the command *name*.

        Raises:
            CommandNotFoundError: no such command.
        """
        if name == "qmp_capabilities":
            msg = f"The command {name} has not been found"
            raise CommandNotFoundError(msg)
        self._table.unregister(name)

    def schema(self) -> QAPISchema:
        """
        The QAPI schema this dispatcher serves: its registry's view, with its commands.

        The types of `ObjectSchema.current` (run-time types included), the
        shipped definitions of the commands registered without a spec, and
        the definitions made from the others' specs; no other command.  Kept
        until a command is (un)registered or the registry changes.  Do not
        modify the result.
        """
        return self._table.schema()

    def check_arguments(self, command: QMPCommand, arguments: dict[str, JSONValue]) -> dict[str, JSONValue]:
        """
        Check *arguments* of *command* as QEMU's generated marshaller does.

        Returns:
            the checked arguments (members present, in schema order); the
            object itself for a command registered with ``args=None``.

        Raises:
            ParameterError: ``Parameter 'x' is missing``, ``Invalid parameter type
                for 'x', expected: string``, ``Parameter 'x' is unexpected``, ...
        """
        return self._table.check_arguments(command, arguments)

    def get_command(self, name: str) -> QMPCommand | None:
        """Return the command *name*, or None."""
        return self._table.get(name)

    @property
    def commands(self) -> tuple[QMPCommand, ...]:
        """Every command, in registration order."""
        return self._table.commands

    @property
    def version(self) -> dict[str, JSONValue]:
        """The ``query-version`` answer (a fresh copy)."""
        return {"qemu": dict(QEMU_VERSION), "package": self._version["package"]}

    def greeting(self) -> dict[str, JSONValue]:
        """The greeting sent on connection: ``{"QMP": {"version": ..., "capabilities": ["oob"]}}``."""
        return {"QMP": {"version": self.version, "capabilities": list(CAPABILITIES)}}

    @property
    def registry(self) -> TypeRegistry:
        """The registry the QOM commands serve (`register_qom_commands`)."""
        return self._table.registry

    # -- sessions, events, quit -------------------------------------------

    def open_session(
        self,
        write: Callable[[bytes], object],
        *,
        pretty: bool = False,
        max_token_size: int = MAX_TOKEN_SIZE,
        max_token_count: int = MAX_TOKEN_COUNT,
        max_nesting: int = MAX_NESTING,
        run_sync: Callable[[Coroutine[Any, Any, Any]], Any] | None = None,
    ) -> QMPSession:
        """
        Start a client session whose output goes to *write* (bytes, CRLF-terminated).

        The greeting is not written: the transport sends it when it is ready
        (`QMPSession.greeting_bytes`).  *run_sync* runs a coroutine to completion
        when an async handler is met with no running event loop (in-process use).
        """
        session = QMPSession(
            self,
            write,
            pretty=pretty,
            parser=JSONStreamParser(
                max_token_size=max_token_size,
                max_token_count=max_token_count,
                max_nesting=max_nesting,
            ),
            run_sync=run_sync,
        )
        self._sessions.add(session)
        return session

    def _forget(self, session: QMPSession) -> None:
        self._sessions.discard(session)

    @property
    def sessions(self) -> frozenset[QMPSession]:
        """The open sessions."""
        return frozenset(self._sessions)

    def emit_event(self, event: str, data: Mapping[str, JSONValue] | None = None) -> None:
        """
        Send the event *event* to every session that completed negotiation.

        The message is ``{"timestamp": {"seconds": S, "microseconds": US},
        "event": EVENT, "data": DATA}``, with ``data`` left out when empty, as
        QEMU's ``qapi_event_send_*()``.  Call it on the sessions' thread.
        """
        seconds, microseconds = divmod(time.time_ns() // 1000, 1_000_000)
        message: dict[str, JSONValue] = {"event": event}
        message["timestamp"] = {"seconds": seconds, "microseconds": microseconds}
        if data:
            message["data"] = dict(data)
        encoded: dict[bool, bytes] = {}
        for session in list(self._sessions):
            if not session.negotiated:
                continue
            raw = encoded.get(session.pretty)
            if raw is None:
                raw = encoded[session.pretty] = _wire(to_json(message, pretty=session.pretty))
            session._send_event(raw)

    def add_quit_hook(self, hook: Callable[[], object]) -> None:
        """
        Call *hook* (no arguments) when ``quit`` has been answered and ``SHUTDOWN`` sent.

        Hooks run in the order added, on the sessions' thread, before `on_quit`.
        A `QMPServer` adds one to close itself.
        """
        self._quit_hooks.append(hook)

    def remove_quit_hook(self, hook: Callable[[], object]) -> None:
        """Remove a hook added by `add_quit_hook` (no error if absent)."""
        if hook in self._quit_hooks:
            self._quit_hooks.remove(hook)

    # -- built-in commands -------------------------------------------------

    def _qmp_capabilities(self, args: dict[str, JSONValue]) -> JSONValue:
        session = current_session()
        if session.negotiated:
            msg = "Capabilities negotiation is already complete, command ignored"
            raise CommandNotFoundError(msg)
        enable = args.get("enable", [])
        assert isinstance(enable, list)
        unavailable = [cap for cap in enable if cap not in session.offered_capabilities]
        if unavailable:
            msg = f"Capability {', '.join(str(cap) for cap in unavailable)} not available"
            raise QOMError(msg)
        session.oob_enabled = "oob" in enable
        session.negotiated = True
        return None

    def _query_version(self, args: dict[str, JSONValue]) -> JSONValue:
        return self.version

    def _query_commands(self, args: dict[str, JSONValue]) -> JSONValue:
        # QEMU prepends while walking its list: newest registration first.
        return [{"name": name} for name in reversed(self._table.names)]

    def _quit(self, args: dict[str, JSONValue]) -> JSONValue:
        call_after_reply(self._shutdown)
        return None

    def _shutdown(self) -> None:
        # qemu-storage-daemon 7.2 sends no event here; the system emulator does,
        # with this data, and our issue asks for it.
        self.emit_event("SHUTDOWN", {"guest": False, "reason": "host-qmp-quit"})
        for hook in list(self._quit_hooks):
            hook()
        if self.on_quit is not None:
            self.on_quit()

    # -- dispatch ----------------------------------------------------------

    def _dispatch(self, session: QMPSession, request: JSONValue) -> _Reply | Coroutine[Any, Any, _Reply]:
        """
        Run one request for *session* (QEMU's ``qmp_dispatch()``).

        Returns the encoded reply with the callbacks to run after it, or a
        coroutine producing them for an async handler.
        """
        request_id: object = request.get("id", _NO_ID) if type(request) is dict else _NO_ID
        context = _RequestContext(session)
        name = ""  # for the log of a failure before the request is checked
        try:
            name, arguments, oob = check_request(request, allow_oob=session.oob_enabled)
            if session.negotiated:
                command = self._table.get(name)
            elif name == "qmp_capabilities":
                command = self._capabilities_command
            else:
                # QEMU finds no such command in its negotiation list, then
                # replaces the desc of the CommandNotFound error.
                msg = "Expecting capabilities negotiation with 'qmp_capabilities'"
                raise CommandNotFoundError(msg)
            if command is None:
                msg = f"The command {name} has not been found"
                raise CommandNotFoundError(msg)
            if oob and not command.allow_oob:
                msg = f"The command {name} does not support OOB"
                raise QMPProtocolError(msg)
            args = self._table.check_arguments(command, arguments if arguments is not None else {})
            if command._is_async:
                # The handler's coroutine is created inside the task, so that a
                # task cancelled before it starts leaves no coroutine unawaited.
                return self._finish_async(session, command.handler, args, context, request_id, name)
            token = _CURRENT.set(context)
            try:
                result = command.handler(args)
            finally:
                _CURRENT.reset(token)
            if type(result) not in _PLAIN_RESULTS and inspect.isawaitable(result):
                # A sync callable that returned an awaitable (rare).
                return self._finish_async(session, _returning(result), args, context, request_id, name)
        except QOMError as exc:
            if type(exc) is PropertyCallbackError:
                _log_callback_error(name, exc)
            return session._error_reply(exc, request_id), ()
        except Exception as exc:
            if self.raise_internal_errors:
                raise
            _log_unexpected(exc)
            return session._error_reply(exc, request_id), ()
        return self._success(session, result, context, request_id)  # type: ignore[arg-type]  # not awaitable

    def _success(self, session: QMPSession, result: JSONValue, context: _RequestContext, request_id: object) -> _Reply:
        try:
            encoded = session._return_reply(result, request_id)
        except (TypeError, ValueError) as exc:
            if self.raise_internal_errors:
                raise
            logger.exception("QMP command returned a value that is not JSON (a bug)")
            return session._error_reply(exc, request_id), ()
        return encoded, tuple(context.after)

    async def _finish_async(
        self,
        session: QMPSession,
        handler: Handler,
        args: dict[str, JSONValue],
        context: _RequestContext,
        request_id: object,
        name: str,
    ) -> _Reply:
        token = _CURRENT.set(context)
        try:
            result = await handler(args)  # type: ignore[misc]  # an async handler
        except QOMError as exc:
            if type(exc) is PropertyCallbackError:
                _log_callback_error(name, exc)
            return session._error_reply(exc, request_id), ()
        except Exception as exc:
            if self.raise_internal_errors:
                raise
            _log_unexpected(exc)
            return session._error_reply(exc, request_id), ()
        finally:
            _CURRENT.reset(token)
        return self._success(session, result, context, request_id)


def _log_callback_error(command: str, exc: PropertyCallbackError) -> None:
    """Log a property's own code failing under *command* (the reply says it too; the log keeps the traceback)."""
    logger.error("%s: %s", command, exc, exc_info=exc.__cause__)


def _log_unexpected(exc: Exception) -> None:
    """Log an exception a command let through: a user hook's, with whose it is; else ours."""
    where = blamed(exc)
    if where is not None:
        logger.error("%s raised %s: %s", where, type(exc).__name__, exc, exc_info=exc)
    else:
        logger.error("QMP command raised an unexpected exception (a bug)", exc_info=exc)


def _returning(awaitable: Awaitable[JSONValue]) -> Handler:
    """Wrap an awaitable some sync handler returned as an async handler."""

    async def handler(args: dict[str, JSONValue]) -> JSONValue:
        return await awaitable

    return handler
