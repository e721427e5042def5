"""
QEMU's JSON lexer (``qobject/json-lexer.c``): its state machine, states and token types.

`LEXER` is QEMU's transition table; `RUNS`, `bulk_token` and `skip_run` are
regular expressions that read whole runs or tokens the way the table reads them
byte by byte, for speed.  The streamer (`qom_py.qapi._json_streamer`) drives it.
"""

from __future__ import annotations

import functools
import re
from typing import Final

# ---------------------------------------------------------------------------
# The lexer's states and token types, numbered as in QEMU.  The numbering is
# observable: when a token outgrows the size limit, the lexer hands its *state*
# to the streamer as if it were a token type, and the streamer's switch falls
# through to the size check.  JSON_ERROR must be 0 and the states must stay
# below the token types.
# ---------------------------------------------------------------------------
JSON_ERROR: Final = 0
IN_RECOVERY: Final = 1
IN_DQ_STRING_ESCAPE: Final = 2
IN_DQ_STRING: Final = 3
IN_SQ_STRING_ESCAPE: Final = 4
IN_SQ_STRING: Final = 5
IN_ZERO: Final = 6
IN_EXP_DIGITS: Final = 7
IN_EXP_SIGN: Final = 8
IN_EXP_E: Final = 9
IN_MANTISSA: Final = 10
IN_MANTISSA_DIGITS: Final = 11
IN_DIGITS: Final = 12
IN_SIGN: Final = 13
IN_KEYWORD: Final = 14
IN_START: Final = 15
N_STATES: Final = 16

LCURLY: Final = 100
RCURLY: Final = 101
LSQUARE: Final = 102
RSQUARE: Final = 103
COLON: Final = 104
COMMA: Final = 105
INTEGER: Final = 106
FLOAT: Final = 107
KEYWORD: Final = 108
STRING: Final = 109
END_OF_INPUT: Final = 111
TOKEN_MIN: Final = LCURLY

#: Transition flag: the character is only looked at, not consumed.
LOOKAHEAD: Final = 0x80


def _build_lexer_table() -> tuple[bytes, ...]:
    """Return QEMU's ``json_lexer[][256]`` transition table (state -> byte -> next)."""
    table = [bytearray(256) for _ in range(N_STATES)]  # default: JSON_ERROR

    def terminal(state: int, token: int) -> None:
        table[state][:] = bytes([token | LOOKAHEAD]) * 256

    def put(state: int, chars: bytes | range, nxt: int) -> None:
        for c in chars:
            table[state][c] = nxt

    digits = b"0123456789"
    # Recovery skips to a structural character, a control character other than
    # tab, or one of the impossible UTF-8 bytes 0xFE/0xFF.
    put(IN_RECOVERY, range(0x20), IN_START | LOOKAHEAD)
    put(IN_RECOVERY, range(0x20, 0xFE), IN_RECOVERY)
    put(IN_RECOVERY, b"\xfe\xff", IN_START | LOOKAHEAD)
    put(IN_RECOVERY, b"\t", IN_RECOVERY)
    put(IN_RECOVERY, b"[]{}:,", IN_START | LOOKAHEAD)
    for string, escape, quote in (
        (IN_DQ_STRING, IN_DQ_STRING_ESCAPE, b'"'),
        (IN_SQ_STRING, IN_SQ_STRING_ESCAPE, b"'"),
    ):
        put(escape, range(0x20, 0xFE), string)
        put(string, range(0x20, 0xFE), string)
        put(string, b"\\", escape)
        put(string, quote, STRING)
    terminal(IN_ZERO, INTEGER)
    put(IN_ZERO, digits, JSON_ERROR)
    put(IN_ZERO, b".", IN_MANTISSA)
    terminal(IN_EXP_DIGITS, FLOAT)
    put(IN_EXP_DIGITS, digits, IN_EXP_DIGITS)
    put(IN_EXP_SIGN, digits, IN_EXP_DIGITS)
    put(IN_EXP_E, b"-+", IN_EXP_SIGN)
    put(IN_EXP_E, digits, IN_EXP_DIGITS)
    terminal(IN_MANTISSA_DIGITS, FLOAT)
    put(IN_MANTISSA_DIGITS, digits, IN_MANTISSA_DIGITS)
    put(IN_MANTISSA_DIGITS, b"eE", IN_EXP_E)
    put(IN_MANTISSA, digits, IN_MANTISSA_DIGITS)
    terminal(IN_DIGITS, INTEGER)
    put(IN_DIGITS, digits, IN_DIGITS)
    put(IN_DIGITS, b"eE", IN_EXP_E)
    put(IN_DIGITS, b".", IN_MANTISSA)
    put(IN_SIGN, b"0", IN_ZERO)
    put(IN_SIGN, b"123456789", IN_DIGITS)
    terminal(IN_KEYWORD, KEYWORD)
    put(IN_KEYWORD, range(ord("a"), ord("z") + 1), IN_KEYWORD)
    put(IN_START, b'"', IN_DQ_STRING)
    put(IN_START, b"'", IN_SQ_STRING)
    put(IN_START, b"0", IN_ZERO)
    put(IN_START, b"123456789", IN_DIGITS)
    put(IN_START, b"-", IN_SIGN)
    for char, token in zip(b"{}[]:,", (LCURLY, RCURLY, LSQUARE, RSQUARE, COLON, COMMA), strict=True):
        table[IN_START][char] = token
    put(IN_START, range(ord("a"), ord("z") + 1), IN_KEYWORD)
    put(IN_START, b" \t\r\n", IN_START)
    return tuple(bytes(row) for row in table)


LEXER: Final = _build_lexer_table()

# Runs of bytes that keep a state where it is (consumed, same state).  Skipping
# them with one regex match instead of one Python step per byte is what keeps a
# 64 MiB string affordable; the result is the same as stepping byte by byte.
RUNS: Final[dict[int, re.Pattern[bytes]]] = {
    IN_START: re.compile(rb"[ \t\r\n]+"),
    IN_RECOVERY: re.compile(rb"[\t\x20-\x2b\x2d-\x39\x3b-\x5a\x5c\x5e-\x7a\x7c\x7e-\xfd]+"),
    IN_DQ_STRING: re.compile(rb"[\x20\x21\x23-\x5b\x5d-\xfd]+"),
    IN_SQ_STRING: re.compile(rb"[\x20-\x26\x28-\x5b\x5d-\xfd]+"),
    IN_DIGITS: re.compile(rb"[0-9]+"),
    IN_MANTISSA_DIGITS: re.compile(rb"[0-9]+"),
    IN_EXP_DIGITS: re.compile(rb"[0-9]+"),
    IN_KEYWORD: re.compile(rb"[a-z]+"),
}
#: States whose consumed characters are thrown away rather than kept in a token.
NO_TOKEN_STATES: Final = frozenset({IN_START, IN_RECOVERY})


@functools.cache
def bulk_token() -> re.Pattern[bytes]:
    """
    Whole tokens that the lexer, started in IN_START, reads the same way byte by byte.

    That is structural characters, strings, and numbers and keywords followed by a
    byte that ends them (so a token cut off by the end of the data is never taken
    here).  Anything else (errors, escapes at the edge, a token at the end of the
    data) is left to the byte-by-byte lexer, which is exact.  One match per token
    instead of one Python step per byte is what keeps ``[1,1,1,...`` affordable.
    Compiled on first use (~0.5 ms): the fast path, which most input takes, needs none.
    """
    return re.compile(
        rb"[ \t\r\n]*(?:"
        rb"([{}\[\]:,])"
        rb"|(\"(?:[\x20\x21\x23-\x5b\x5d-\xfd]|\\[\x20-\xfd])*\""
        rb"|'(?:[\x20-\x26\x28-\x5b\x5d-\xfd]|\\[\x20-\xfd])*')"
        rb"|(-?(?:0(?=[^0-9.])|[1-9][0-9]*(?=[^0-9eE.])))"
        rb"|(-?(?:0|[1-9][0-9]*)(?:\.[0-9]+(?:[eE][-+]?[0-9]+)?|[eE][-+]?[0-9]+)(?=[^0-9eE.]))"
        rb"|([a-z]+(?=[^a-z]))"
        rb")"
    )


@functools.cache
def skip_run() -> re.Pattern[bytes]:
    """
    What a skipped message's brackets and braces hide.

    Plain bytes (not control characters other than white space, not 0xFE/0xFF)
    and whole strings.  Compiled on first use, after a limit error.
    """
    return re.compile(
        rb"(?:[^\[\]{}\"'\x00-\x08\x0b\x0c\x0e-\x1f\xfe\xff]+"
        rb"|\"(?:[\x20\x21\x23-\x5b\x5d-\xfd]|\\[\x20-\xfd])*\""
        rb"|'(?:[\x20-\x26\x28-\x5b\x5d-\xfd]|\\[\x20-\xfd])*')*"
    )


#: `bulk_token`'s group number -> token type (group 1 is looked up in `STRUCTURAL`).
BULK_KINDS: Final = (0, 0, STRING, INTEGER, FLOAT, KEYWORD)
STRUCTURAL: Final = {
    ord("{"): LCURLY,
    ord("}"): RCURLY,
    ord("["): LSQUARE,
    ord("]"): RSQUARE,
    ord(":"): COLON,
    ord(","): COMMA,
}
