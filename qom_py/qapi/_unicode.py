"""
QEMU's modified UTF-8 (``util/unicode.c``), shared by the JSON reader and writer.

QEMU accepts ``\xc0\x80`` for U+0000 and refuses surrogates, noncharacters and
code points past U+10FFFF.
"""

from __future__ import annotations

from typing import Final

_MIN_CODEPOINT: Final = (0x80, 0x800, 0x10000, 0x200000, 0x4000000)


def is_valid_codepoint(cp: int) -> bool:
    """Mirror ``is_valid_codepoint()``: no surrogates, noncharacters or values past U+10FFFF."""
    if cp > 0x10FFFF:
        return False
    if 0xFDD0 <= cp <= 0xFDEF or (cp & 0xFFFE) == 0xFFFE:
        return False  # noncharacter; also catches the -1 of a failed \u escape
    return not 0xD800 <= cp <= 0xDFFF


def mod_utf8_codepoint(data: bytes, i: int) -> tuple[int, int]:
    """Decode one character at *i* as ``mod_utf8_codepoint()``: ``(codepoint or -1, end)``."""
    n = len(data)
    if i >= n or data[i] == 0:
        return -1, i
    byte = data[i]
    i += 1
    if byte < 0x80:
        return byte, i
    if byte >= 0xFE or not byte & 0x40:
        return -1, i  # impossible byte, or a continuation byte out of place
    length = 0
    mask = 0x80
    while byte & mask:
        length += 1
        mask >>= 1
    cp = byte & (mask - 1)
    for _ in range(1, length):
        nxt = data[i] if i < n else 0
        if nxt & 0xC0 != 0x80:
            return -1, i  # continuation missing; it is not consumed
        i += 1
        cp = (cp << 6) | (nxt & 0x3F)
    if not is_valid_codepoint(cp):
        return -1, i
    if cp < _MIN_CODEPOINT[length - 2] and not (cp == 0 and length == 2):
        return -1, i  # overlong, except QEMU's \xC0\x80 for U+0000
    return cp, i


def qemu_text(raw: bytes) -> str:
    """
    Return the text a QMP client sees for QEMU's C string *raw* (no NUL inside).

    QEMU's JSON writer decodes its strings with ``mod_utf8_codepoint()`` and writes
    U+FFFD for every undecodable sequence.
    """
    if raw.isascii():
        return raw.decode("ascii")
    out: list[str] = []
    i = 0
    while i < len(raw):
        cp, i = mod_utf8_codepoint(raw, i)
        out.append(chr(cp) if cp >= 0 else "\ufffd")
    return "".join(out)
