"""
`connect`: a QMP client with one coroutine per command, over ``qemu.qmp``'s `QMPClient`.

The command set and the types come from a module written by ``python -m
qom_py.qapi gen-python`` (its ``SCHEMA_INFO``, and its classes for the
values), or else from the server's own ``query-qmp-schema``, read once at
connect time (`qom_py.client._schema_info`).  A call takes keyword arguments
in Python form (``poll_max_ns=0``; typed values or plain JSON), checks them
against the schema with the QAPI checker before anything is sent (a problem
raises `qom_py.qmp.QMPError` with QEMU's message and class ``GenericError``),
and structures the result into the schema's classes.  An error reply raises
`qom_py.qmp.QMPError` too, with the server's class and message.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from types import ModuleType
from typing import TYPE_CHECKING, Any, Final

import attrs

from ..errors import QOMError
from ..qapi import Command, ObjectType, QAPISchema, py_types
from ..qapi._pynames import py_name
from ..qapi._typed_json import typed_json
from ..qmp import QMPError
from ._schema_info import schema_from_info

if TYPE_CHECKING:
    from qemu.qmp import QMPClient

    from ..qapi import PyTypes

__all__ = ["Client", "QMPEvent", "connect"]

#: Seconds to wait for the connection and the schema, by default.
CONNECT_TIMEOUT: Final = 10.0


@attrs.frozen
class QMPEvent:
    """An event: its name, its data as the event's class (None without data), the server's timestamp."""

    name: str
    data: Any
    timestamp: Mapping[str, int]


class Client:
    """
    The commands of a QMP server as coroutines (made by `connect`; see the module's description).

    ``client.qom_get(path=..., property=...)`` runs ``qom-get``; a name the
    server has no command for raises AttributeError naming the command.
    """

    def __init__(self, qmp: QMPClient, schema: QAPISchema, types: PyTypes) -> None:
        #: The ``qemu.qmp`` client underneath.
        self.qmp = qmp
        #: The schema commands are checked against.
        self.schema = schema
        #: Its Python types.
        self.types = types
        self._commands = {py_name(c.name): c for c in schema.commands()}
        self._calls: dict[str, Callable[..., Awaitable[Any]]] = {}

    @property
    def command_names(self) -> list[str]:
        """The method names, one per command of the schema."""
        return sorted(self._commands)

    def __getattr__(self, name: str) -> Callable[..., Awaitable[Any]]:
        if name.startswith("__"):
            raise AttributeError(name)
        call = self._calls.get(name)
        if call is None:
            command = self._commands.get(name)
            if command is None:
                wire = name.replace("_", "-")
                msg = f"the QMP server has no command '{wire}' ({type(self).__name__}.{name})"
                raise AttributeError(msg, name=name, obj=self)
            call = self._calls[name] = self._make_call(command)
        return call

    def __dir__(self) -> list[str]:
        return [*super().__dir__(), *self._commands]

    def arguments(self, command: Command, args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> dict[str, Any] | None:
        """
        The checked JSON arguments of *command* called with *args* (one boxed value) and *kwargs*.

        Raises:
            QMPError: class ``GenericError``, QEMU's message for the first problem.
        """
        if len(args) > 1:
            msg = f"{py_name(command.name)}() takes at most one positional argument (a boxed value)"
            raise TypeError(msg)
        names = self._names(command)
        # Typed values become their JSON (a bad value inside an instance is then the checker's to name).
        raw: dict[str, Any] = dict(typed_json(args[0])) if args and args[0] is not None else {}
        for key, value in kwargs.items():
            raw[names.get(key, key)] = typed_json(value)
        if command.arg_type is None:
            if raw:
                raise QMPError("GenericError", f"Parameter '{next(iter(raw))}' is unexpected")
            return None
        try:
            self.types.checker.check(command.arg_type, raw)
        except QOMError as err:
            raise QMPError("GenericError", str(err)) from None
        return raw

    def _names(self, command: Command) -> dict[str, str]:
        """Python name -> QAPI name of the arguments of *command* (every branch's, for a union)."""
        names: dict[str, str] = {}
        if command.arg_type is None:
            return names
        arg = self.schema.lookup_type(command.arg_type)
        pending = [arg] if isinstance(arg, ObjectType) else []
        while pending:
            obj = pending.pop(0)
            for member in obj.members:
                names.setdefault(py_name(member.name), member.name)
            if obj.variants is not None:
                for variant in obj.variants.variants:
                    branch = self.schema.lookup_type(variant.type)
                    if isinstance(branch, ObjectType):
                        pending.append(branch)
        return names

    def _make_call(self, command: Command) -> Callable[..., Awaitable[Any]]:
        async def call(*args: Any, **kwargs: Any) -> Any:
            arguments = self.arguments(command, args, kwargs)
            return await self.execute(command, arguments)

        call.__name__ = py_name(command.name)
        call.__doc__ = f"QMP command ``{command.name}``."
        return call

    async def execute(self, command: Command, arguments: dict[str, Any] | None) -> Any:
        """Send *command* with checked *arguments*; the result as its Python type."""
        from qemu.qmp import ExecuteError

        try:
            result = await self.qmp.execute(command.name, arguments)
        except ExecuteError as err:
            raise QMPError(err.error_class, err.error.error.desc) from None
        ret = None if command.ret_type is None else self.schema.lookup_type(command.ret_type)
        if ret is None or (isinstance(ret, ObjectType) and ret.is_empty):
            return None  # no ``returns``: introspection shows the empty object
        return self.types.structure(result, ret.name)

    async def event(self, timeout: float | None = None) -> QMPEvent:
        """The next event, its data structured (waits at most *timeout* seconds: TimeoutError)."""
        async with asyncio.timeout(timeout):
            message = await self.qmp.events.get()
        name = str(message["event"])
        declared = self.schema.event(name)
        data = message.get("data")
        if declared is not None and declared.arg_type is not None and data is not None:
            data = self.types.structure(data, declared.arg_type)
        timestamp: Mapping[str, int] = message.get("timestamp", {})  # type: ignore[assignment]  # QMP's shape
        return QMPEvent(name, data, timestamp)


def _types_of(schema: QAPISchema, module: ModuleType | None) -> PyTypes:
    types = py_types(schema)
    if module is not None:
        types.adopt_module(module)
    return types


@contextlib.asynccontextmanager
async def connect(
    address: str | tuple[str, int], *, module: ModuleType | None = None, timeout: float = CONNECT_TIMEOUT
) -> AsyncIterator[Client]:
    """
    Connect to the QMP server at *address* (a unix socket path, or ``(host, port)``) and negotiate.

    Args:
        module: a module written by ``gen-python`` for the server's schema:
            its commands and classes; None: the server's ``query-qmp-schema``.
        timeout: seconds for connecting and reading the schema.

    The client disconnects when the block ends.
    """
    from qemu.qmp import QMPClient

    qmp = QMPClient("qom-py-client")
    async with asyncio.timeout(timeout):
        await qmp.connect(address)
    try:
        infos: list[dict[str, Any]]
        if module is not None:
            infos = module.SCHEMA_INFO
        else:
            async with asyncio.timeout(timeout):
                infos = await qmp.execute("query-qmp-schema")  # type: ignore[assignment]  # a list of SchemaInfo
        schema = schema_from_info(infos)
        yield Client(qmp, schema, _types_of(schema, module))
    finally:
        await qmp.disconnect()
