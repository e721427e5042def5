"""
String-to-scalar conversions of QEMU's input visitors, with QEMU's messages.

Two families:

* the **keyval** flavour (``parse_int64`` ...): QEMU's QObject input visitor in
  keyval mode (``qobject_input_type_*_keyval``), used for ``--object`` strings;
* the **string** flavour (``parse_*_string``): QEMU's string input visitor
  (``qapi/string-input-visitor.c``), used by ``object_property_parse`` and HMP
  ``qom-set``.  Only its scalar mode is modelled here, not integer lists.

Each function takes the parameter *name* exactly as it should appear in the
message (already dotted, e.g. ``"a.b"``) and the *text*; it returns the value
or raises `ParameterError`.

The C functions underneath are glibc's ``strtoll``/``strtoull``/``strtod``
wrapped by QEMU's ``qemu_strtoi64``/``qemu_strtou64``/``qemu_strtod_finite``
(which must consume the whole string) and ``qemu_strtosz``.  They are
re-implemented here on ASCII only: Python's own ``int()`` and ``float()``
accept Unicode digits, underscores and trailing whitespace, which C does not.
Where QEMU versions differ, this follows QEMU 7.2, the version installed next
to the project; the differences from later versions are noted on `parse_size`.

This module is pure: it imports nothing from qom_py but the errors.
"""

from __future__ import annotations

import math
import re
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Final, Literal

from qom_py.errors import ParameterError

if TYPE_CHECKING:
    from decimal import Decimal
    from fractions import Fraction

__all__ = [
    "SIZE_HINT",
    "expects",
    "parse_bool",
    "parse_bool_string",
    "parse_int64",
    "parse_int64_string",
    "parse_number",
    "parse_number_string",
    "parse_size",
    "parse_size_string",
    "parse_uint64",
    "parse_uint64_string",
]

INT64_MIN: Final = -(2**63)
INT64_MAX: Final = 2**63 - 1
UINT64_LIMIT: Final = 2**64  # one past UINT64_MAX

#: The hint QEMU appends to a bad size on the string-visitor path.
SIZE_HINT: Final = (
    "Optional suffix k, M, G, T, P or E means kilo-, mega-, giga-, tera-, peta-\nand exabytes, respectively."
)

_TRUE: Final = frozenset({"on", "yes", "true", "y"})
_FALSE: Final = frozenset({"off", "no", "false", "n"})

# C's isspace() in the C locale.
_WS: Final = r"[ \t\n\v\f\r]*"

# strtoll/strtoull with base 0, anchored at both ends (the caller passes no end
# pointer, so the whole string must be consumed).  "0x" counts as a prefix only
# when a hex digit follows; a leading "0" means octal, so "08" stops after the
# "0" and fails.  glibc 2.36 (Debian 12, QEMU 7.2's build) knows no "0b".
_INT: Final = re.compile(_WS + r"(?P<sign>[+-]?)(?:0[xX](?P<hex>[0-9A-Fa-f]+)|(?P<oct>0[0-7]*)|(?P<dec>[1-9][0-9]*))")

# The integer part of a size: strtoull with base 10, as a prefix.
_SIZE_INT: Final = re.compile(_WS + r"(?P<sign>[+-]?)(?P<digits>[0-9]+)")
# A fraction as strtod reads it from the '.': digits are required, and an
# exponent is only taken when it has digits.
_SIZE_FRACTION: Final = re.compile(r"\.(?P<digits>[0-9]+)(?P<exp>[eE][+-]?[0-9]+)?")
_HEX_DIGITS: Final = re.compile(r"[0-9A-Fa-f]+")
_NONZERO_DIGIT: Final = re.compile(r"[1-9]")

# strtod: decimal or hexadecimal floating point (inf and nan are left out:
# qemu_strtod_finite rejects them anyway).
_FLOAT: Final = re.compile(
    _WS
    + r"(?P<sign>[+-]?)(?:"
    + r"(?P<dec>(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)"
    + r"|0[xX](?P<hex>(?:[0-9A-Fa-f]+\.?[0-9A-Fa-f]*|\.[0-9A-Fa-f]+))(?:[pP](?P<hexp>[+-]?[0-9]+))?"
    + r")"
)

# qemu_strtosz's suffixes, case-insensitive (QEMU's toupper is ASCII only).
_SUFFIX: Final = {
    c: 1024**power for power, letters in enumerate(("bB", "kK", "mM", "gG", "tT", "pP", "eE")) for c in letters
}


# --- keyval flavour (qobject-input-visitor.c, keyval mode) ---------------------


def parse_int64(name: str, text: str) -> int:
    """
    Convert *text* to an int64 as QEMU's keyval visitor does.

    Base 0 like C: ``42``, ``0x2a``, ``052`` (octal); leading whitespace and a
    sign are accepted, anything after the digits (trailing whitespace
    included) is not.

    Raises:
        ParameterError: ``Parameter 'x' expects integer``.
    """
    value = _strtox(text)
    if value is None or not INT64_MIN <= value <= INT64_MAX:
        raise expects(name, "integer")
    return value


def parse_uint64(name: str, text: str) -> int:
    """
    Convert *text* to a uint64 as QEMU's keyval visitor does.

    The grammar of `parse_int64`; like C's ``strtoull``, a negative number
    wraps modulo 2**64 when its magnitude fits in 64 bits (``-1`` is
    2**64-1, ``-18446744073709551616`` is an error).

    Raises:
        ParameterError: ``Parameter 'x' expects integer``.
    """
    value = _strtou(text)
    if value is None:
        raise expects(name, "integer")
    return value


def parse_size(name: str, text: str) -> int:
    """
    Convert *text* to a size in bytes, as QEMU 7.2's ``qemu_strtosz``.

    A decimal integer (exact, any value below 2**64), or hexadecimal
    (``0x1000``), optionally followed by one suffix ``b``/``B`` (bytes) or
    ``k K m M g G t T p P e E`` (binary units, 1024**n).  A decimal may have a
    fraction, ``1.5k``, but then it needs a suffix other than ``B`` unless
    the fraction is zero (``1.0`` and ``1.`` are 1).  The result is rounded to
    the nearest byte.  Negative numbers, exponents, ``.5k`` (no integer
    part) and values of 2**64 or more are rejected.

    Differences from later QEMU (8.1+), which this does not follow: there a
    hex number with a suffix (``0x1k``) is rejected, where 7.2 accepts it
    with a deprecation warning, and ``.5k`` is accepted.  Where 7.2 hits
    undefined behaviour (a fraction that rounds up to 1.0, as in
    ``1.99999999999999999999k``), this carries into the integer part like
    later QEMU does.

    Raises:
        ParameterError: ``Parameter 'x' expects size``.
    """
    value = _strtosz(text)
    if isinstance(value, str):
        raise expects(name, "size")
    return value


def parse_bool(name: str, text: str) -> bool:
    """
    Convert *text* to a bool: ``on yes true y`` or ``off no false n``, exactly.

    Raises:
        ParameterError: ``Parameter 'x' expects 'on' or 'off'``.
    """
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise expects(name, "'on' or 'off'")


def parse_number(name: str, text: str) -> float:
    """
    Convert *text* to a finite float, with C's ``strtod`` grammar.

    Decimal (``3.14``, ``.5``, ``1e3``) or hexadecimal (``0x1.8p3``) with
    optional leading whitespace and sign.  ``inf``, ``nan``, trailing
    characters, overflow, and (like glibc) an underflow to a zero or
    subnormal result that is not exact are rejected.

    Raises:
        ParameterError: ``Invalid parameter type for 'x', expected: number``.
    """
    value = _strtod(text)
    if value is None:
        msg = f"Invalid parameter type for '{name}', expected: number"
        raise ParameterError(msg)
    return value


# --- string flavour (string-input-visitor.c, scalar mode) ----------------------


def parse_int64_string(name: str, text: str) -> int:
    """
    Convert *text* to an int64 as QEMU's string input visitor does.

    The grammar of `parse_int64`.

    Raises:
        ParameterError: ``Parameter 'x' expects int64``.
    """
    value = _strtox(text)
    if value is None or not INT64_MIN <= value <= INT64_MAX:
        raise expects(name, "int64")
    return value


def parse_uint64_string(name: str, text: str) -> int:
    """
    Convert *text* to a uint64 as QEMU's string input visitor does.

    The grammar and wrapping of `parse_uint64`.

    Raises:
        ParameterError: ``Parameter 'x' expects uint64``.
    """
    value = _strtou(text)
    if value is None:
        raise expects(name, "uint64")
    return value


def parse_size_string(name: str, text: str) -> int:
    """
    Convert *text* to a size as the string input visitor (``parse_option_size``).

    The grammar of `parse_size`, with other messages.

    Raises:
        ParameterError: ``Value '<text>' is out of range for parameter 'x'``
            when the number is too big; otherwise ``Parameter 'x' expects a
            non-negative number below 2^64`` with `SIZE_HINT` as its hint.
    """
    value = _strtosz(text)
    if value == "range":
        msg = f"Value '{text}' is out of range for parameter '{name}'"
        raise ParameterError(msg)
    if isinstance(value, str):
        msg = f"Parameter '{name}' expects a non-negative number below 2^64"
        raise ParameterError(msg, SIZE_HINT)
    return value


def parse_bool_string(name: str, text: str) -> bool:
    """
    Convert *text* to a bool as the string input visitor does (as `parse_bool`).

    Raises:
        ParameterError: ``Parameter 'x' expects 'on' or 'off'``.
    """
    return parse_bool(name, text)


def parse_number_string(name: str, text: str) -> float:
    """
    Convert *text* to a float as the string input visitor does (as `parse_number`).

    Raises:
        ParameterError: ``Invalid parameter type for 'x', expected: number``.
    """
    return parse_number(name, text)


# --- the C library, re-implemented ---------------------------------------------


def expects(name: str, what: str) -> ParameterError:
    """Return QEMU's ``Parameter 'x' expects WHAT`` error (every reader's: the one definition)."""
    return ParameterError(f"Parameter '{name}' expects {what}")


def _digits_value(digits: str, base: int) -> int:
    """Return int(*digits*, *base*), or a value >= 2**64 when it is that big."""
    # Capping first keeps int() away from huge strings (and from Python's
    # limit on decimal digits); any 30 significant digits already overflow.
    digits = digits.lstrip("0")
    return UINT64_LIMIT if len(digits) > 30 else int(digits or "0", base)


def _strtox(text: str) -> int | None:
    """Parse all of *text* as C's base-0 ``strtoll``; return the exact value, sign included."""
    match = _INT.fullmatch(text)
    if match is None:
        return None
    if match["hex"] is not None:
        value = _digits_value(match["hex"], 16)
    elif match["oct"] is not None:
        value = _digits_value(match["oct"], 8)
    else:
        value = _digits_value(match["dec"], 10)
    return -value if match["sign"] == "-" else value


def _strtou(text: str) -> int | None:
    """``qemu_strtou64``: wrap negatives modulo 2**64 unless the magnitude overflows."""
    value = _strtox(text)
    if value is None or abs(value) >= UINT64_LIMIT:
        return None
    return value % UINT64_LIMIT


def _strtod(text: str) -> float | None:
    """``qemu_strtod_finite`` on all of *text*; None on any error."""
    match = _FLOAT.fullmatch(text)
    if match is None:
        return None
    sign = match["sign"]
    if match["dec"] is not None:
        literal = sign + match["dec"]
        value = float(literal)  # correctly rounded, as glibc
        if not math.isfinite(value):
            return None  # overflow (ERANGE)
        nonzero = _NONZERO_DIGIT.search(literal.partition("e")[0].partition("E")[0]) is not None
        return None if _underflows(value, nonzero, lambda: _exact_decimal(literal)) else value
    mantissa = match["hex"]
    # Clamp absurd exponents: int() refuses very long digit strings, and
    # 2**(10**18) is far beyond both overflow and underflow anyway.
    hexp = match["hexp"] or "0"
    negative = hexp.startswith("-")
    magnitude = hexp.lstrip("+-").lstrip("0") or "0"
    exponent = min(int(magnitude), 10**18) if len(magnitude) <= 19 else 10**18
    exponent = -exponent if negative else exponent
    try:
        value = float.fromhex(f"{sign}0x{mantissa}p{exponent}")
    except OverflowError:
        return None  # overflow (ERANGE)
    whole, _, frac = mantissa.partition(".")
    significand = int(whole + frac, 16)

    def exact() -> Fraction:
        # Only called for a subnormal result, so the power of two is small.
        from fractions import Fraction  # subnormal results only: not imported at start-up

        scaled = significand * Fraction(2) ** (exponent - 4 * len(frac))
        return -scaled if sign == "-" else scaled

    return None if _underflows(value, significand != 0, exact) else value


def _underflows(value: float, nonzero: bool, exact: Callable[[], Fraction | Decimal]) -> bool:
    """
    Tell whether glibc's strtod reports ERANGE for an underflow.

    It does when the result is zero although the input is *nonzero*, or when
    it is subnormal and differs from the exact value *exact()* (only
    evaluated then, when it is known to be of reasonable size).
    """
    if abs(value) >= sys.float_info.min:
        return False
    if value == 0.0:
        return nonzero
    precise = exact()
    from decimal import Decimal
    from fractions import Fraction

    # Both sides are exact rationals, so the comparison is exact.
    return precise != (Decimal(value) if isinstance(precise, Decimal) else Fraction(value))


def _exact_decimal(literal: str) -> Decimal:
    from decimal import Decimal  # subnormal results only: not imported at start-up

    return Decimal(literal)


def _strtosz(text: str) -> int | Literal["invalid", "range"]:
    """
    ``qemu_strtosz`` from QEMU 7.2 (``do_strtosz`` with unit 1024, default ``B``).

    Returns the size, or which of ``-EINVAL``/``-ERANGE`` QEMU would return.
    """
    n = len(text)
    # 1. The integral part, as a decimal strtoull prefix.
    match = _SIZE_INT.match(text)
    if match is None:
        return "invalid"  # no conversion
    val = _digits_value(match["digits"], 10)
    end = match.end()
    if val >= UINT64_LIMIT:
        # ERANGE, unless characters follow (QEMU's final check turns that
        # into EINVAL): "18446744073709551616k" is invalid, not out of range.
        return "range" if end == n else "invalid"
    if match["sign"] == "-":
        return "invalid"  # QEMU looks for a '-' in what strtoull consumed
    valf = 0  # the fraction, as a 0.64 fixed-point number
    c = text[end] if end < n else ""
    if val == 0 and c in ("x", "X"):
        # 2a. Looks like hex: reparse with base 16, and insist on no fraction.
        # strtoull takes "0x" as a prefix only after a single "0" and before
        # a hex digit; otherwise it stops at the 'x' and the string fails.
        hex_match = _HEX_DIGITS.match(text, end + 1)
        if match["digits"] != "0" or hex_match is None:
            return "invalid"
        val = _digits_value(hex_match[0], 16)
        end = hex_match.end()
        if val >= UINT64_LIMIT:
            return "range" if end == n else "invalid"
        if end < n and text[end] == ".":
            return "invalid"
        # QEMU 7.2 accepts a suffix after hex with a deprecation warning.
    elif c == ".":
        # 2b. A fraction, read by strtod from the '.'.
        fraction_match = _SIZE_FRACTION.match(text, end)
        if fraction_match is None:
            end += 1  # strtod failed ("1." or "1.k"): skip the '.' only
        elif fraction_match["exp"] is not None:
            return "invalid"  # an exponent makes the whole input invalid
        else:
            digits = fraction_match["digits"]
            fraction = float("0." + digits)
            end = fraction_match.end()
            nonzero = _NONZERO_DIGIT.search(digits) is not None
            if _underflows(fraction, nonzero, lambda: _exact_decimal("0." + digits)):
                # strtod's ERANGE: QEMU then skips one character more than
                # strtod consumed, and ignores the fraction.
                end += 1
                if end > n:
                    return "invalid"  # QEMU would read past the string
            elif fraction == 1.0:
                val += 1  # .999... rounded up; see the docstring
            else:
                valf = int(fraction * 2.0**64)  # truncates, like the C cast
    # 3. The suffix, or the default 'B'.
    mul = _SUFFIX.get(text[end]) if end < n else None
    if mul is None:
        mul = 1
    else:
        end += 1
    if mul == 1:
        if valf:
            return "invalid"  # a fraction needs a scale
    else:
        # Exact 64.64 fixed point times the scale, rounding 0.5 up, as QEMU.
        low = valf * mul
        val = val * mul + (low >> 64) + ((low >> 63) & 1)
    if end < n:
        return "invalid"  # trailing characters
    if val >= UINT64_LIMIT:
        return "range"
    return val
