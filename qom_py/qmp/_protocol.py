"""
The QMP wire format as QEMU 7.2 speaks it: JSON writing and request checks.

(QEMU's JSON reader, which QMP shares with ``--object``, is `qom_py.qapi._json`.)

* `to_json` writes values as QEMU's ``qobject/json-writer.c`` does, including the
  key order of QEMU's ``QDict`` hash table (so ``{"id": 1, "error": ...}`` but
  ``{"return": ..., "id": 1}``), ``%.17g`` floats and upper-case ``\\uXXXX`` escapes.
* `check_request` validates one request object as ``qmp_dispatch_check_obj()``
  (``qapi/qmp-dispatch.c``) does.

Nothing here knows about sockets or commands.
"""

from __future__ import annotations

import re
from typing import Final, NamedTuple

from ..errors import QMPProtocolError
from ..qapi._json import (
    MAX_NESTING,
    MAX_TOKEN_COUNT,
    MAX_TOKEN_SIZE,
    JSONStreamParser,
    JSONValue,
    _is_valid_codepoint,
    qobject_from_json,
)
from ..qapi._qdict_order import qdict_keys

__all__ = [
    "MAX_NESTING",
    "MAX_TOKEN_COUNT",
    "MAX_TOKEN_SIZE",
    "EncodedJSON",
    "JSONStreamParser",
    "JSONValue",
    "QMPRequest",
    "check_request",
    "qdict_keys",
    "qobject_from_json",
    "to_json",
]

# ---------------------------------------------------------------------------
# Writing: QEMU's JSON writer (QDict's key order: qom_py.qapi._qdict_order).
# ---------------------------------------------------------------------------


def _build_ascii_escapes() -> dict[int, str]:
    table = {c: f"\\u{c:04X}" for c in range(0x20)}
    table.update(
        {
            ord('"'): '\\"',
            ord("\\"): "\\\\",
            ord("\b"): "\\b",
            ord("\f"): "\\f",
            ord("\n"): "\\n",
            ord("\r"): "\\r",
            ord("\t"): "\\t",
            0x7F: "\\u007F",
        }
    )
    return table


_ASCII_ESCAPES: Final = _build_ascii_escapes()
_NEEDS_ESCAPE: Final = re.compile(r'[\x00-\x1f"\\\x7f]')


def _quote(text: str) -> str:
    """Quote *text* as ``quoted_str()``: upper-case ``\\uXXXX`` for controls and non-ASCII."""
    if text.isascii():
        if _NEEDS_ESCAPE.search(text) is None:
            return f'"{text}"'
        return '"' + text.translate(_ASCII_ESCAPES) + '"'
    out = ['"']
    for char in text:
        cp = ord(char)
        if cp < 0x80:
            out.append(_ASCII_ESCAPES.get(cp, char))
        elif not _is_valid_codepoint(cp):
            out.append("\\uFFFD")  # QEMU's decoder refuses it, and writes U+FFFD
        elif cp > 0xFFFF:
            cp -= 0x10000
            out.append(f"\\u{0xD800 + (cp >> 10):04X}\\u{0xDC00 + (cp & 0x3FF):04X}")
        else:
            out.append(f"\\u{cp:04X}")
    out.append('"')
    return "".join(out)


def _scalar(value: object) -> str | None:
    """Write a scalar, or return None for a container."""
    kind = type(value)
    if kind is str:
        return _quote(value)  # type: ignore[arg-type]  # type(value) is str
    if kind is int:
        return int.__repr__(value)  # pyright: ignore[reportArgumentType]  # type(value) is int
    if value is True:
        return "true"
    if value is False:
        return "false"
    if value is None:
        return "null"
    if kind is float:
        return f"{value:.17g}"  # json_writer_double()
    if kind is dict or kind is list or kind is tuple:
        return None
    # Subclasses (enums, bool-likes) are written as their JSON base type.
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return _quote(str.__str__(value))
    if isinstance(value, int):
        return int.__repr__(value)
    if isinstance(value, float):
        return f"{value:.17g}"
    if isinstance(value, (dict, list, tuple)):
        return None
    msg = f"Object of type {type(value).__name__} is not JSON serializable"
    raise TypeError(msg)


def _compact(value: object) -> str:
    """The common case: recursive and compact."""
    text = _scalar(value)
    if text is not None:
        return text
    if isinstance(value, dict):
        if not value:
            return "{}"
        return "{" + ", ".join([_quote(key) + ": " + _compact(value[key]) for key in qdict_keys(value)]) + "}"
    assert isinstance(value, (list, tuple))
    if not value:
        return "[]"
    return "[" + ", ".join([_compact(item) for item in value]) + "]"


def _written(value: object, pretty: bool) -> str:
    """
    Write *value* as ``json_writer``, with an explicit stack (any depth).

    Mirrors ``maybe_comma_name()``, ``pretty_newline()`` and friends: with
    *pretty*, every member goes on its own line, indented by four spaces per
    level, and even an empty container spans two lines.
    """
    parts: list[str] = []
    # Stack of (iterator of (name, value), is_object).
    stack: list[tuple[object, bool]] = []
    items: object = iter(((None, value),))
    in_object = False
    need_comma = False
    while True:
        try:
            name, item = next(items)  # type: ignore[call-overload]  # our own iterators
        except StopIteration:
            if not stack:
                break
            stack.pop()
            if pretty:
                parts.append("\n" + " " * (4 * len(stack)))
            parts.append("}" if in_object else "]")
            need_comma = True
            if stack:
                items, in_object = stack[-1]
            continue
        # maybe_comma_name()
        if need_comma:
            parts.append(",")
            parts.append("\n" + " " * (4 * len(stack)) if pretty else " ")
        else:
            if parts and pretty:
                parts.append("\n" + " " * (4 * len(stack)))
            need_comma = True
        if in_object:
            parts.append(_quote(name) + ": ")
        text = _scalar(item)
        if text is not None:
            parts.append(text)
            continue
        if isinstance(item, dict):
            parts.append("{")
            items = iter([(key, item[key]) for key in qdict_keys(item)])
            in_object = True
        else:
            assert isinstance(item, (list, tuple))
            parts.append("[")
            items = iter([(None, element) for element in item])
            in_object = False
        stack.append((items, in_object))
        need_comma = False
    return "".join(parts)


class EncodedJSON(str):
    """
    A command's return value already written by `to_json` (compact layout).

    A handler that builds a large reply returns one, so that it can write the
    reply piece by piece between event-loop passes; the dispatcher splices it in
    as it is (for a session without ``pretty=on``; a pretty session gets the
    plain value).
    """

    __slots__ = ()


def to_json(value: object, *, pretty: bool = False) -> str:
    """
    Return *value* written as QEMU 7.2 writes JSON.

    Dict keys come out in QDict order (`qdict_keys`), floats as ``%.17g``
    (``1500``, ``0.10000000000000001``, ``inf``), non-ASCII and control
    characters as upper-case ``\\uXXXX``.  *pretty* gives QEMU's ``pretty=on``
    layout.  No trailing newline.

    Raises:
        TypeError: *value* holds something that is not JSON.
    """
    if pretty:
        return _written(value, True)
    try:
        return _compact(value)
    except RecursionError:
        return _written(value, False)


# ---------------------------------------------------------------------------
# One request: qmp_dispatch_check_obj().
# ---------------------------------------------------------------------------
class QMPRequest(NamedTuple):
    """A request that passed `check_request`."""

    #: The command name (from ``execute`` or ``exec-oob``).
    command: str
    #: The ``arguments`` object, or None when the request had none.
    arguments: dict[str, JSONValue] | None
    #: True for ``exec-oob``.
    oob: bool


_PLAIN_MEMBERS: Final = frozenset({"execute", "arguments", "id"})
_MISSING: Final = object()


def check_request(request: JSONValue, *, allow_oob: bool = False) -> QMPRequest:
    """
    Check that *request* is a well-formed QMP command, as QEMU does.

    Members are checked in QDict order, so when several are wrong, the one QEMU
    names is the one named here.  ``exec-oob`` is only a command member when
    *allow_oob* (the client negotiated the ``oob`` capability).  The ``id`` is
    not looked at; the caller echoes it whatever happens here.

    Raises:
        QMPProtocolError: ``QMP input must be a JSON object``, ``QMP input member
            'execute' must be a string``, ``QMP input lacks member 'execute'``,
            ``QMP input member 'arguments' must be an object``, ``QMP input member
            'X' is unexpected``, ``QMP input member 'execute' clashes with
            'exec-oob'``.
    """
    if type(request) is not dict:
        msg = "QMP input must be a JSON object"
        raise QMPProtocolError(msg)
    # Fast path: the usual members, the usual types.
    if request.keys() <= _PLAIN_MEMBERS:
        command = request.get("execute")
        arguments = request.get("arguments", _MISSING)
        if type(command) is str and (arguments is _MISSING or type(arguments) is dict):
            return QMPRequest(command, None if arguments is _MISSING else arguments, False)  # type: ignore[arg-type]  # checked above
    exec_key: str | None = None
    for name in qdict_keys(request):
        member = request[name]
        if name == "execute" or (name == "exec-oob" and allow_oob):
            if type(member) is not str:
                msg = f"QMP input member '{name}' must be a string"
                raise QMPProtocolError(msg)
            if exec_key is not None:
                msg = f"QMP input member '{name}' clashes with '{exec_key}'"
                raise QMPProtocolError(msg)
            exec_key = name
        elif name == "arguments":
            if type(member) is not dict:
                msg = "QMP input member 'arguments' must be an object"
                raise QMPProtocolError(msg)
        elif name != "id":
            msg = f"QMP input member '{name}' is unexpected"
            raise QMPProtocolError(msg)
    if exec_key is None:
        msg = "QMP input lacks member 'execute'"
        raise QMPProtocolError(msg)
    arguments = request.get("arguments")
    return QMPRequest(request[exec_key], arguments, exec_key == "exec-oob")  # type: ignore[arg-type]  # checked above
