"""
Python argument specs of users' commands, as QAPI definitions.

`Dispatcher.register` takes a command's arguments in QAPI's notation written
in Python: ``{"path": "str", "*abstract": "bool"}`` (a leading ``*`` marks an
optional member), ``["str"]`` for a list, a nested mapping for a struct (QAPI
wants a named one: it gets a name here), and `QMPEnum` for an enum.
`spec_definitions` turns one into the expressions a ``{'command': ...}``
definition needs, which the dispatcher adds to its schema: the checks are
then the QAPI engine's (`qom_py.qapi.Checker`), as for every other command.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, TypeAlias, Union, final

import attrs

from .._util.names import camel_name
from ..errors import CommandRegistrationError

__all__ = ["QMPEnum", "TypeSpec", "spec_definitions"]

#: A QAPI-style type: ``"str"``, ``["int"]``, ``{"*a": "bool"}``, `QMPEnum`.
TypeSpec: TypeAlias = Union[str, list[Any], tuple[Any, ...], Mapping[str, Any], "QMPEnum"]


def _to_values(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(values)


@final
@attrs.frozen
class QMPEnum:
    """
    An enum type for an argument spec, as QAPI's ``{'enum': ...}``.

    Args:
        name: the QAPI type name (a schema enum of that name with other
            values is not replaced: this one is then defined under a name of
            its own).
        values: the accepted strings.
    """

    name: str
    values: tuple[str, ...] = attrs.field(converter=_to_values)


def spec_definitions(
    command: str, spec: Mapping[str, TypeSpec], enums: Mapping[str, tuple[str, ...]]
) -> list[dict[str, Any]]:
    """
    The QAPI expressions defining *command* with arguments *spec*.

    *enums*: the enums the schema has (name -> values); a `QMPEnum` equal to
    one of them uses it.  Structs and other enums are defined before the
    command, named after it (``QomPyArgNbdServerStartAddr``).

    Raises:
        CommandRegistrationError: a spec element that is not a type name, a
            one-element list, a mapping or a `QMPEnum`.
    """
    exprs: list[dict[str, Any]] = []
    defined: dict[str, tuple[str, ...]] = {}
    prefix = f"QomPyArg{camel_name(command)}"

    def convert(typ: object, path: str) -> Any:
        if isinstance(typ, str):
            return typ
        if isinstance(typ, QMPEnum):
            values = enums.get(typ.name, defined.get(typ.name))
            if values == typ.values:
                return typ.name
            name = typ.name if values is None else f"{prefix}{path}{camel_name(typ.name)}"
            exprs.append({"enum": name, "data": list(typ.values)})
            defined[name] = typ.values
            return name
        if isinstance(typ, (list, tuple)):
            if len(typ) != 1:
                msg = f"A list type has exactly one element type, as in ['str']; got {typ!r}"
                raise CommandRegistrationError(msg)
            return [convert(typ[0], path)]
        if isinstance(typ, Mapping):
            name = f"{prefix}{path}"
            exprs.append({"struct": name, "data": members(typ, path)})
            return name
        msg = f"Cannot use {typ!r} as an argument type: use a type name, a list, a mapping or a QMPEnum"
        raise CommandRegistrationError(msg)

    def members(data: Mapping[str, Any], path: str) -> dict[str, Any]:
        return {key: convert(typ, path + camel_name(str(key))) for key, typ in data.items()}

    data = members(spec, "")
    exprs.append({"command": command, "data": data} if data else {"command": command})
    return exprs
