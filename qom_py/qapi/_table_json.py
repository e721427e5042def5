"""
The check table as JSON: `table_to_json`, and `table_from_json`, which trusts nothing it reads.

JSON cannot run code or build one (unlike pickle, or marshal's code objects),
and the standard `json` module is on the daemon's path anyway.  Reading
validates as it converts (JSON arrays become the table's tuples): the result
has exactly the shape `qom_py.qapi._table` describes and is consistent (every
type a type or command names is defined, with the kind the checker needs of
it), or there is no result at all.  A table read from disk can then make the
checker neither fail nor check against types that do not exist.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Final, cast

from ._builtin_types import BUILTIN_JSON_TYPES
from ._table import _BUILTIN_QTYPES, _KIND_QTYPES

if TYPE_CHECKING:
    from ._table import CheckTable, MemberEntry, TypeEntry

__all__ = ["BUILTIN_TYPES", "table_from_json", "table_to_json"]

#: The built-in types and their JSON types, as the checker builds them.
BUILTIN_TYPES: Final[Mapping[str, str]] = BUILTIN_JSON_TYPES

#: The QTypes an alternate's branch may dispatch on (None: none).
_QTYPES: Final = frozenset({None, *_BUILTIN_QTYPES.values(), *_KIND_QTYPES.values()})


class _Invalid(Exception):
    """The data is not a check table."""


def table_to_json(table: CheckTable) -> bytes:
    """*table* as compact JSON (ASCII)."""
    return json.dumps(table, separators=(",", ":")).encode()


def table_from_json(text: bytes) -> CheckTable | None:
    """The table *text* holds (as `table_to_json` wrote it), or None if it holds anything else."""
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):  # not JSON (UnicodeDecodeError is a ValueError), too deep
        return None
    try:
        return _table(data)
    except _Invalid:
        return None


def _need(condition: bool) -> None:
    if not condition:
        raise _Invalid


def _str(raw: object) -> str:
    if isinstance(raw, str):
        return raw
    raise _Invalid


def _opt_str(raw: object) -> str | None:
    return None if raw is None else _str(raw)


def _list(raw: object, size: int | None = None) -> list[object]:
    if isinstance(raw, list) and (size is None or len(raw) == size):
        return cast("list[object]", raw)
    raise _Invalid


def _dict(raw: object) -> dict[str, object]:
    if isinstance(raw, dict):
        return cast("dict[str, object]", raw)  # JSON: the keys are strings
    raise _Invalid


def _table(data: object) -> CheckTable:
    top = _dict(data)
    _need(top.keys() == {"types", "commands"})
    types = {name: _entry(name, raw) for name, raw in _dict(top["types"]).items()}
    kinds = {name: entry[0] for name, entry in types.items()}
    for entry in types.values():
        _check_references(entry, kinds)
    commands = {name: _opt_str(arg_type) for name, arg_type in _dict(top["commands"]).items()}
    _need(all(arg_type is None or kinds.get(arg_type) == "object" for arg_type in commands.values()))
    return {"types": types, "commands": commands}


def _pairs(raw: object) -> list[tuple[object, str]]:
    """``[[x, name], ...]``; *x* is the caller's to check."""
    pairs = [_list(pair, 2) for pair in _list(raw)]
    return [(pair[0], _str(pair[1])) for pair in pairs]


def _member(raw: object) -> MemberEntry:
    name, optional, typ = _list(raw, 3)
    _need(isinstance(optional, bool))
    return (_str(name), optional is True, _str(typ))


def _entry(name: str, raw: object) -> TypeEntry:
    """The entry *raw* of the type *name*, its shape checked (not yet what it names)."""
    fields = _list(raw)
    _need(len(fields) >= 1)
    kind = fields[0]
    if kind == "builtin":
        _need(len(fields) == 2 and BUILTIN_TYPES.get(name) == fields[1])
        return ("builtin", BUILTIN_TYPES[name])
    _need(name not in BUILTIN_TYPES)
    if kind == "enum":
        _need(len(fields) == 2)
        values = tuple(_str(value) for value in _list(fields[1]))
        _need(len(set(values)) == len(values))
        return ("enum", values)
    if kind == "array":
        _need(len(fields) == 2)
        return ("array", _str(fields[1]))
    if kind == "object":
        _need(len(fields) == 4)
        members = tuple(_member(member) for member in _list(fields[1]))
        _need(len({member[0] for member in members}) == len(members))
        base = _opt_str(fields[3])
        if fields[2] is None:
            return ("object", members, None, base)
        tag, cases = _list(fields[2], 2)
        variants = tuple((_str(case), branch) for case, branch in _pairs(cases))
        _need(_str(tag) in {member[0] for member in members})
        return ("object", members, (_str(tag), variants), base)
    if kind == "alternate":
        _need(len(fields) == 2)
        branches = tuple((_opt_str(qtype), branch) for qtype, branch in _pairs(fields[1]))
        _need(all(qtype in _QTYPES for qtype, _ in branches))
        return ("alternate", branches)
    raise _Invalid


def _check_references(entry: TypeEntry, kinds: Mapping[str, str]) -> None:
    """Every type *entry* names is defined; a base and a union's branches are object types."""
    if entry[0] == "array":
        _need(entry[1] in kinds)
    elif entry[0] == "object":
        _need(all(member[2] in kinds for member in entry[1]))
        _need(entry[3] is None or kinds.get(entry[3]) == "object")
        if entry[2] is not None:
            _need(all(kinds.get(branch) == "object" for _, branch in entry[2][1]))
    elif entry[0] == "alternate":
        _need(all(branch in kinds for _, branch in entry[1]))
