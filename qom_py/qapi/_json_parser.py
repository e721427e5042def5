"""
QEMU's JSON parser (``qobject/json-parser.c``): one message's tokens to a value.

`parse_steps` walks the tokens with an explicit stack (any depth) and stops at
the first error, with QEMU's detail text (`ParseError`); strings and numbers are
decoded as QEMU decodes them.
"""

from __future__ import annotations

import re
from collections.abc import Generator, Sequence
from typing import Final, TypeAlias

from ._json_lexer import COLON, COMMA, FLOAT, INTEGER, KEYWORD, LCURLY, LSQUARE, RCURLY, RSQUARE, STRING
from ._scalars import INT64_MIN, UINT64_LIMIT
from ._unicode import is_valid_codepoint, mod_utf8_codepoint

#: A JSON value as the QMP layer passes it around (QEMU's QObject).
JSONValue: TypeAlias = None | bool | int | float | str | list["JSONValue"] | dict[str, "JSONValue"]

# Noncharacters, which QEMU refuses even as valid UTF-8.
_NONCHARACTERS: Final = re.compile(
    "[\ufdd0-\ufdef" + "".join(f"{chr(plane << 16 | 0xFFFE)}{chr(plane << 16 | 0xFFFF)}" for plane in range(17)) + "]"
)


class ParseError(Exception):
    """Internal: carries QEMU's parse_error() text (the part after ``JSON parse error, ``)."""


def parse_error(inner: bytes) -> ParseError:
    # parse_error() formats into a char[1024], so the detail is cut at 1023 bytes.
    return ParseError(inner[:1023])


_HEX_DIGITS: Final = frozenset(b"0123456789abcdefABCDEF")


def _cvt4hex(data: bytes, i: int) -> int:
    """Mirror ``cvt4hex()``: four hex digits at *i*, or -1."""
    if i + 4 > len(data):
        return -1
    digits = data[i : i + 4]
    if not all(c in _HEX_DIGITS for c in digits):
        return -1
    return int(digits, 16)


def _parse_string(token: bytes | bytearray) -> str:
    """Decode a string token (quotes included) as QEMU's ``parse_string()``."""
    if token.find(b"\\", 1, len(token) - 1) == -1:
        try:
            # From a memoryview: a 64 MiB token is not copied first.
            text = str(memoryview(token)[1:-1], "utf-8")
        except UnicodeDecodeError:
            pass
        else:
            if text.isascii() or _NONCHARACTERS.search(text) is None:
                return text
    token = bytes(token)  # the exact walk below, on bytes
    quote = token[0]
    out: list[str] = []
    i = 1
    end = len(token)
    while token[i] != quote:
        c = token[i]
        if c == 0x5C:  # backslash
            begin = i
            escape = token[i + 1]
            i += 2
            simple = _SIMPLE_ESCAPES.get(escape)
            if simple is not None:
                out.append(simple)
                continue
            if escape != 0x75:  # 'u'
                raise parse_error(b"invalid escape sequence in string")
            cp = _cvt4hex(token, i)
            i += 4
            if 0xD800 <= cp <= 0xDBFF and token[i : i + 2] == b"\\u":
                cp = 0x10000 + ((cp & 0x3FF) << 10)
                trailing = _cvt4hex(token, i + 2)
                if 0xDC00 <= trailing <= 0xDFFF:
                    cp |= trailing & 0x3FF
                    i += 6
                else:
                    cp = -1
            if not is_valid_codepoint(cp):
                shown = token[begin : min(i, end)]
                raise parse_error(shown + b" is not a valid Unicode character")
            out.append(chr(cp))
        else:
            cp, i = mod_utf8_codepoint(token, i)
            if cp < 0:
                raise parse_error(b"invalid UTF-8 sequence in string")
            out.append(chr(cp))
    return "".join(out)


_SIMPLE_ESCAPES: Final = {
    ord('"'): '"',
    ord("'"): "'",
    ord("\\"): "\\",
    ord("/"): "/",
    ord("b"): "\b",
    ord("f"): "\f",
    ord("n"): "\n",
    ord("r"): "\r",
    ord("t"): "\t",
}


def parse_number(text: bytes | bytearray | str) -> int | float:
    """An integer token becomes an int if it fits int64 or uint64, else a float (strtod)."""
    if len(text) <= 20:  # anything longer is out of range (and may pass int()'s digit limit)
        value = int(text)
        if INT64_MIN <= value < UINT64_LIMIT:
            return value
    return float(text)


# Parser-side frame markers for the explicit stack (the C parser recurses; an
# explicit stack keeps Python's recursion limit out of the way at depth 1024).
_AWAIT_KEY: Final = object()


#: Tokens `parse_steps` walks between two pauses (arbitrary: a few ms of work).
PARSE_STEP: Final = 4096


def parse_steps(kinds: bytes | bytearray, texts: Sequence[bytes | bytearray]) -> Generator[None, None, JSONValue]:
    """
    Parse one message's tokens as ``json_parser_parse()``, pausing every `PARSE_STEP` tokens.

    The C parser is recursive descent and stops at the first error; this is the
    same left-to-right walk with an explicit stack, so the first error met is the
    one reported.  A generator, so that the server can spread the parse of a
    2 Mi-token message over several event-loop callbacks: each ``next()`` does at
    most `PARSE_STEP` tokens of work; the value comes back as ``StopIteration.value``.
    The token ``i`` is ``(kinds[i], texts[i])``.

    Raises:
        ParseError: QEMU's detail text.
    """
    n = len(kinds)
    i = 0
    pause = PARSE_STEP
    # Each frame is [container, key]; key is _AWAIT_KEY while a dict waits for a
    # key, the pending key once one is read, and unused (None) for a list.
    stack: list[list[object]] = []
    value: JSONValue = None
    while True:
        # --- parse_value() ---
        if i >= pause:
            yield
            pause = i + PARSE_STEP
        if i >= n:
            raise parse_error(b"premature EOI")
        kind = kinds[i]
        if kind == LCURLY or kind == LSQUARE:
            i += 1
            if i >= n:
                raise parse_error(b"premature EOI")
            closer = RCURLY if kind == LCURLY else RSQUARE
            if kinds[i] == closer:
                i += 1
                value = {} if kind == LCURLY else []
            else:
                if kind == LCURLY:
                    stack.append([{}, _AWAIT_KEY])
                else:
                    stack.append([[], None])
                continue
        elif kind == STRING:
            i += 1
            value = _parse_string(texts[i - 1])
        elif kind == INTEGER:
            i += 1
            value = parse_number(texts[i - 1])
        elif kind == FLOAT:
            i += 1
            value = float(texts[i - 1])
        elif kind == KEYWORD:
            text = texts[i]
            i += 1
            if text == b"true":
                value = True
            elif text == b"false":
                value = False
            elif text == b"null":
                value = None
            else:
                raise parse_error(b"invalid keyword '" + text + b"'")
        else:
            raise parse_error(b"expecting value")
        # --- a value is complete: hand it to the enclosing containers ---
        while True:
            if not stack:
                return value
            frame = stack[-1]
            container = frame[0]
            if type(container) is list:
                container.append(value)
                if i >= n:
                    raise parse_error(b"premature EOI")
                kind = kinds[i]
                i += 1
                if kind == RSQUARE:
                    stack.pop()
                    value = container
                    continue
                if kind != COMMA:
                    raise parse_error(b"expected separator in list")
                break
            assert type(container) is dict
            if frame[1] is _AWAIT_KEY:
                if type(value) is not str:
                    raise parse_error(b"key is not a string in object")
                frame[1] = value
                if i >= n:
                    raise parse_error(b"premature EOI")
                kind = kinds[i]
                i += 1
                if kind != COLON:
                    raise parse_error(b"missing : in object pair")
                break
            key = frame[1]
            assert type(key) is str
            if key in container:
                raise parse_error(b"duplicate key")
            container[key] = value
            frame[1] = _AWAIT_KEY
            if i >= n:
                raise parse_error(b"premature EOI")
            kind = kinds[i]
            i += 1
            if kind == RCURLY:
                stack.pop()
                value = container
                continue
            if kind != COMMA:
                raise parse_error(b"expected separator in dict")
            break


def parse_tokens(kinds: bytes | bytearray, texts: Sequence[bytes | bytearray]) -> JSONValue:
    """Run `parse_steps` to the end."""
    steps = parse_steps(kinds, texts)
    try:
        while True:
            next(steps)
    except StopIteration as stop:
        value: JSONValue = stop.value  # the generator's return value
        return value
