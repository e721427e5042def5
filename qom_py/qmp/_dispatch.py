"""
QMP commands, sessions and dispatch, independent of any socket.

* `Dispatcher` owns the command table (`Dispatcher.register`), the built-in
  commands (``qmp_capabilities``, ``query-version``, ``query-commands``,
  ``quit``), event broadcasting and the quit hooks.
* `QMPSession` is one client's conversation: its JSON stream parser, its
  negotiation state (QEMU's two command lists), and the order of its replies.
  Whatever transport carries it passes bytes in (`QMPSession.feed`) and gets
  bytes out through a ``write`` callable.

Arguments are checked by the QAPI engine against the dispatcher's schema
(`Dispatcher.schema`): the registry's view plus the commands registered;
users' Python argument specs become QAPI definitions (`qom_py.qmp._specs`).
A command without a spec is checked from the shipped schema's check table
while the registry's schema is the shipped one (`TypeRegistry.qapi_table`),
so a daemon answers without loading the schema model.
The socket-less client `InProcessQMP` lives in `qom_py.qmp._inprocess`.
"""

from __future__ import annotations

import asyncio
import collections
import contextvars
import inspect
import logging
import time
import types
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from typing import TYPE_CHECKING, Any, Final, TypeAlias, final

import attrs

from .._log import blamed
from ..errors import (
    CommandNotFoundError,
    CommandRegistrationError,
    JSONParseError,
    PropertyCallbackError,
    QAPISchemaError,
    QMPProtocolError,
    QOMError,
    QOMInternalError,
)
from ..qapi._checker import Checker, check_leftovers
from ..qapi._json_parser import JSONValue
from ..qapi._json_streamer import MAX_NESTING, MAX_TOKEN_COUNT, MAX_TOKEN_SIZE, JSONStreamParser
from ..qapi._json_writer import EncodedJSON, to_json
from ..qom._registry import TypeRegistry, default_registry
from ._protocol import check_request

if TYPE_CHECKING:
    from ..qapi import QAPISchema
    from ._specs import TypeSpec

__all__ = [
    "NO_ARGUMENTS",
    "CommandRegistrationError",
    "Dispatcher",
    "QMPCommand",
    "QMPError",
    "QMPSession",
    "call_after_reply",
    "current_session",
]

logger = logging.getLogger("qom_py.qmp")

#: What a command handler may return: a value, or an awaitable of one.
HandlerResult: TypeAlias = JSONValue | Awaitable[JSONValue]
#: A command handler: called with the checked arguments (``{}`` when none).
Handler: TypeAlias = Callable[[dict[str, JSONValue]], HandlerResult]

#: The argument spec of a command that takes no arguments.
NO_ARGUMENTS: Final[Mapping[str, TypeSpec]] = types.MappingProxyType({})

#: What qom-py reports as the QEMU it follows (ARCHITECTURE.md contract).
QEMU_VERSION: Final = {"major": 7, "minor": 2, "micro": 0}
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


# ---------------------------------------------------------------------------
# Commands.
# ---------------------------------------------------------------------------
def _is_async_callable(handler: object) -> bool:
    while True:
        if inspect.iscoroutinefunction(handler):
            return True
        inner = getattr(handler, "func", None)  # functools.partial
        if inner is None:
            # An object whose class defines ``async def __call__``.
            return inspect.iscoroutinefunction(type(handler).__call__)
        handler = inner


@final
@attrs.frozen
class QMPCommand:
    """
    One entry of the command table. Models QEMU's ``QmpCommand`` (qapi/qmp-registry.c).

    Args:
        name: the command name (``qom-get``).
        handler: ``handler(args) -> value`` (or an awaitable of the value);
            ``None`` means ``{}``.  It runs on the thread that feeds the session
            (the server's loop thread).
        args: the argument spec as given to `Dispatcher.register` (None: the
            handler checks the raw arguments object itself).
        allow_oob: whether ``exec-oob`` may run it (no built-in command does).
    """

    name: str
    handler: Handler = attrs.field(repr=False)
    args: Mapping[str, TypeSpec] | None = attrs.field(default=NO_ARGUMENTS, repr=False)
    allow_oob: bool = False
    _is_async: bool = attrs.field(
        init=False,
        repr=False,
        eq=False,
        default=attrs.Factory(lambda self: _is_async_callable(self.handler), takes_self=True),
    )


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


_NO_ID: Final = object()
_Reply: TypeAlias = tuple[bytes, tuple[Callable[[], object], ...]]
_PLAIN_RESULTS: Final = frozenset({str, int, dict, list, bool, float, type(None)})
#: The check of a command's arguments: the arguments object -> the checked arguments.
_ArgumentCheck: TypeAlias = Callable[[dict[str, JSONValue]], dict[str, JSONValue]]


def _add_definitions(schema: QAPISchema, name: str, definitions: list[dict[str, Any]]) -> None:
    # A user's command names are the user's: QEMU's naming rules are for QEMU's
    # own schema (its pragmas list its exceptions the same way).
    schema.pragma.command_name_exceptions.append(name)
    schema.pragma.member_name_exceptions.extend([name, *(d["struct"] for d in definitions if "struct" in d)])
    schema.add(definitions, f"<command {name}>")


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
        #: The registry the QOM commands serve (`register_qom_commands`).
        self.registry: TypeRegistry = default_registry if registry is None else registry
        self._commands: dict[str, QMPCommand] = {}
        # The definitions of commands registered with a Python spec (or none
        # shipped): name -> QAPI expressions (`spec_definitions`).
        self._definitions: dict[str, list[dict[str, Any]]] = {}
        self._schema: QAPISchema | None = None
        self._schema_revision = -1
        self._checker: Checker | None = None
        self._table_checker: Checker | None = None  # of the shipped table: it never changes
        self._checks_revision = -1
        self._argument_checks: dict[str, _ArgumentCheck] = {}
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

    # -- the table ---------------------------------------------------------

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
        if name in self._commands:
            msg = f"QMP command '{name}' is already registered; unregister it first"
            raise CommandRegistrationError(msg)
        if args is not None and args is not NO_ARGUMENTS:
            # Checked now, so that a bad spec fails here and not at the first call.
            shipped = self.registry.qapi_schema
            enums = {t.name: shipped.enum_type(t.name).value_names for t in shipped.types() if t.meta == "enum"}
            from ._specs import spec_definitions  # users' specs only: not on the daemon's start-up path

            definitions = spec_definitions(name, args, enums)
            try:
                _add_definitions(shipped.copy(exclude=[name]), name, definitions)
            except QAPISchemaError as exc:
                raise CommandRegistrationError(f"Bad argument spec for QMP command '{name}': {exc}") from None
            self._definitions[name] = definitions
        command = QMPCommand(name, handler, args, allow_oob)
        self._commands[name] = command
        self._schema = None
        self._forget_checks()
        return command

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
        if name not in self._commands or name == "qmp_capabilities":
            msg = f"The command {name} has not been found"
            raise CommandNotFoundError(msg)
        del self._commands[name]
        self._definitions.pop(name, None)
        self._schema = None
        self._forget_checks()

    def _forget_checks(self) -> None:
        self._checker = None
        self._argument_checks = {}
        self._checks_revision = self.registry.revision

    # -- the schema --------------------------------------------------------

    def schema(self) -> QAPISchema:
        """
        The QAPI schema this dispatcher serves: its registry's view, with its commands.

        The types of `ObjectSchema.current` (run-time types included), the
        shipped definitions of the commands registered without a spec, and
        the definitions made from the others' specs; no other command.  Kept
        until a command is (un)registered or the registry changes.  Do not
        modify the result.
        """
        if self._schema is None or self._schema_revision != self.registry.revision:
            self._schema_revision = self.registry.revision
            from ..qom._object_schema import ObjectSchema  # the model: not needed by the checks

            self._schema = self._with_commands(ObjectSchema.of(self.registry).current())
        return self._schema

    def _with_commands(self, base: QAPISchema) -> QAPISchema:
        """*base* with this dispatcher's commands (and no other)."""
        drop = [c.name for c in base.commands() if c.name not in self._commands or c.name in self._definitions]
        schema = base.copy(exclude=drop)
        for name, definitions in self._definitions.items():
            _add_definitions(schema, name, definitions)
        for name, command in self._commands.items():
            if command.args is NO_ARGUMENTS and schema.command(name) is None:
                _add_definitions(schema, name, [{"command": name}])  # not shipped: no arguments
        return schema

    def _argument_check(self, command: QMPCommand) -> _ArgumentCheck:
        arg_type, checker = self._arguments_of(command.name)
        members = None if arg_type is None else checker.members(arg_type, "json")

        def check(arguments: dict[str, JSONValue]) -> dict[str, JSONValue]:
            # QEMU's marshaller: the members in schema order, then visit_check_struct.
            result: dict[str, JSONValue] = {} if members is None else members(arguments, "")
            if len(result) != len(arguments):
                check_leftovers(arguments, result, "")
            return result

        self._argument_checks[command.name] = check
        return check

    def _arguments_of(self, name: str) -> tuple[str | None, Checker]:
        """The argument type of the command *name* (None: no arguments) and the checker that knows it."""
        # A command without a spec, while the registry's schema is the shipped
        # one: the shipped table knows its arguments, no schema model needed.
        table = None if name in self._definitions else self.registry.qapi_table()
        if table is not None:
            if self._table_checker is None:
                self._table_checker = Checker.from_table(table)
            return table["commands"].get(name), self._table_checker
        # Else the registry's definitions with the commands; the object view
        # (derived object types, which need throwaway instances) is left out:
        # object-add checks its own.
        if self._checker is None:
            self._checker = Checker(self._with_commands(self.registry.qapi_schema))
        schema = self._checker.schema
        assert schema is not None
        definition = schema.command(name)
        return (None if definition is None else definition.arg_type), self._checker

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
        if command.args is None:
            return arguments
        if self._checks_revision != self.registry.revision:
            self._forget_checks()
        check = self._argument_checks.get(command.name)
        if check is None:
            check = self._argument_check(command)
        return check(arguments)

    def get_command(self, name: str) -> QMPCommand | None:
        """Return the command *name*, or None."""
        return self._commands.get(name)

    @property
    def commands(self) -> tuple[QMPCommand, ...]:
        """Every command, in registration order."""
        return tuple(self._commands.values())

    @property
    def version(self) -> dict[str, JSONValue]:
        """The ``query-version`` answer (a fresh copy)."""
        return {"qemu": dict(QEMU_VERSION), "package": self._version["package"]}

    def greeting(self) -> dict[str, JSONValue]:
        """The greeting sent on connection: ``{"QMP": {"version": ..., "capabilities": ["oob"]}}``."""
        return {"QMP": {"version": self.version, "capabilities": list(CAPABILITIES)}}

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
        return [{"name": name} for name in reversed(self._commands)]

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
                command = self._commands.get(name)
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
            args = self.check_arguments(command, arguments if arguments is not None else {})
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
