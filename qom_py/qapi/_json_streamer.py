"""
QEMU's JSON reader: the streamer (``qobject/json-streamer.c``) and ``qobject_from_json()``.

`JSONStreamParser` splits a byte stream into JSON values the way QEMU does: the
same extensions (single-quoted strings, ``\\'``), the same error messages, the
same resynchronisation after an error and the same limits (token size, token
count, nesting) -- except that the rest of a message past a limit is skipped
with one error (`JSONStreamParser`).  Well-formed standard JSON objects take a fast path through
`json.JSONDecoder.raw_decode`; everything else goes through a faithful model of
QEMU's lexer state machine.  `qobject_from_json` reads exactly one value (JSON
``--object`` strings); QMP reads streams.

Pure: nothing here knows about objects, commands or sockets.

The lexer is `qom_py.qapi._json_lexer`, the parser `qom_py.qapi._json_parser`;
the writer, `qom_py.qapi._json_writer`.
"""

from __future__ import annotations

import json
from collections.abc import Generator
from typing import Final

from ..errors import JSONParseError
from ._json_lexer import (
    BULK_KINDS,
    END_OF_INPUT,
    IN_RECOVERY,
    IN_START,
    JSON_ERROR,
    LCURLY,
    LEXER,
    LOOKAHEAD,
    LSQUARE,
    NO_TOKEN_STATES,
    RCURLY,
    RSQUARE,
    RUNS,
    STRUCTURAL,
    TOKEN_MIN,
    bulk_token,
    skip_run,
)
from ._json_parser import PARSE_STEP, JSONValue, ParseError, parse_number, parse_steps, parse_tokens
from ._unicode import qemu_text

__all__ = [
    "MAX_NESTING",
    "MAX_TOKEN_COUNT",
    "MAX_TOKEN_SIZE",
    "JSONStreamParser",
    "JSONValue",
    "parse_json_object",
    "qobject_from_json",
]

#: QEMU's per-message limit on the bytes of all tokens (``json-streamer.c``).
MAX_TOKEN_SIZE: Final = 64 << 20
#: QEMU's per-message limit on the number of tokens.
MAX_TOKEN_COUNT: Final = 2 << 20
#: QEMU's limit on open brackets and braces.
MAX_NESTING: Final = 1 << 10


# ---------------------------------------------------------------------------
# The fast path: CPython's C JSON scanner, guarded so that it only accepts what
# QEMU accepts *and* parses it to the same value.  Anything it refuses or that
# might differ goes to the slow path, which is exact.
# ---------------------------------------------------------------------------
class _Reject(Exception):
    """Internal: the fast path saw something only the slow path handles exactly."""


def _pairs_no_duplicates(pairs: list[tuple[str, JSONValue]]) -> dict[str, JSONValue]:
    result = dict(pairs)
    if len(result) != len(pairs):
        raise _Reject  # QEMU: "duplicate key"
    return result


def _reject_constant(_name: str) -> JSONValue:
    raise _Reject  # NaN / Infinity are Python extensions, not QEMU's


_FAST_DECODER: Final = json.JSONDecoder(
    object_pairs_hook=_pairs_no_duplicates,
    parse_int=parse_number,
    parse_constant=_reject_constant,
)
_fast_decode: Final = _FAST_DECODER.raw_decode
_WHITESPACE: Final = frozenset(" \t\r\n")


#: Tokens shorter than this are copied to bytes; longer ones keep the lexer's buffer.
_COPY_BELOW: Final = 4096
#: Messages with at most this many tokens are parsed at once, bigger ones step by step.
_PARSE_AT_ONCE: Final = PARSE_STEP
#: What `JSONStreamParser.buffered` counts per token on top of its bytes: a list
#: slot, a bytearray slot and a share of a bytes object (an estimate).
_TOKEN_OVERHEAD: Final = 16


class JSONStreamParser:
    """
    Split a byte stream into JSON values with QEMU's JSON message parser.

    Models QEMU's ``JSONMessageParser`` (``qobject/json-streamer.c``) with its lexer
    (``json-lexer.c``) and parser (``json-parser.c``).  Input is a stream of JSON
    values, not of lines: two objects on one line are two messages, and a
    message may arrive in any number of pieces.

    `feed` returns, in stream order, every message completed by the new data:
    a `JSONValue`, or a `JSONParseError` whose ``str()`` is QEMU's message
    (``JSON parse error, invalid keyword 'bad'``, ``JSON nesting depth limit
    exceeded``, ...).  After an error the parser resynchronises exactly as QEMU
    does, so one bad message can produce several errors, and the stream goes on.
    One exception, where QEMU does worse: after a limit error (token size,
    token count, nesting) the rest of that message is skipped, as far as the
    bracket and brace balance tells (brackets inside strings do not count),
    instead of being read as many messages (QEMU answers a 1M-element list
    with over a million errors).  A lexer error (a control character, 0xFF)
    ends the skip as it ends any message: a client's resynchronisation works.

    For an event loop that must not stall, `push` and `run` do the same work in
    bounded steps: `run` lexes at most *budget* bytes (and parses at most about
    *budget* tokens of a completed message) per call, and `has_work` says
    whether another call is due.  The results are the same, byte for byte, as
    one `feed` of everything.

    Args:
        max_token_size: bytes of tokens allowed in one message (QEMU: 64 MiB).
        max_token_count: tokens allowed in one message (QEMU: 2 Mi).
        max_nesting: open brackets and braces allowed (QEMU: 1024).
        raw_messages: quote input bytes in messages as surrogate escapes (as
            ``os.fsdecode``), for a command line that prints them back as bytes,
            instead of as a QMP client sees them.
    """

    __slots__ = (
        "_brace_count",
        "_bracket_count",
        "_input",
        "_input_pos",
        "_kinds",
        "_max_nesting",
        "_max_token_count",
        "_max_token_size",
        "_parsing",
        "_qemu_text",
        "_skipping",
        "_state",
        "_texts",
        "_token",
        "_token_size",
    )

    def __init__(
        self,
        *,
        max_token_size: int = MAX_TOKEN_SIZE,
        max_token_count: int = MAX_TOKEN_COUNT,
        max_nesting: int = MAX_NESTING,
        raw_messages: bool = False,
    ) -> None:
        self._max_token_size = max_token_size
        # How input bytes quoted in a message become text: as a QMP client sees
        # them (U+FFFD for what is not UTF-8), or, for the command line, kept as
        # the bytes they were (surrogate escapes, as os.fsdecode() makes them).
        self._qemu_text = _raw_text if raw_messages else qemu_text
        self._max_token_count = max_token_count
        self._max_nesting = max_nesting
        # Lexer: its state and the characters of the token being read.
        self._state = IN_START
        self._token = bytearray()
        # Streamer: the tokens of the message being read (token i is
        # (_kinds[i], _texts[i]); a bytearray of types keeps 2 Mi tokens at
        # ~10 MiB rather than ~130 MiB of tuples) and its bracket counts.
        self._kinds = bytearray()
        self._texts: list[bytes | bytearray] = []
        self._brace_count = 0
        self._bracket_count = 0
        self._token_size = 0
        # After a limit error: the rest of the message is skipped (counts only).
        self._skipping = False
        # A completed message being parsed step by step (see `run`).
        self._parsing: Generator[None, None, JSONValue] | None = None
        # Input pushed but not lexed yet, and where lexing goes on in it.
        self._input = b""
        self._input_pos = 0

    @property
    def is_idle(self) -> bool:
        """True when no partial message, error recovery or pending input is left."""
        return self.is_idle_lexer and self._input_pos >= len(self._input)

    @property
    def has_work(self) -> bool:
        """True when `run` has pushed input left to lex or a message left to parse."""
        return self._parsing is not None or self._input_pos < len(self._input)

    @property
    def buffered(self) -> int:
        """An estimate of the bytes this parser holds: unread input, the message so far."""
        return (
            len(self._input)
            - self._input_pos
            + len(self._token)
            + self._token_size
            + _TOKEN_OVERHEAD * len(self._kinds)
        )

    def feed(self, data: bytes) -> list[JSONValue | JSONParseError]:
        """
        Feed *data* and return the messages it completes, in order.

        Returns:
            A list of parsed values and `JSONParseError` instances (not raised).
        """
        self.push(data)
        return self.run()

    def push(self, data: bytes) -> None:
        """Queue *data* for `run`."""
        if not data:
            return
        if self._input_pos >= len(self._input):
            self._input = data
        else:
            self._input = self._input[self._input_pos :] + data
        self._input_pos = 0

    def run(self, budget: int | None = None, *, max_messages: int | None = None) -> list[JSONValue | JSONParseError]:
        """
        Lex and parse queued input, about *budget* bytes' worth (None: all of it).

        With *max_messages*, stop once that many messages are complete (a budget of
        bytes alone would let 8 KiB of ``1`` and spaces make 4096 error replies at once).

        Returns:
            The messages completed, in order; `has_work` tells whether input is left.
        """
        out: list[JSONValue | JSONParseError] = []
        remaining = -1 if budget is None else max(budget, 1)
        most = -1 if max_messages is None else max(max_messages, 1)
        while most < 0 or len(out) < most:
            if self._parsing is not None:
                remaining = self._step_parse(remaining, out)
                if self._parsing is not None:
                    break
            data = self._input
            start = self._input_pos
            if start >= len(data) or remaining == 0:
                break
            end = len(data) if remaining < 0 else min(len(data), start + remaining)
            if start == 0 and end == len(data):
                piece = data
            else:
                piece = data[start:end]
            used = self._feed_piece(piece, out, most)
            self._input_pos = start + used
            if remaining > 0:
                remaining = max(remaining - used, 0)
        if self._input_pos >= len(self._input):
            self._input = b""
            self._input_pos = 0
        return out

    def _step_parse(self, remaining: int, out: list[JSONValue | JSONParseError]) -> int:
        """Advance the pending parse by *remaining* tokens' worth (-1: to the end)."""
        parsing = self._parsing
        assert parsing is not None
        try:
            while remaining != 0:
                next(parsing)
                if remaining > 0:
                    remaining = max(remaining - PARSE_STEP, 0)
        except StopIteration as stop:
            self._parsing = None
            out.append(stop.value)
        except ParseError as exc:
            self._parsing = None
            (inner,) = exc.args
            out.append(JSONParseError(self._qemu_text(b"JSON parse error, " + inner)))
        return remaining

    def flush(self) -> list[JSONValue | JSONParseError]:
        """
        End the input, as ``json_message_parser_flush()``: finish a pending token and
        parse what is left (``premature EOI`` for a cut-off message).
        """
        out = self.run()
        while self._state != IN_START:
            nxt = LEXER[self._state][0] & ~LOOKAHEAD
            self._transition(nxt, out)
        self._process_token(END_OF_INPUT, out)
        if self._parsing is not None:
            self._step_parse(-1, out)
        return out

    def _feed_piece(self, data: bytes, out: list[JSONValue | JSONParseError], most: int = -1) -> int:
        """
        Lex *data*; return how much was used.

        That is all of it, unless a parse must run first or *most* (if not -1)
        messages are out.
        """
        pos = 0
        n = len(data)
        # Decoded once per call: the fast path only takes ASCII input, where a
        # character index is a byte index.
        text = data.decode("ascii") if data.isascii() else None
        while pos < n and self._parsing is None and (most < 0 or len(out) < most):
            if text is not None and self.is_idle_lexer:
                pos = self._feed_fast(text, pos, out, most)
                if pos >= n:
                    break
            pos = self._feed_slow(data, pos, out)
        return pos

    @property
    def _must_parse(self) -> bool:
        """A completed message waits to be parsed (set by `_process`)."""
        return self._parsing is not None

    @property
    def is_idle_lexer(self) -> bool:
        """True between messages (pushed input aside)."""
        return (
            self._state == IN_START
            and not self._token
            and not self._kinds
            and not self._skipping
            and self._parsing is None
        )

    # -- fast path ---------------------------------------------------------

    def _feed_fast(self, text: str, pos: int, out: list[JSONValue | JSONParseError], most: int = -1) -> int:
        """
        Take complete, standard JSON objects off the ASCII *text* from *pos*.

        Return where the slow path must go on (the end of *text* when all went well).
        """
        n = len(text)
        while pos < n:
            c = text[pos]
            if c in _WHITESPACE:
                pos += 1
                continue
            if c != "{":
                return pos
            try:
                value, end = _fast_decode(text, pos)
            except (ValueError, _Reject, RecursionError):
                return pos  # malformed, incomplete, or a QEMU extension
            size = end - pos
            if size >= self._max_token_size or size >= self._max_token_count:
                return pos  # may hit a limit: let the exact path decide
            if size > self._max_nesting and (text.count("{", pos, end) + text.count("[", pos, end) > self._max_nesting):
                return pos
            if text.find("\\u", pos, end) != -1:
                return pos  # QEMU refuses lone surrogates and noncharacters
            out.append(value)
            pos = end
            if len(out) == most:
                break
        return pos

    # -- slow path: QEMU's lexer, one transition at a time -------------------

    def _feed_slow(self, data: bytes, pos: int, out: list[JSONValue | JSONParseError]) -> int:
        """
        Run QEMU's lexer over *data* from *pos*.

        Return early (so the fast path can take over) once a message has been emitted
        and the parser is idle again, or when a completed message must be parsed
        before anything else; otherwise return ``len(data)``.
        """
        table = LEXER
        runs = RUNS
        token = self._token
        limit = self._max_token_size
        emitted = len(out)
        n = len(data)
        while pos < n:
            if self._parsing is not None:
                return pos
            state = self._state
            if state == IN_START and not token:
                pos = self._feed_bulk(data, pos, out)
                if self._must_parse or (len(out) > emitted and self.is_idle_lexer):
                    return pos
                if pos >= n:
                    break
            run = runs.get(state)
            if run is not None:
                match = run.match(data, pos)
                if match is not None:
                    stop = match.end()
                    if state in NO_TOKEN_STATES:
                        pos = stop
                        continue
                    # The size check runs after every character: stop where the
                    # token first exceeds the limit.
                    stop = min(stop, pos + limit + 1 - len(token))
                    token += data[pos:stop]
                    pos = stop
                    if len(token) > limit:
                        self._overflow(out)
                        token = self._token
                    continue
            ch = data[pos]
            pos += 1
            # json_lexer_feed_char(): look ahead until the character is consumed.
            while True:
                nxt = table[self._state][ch]
                if nxt & LOOKAHEAD:
                    self._transition(nxt & ~LOOKAHEAD, out)
                    token = self._token  # a big token's buffer may have been handed on
                    continue
                token.append(ch)
                self._transition(nxt, out)
                token = self._token
                break
            if len(token) > limit:
                self._overflow(out)
                token = self._token
            if len(out) > emitted and self.is_idle_lexer:
                return pos
        return pos

    def _feed_bulk(self, data: bytes, pos: int, out: list[JSONValue | JSONParseError]) -> int:
        """
        Take whole plain tokens (`bulk_token`) off *data* from *pos*; return where they end.

        The streamer's work for a token in the middle of a message is inlined on
        local copies of its counters; a token that completes the message or hits
        a limit goes through `_process` with the state written back, so the
        result is exactly `_process`'s.  Stops after a completed message.
        """
        match_next = bulk_token().scanner(data, pos).match  # type: ignore[attr-defined]  # undocumented, in CPython since 2.x
        kinds = self._kinds
        texts = self._texts
        brace = self._brace_count
        bracket = self._bracket_count
        size = self._token_size
        size_limit = self._max_token_size
        count_limit = self._max_token_count
        nesting_limit = self._max_nesting
        structural = STRUCTURAL
        bulk_kinds = BULK_KINDS
        if self._skipping:
            return self._skip_bulk(data, pos)
        while (match := match_next()) is not None:
            group = match.lastindex
            assert group is not None
            text = match[group]
            if len(text) > size_limit:
                break  # the byte-by-byte lexer cuts it where QEMU does
            pos = match.end()
            if group == 1:
                kind = structural[text[0]]
                new_brace = brace + (kind == LCURLY) - (kind == RCURLY)
                new_bracket = bracket + (kind == LSQUARE) - (kind == RSQUARE)
            else:
                kind = bulk_kinds[group]
                new_brace, new_bracket = brace, bracket
            if (
                size + len(text) + 1 <= size_limit
                and len(kinds) < count_limit
                and new_brace + new_bracket <= nesting_limit
                and (new_brace > 0 or new_bracket > 0)
                and new_brace >= 0
                and new_bracket >= 0
            ):
                kinds.append(kind)
                texts.append(text)
                size += len(text)
                brace, bracket = new_brace, new_bracket
                continue
            self._brace_count, self._bracket_count, self._token_size = brace, bracket, size
            self._process(kind, text, out)
            return pos
        self._brace_count, self._bracket_count, self._token_size = brace, bracket, size
        return pos

    def _skip_bulk(self, data: bytes, pos: int) -> int:
        """
        Skip *data* from *pos* in a message being skipped (`_skip`); return where the skip stopped.

        Only brackets, braces and strings (whose brackets do not count) matter;
        other bytes go by in runs.  Stops where the counts close the message,
        or at what the byte-by-byte lexer must see: a string that does not end
        in *data*, a control character, 0xFE or 0xFF (a lexer error, which ends
        the skip there as it ends any message).
        """
        skip_run_match = skip_run().match
        brace = self._brace_count
        bracket = self._bracket_count
        n = len(data)
        while True:
            match = skip_run_match(data, pos)
            assert match is not None  # the pattern matches the empty string
            pos = match.end()
            if pos >= n:
                break
            c = data[pos]
            if c == 0x7B:  # {
                brace += 1
            elif c == 0x7D:  # }
                brace -= 1
            elif c == 0x5B:  # [
                bracket += 1
            elif c == 0x5D:  # ]
                bracket -= 1
            else:
                break
            pos += 1
            if not _is_open(brace, bracket):
                self._skipping = False
                self._reset_message()
                return pos
        self._brace_count, self._bracket_count = brace, bracket
        return pos

    def _transition(self, nxt: int, out: list[JSONValue | JSONParseError]) -> None:
        """Apply one lexer transition to *nxt*, as the switch in ``json_lexer_feed_char()``."""
        if nxt >= TOKEN_MIN:
            self._process_token(nxt, out)
            self._token.clear()
            self._state = IN_START
        elif nxt == IN_START:
            self._token.clear()
            self._state = IN_START
        elif nxt == JSON_ERROR:
            self._process_token(JSON_ERROR, out)
            self._token.clear()
            self._state = IN_RECOVERY
        elif nxt == IN_RECOVERY:
            self._token.clear()
            self._state = IN_RECOVERY
        else:
            self._state = nxt

    def _overflow(self, out: list[JSONValue | JSONParseError]) -> None:
        """
        A single token outgrew the limit: the lexer hands its state on and starts afresh.

        In a message being skipped (the limit error may have just started the
        skip), the token's bytes are dropped and the lexer reads on in the same
        token instead: a long string is skipped whole, as `_skip_bulk` skips it.
        """
        self._process_token(self._state, out)
        self._token.clear()
        if not self._skipping:
            self._state = IN_START

    # -- the streamer: json_message_process_token() --------------------------

    def _process_token(self, kind: int, out: list[JSONValue | JSONParseError]) -> None:
        token = self._token
        if len(token) < _COPY_BELOW:
            self._process(kind, bytes(token), out)
            return
        # A big token (a 64 MiB string) is handed on rather than copied: the lexer
        # starts a new buffer, and callers re-read self._token.
        self._token = bytearray()
        self._process(kind, token, out)

    def _process(self, kind: int, text: bytes | bytearray, out: list[JSONValue | JSONParseError]) -> None:
        if kind == LCURLY:
            self._brace_count += 1
        elif kind == RCURLY:
            self._brace_count -= 1
        elif kind == LSQUARE:
            self._bracket_count += 1
        elif kind == RSQUARE:
            self._bracket_count -= 1
        elif kind == END_OF_INPUT:
            if self._skipping:
                self._skipping = False
                self._reset_message()
                return
            if not self._kinds:
                return
            self._complete(out)
            return
        if self._skipping:
            # The rest of a message past a limit: only its end matters.  A lexer
            # error ends it too, as it ends any message: that is how a client
            # resynchronises (0xFF, newline), and it is reported as QEMU does.
            if kind != JSON_ERROR:
                if not _is_open(self._brace_count, self._bracket_count):
                    self._skipping = False
                    self._reset_message()
                return
            self._skipping = False
        if kind == JSON_ERROR:
            # "%s" of a C string: a NUL inside the token ends it.
            shown = text.split(b"\0", 1)[0]
            self._emit(JSONParseError(self._qemu_text(b"JSON parse error, stray '" + shown + b"'")), out)
            return
        # Security limits, checked before the token joins the message.
        if self._token_size + len(text) + 1 > self._max_token_size:
            self._skip(JSONParseError("JSON token size limit exceeded"), out)
            return
        if len(self._kinds) + 1 > self._max_token_count:
            self._skip(JSONParseError("JSON token count limit exceeded"), out)
            return
        if self._bracket_count + self._brace_count > self._max_nesting:
            self._skip(JSONParseError("JSON nesting depth limit exceeded"), out)
            return
        self._kinds.append(kind)
        self._texts.append(text)
        self._token_size += len(text)
        if _is_open(self._brace_count, self._bracket_count):
            return
        self._complete(out)

    def _skip(self, error: JSONParseError, out: list[JSONValue | JSONParseError]) -> None:
        """
        Report a limit *error* once and skip the rest of its message.

        QEMU starts afresh after the error, so that each remaining token of the
        message makes an error of its own; here the bracket and brace counts go
        on until they close the message, and nothing else of it is kept.
        """
        out.append(error)
        open_ = _is_open(self._brace_count, self._bracket_count)
        brace, bracket = self._brace_count, self._bracket_count
        self._reset_message()
        if open_:
            self._brace_count, self._bracket_count = brace, bracket
            self._skipping = True

    def _complete(self, out: list[JSONValue | JSONParseError]) -> None:
        """The message is complete: parse it now, or start parsing it step by step."""
        kinds, texts = self._kinds, self._texts
        if len(kinds) <= _PARSE_AT_ONCE:
            try:
                result: JSONValue | JSONParseError = parse_tokens(kinds, texts)
            except ParseError as exc:
                (inner,) = exc.args
                result = JSONParseError(self._qemu_text(b"JSON parse error, " + inner))
            self._emit(result, out)
            return
        self._reset_message()
        self._parsing = parse_steps(kinds, texts)

    def _reset_message(self) -> None:
        self._brace_count = 0
        self._bracket_count = 0
        self._kinds = bytearray()
        self._texts = []
        self._token_size = 0

    def _emit(self, result: JSONValue | JSONParseError, out: list[JSONValue | JSONParseError]) -> None:
        self._reset_message()
        out.append(result)


def _is_open(brace: int, bracket: int) -> bool:
    """Whether a message with these counts goes on (``json_message_process_token()``'s test)."""
    return (brace > 0 or bracket > 0) and brace >= 0 and bracket >= 0


def _raw_text(raw: bytes) -> str:
    """*raw* as text that ``os.fsencode()`` turns back into the same bytes."""
    return raw.decode("utf-8", "surrogateescape")


def _argv_bytes(text: str) -> bytes:
    """
    The bytes behind *text*: ``sys.argv`` holds undecodable bytes as surrogate
    escapes, which QEMU, reading bytes, sees as the bytes themselves.
    """
    try:
        return text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogatepass")


def qobject_from_json(text: str | bytes, *, raw_messages: bool = False) -> JSONValue:
    """
    Parse exactly one JSON value as QEMU's ``qobject_from_json()`` does.

    This is the parser behind JSON ``--object`` strings: QEMU's extensions and
    messages, plus ``Expecting a JSON value`` for empty input and ``Expecting at
    most one JSON value`` for more than one.  A *text* string stands for the
    bytes it was decoded from (surrogate escapes become their bytes, as in
    ``sys.argv``); *raw_messages* keeps input bytes quoted in a message that way
    too (see `JSONStreamParser`).

    Raises:
        JSONParseError: the first error, in QEMU's words.
    """
    data = _argv_bytes(text) if isinstance(text, str) else text
    parser = JSONStreamParser(raw_messages=raw_messages)
    results = parser.feed(data)
    results += parser.flush()
    if not results:
        msg = "Expecting a JSON value"
        raise JSONParseError(msg)
    first = results[0]
    if isinstance(first, JSONParseError):
        raise first
    if len(results) > 1:
        # consume_json(): the first error wins; a second value is an error itself.
        msg = "Expecting at most one JSON value"
        raise JSONParseError(msg)
    return first


def parse_json_object(text: str) -> dict[str, JSONValue]:
    """
    Parse a JSON ``--object`` string (it starts with ``{``) into its dict.

    Raises:
        JSONParseError: QEMU's message.
    """
    value = qobject_from_json(text, raw_messages=True)
    if not isinstance(value, dict):
        msg = "JSON parse error, expecting an object"
        raise JSONParseError(msg)
    return value
