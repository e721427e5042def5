"""
QAPI definitions written as Python classes: attrs classes and enums -> QAPI expressions.

The second way into the one model of `qom_py.qapi._pytypes`: instead of QAPI
text, an attrs class whose annotations name the member types::

    class Action(enum.Enum):
        ALLOW = "allow"
        DENY = "deny"

    @attrs.frozen(kw_only=True)
    class FirewallRule:
        match: str
        action: Action
        port: Annotated[int, QAPIType("uint16")] | None = None

gives ``{'enum': 'Action', 'data': ['allow', 'deny']}`` and ``{'struct':
'FirewallRule', 'data': {'match': 'str', 'action': 'Action', '*port':
'uint16'}}``.  Annotations: ``int`` -> ``int``, ``str``, ``bool``, ``float``
-> ``number``, `typing.Any` -> ``any``, ``X | None`` -> an optional member,
``tuple[X, ...]`` (or ``list[X]``) -> ``['X']``, an `enum.Enum` subclass
(string values) -> an enum, a nested attrs class -> a struct,
``Annotated[T, QAPIType("uint16")]`` -> the QAPI type named (any type of the
schema, ``size`` or a type defined in QAPI text).  A member's QAPI name is
``attrs.field(metadata={"qapi": "x-name"})`` or the attribute with ``_`` ->
``-`` (`qom_py.qapi._pynames.qapi_member_name`); a type's is its
``__qapi_name__`` or the class name.  The QAPI definition made is the truth:
the schema checks it as QEMU's ``qapi-gen`` would, and checks, introspection
and the JSON Schema all see it.
"""

from __future__ import annotations

import enum
import types
import typing
from collections.abc import Iterable
from typing import Any, Final

import attrs

from ._convert import QAPIMembers
from ._pynames import qapi_member_name

__all__ = ["QAPIType", "qapi_expressions", "qapi_text", "type_name"]


@attrs.frozen
class QAPIType:
    """``Annotated[int, QAPIType("uint16")]``: the QAPI type of a member that Python has no spelling for."""

    #: The QAPI type expression: a name, or ``["T"]`` for an array.
    name: str | list[str]


_SCALARS: Final[dict[Any, str]] = {int: "int", str: "str", bool: "bool", float: "number", Any: "any"}


def type_name(cls: type) -> str:
    """The QAPI name of the hand-written type *cls*."""
    name = cls.__dict__.get("__qapi_name__", cls.__name__)
    assert isinstance(name, str)
    return name


def _is_definable(tp: Any) -> bool:
    return isinstance(tp, type) and (attrs.has(tp) or issubclass(tp, enum.Enum))


class _Collector:
    def __init__(self, known: typing.Callable[[type], bool]) -> None:
        self.known = known
        self.exprs: list[dict[str, Any]] = []
        self.classes: list[tuple[type, QAPIMembers | None]] = []
        self.seen: set[type] = set()

    def type_expr(self, tp: Any, where: str) -> str | list[str]:
        if typing.get_origin(tp) is typing.Annotated:
            for extra in tp.__metadata__:
                if isinstance(extra, QAPIType):
                    return extra.name
            tp = typing.get_args(tp)[0]
        if tp in _SCALARS:
            return _SCALARS[tp]
        if tp is type(None):
            return "null"
        origin = typing.get_origin(tp)
        args = typing.get_args(tp)
        if origin is tuple and len(args) == 2 and args[1] is Ellipsis or origin is list and len(args) == 1:
            element = self.type_expr(args[0], where)
            if isinstance(element, list):
                msg = f"{where}: an array of arrays has no QAPI type"
                raise TypeError(msg)
            return [element]
        if _is_definable(tp):
            self.define(tp)
            return type_name(tp)
        msg = f"{where}: {tp!r} has no QAPI type (Annotated[..., QAPIType('name')] names one)"
        raise TypeError(msg)

    def define(self, cls: type) -> None:
        if cls in self.seen or self.known(cls):
            return
        self.seen.add(cls)
        name = type_name(cls)
        if issubclass(cls, enum.Enum):
            values = [m.value for m in cls]
            if not all(isinstance(v, str) for v in values):
                msg = f"enum {name}: QAPI enum values are strings"
                raise TypeError(msg)
            self.exprs.append({"enum": name, "data": values})
            self.classes.append((cls, None))
            return
        hints = typing.get_type_hints(cls, include_extras=True)
        data: dict[str, Any] = {}
        members: list[tuple[str, str, bool]] = []
        for field in attrs.fields(cls):  # type: ignore[arg-type]  # an attrs class (_is_definable)
            tp = hints.get(field.name, field.type)
            optional = False
            if typing.get_origin(tp) in (typing.Union, types.UnionType) and type(None) in typing.get_args(tp):
                rest = [a for a in typing.get_args(tp) if a is not type(None)]
                if len(rest) != 1:
                    msg = f"{name}.{field.name}: a union of Python types has no QAPI type (define an alternate in QAPI)"
                    raise TypeError(msg)
                tp, optional = rest[0], True
            qapi = field.metadata.get("qapi", qapi_member_name(field.name))
            data[("*" if optional else "") + qapi] = self.type_expr(tp, f"{name}.{field.name}")
            members.append((field.name, qapi, optional))
        self.exprs.append({"struct": name, "data": data})
        self.classes.append((cls, tuple(members)))


def qapi_expressions(
    classes: Iterable[type], known: typing.Callable[[type], bool] = lambda cls: False
) -> tuple[list[dict[str, Any]], list[tuple[type, QAPIMembers | None]]]:
    """
    The QAPI expressions defining *classes* and the types they use, each before its first user.

    *known* tells the classes already defined (left out).  Also returns each
    class defined with its members (Python name, QAPI name, optional), None
    for an enum.

    Raises:
        TypeError: an annotation has no QAPI type.
    """
    collector = _Collector(known)
    for cls in classes:
        if not _is_definable(cls):
            msg = f"{cls!r} is neither an attrs class nor an enum.Enum subclass"
            raise TypeError(msg)
        collector.define(cls)
    return collector.exprs, collector.classes


def qapi_text(exprs: Iterable[dict[str, Any]]) -> str:
    """*exprs* as QAPI schema text (QAPI's quotes are single; its names hold no quote)."""
    import json

    return "".join(json.dumps(e).replace('"', "'") + "\n" for e in exprs)
