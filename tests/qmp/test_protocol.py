"""
QMP wire format: QEMU's JSON stream parser and writer, and the request checks.

Every exact message in these tables was read from qemu-storage-daemon 7.2 over
a raw socket (see tests/qmp/test_server.py for the live differential test).
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qom_py.errors import JSONParseError, QMPProtocolError
from qom_py.qapi import _json_streamer, _unicode
from qom_py.qmp import (
    JSONStreamParser,
    JSONValue,
    QMPRequest,
    check_request,
    qdict_keys,
    qobject_from_json,
    to_json,
)


def outcomes(results: list[JSONValue | JSONParseError]) -> list[Any]:
    """Turn parser results into comparable data: errors become ``("error", desc)``."""
    converted: list[Any] = []
    for item in results:
        if isinstance(item, JSONParseError):
            converted.append(("error", str(item)))
        else:
            converted.append(("value", to_json(item), item))
    return converted


def parse(data: bytes, **limits: int) -> list[Any]:
    """Feed *data* at once and return its outcomes (values as themselves)."""
    parser = JSONStreamParser(
        max_token_size=limits.get("max_token_size", _json_streamer.MAX_TOKEN_SIZE),
        max_token_count=limits.get("max_token_count", _json_streamer.MAX_TOKEN_COUNT),
        max_nesting=limits.get("max_nesting", _json_streamer.MAX_NESTING),
    )
    results = parser.feed(data)
    return [("error", str(r)) if isinstance(r, JSONParseError) else r for r in results]


def err(desc: str) -> tuple[str, str]:
    return ("error", desc)


class TestParserMessages:
    """QEMU's lexer and parser errors, and how the stream goes on after them."""

    @pytest.mark.parametrize(
        ("data", "expected"),
        [
            (b"{bad json}", [err("JSON parse error, invalid keyword 'bad'")]),
            (b"{bad}", [err("JSON parse error, invalid keyword 'bad'")]),
            (b"nul ", [err("JSON parse error, invalid keyword 'nul'")]),
            (b"truex ", [err("JSON parse error, invalid keyword 'truex'")]),
            (b"[1,]", [err("JSON parse error, expecting value")]),
            (b"[,1]", [err("JSON parse error, expecting value")]),
            (b'{"a":1,}', [err("JSON parse error, expecting value")]),
            (b'{"a":}', [err("JSON parse error, expecting value")]),
            (b"{1:2}", [err("JSON parse error, key is not a string in object")]),
            (b'{"a" 2}', [err("JSON parse error, missing : in object pair")]),
            (b'{"a":1 "b":2}', [err("JSON parse error, expected separator in dict")]),
            (b"[1 2]", [err("JSON parse error, expected separator in list")]),
            (b'{"a":1,"a":2}', [err("JSON parse error, duplicate key")]),
            (b'{"a":{"a":1}, "a":2}', [err("JSON parse error, duplicate key")]),
            (b"}", [err("JSON parse error, expecting value")]),
            (b"]", [err("JSON parse error, expecting value")]),
            (b":", [err("JSON parse error, expecting value")]),
            (b",", [err("JSON parse error, expecting value")]),
            (b'{"a":true1}', [err("JSON parse error, expected separator in dict")]),
            (b"@", [err("JSON parse error, stray '@'")]),
            (b"01 ", [err("JSON parse error, stray '01'")]),
            (b"1.}", [err("JSON parse error, stray '1.}'")]),
            (b"1e}", [err("JSON parse error, stray '1e}'")]),
            (b"1e+}", [err("JSON parse error, stray '1e+}'")]),
            (b".5 ", [err("JSON parse error, stray '.'")]),
            (b"+1 ", [err("JSON parse error, stray '+'")]),
            (b"- 1 ", [err("JSON parse error, stray '- '")]),
            (b"TRUE ", [err("JSON parse error, stray 'T'")]),
            (b'"\\x"', [err("JSON parse error, invalid escape sequence in string")]),
            (b'"a\tb"', [err("JSON parse error, stray '\"a\t'")]),
            (b'"a\nb"', [err("JSON parse error, stray '\"a\n'")]),
            (b'"a\x01b"', [err("JSON parse error, stray '\"a\x01'")]),
            (b'"\xff"', [err("JSON parse error, stray '\"\ufffd'")]),
            (b'"abc\x00def"', [err("JSON parse error, stray '\"abc'")]),
            (b'{"a":tru\x00e}', [err("JSON parse error, stray ''"), err("JSON parse error, expecting value")]),
            (
                b"tru\x00e}",
                [
                    err("JSON parse error, invalid keyword 'tru'"),
                    err("JSON parse error, stray ''"),
                    err("JSON parse error, expecting value"),
                ],
            ),
            (b'{"a":\x01}', [err("JSON parse error, stray '\x01'"), err("JSON parse error, expecting value")]),
            (b'{"a":\xff}', [err("JSON parse error, stray '\ufffd'"), err("JSON parse error, expecting value")]),
            (b"\xfe\xff", [err("JSON parse error, stray '\ufffd'"), err("JSON parse error, stray '\ufffd'")]),
        ],
        ids=repr,
    )
    def test_errors(self, data: bytes, expected: list[Any]) -> None:
        """Each malformed input gets QEMU's exact message(s)."""
        assert parse(data) == expected

    @pytest.mark.parametrize(
        ("data", "desc"),
        [
            (b'"\\ud800"', "\\ud800 is not a valid Unicode character"),
            (b'"\\udc00"', "\\udc00 is not a valid Unicode character"),
            (b'"\\ud800\\u0041"', "\\ud800 is not a valid Unicode character"),
            (b'"\\uFFFF"', "\\uFFFF is not a valid Unicode character"),
            (b'"\\uFDD0"', "\\uFDD0 is not a valid Unicode character"),
            (b'"\\u12"', '\\u12" is not a valid Unicode character'),
            (b'"\\u12x4"', "\\u12x4 is not a valid Unicode character"),
            (b'"\xc0\xaf"', "invalid UTF-8 sequence in string"),
            (b'"\xed\xa0\x80"', "invalid UTF-8 sequence in string"),
            (b'"\xef\xbf\xbf"', "invalid UTF-8 sequence in string"),
            (b'"\x80"', "invalid UTF-8 sequence in string"),
            (b'"\xf4\x90\x80\x80"', "invalid UTF-8 sequence in string"),
            (b'"\xe2\x82"', "invalid UTF-8 sequence in string"),
        ],
        ids=repr,
    )
    def test_string_errors(self, data: bytes, desc: str) -> None:
        """Bad escapes and bad UTF-8 are refused as QEMU refuses them."""
        assert parse(data) == [err("JSON parse error, " + desc)]

    def test_resynchronisation(self) -> None:
        """After a lexical error the lexer skips to a structural character, then goes on."""
        assert parse(b'{"a":@, "b": 1}') == [
            err("JSON parse error, stray '@'"),
            err("JSON parse error, expecting value"),
            "b",
            err("JSON parse error, expecting value"),
            1,
            err("JSON parse error, expecting value"),
        ]
        assert parse(b'{"a":@, "b": [1}] {"execute":"query-version","id":7}') == [
            err("JSON parse error, stray '@'"),
            err("JSON parse error, expecting value"),
            "b",
            err("JSON parse error, expecting value"),
            err("JSON parse error, expected separator in list"),
            err("JSON parse error, expecting value"),
            {"execute": "query-version", "id": 7},
        ]

    def test_long_keyword_is_cut(self) -> None:
        """parse_error() formats into 1024 bytes: the detail is cut at 1023."""
        (result,) = parse(b"{" + b"x" * 1500 + b"}")
        assert result == err("JSON parse error, " + ("invalid keyword '" + "x" * 1500)[:1023])


class TestParserValues:
    """Accepted input, with QEMU's extensions and number rules."""

    @pytest.mark.parametrize(
        ("data", "expected"),
        [
            (b"1.5e3 ", 1500.0),
            (b"1E5 ", 100000.0),
            (b"-0 ", 0),
            (b"18446744073709551615 ", 18446744073709551615),
            (b"-9223372036854775808 ", -9223372036854775808),
            (b"18446744073709551616 ", 1.8446744073709552e19),
            (b"-9223372036854775809 ", -9.2233720368547758e18),
            (b"1" + b"0" * 5000 + b" ", math.inf),
            (b"1e400 ", math.inf),
            (b"'sq\"x'", 'sq"x'),
            (b'"\\\'"', "'"),
            (b'"\\/\\b\\f\\n\\r\\t\\"\\\\"', '/\b\f\n\r\t"\\'),
            (b'"\\u00e9\\ud83d\\ude00\\u007f\\u0000"', "\u00e9\U0001f600\x7f\x00"),
            (b'"\xc3\xa9 raw"', "\u00e9 raw"),
            (b'"\xc0\x80"', "\x00"),
            (b"true ", True),
            (b"null ", None),
            (b"[] ", []),
            (b'{"a":[1,{"b":null}]}', {"a": [1, {"b": None}]}),
        ],
        ids=repr,
    )
    def test_values(self, data: bytes, expected: JSONValue) -> None:
        """Numbers become int (64-bit range) or float (strtod); strings are decoded."""
        (value,) = parse(data)
        assert value == expected
        assert type(value) is type(expected)

    def test_negative_zero_float(self) -> None:
        """-0.0 stays a negative float (QEMU writes it back as -0)."""
        (value,) = parse(b"-0.0 ")
        assert math.copysign(1, value) == -1

    def test_two_objects_on_a_line(self) -> None:
        """The input is a stream of values, not lines."""
        assert parse(b'{"a":1}{"b":2} {"c":3}\n[4]') == [{"a": 1}, {"b": 2}, {"c": 3}, [4]]

    def test_scalar_needs_lookahead(self) -> None:
        """A number or keyword at the end of the input waits for the next character."""
        parser = JSONStreamParser()
        assert parser.feed(b"12") == []
        assert not parser.is_idle
        assert parser.feed(b"3 ") == [123]
        assert parser.is_idle

    def test_flush(self) -> None:
        """flush() ends a pending token and reports a cut-off message."""
        parser = JSONStreamParser()
        assert parser.feed(b'{"a":1') == []
        assert outcomes(parser.flush()) == [("error", "JSON parse error, premature EOI")]
        assert parser.is_idle


class TestLimits:
    """Token size, token count and nesting limits: an error, then the stream goes on."""

    def test_nesting_at_qemus_limit(self) -> None:
        """
        1024 levels parse; the 1025th bracket is refused, once, and the rest of the message skipped.

        (qsd then reads each closer as a message of its own: 1025 more errors.)
        """
        (value,) = parse(b"[" * 1024 + b"]" * 1024)
        assert isinstance(value, list)
        assert parse(b"[" * 1025 + b"]" * 1025 + b"[1]") == [err("JSON nesting depth limit exceeded"), [1]]

    def test_nested_objects_at_qemus_limit(self) -> None:
        """One limit error for the whole message (qsd: the error, a string, a colon, an int, 1025 closers)."""
        results = parse(b'{"a":' * 1025 + b"1" + b"}" * 1025)
        assert results == [err("JSON nesting depth limit exceeded")]

    def test_small_nesting_limit(self) -> None:
        """The nesting limit is a parameter."""
        assert parse(b"[[[1]]]", max_nesting=3) == [[[[1]]]]
        assert parse(b"[[[[1]]]]", max_nesting=3) == [err("JSON nesting depth limit exceeded")]

    def test_small_token_size_limit(self) -> None:
        """A token past the limit is cut off; its rest is lexed afresh."""
        parser = JSONStreamParser(max_token_size=10)
        assert outcomes(parser.feed(b'"abcdefghij"')) == [("error", "JSON token size limit exceeded")]
        assert not parser.is_idle  # the closing quote opened a new string
        assert outcomes(parser.feed(b'"[1]')) == [("value", '""', ""), ("value", "[1]", [1])]

    def test_message_size_limit(self) -> None:
        """The limit also applies to the sum of a message's tokens."""
        assert parse(b'["abc","def"]', max_token_size=10) == [err("JSON token size limit exceeded")]
        assert parse(b'["abc","de"]', max_token_size=13) == [["abc", "de"]]

    def test_small_token_count_limit(self) -> None:
        """A message with more tokens than the limit is refused."""
        assert parse(b"[1,2]", max_token_count=3) == [err("JSON token count limit exceeded")]
        assert parse(b"[1,2]", max_token_count=5) == [[1, 2]]

    def test_huge_string_is_affordable(self) -> None:
        """A long string goes through the slow path in bulk, not byte by byte."""
        data = b'["' + b"a" * (8 << 20) + b'"' + b"\x01"
        results = JSONStreamParser().feed(data)
        assert len(results) == 1
        assert str(results[0]).startswith("JSON parse error, stray '")

    def test_huge_string_past_the_limit(self) -> None:
        """The lexer cuts a token at the limit; the stream goes on after it."""
        limit = 1 << 16
        parser = JSONStreamParser(max_token_size=limit)
        results = outcomes(parser.feed(b'"' + b"a" * (limit + 5) + b'" {"a":1}'))
        assert results[0] == ("error", "JSON token size limit exceeded")
        # The rest of the string was lexed as JSON; 0xFF + newline resynchronises.
        assert outcomes(parser.feed(b'\xff\n{"b":2}'))[-1] == ("value", '{"b": 2}', {"b": 2})
        assert parser.is_idle


# --- stream splitting -----------------------------------------------------------------

_FRAGMENTS = [
    b"{", b"}", b"[", b"]", b",", b":", b" ", b"\n", b'"execute"', b'"query-version"', b'"id"',
    b"1", b"-0", b"1.5e3", b"18446744073709551616", b"true", b"null", b"nul", b"'sq'",
    b'"a\\u00e9"', b'"\\ud800"', b'"\\u12"', b'"\xc3\xa9"', b'"\xff"', b"@", b"01", b"1.", b"-",
    b'"\\x"', b"\x00", b"\x01", b'"a\x01"', b'{"a":1}', b'{"a":1,"a":2}', b"\xfe",
]  # fmt: skip


# QEMU strings hold no surrogates or noncharacters (its writer turns them into U+FFFD).
_CHARACTERS = st.characters(exclude_categories=["Cs"]).filter(lambda c: _unicode.is_valid_codepoint(ord(c)))


def json_values() -> st.SearchStrategy[Any]:
    scalars = (
        st.none()
        | st.booleans()
        | st.integers(min_value=-(1 << 63), max_value=(1 << 64) - 1)
        | st.floats(allow_nan=False, allow_infinity=False)
        | st.text(_CHARACTERS)
    )
    return st.recursive(
        scalars,
        lambda children: (
            st.lists(children, max_size=4) | st.dictionaries(st.text(_CHARACTERS, max_size=8), children, max_size=4)
        ),
        max_leaves=20,
    )


streams = st.one_of(
    st.lists(st.sampled_from(_FRAGMENTS), max_size=30).map(b"".join),
    st.binary(max_size=200),
    st.lists(json_values().map(lambda v: json.dumps(v, ensure_ascii=False).encode()), max_size=5).map(b" ".join),
)


def split(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({c % (len(data) + 1) for c in cuts})
    pieces = []
    start = 0
    for point in [*points, len(data)]:
        pieces.append(data[start:point])
        start = point
    return pieces


class TestStreamSplitting:
    """The results never depend on how the stream is cut into chunks."""

    @settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(data=streams, cuts=st.lists(st.integers(min_value=0, max_value=10_000), max_size=8))
    def test_any_chunking(self, data: bytes, cuts: list[int]) -> None:
        """Feeding in arbitrary pieces gives what feeding at once gives."""
        whole = JSONStreamParser()
        expected = outcomes(whole.feed(data))
        chunked = JSONStreamParser()
        got: list[Any] = []
        for piece in split(data, cuts):
            got += outcomes(chunked.feed(piece))
        assert got == expected
        assert chunked.is_idle == whole.is_idle

    @settings(max_examples=300, deadline=None)
    @given(data=streams)
    def test_fast_path_matches_slow_path(self, data: bytes) -> None:
        """Byte-at-a-time feeding (always the exact slow path) agrees with the fast path."""
        expected = outcomes(JSONStreamParser().feed(data))
        slow = JSONStreamParser()
        got: list[Any] = []
        for index in range(len(data)):
            got += outcomes(slow.feed(data[index : index + 1]))
        assert got == expected

    @settings(max_examples=300, deadline=None)
    @given(value=json_values())
    def test_round_trip(self, value: Any) -> None:
        """What to_json writes, the parser reads back unchanged."""
        text = to_json({"v": value})
        assert json.loads(text) == {"v": value}
        assert qobject_from_json(text) == {"v": value}

    def test_standard_messages_take_the_fast_path(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """A well-formed ASCII request never reaches the per-byte lexer."""

        def fail(*args: object) -> int:
            raise AssertionError("slow path used")

        monkeypatch.setattr(JSONStreamParser, "_feed_slow", fail)
        parser = JSONStreamParser()
        request = b'{"execute":"qom-get","arguments":{"path":"/objects","property":"type"},"id":"__qmp#00001"}'
        assert len(parser.feed(request * 3 + b"\n")) == 3


class TestQobjectFromJson:
    """The one-value parser behind JSON ``--object`` strings."""

    @pytest.mark.parametrize(
        ("text", "desc"),
        [
            ("{bad json", "JSON parse error, invalid keyword 'bad'"),
            ('{"a":1', "JSON parse error, premature EOI"),
            ("", "Expecting a JSON value"),
            ("   ", "Expecting a JSON value"),
            ("1 2", "Expecting at most one JSON value"),
            ('"abc', "JSON parse error, stray '\"abc'"),
        ],
    )
    def test_errors(self, text: str, desc: str) -> None:
        """Errors read as QEMU's qobject_from_json() reports them."""
        with pytest.raises(JSONParseError, match=f"^{re.escape(desc)}$"):
            qobject_from_json(text)

    def test_value(self) -> None:
        """A lone scalar needs no trailing character: flush() ends it."""
        assert qobject_from_json("12") == 12
        assert qobject_from_json('{"qom-type":"iothread","id":"io0"}') == {"qom-type": "iothread", "id": "io0"}


class TestWriter:
    """QEMU's JSON writer: QDict key order, number and string formats, pretty layout."""

    @pytest.mark.parametrize(
        ("value", "text"),
        [
            ({"id": 1, "return": {}}, '{"return": {}, "id": 1}'),
            (
                {"error": {"desc": "x", "class": "GenericError"}, "id": 5},
                '{"id": 5, "error": {"class": "GenericError", "desc": "x"}}',
            ),
            ({"major": 7, "minor": 2, "micro": 22}, '{"micro": 22, "minor": 2, "major": 7}'),
            ({"package": "p", "qemu": {}}, '{"qemu": {}, "package": "p"}'),
            ({"capabilities": [], "version": 1}, '{"version": 1, "capabilities": []}'),
            ({"event": "E", "timestamp": 0, "data": 1}, '{"timestamp": 0, "event": "E", "data": 1}'),
            (1500.0, "1500"),
            (0.1, "0.10000000000000001"),
            (1.8446744073709552e19, "1.8446744073709552e+19"),
            (-9.2233720368547758e18, "-9.2233720368547758e+18"),
            (math.inf, "inf"),
            (-0.0, "-0"),
            (18446744073709551615, "18446744073709551615"),
            ("\u00e9\U0001f600\x7f\x00//", '"\\u00E9\\uD83D\\uDE00\\u007F\\u0000//"'),
            ('sq"x', '"sq\\"x"'),
            ("\b\f\n\r\t\x1f\\", '"\\b\\f\\n\\r\\t\\u001F\\\\"'),
            ("\ufffe\ud800", '"\\uFFFD\\uFFFD"'),
            ([1, [], {}, {"a": [2]}], '[1, [], {}, {"a": [2]}]'),
            (True, "true"),
            (None, "null"),
        ],
        ids=repr,
    )
    def test_compact(self, value: object, text: str) -> None:
        """Compact output as QEMU writes it."""
        assert to_json(value) == text

    def test_pretty(self) -> None:
        """pretty=on: one member per line, four spaces per level, empty containers on two lines."""
        value = {
            "return": {"qemu": {"major": 7, "minor": 2, "micro": 22}, "package": "P"},
            "id": [1, [], {}, {"a": [2]}],
        }
        expected = (
            '{\n    "return": {\n        "qemu": {\n            "micro": 22,\n            "minor": 2,\n'
            '            "major": 7\n        },\n        "package": "P"\n    },\n    "id": [\n        1,\n'
            '        [\n        ],\n        {\n        },\n        {\n            "a": [\n                2\n'
            "            ]\n        }\n    ]\n}"
        )
        assert to_json(value, pretty=True) == expected
        assert to_json({"return": {}}, pretty=True) == '{\n    "return": {\n    }\n}'

    def test_deep_values(self) -> None:
        """Depth 1024 is written without hitting Python's recursion limit."""
        value: Any = 1
        for _ in range(1024):
            value = [value]
        text = to_json(value)
        assert text == "[" * 1024 + "1" + "]" * 1024
        assert to_json(value, pretty=True).count("\n") == 2048

    def test_not_json(self) -> None:
        """Anything else is a TypeError."""
        with pytest.raises(TypeError, match="not JSON serializable"):
            to_json({"a": object()})

    def test_qdict_keys_same_bucket(self) -> None:
        """Keys sharing a bucket come out newest first ("micro" was inserted last)."""
        assert qdict_keys({"major": 1, "minor": 2, "micro": 3}) == ["micro", "minor", "major"]
        assert qdict_keys({"micro": 1, "minor": 2}) == ["minor", "micro"]


class TestCheckRequest:
    """qmp_dispatch_check_obj(): which member is wrong, in QDict order."""

    @pytest.mark.parametrize(
        ("request_", "allow_oob", "desc"),
        [
            ([1, 2], False, "QMP input must be a JSON object"),
            ("str", False, "QMP input must be a JSON object"),
            ({"execute": 1}, False, "QMP input member 'execute' must be a string"),
            ({}, False, "QMP input lacks member 'execute'"),
            ({"id": 1}, False, "QMP input lacks member 'execute'"),
            ({"execute": "q", "arguments": []}, False, "QMP input member 'arguments' must be an object"),
            ({"execute": "q", "arguments": None}, False, "QMP input member 'arguments' must be an object"),
            ({"execute": "q", "extra": 1}, False, "QMP input member 'extra' is unexpected"),
            ({"execute": "q", "control": {}}, False, "QMP input member 'control' is unexpected"),
            ({"execute": "q", "exec-oob": 1}, False, "QMP input member 'exec-oob' is unexpected"),
            ({"exec-oob": "q"}, False, "QMP input member 'exec-oob' is unexpected"),
            ({"exec-oob": 1}, True, "QMP input member 'exec-oob' must be a string"),
            ({"execute": "q", "exec-oob": "q"}, True, "QMP input member 'execute' clashes with 'exec-oob'"),
            ({"exec-oob": "q", "execute": "q"}, True, "QMP input member 'execute' clashes with 'exec-oob'"),
            ({"execute": 1, "arguments": []}, False, "QMP input member 'execute' must be a string"),
            ({"arguments": [], "execute": 1}, False, "QMP input member 'execute' must be a string"),
            ({"arguments": [], "foo": 1}, False, "QMP input member 'arguments' must be an object"),
            ({"foo": 1, "execute": 1}, False, "QMP input member 'execute' must be a string"),
            ({"execute": "q", "k": 1, "bar": 1}, False, "QMP input member 'bar' is unexpected"),
            ({"execute": "q", "kkk": 1, "b": 1, "x1": 1}, False, "QMP input member 'x1' is unexpected"),
            ({"execute": "q", "x1": 1, "qq": 1, "b": 1, "zz": 1, "y": 1}, False, "QMP input member 'x1' is unexpected"),
        ],
        ids=repr,
    )
    def test_rejects(self, request_: JSONValue, allow_oob: bool, desc: str) -> None:
        """Each malformed request gets QEMU's message."""
        with pytest.raises(QMPProtocolError, match=f"^{re.escape(desc)}$"):
            check_request(request_, allow_oob=allow_oob)

    @pytest.mark.parametrize(
        ("request_", "allow_oob", "expected"),
        [
            ({"execute": "q"}, False, QMPRequest("q", None, False)),
            ({"execute": "q", "arguments": {"a": 1}, "id": None}, False, QMPRequest("q", {"a": 1}, False)),
            ({"exec-oob": "q", "id": 1}, True, QMPRequest("q", None, True)),
        ],
    )
    def test_accepts(self, request_: JSONValue, allow_oob: bool, expected: QMPRequest) -> None:
        """A good request yields its command, arguments and kind."""
        assert check_request(request_, allow_oob=allow_oob) == expected


def test_mod_utf8_text() -> None:
    """Undecodable bytes in a message become U+FFFD, one per bad sequence, as QEMU writes them."""
    assert _unicode.qemu_text(b"a\xe2\x82b\xff\xc0\x80") == "a\ufffdb\ufffd\x00"
