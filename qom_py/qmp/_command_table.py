"""
The QMP command table: registration, the schema the commands are checked against, argument checks.

`CommandTable` is a `Dispatcher`'s table (QEMU's ``QmpCommandList``, ``qapi/qmp-registry.c``).
Arguments are checked by the QAPI engine against the table's schema
(`CommandTable.schema`): the registry's view plus the commands registered;
users' Python argument specs become QAPI definitions (`qom_py.qmp._specs`).
A command without a spec is checked from the shipped schema's check table
while the registry's schema is the shipped one (`TypeRegistry.qapi_table`),
so a daemon answers without loading the schema model.
"""

from __future__ import annotations

import inspect
import types
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any, Final, TypeAlias, final

import attrs

from ..errors import CommandNotFoundError, CommandRegistrationError, QAPISchemaError
from ..qapi._checker import Checker, check_leftovers
from ..qapi._json_parser import JSONValue
from ..qom._registry import TypeRegistry

if TYPE_CHECKING:
    from ..qapi import QAPISchema
    from ._specs import TypeSpec

__all__ = ["NO_ARGUMENTS", "CommandTable", "Handler", "HandlerResult", "QMPCommand"]

#: What a command handler may return: a value, or an awaitable of one.
HandlerResult: TypeAlias = JSONValue | Awaitable[JSONValue]
#: A command handler: called with the checked arguments (``{}`` when none).
Handler: TypeAlias = Callable[[dict[str, JSONValue]], HandlerResult]

#: The argument spec of a command that takes no arguments.
NO_ARGUMENTS: Final[Mapping[str, TypeSpec]] = types.MappingProxyType({})


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


#: The check of a command's arguments: the arguments object -> the checked arguments.
_ArgumentCheck: TypeAlias = Callable[[dict[str, JSONValue]], dict[str, JSONValue]]


def _add_definitions(schema: QAPISchema, name: str, definitions: list[dict[str, Any]]) -> None:
    # A user's command names are the user's: QEMU's naming rules are for QEMU's
    # own schema (its pragmas list its exceptions the same way).
    schema.pragma.command_name_exceptions.append(name)
    schema.pragma.member_name_exceptions.extend([name, *(d["struct"] for d in definitions if "struct" in d)])
    schema.add(definitions, f"<command {name}>")


@final
class CommandTable:
    """
    The commands of a `Dispatcher`, their schema and their argument checks.

    Models QEMU's ``QmpCommandList`` (``qapi/qmp-registry.c``) with the checks of
    its generated marshallers.  The schema and the checks are cached until a
    command is (un)registered or the registry changes.

    Args:
        registry: the type registry whose schema the commands' checks use.
    """

    def __init__(self, registry: TypeRegistry) -> None:
        #: The registry whose schema the checks use.
        self.registry = registry
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

    def register(
        self,
        name: str,
        handler: Handler,
        args: Mapping[str, TypeSpec] | None = NO_ARGUMENTS,
        *,
        allow_oob: bool = False,
    ) -> QMPCommand:
        """Add the command *name* (`Dispatcher.register`)."""
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

    def unregister(self, name: str) -> None:
        """Remove the command *name* (`Dispatcher.unregister`)."""
        if name not in self._commands:
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

    def get(self, name: str) -> QMPCommand | None:
        """Return the command *name*, or None."""
        return self._commands.get(name)

    @property
    def commands(self) -> tuple[QMPCommand, ...]:
        """Every command, in registration order."""
        return tuple(self._commands.values())

    @property
    def names(self) -> list[str]:
        """The command names, in registration order."""
        return list(self._commands)
