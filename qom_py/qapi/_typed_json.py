"""
Typed QAPI values given as input: their JSON, for the checker to check as any JSON.

Python callers may set a property (or create an object) from the Python types
of `qom_py.qapi._pytypes` -- instances of the classes made for (or adopted by)
QAPI types, enum members, tuples -- alone or nested anywhere in lists and dicts.
`typed_json` turns such a value into its JSON once, at the edge; the checker
then checks it as it checks any JSON, so a bad value inside an instance
(attrs classes take any value: ``Rule(port=70000)``) gets QEMU's message and
path, and a typed value needs no trust.

The walk is tolerant: it reads an instance's attributes by its class's
``__qapi_members__`` (QEMU's member order, base first) without assuming their
types, leaves what it does not know as it is (the checker refuses it with the
message for the value given), and returns the very value it was given when
there is nothing typed in it.  It is for the refusal path: callers check plain
JSON first, at no extra cost, and walk only a value the checker refused,
checking again only when the walk changed it.  This module imports neither cattrs nor the class model: a
daemon reaches it with bad JSON only.
"""

from __future__ import annotations

import enum
import weakref
from collections.abc import Mapping, Sequence
from typing import Any, Final

import attrs

__all__ = ["ABSENT", "MEMBERS", "Absent", "QAPIMembers", "typed_json"]


class Absent(enum.Enum):
    """The type of `ABSENT`."""

    ABSENT = "absent"

    def __repr__(self) -> str:
        return "ABSENT"


#: The value of an absent optional member whose type admits null (``any``, an alternate with
#: a ``null`` branch), where None is a value: ``SchemaInfoObjectMember.default``.
ABSENT: Final = Absent.ABSENT

#: A class's members: (Python attribute, QAPI name, optional), in QEMU's order.
QAPIMembers = tuple[tuple[str, str, bool], ...]

#: The class attribute of a class made for (or adopted by) a QAPI type: its `QAPIMembers`.
MEMBERS: Final = "__qapi_members__"

_SCALARS: Final = frozenset({str, int, float, bool, type(None)})
_TEXT: Final = (str, bytes, bytearray)  # sequences that are no JSON array

#: An instance's members to write: (attribute, QAPI name, what marks it absent besides `ABSENT`).
_Plan = tuple[tuple[str, str, object], ...]
_NOTHING: Final = object()  # a required member: only `ABSENT` marks it absent (it is then missing)
_PLANS: Final[weakref.WeakKeyDictionary[type, _Plan]] = weakref.WeakKeyDictionary()


def typed_json(value: object) -> Any:
    """
    *value* with every typed value in it as its JSON; *value* itself when there is none.

    An instance of a QAPI type's class becomes a dict of its members in
    QEMU's order (absent optional members left out), an enum member its
    value, a tuple (or another sequence) a list, another mapping a dict;
    containers are new only where something in them changed.  A value too
    deep to walk is given back as it is: the checker then reports its depth.
    """
    try:
        return _walk(value)
    except RecursionError:
        return value


def _walk(value: object) -> Any:
    if type(value) in _SCALARS:
        return value
    if isinstance(value, dict):
        items = {key: _walk(item) for key, item in value.items()}
        return value if all(items[key] is item for key, item in value.items()) else items
    if isinstance(value, list):
        elements = [_walk(item) for item in value]
        return value if all(new is old for new, old in zip(elements, value, strict=True)) else elements
    if isinstance(value, enum.Enum):
        return value if value is ABSENT else value.value
    members: QAPIMembers | None = getattr(type(value), MEMBERS, None)
    if members is not None:
        return _instance_json(value, members)
    if isinstance(value, Mapping):
        return {key: _walk(item) for key, item in value.items()}
    if isinstance(value, Sequence) and not isinstance(value, _TEXT):
        return [_walk(item) for item in value]
    return value


def _instance_json(value: object, members: QAPIMembers) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for attr, qapi, absent in _plan(type(value), members):
        item = getattr(value, attr, ABSENT)
        if item is not ABSENT and item is not absent:
            out[qapi] = typed_json(item)
    return out


def _plan(cls: type, members: QAPIMembers) -> _Plan:
    """What *cls*'s instances write (kept per class): an optional member is absent as None unless None is a value."""
    found = _PLANS.get(cls)
    if found is None:
        defaults = {field.name: field.default for field in attrs.fields(cls)} if attrs.has(cls) else {}
        found = _PLANS[cls] = tuple(
            (attr, qapi, (ABSENT if defaults.get(attr) is ABSENT else None) if optional else _NOTHING)
            for attr, qapi, optional in members
        )
    return found
