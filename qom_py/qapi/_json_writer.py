"""
QEMU's JSON writer (``qobject/json-writer.c``), as QMP replies use it.

`to_json` writes values as QEMU does, including the key order of QEMU's ``QDict``
hash table (so ``{"id": 1, "error": ...}`` but ``{"return": ..., "id": 1}``),
``%.17g`` floats and upper-case ``\\uXXXX`` escapes.  The reader is
`qom_py.qapi._json_streamer`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any, Final

from ._qdict_order import qdict_keys
from ._unicode import is_valid_codepoint

__all__ = ["EncodedJSON", "to_json"]


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
        elif not is_valid_codepoint(cp):
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
        return _quote(value)  # type: ignore[arg-type]  # type(value) is str; one type() call on the hot path
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
    # Stack of (iterator of (name, value), is_object); the name is a str in an
    # object, None in an array.
    stack: list[tuple[Iterator[tuple[Any, object]], bool]] = []
    items: Iterator[tuple[Any, object]] = iter(((None, value),))
    in_object = False
    need_comma = False
    while True:
        try:
            name, item = next(items)
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
