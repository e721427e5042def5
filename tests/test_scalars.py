"""Tests for `qom_py.qapi._scalars`: QEMU's string-to-scalar conversions (QOM-REFERENCE §3.3 C, D 90-91)."""

from __future__ import annotations

import math
import re
from collections.abc import Callable

import pytest

from qom_py.errors import ParameterError
from qom_py.qapi._scalars import (
    SIZE_HINT,
    parse_bool,
    parse_bool_string,
    parse_int64,
    parse_int64_string,
    parse_number,
    parse_number_string,
    parse_size,
    parse_size_string,
    parse_uint64,
    parse_uint64_string,
)

U64_MAX = 2**64 - 1
KiB, MiB, GiB, TiB, PiB, EiB = (1024**n for n in range(1, 7))

# Integers that both int64 and uint64 accept (base 0, like C's strtoll).
INTEGERS = [
    ("0", 0),
    ("42", 42),
    ("+5", 5),
    (" 3", 3),
    ("\t\n\v\f\r 3", 3),
    ("0x10", 16),
    ("0X1F", 31),
    ("0x2a", 42),
    ("010", 8),
    ("052", 42),
    ("00", 0),
    ("-0", 0),
    ("0x7fffffffffffffff", 2**63 - 1),
    ("9223372036854775807", 2**63 - 1),
    ("000000000000000000000000000000000000000000007", 7),
]
INTEGER_IDS = [
    "zero",
    "decimal",
    "plus",
    "v91-leading-space",
    "leading-c-whitespace",
    "v91-hex",
    "hex-upper",
    "v50-hex",
    "v91-octal",
    "v50-octal",
    "double-zero",
    "minus-zero",
    "hex-int64-max",
    "int64-max",
    "many-leading-zeros",
]

# Strings that no integer conversion accepts.
NOT_INTEGERS = [
    "",
    " ",
    "abc",
    "1k",
    "1.5",
    "3.14",
    "08",
    "5 ",
    "5\n",
    "0b11",
    "1e3",
    "0x",
    "0x 1",
    "-",
    "+",
    "+-1",
    "1_000",
    "\u0663",
    "１",
    "18446744073709551616",
    "-18446744073709551616",
    "9" * 5000,
]
NOT_INTEGER_IDS = [
    "v90-empty",
    "blank",
    "v90-letters",
    "v90-suffix",
    "v90-fraction",
    "v51-fraction",
    "v51-v90-bad-octal",
    "v90-trailing-space",
    "trailing-newline",
    "binary-prefix",
    "exponent",
    "hex-without-digits",
    "hex-then-space",
    "minus-only",
    "plus-only",
    "two-signs",
    "underscore",
    "arabic-indic-digit",
    "fullwidth-digit",
    "v49-two-to-64",
    "v49-minus-two-to-64",
    "five-thousand-digits",
]


class TestIntegers:
    @pytest.mark.parametrize(("text", "value"), INTEGERS, ids=INTEGER_IDS)
    def test_int64_accepts(self, text: str, value: int) -> None:
        """int64 takes decimal, hex and octal with leading blanks and a sign."""
        assert value == parse_int64("x", text)
        assert value == parse_int64_string("x", text)

    @pytest.mark.parametrize(("text", "value"), INTEGERS, ids=INTEGER_IDS)
    def test_uint64_accepts(self, text: str, value: int) -> None:
        """uint64 takes the same grammar."""
        assert value == parse_uint64("x", text)
        assert value == parse_uint64_string("x", text)

    @pytest.mark.parametrize(
        ("text", "value"),
        [("-42", -42), ("-0x10", -16), ("-010", -8), ("-9223372036854775808", -(2**63))],
        ids=["negative", "negative-hex", "negative-octal", "int64-min"],
    )
    def test_int64_negative(self, text: str, value: int) -> None:
        """int64 keeps negative numbers down to -2**63."""
        assert value == parse_int64("x", text)

    @pytest.mark.parametrize(
        ("text", "value"),
        [
            ("18446744073709551615", U64_MAX),
            ("-1", U64_MAX),
            ("0xffffffffffffffff", U64_MAX),
            ("-0x1", U64_MAX),
            ("-18446744073709551615", 1),
            ("9223372036854775808", 2**63),
        ],
        ids=[
            "v48-max",
            "v48-minus-one-wraps",
            "hex-max",
            "negative-hex-wraps",
            "minus-max-wraps-to-one",
            "above-int64",
        ],
    )
    def test_uint64_wraps(self, text: str, value: int) -> None:
        """uint64 reaches 2**64-1 and wraps negatives modulo 2**64, like strtoull."""
        assert value == parse_uint64("x", text)
        assert value == parse_uint64_string("x", text)

    @pytest.mark.parametrize(
        "text",
        [
            *NOT_INTEGERS,
            "9223372036854775808",
            "-9223372036854775809",
            "0x8000000000000000",
            "18446744073709551615",
        ],
        ids=[
            *NOT_INTEGER_IDS,
            "v90-int64-max-plus-one",
            "int64-min-minus-one",
            "hex-above-int64",
            "uint64-max",
        ],
    )
    def test_int64_rejects(self, text: str) -> None:
        """int64 rejects other text, with the keyval or the string visitor's message."""
        with pytest.raises(ParameterError, match=re.escape("Parameter 'poll-max-ns' expects integer")):
            parse_int64("poll-max-ns", text)
        with pytest.raises(ParameterError, match=re.escape("Parameter 'poll-max-ns' expects int64")):
            parse_int64_string("poll-max-ns", text)

    @pytest.mark.parametrize("text", NOT_INTEGERS, ids=NOT_INTEGER_IDS)
    def test_uint64_rejects(self, text: str) -> None:
        """uint64 rejects other text, with the keyval or the string visitor's message."""
        with pytest.raises(ParameterError, match=re.escape("Parameter 'number1' expects integer")):
            parse_uint64("number1", text)
        with pytest.raises(ParameterError, match=re.escape("Parameter 'number1' expects uint64")):
            parse_uint64_string("number1", text)

    def test_dotted_name(self) -> None:
        """The name is used as given, so nested members show their dotted path."""
        with pytest.raises(ParameterError, match=re.escape("Parameter 'a.b.0' expects integer")):
            parse_int64("a.b.0", "x")


class TestSize:
    @pytest.mark.parametrize(
        ("text", "value"),
        [
            ("0", 0),
            ("9007199254740991", 0x1FFFFFFFFFFFFF),
            ("9007199254740992", 0x20000000000000),
            ("9007199254740993", 0x20000000000001),
            ("9223372036854775807", 0x7FFFFFFFFFFFFFFF),
            ("9223372036854775808", 0x8000000000000000),
            ("9223372036854775809", 0x8000000000000001),
            ("18446744073709549568", 0xFFFFFFFFFFFFF800),
            ("18446744073709550591", 0xFFFFFFFFFFFFFBFF),
            ("18446744073709551615", U64_MAX),
            ("8b", 8),
            ("1.5k", 1536),
            ("2M", 2 * MiB),
            ("0.1G", 107374182),
            ("16777215T", 16777215 * TiB),
            # Beyond the table, checked against qemu-storage-daemon 7.2:
            ("8B", 8),
            ("1K", KiB),
            ("1m", MiB),
            ("1g", GiB),
            ("1t", TiB),
            ("1p", PiB),
            ("1P", PiB),
            ("1e", EiB),
            ("15E", 15 * EiB),
            ("1.5e", 1729382256910270464),
            ("15.9999e", 18446628781559090944),
            ("1.k", KiB),
            ("1.e", EiB),
            ("1.", 1),
            ("1.0", 1),
            ("1.00000000000000000001", 1),
            (" 5", 5),
            ("+5", 5),
            ("08", 8),
            ("010", 10),
            ("0x10", 16),
            ("0x1b", 27),
            ("0x1e", 30),
            ("0xffffffffffffffff", U64_MAX),
            ("0x1k", KiB),
            ("0.5k", 512),
            ("0.00048828125k", 1),
            ("0.0004882k", 0),
            ("1.0005k", 1025),
            ("1.99999999999999999999k", 2 * KiB),
        ],
        ids=[
            "v52-zero",
            "v53-two-to-53-minus-one",
            "v53-two-to-53",
            "v53-two-to-53-plus-one",
            "v54-int64-max",
            "v54-two-to-63",
            "v54-two-to-63-plus-one",
            "v55-high",
            "v55-higher",
            "v56-max",
            "v58-bytes",
            "v58-fraction-k",
            "v58-mega",
            "v58-fraction-g",
            "v58-largest-t",
            "bytes-upper",
            "kilo-upper",
            "mega-lower",
            "giga-lower",
            "tera-lower",
            "peta-lower",
            "peta-upper",
            "exa-lower",
            "exa-largest",
            "fraction-exa",
            "fraction-exa-rounded",
            "empty-fraction-suffix",
            "empty-fraction-exa",
            "empty-fraction",
            "zero-fraction",
            "fraction-below-2-to-minus-64",
            "leading-space",
            "plus",
            "leading-zero-is-decimal",
            "octal-looking-is-decimal",
            "hex",
            "hex-digit-b",
            "hex-digit-e",
            "hex-max",
            "hex-with-suffix-7.2",
            "half-k",
            "half-byte-rounds-up",
            "under-half-byte-rounds-down",
            "rounds-to-nearest",
            "fraction-rounds-to-one",
        ],
    )
    def test_accepts(self, text: str, value: int) -> None:
        """Sizes are exact integers, scaled by binary suffixes, fractions rounded to a byte."""
        assert value == parse_size("sz1", text)
        assert value == parse_size_string("sz1", text)

    @pytest.mark.parametrize(
        "text",
        [
            "-1",
            "0Z",
            "16Gi",
            "",
            "k",
            "abc",
            "1.5",
            "1.5b",
            "0.5b",
            "1.0000000000000000001",
            "1e3",
            "1.5e3",
            "1.5k ",
            "1.5 k",
            "5 ",
            "-0",
            "1kb",
            ".5k",
            "0x1.5k",
            "0x",
            "00x1",
            "0b1",
            "inf",
            "0x1.8p3",
            "1e+",
            "1.5é",
            "１k",
        ],
        ids=[
            "v57-minus-one",
            "v60-unknown-suffix",
            "v60-two-letter-suffix",
            "empty",
            "suffix-only",
            "letters",
            "fraction-without-suffix",
            "fraction-bytes",
            "fraction-bytes-below-one",
            "tiny-fraction-without-suffix",
            "exponent",
            "fraction-exponent",
            "trailing-space",
            "space-before-suffix",
            "trailing-space-integer",
            "minus-zero",
            "two-suffixes",
            "no-integer-part-7.2",
            "hex-fraction",
            "hex-without-digits",
            "hex-after-two-zeros",
            "binary",
            "inf",
            "hex-float",
            "suffix-then-sign",
            "non-ascii-suffix",
            "fullwidth-digit",
        ],
    )
    def test_rejects_invalid(self, text: str) -> None:
        """Malformed sizes fail: the keyval message, or the string visitor's with a hint."""
        with pytest.raises(ParameterError, match=re.escape("Parameter 'sz1' expects size")):
            parse_size("sz1", text)
        message = "Parameter 'sz1' expects a non-negative number below 2^64"
        with pytest.raises(ParameterError, match=re.escape(message)) as info:
            parse_size_string("sz1", text)
        assert SIZE_HINT == info.value.hint

    @pytest.mark.parametrize(
        "text",
        [
            "18446744073709551616",
            "16777216T",
            "16E",
            "0x10000000000000000",
            "18446744073709551615.99999999999999999999",
        ],
        ids=["v57-two-to-64", "v59-overflow-t", "overflow-e", "overflow-hex", "fraction-carries-over"],
    )
    def test_rejects_out_of_range(self, text: str) -> None:
        """Sizes of 2**64 or more fail: 'expects size', or 'out of range' for the string visitor."""
        with pytest.raises(ParameterError, match=re.escape("Parameter 'sz1' expects size")):
            parse_size("sz1", text)
        message = f"Value '{text}' is out of range for parameter 'sz1'"
        with pytest.raises(ParameterError, match=re.escape(message)) as info:
            parse_size_string("sz1", text)
        assert info.value.hint is None

    def test_overflow_then_garbage_is_invalid(self) -> None:
        """An overflowing number followed by more characters is invalid, not out of range."""
        with pytest.raises(ParameterError, match=re.escape("Parameter 'sz1' expects a non-negative number")):
            parse_size_string("sz1", "18446744073709551616k")


class TestBool:
    @pytest.mark.parametrize(
        ("text", "value"),
        [
            ("on", True),
            ("yes", True),
            ("true", True),
            ("y", True),
            ("off", False),
            ("no", False),
            ("false", False),
            ("n", False),
        ],
        ids=["v45-on", "yes", "true", "y", "v45-off", "no", "false", "n"],
    )
    def test_accepts(self, text: str, value: bool) -> None:
        """Both visitors accept exactly eight words."""
        assert value is parse_bool("bool1", text)
        assert value is parse_bool_string("bool1", text)

    @pytest.mark.parametrize(
        "text",
        ["offer", "ON", "False", "", " on", "on ", "1", "0", "enabled"],
        ids=[
            "v46-offer",
            "upper-case",
            "capitalised",
            "empty",
            "leading-space",
            "trailing-space",
            "one",
            "zero",
            "other-word",
        ],
    )
    def test_rejects(self, text: str) -> None:
        """Anything else fails with QEMU's message, case sensitively."""
        for parse in (parse_bool, parse_bool_string):
            with pytest.raises(ParameterError, match=re.escape("Parameter 'bool1' expects 'on' or 'off'")):
                parse("bool1", text)


class TestNumber:
    @pytest.mark.parametrize(
        ("text", "value"),
        [
            ("3.14", 3.14),
            ("-42", -42.0),
            ("0", 0.0),
            ("1e3", 1000.0),
            ("1E+3", 1000.0),
            (".5", 0.5),
            ("1.", 1.0),
            (" 1.5", 1.5),
            ("+1.5", 1.5),
            ("0x1.8p3", 12.0),
            ("0x.8", 0.5),
            ("0X10", 16.0),
            ("1e308", 1e308),
            ("2.2250738585072014e-308", 2.2250738585072014e-308),
            ("0x1p-1074", 5e-324),
            ("0e-99999", 0.0),
        ],
        ids=[
            "decimal",
            "negative-integer",
            "zero",
            "exponent",
            "exponent-upper-signed",
            "no-integer-part",
            "no-fraction-digits",
            "leading-space",
            "plus",
            "hex-float",
            "hex-fraction",
            "hex-integer",
            "large",
            "smallest-normal",
            "exact-subnormal",
            "zero-with-huge-exponent",
        ],
    )
    def test_accepts(self, text: str, value: float) -> None:
        """Finite C doubles are accepted, decimal or hexadecimal."""
        assert value == parse_number("n", text)
        assert value == parse_number_string("n", text)

    def test_negative_zero(self) -> None:
        """The sign of zero is kept."""
        assert math.copysign(1.0, parse_number("n", "-0")) == -1.0

    @pytest.mark.parametrize(
        "text",
        [
            "inf",
            "-inf",
            "infinity",
            "nan",
            "NAN(1)",
            "1e309",
            "1e-400",
            "1e-310",
            "4.9e-324",
            "abc",
            "",
            "1.5 ",
            "1_0",
            "0x",
            "0x1p",
            "1e",
            ".",
            "\u0663",
            "1,5",
        ],
        ids=[
            "inf",
            "minus-inf",
            "infinity",
            "nan",
            "nan-payload",
            "overflow",
            "underflow-to-zero",
            "inexact-subnormal",
            "rounded-subnormal",
            "letters",
            "empty",
            "trailing-space",
            "underscore",
            "hex-without-digits",
            "hex-exponent-without-digits",
            "exponent-without-digits",
            "dot",
            "arabic-indic-digit",
            "comma",
        ],
    )
    def test_rejects(self, text: str) -> None:
        """Non-finite values, overflow, inexact underflow and trailing characters fail."""
        message = "Invalid parameter type for 'n', expected: number"
        for parse in (parse_number, parse_number_string):
            with pytest.raises(ParameterError, match=re.escape(message)):
                parse("n", text)


@pytest.mark.parametrize(
    "parse",
    [
        parse_int64,
        parse_uint64,
        parse_size,
        parse_bool,
        parse_number,
        parse_int64_string,
        parse_uint64_string,
        parse_size_string,
    ],
    ids=["int64", "uint64", "size", "bool", "number", "int64-string", "uint64-string", "size-string"],
)
def test_errors_are_parameter_errors(parse: Callable[[str, str], object]) -> None:
    """Every conversion failure is a ParameterError, which is also a ValueError."""
    with pytest.raises(ValueError, match="'p'"):
        parse("p", "not a value")
