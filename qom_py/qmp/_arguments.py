"""
Argument checking of QMP commands: QEMU's QObject input visitor in JSON mode.

Argument specs use QAPI's notation: ``{"path": "str", "*abstract": "bool"}``
(a leading ``*`` marks an optional member), ``["str"]`` for a list, a nested
mapping for a struct, and `QMPEnum` for an enum.  Arguments are checked with
QEMU's messages and in its order: members in declaration order (missing, then
wrong type, as met), then unexpected members, named in GLib hash-table order as
QEMU names them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, Final, TypeAlias, Union, final

import attrs

from .._json import JSONValue
from .._visitors import INT_RANGES, JSON_VISITOR, expects, invalid_type
from ..errors import ParameterError, QOMError
from ..qapi._qdict_order import g_str_hash as _g_str_hash  # noqa: F401 - the old name
from ..qapi._qdict_order import ghash_first_remaining as _ghash_first_remaining
from ..qapi._qdict_order import qdict_keys

__all__ = ["CommandRegistrationError", "QMPEnum", "TypeSpec", "compile_arguments"]


class CommandRegistrationError(QOMError, ValueError):
    """A command cannot be registered: a duplicate name or a bad argument spec."""


#: A QAPI-style type: ``"str"``, ``["int"]``, ``{"*a": "bool"}``, `QMPEnum`.
TypeSpec: TypeAlias = Union[str, list[Any], tuple[Any, ...], Mapping[str, Any], "QMPEnum"]

#: A compiled type check: (value, full name, plain name or None) -> value.
_Check: TypeAlias = Callable[[JSONValue, str, str | None], JSONValue]


def _reader(read: Callable[[str, object], Any]) -> _Check:
    """A check that reads a scalar through the JSON-mode visitor (its messages)."""
    return lambda value, full, name: read(full, value)


def _check_null(value: JSONValue, full: str, name: str | None) -> JSONValue:
    if value is None:
        return value
    raise invalid_type(full, "null")


def _check_any(value: JSONValue, full: str, name: str | None) -> JSONValue:
    return value


def _check_object(value: JSONValue, full: str, name: str | None) -> JSONValue:
    if type(value) is dict:
        return value
    raise invalid_type(full, "object")


def _sized(bits: int, signed: bool) -> _Check:
    """visit_type_intN()/uintN(): the 64-bit read, then a range check by *plain* name."""
    low, high, c_type = INT_RANGES[bits, signed]
    read = JSON_VISITOR.type_int64 if signed else JSON_VISITOR.type_uint64

    def check(value: JSONValue, full: str, name: str | None) -> JSONValue:
        number = read(full, value)
        if low <= number <= high:
            return number
        # QEMU names the member here, not its path: list elements are "null".
        raise expects(name if name is not None else "null", c_type)

    return check


_SCALARS: Final[dict[str, _Check]] = {
    "str": _reader(JSON_VISITOR.type_str),
    "bool": _reader(JSON_VISITOR.type_bool),
    "int": _reader(JSON_VISITOR.type_int64),
    "int64": _reader(JSON_VISITOR.type_int64),
    "uint64": _reader(JSON_VISITOR.type_uint64),
    "size": _reader(JSON_VISITOR.type_size),
    "number": _reader(JSON_VISITOR.type_number),
    **{f"{'int' if signed else 'uint'}{bits}": _sized(bits, signed) for bits, signed in INT_RANGES if bits != 64},
    "null": _check_null,
    "any": _check_any,
    "object": _check_object,
}


def _to_values(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(values)


@final
@attrs.frozen
class QMPEnum:
    """
    An enum type for an argument spec, as QAPI's ``{'enum': ...}``.

    Args:
        name: the QAPI type name (documentation only).
        values: the accepted strings.
    """

    name: str
    values: tuple[str, ...] = attrs.field(converter=_to_values)


def _enum_check(enum: QMPEnum) -> _Check:
    accepted = frozenset(enum.values)

    def check(value: JSONValue, full: str, name: str | None) -> JSONValue:
        if type(value) is not str:
            raise invalid_type(full, "string")
        if value in accepted:
            return value
        # input_type_enum() names the member plainly; a list element has no name.
        shown = name if name is not None else "null"
        msg = f"Parameter '{shown}' does not accept value '{value}'"
        raise ParameterError(msg)

    return check


def _list_check(element: _Check) -> _Check:
    def check(value: JSONValue, full: str, name: str | None) -> JSONValue:
        if type(value) is not list:
            raise invalid_type(full, "array")
        result: list[JSONValue] | None = None
        for index, item in enumerate(value):
            checked = element(item, f"{full}[{index}]", None)
            if checked is not item:
                if result is None:
                    result = list(value)
                result[index] = checked
        return value if result is None else result

    return check


@final
class _Struct:
    """A compiled struct spec: members in declaration order."""

    __slots__ = ("members", "names")

    def __init__(self, spec: Mapping[str, TypeSpec]) -> None:
        members: list[tuple[str, bool, _Check]] = []
        for raw_name, member_type in spec.items():
            optional = raw_name.startswith("*")
            name = raw_name[1:] if optional else raw_name
            if not name:
                msg = f"Argument spec has an empty member name: {raw_name!r}"
                raise CommandRegistrationError(msg)
            members.append((name, optional, _compile(member_type)))
        #: (name, optional, check) in declaration order.
        self.members: tuple[tuple[str, bool, _Check], ...] = tuple(members)
        #: The member names.
        self.names = frozenset(name for name, _, _ in members)

    def check(self, value: JSONValue, full: str, name: str | None) -> JSONValue:
        if type(value) is not dict:
            raise invalid_type(full, "object")
        return self.check_members(value, full + ".")

    def check_members(self, value: dict[str, JSONValue], prefix: str) -> dict[str, JSONValue]:
        """Check the members of *value*; *prefix* is the dotted path ("" at the top)."""
        result: dict[str, JSONValue] | None = None
        present = 0
        for name, optional, check in self.members:
            if name in value:
                present += 1
                item = value[name]
                checked = check(item, prefix + name, name)
                if checked is not item:
                    if result is None:
                        result = dict(value)
                    result[name] = checked
            elif not optional:
                msg = f"Parameter '{prefix}{name}' is missing"
                raise ParameterError(msg)
        if present != len(value):
            extra = [key for key in value if key not in self.names]
            if len(extra) == 1:
                first = extra[0]
            else:
                visited = [name for name, _, _ in self.members if name in value]
                first = _ghash_first_remaining(qdict_keys(value), visited)
            msg = f"Parameter '{prefix}{first}' is unexpected"
            raise ParameterError(msg)
        return value if result is None else result


def _compile(type_spec: TypeSpec) -> _Check:
    spec: object = type_spec  # checked at run time: registration takes user input
    if isinstance(spec, str):
        check = _SCALARS.get(spec)
        if check is None:
            known = ", ".join(sorted(_SCALARS))
            msg = f"Unknown argument type {spec!r}; use one of {known}, a list, a mapping or a QMPEnum"
            raise CommandRegistrationError(msg)
        return check
    if isinstance(spec, QMPEnum):
        return _enum_check(spec)
    if isinstance(spec, (list, tuple)):
        if len(spec) != 1:
            msg = f"A list type has exactly one element type, as in ['str']; got {spec!r}"
            raise CommandRegistrationError(msg)
        return _list_check(_compile(spec[0]))
    if isinstance(spec, Mapping):
        return _Struct(spec).check
    msg = f"Cannot use {spec!r} as an argument type"
    raise CommandRegistrationError(msg)


def compile_arguments(spec: Mapping[str, TypeSpec] | None) -> _Struct | None:
    """The checker of a command's arguments (None: the handler checks them itself)."""
    return None if spec is None else _Struct(spec)
