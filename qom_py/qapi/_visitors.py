"""
Input visitors: turn outside values into typed Python values, with QEMU's messages.

QEMU sets a property by handing its setter a *visitor*; the setter asks for the
type it wants (``visit_type_int64``, ``visit_type_bool``, ...) and the visitor
converts whatever it holds, or fails with its own wording.  The three flavours
here match QEMU's three input paths:

* `JSONInputVisitor` -- the QObject input visitor in JSON mode (QMP, ``qom-set``,
  ``object_add``): values must already have the right JSON type;
* `KeyvalInputVisitor` -- the same visitor in keyval mode (``--object`` strings):
  every scalar is a string and is parsed for the type asked for;
* `StringInputVisitor` -- the string input visitor of ``object_property_parse``.

Every message a visitor produces is made here, so QEMU's wording lives in one
place (with the pure parsers of `qom_py.qapi._scalars`).  The output side needs no
visitor class: getters return values as JSON would carry them.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from typing import Any, Final, Literal, Protocol, TypeAlias

from ..errors import ParameterError
from . import _scalars
from ._scalars import expects

__all__ = [
    "ENUM_SHORTCUT",
    "INT_RANGES",
    "JSON_VISITOR",
    "KEYVAL_VISITOR",
    "STRING_VISITOR",
    "ForwardVisitor",
    "InputVisitor",
    "JSONInputVisitor",
    "KeyvalInputVisitor",
    "Mode",
    "StringInputVisitor",
    "expects",
    "invalid_type",
    "rejects_value",
    "scalar_shortcut",
    "size_to_str",
    "string_output",
]

UINT64_MAX: Final = _scalars.UINT64_LIMIT - 1
INT64_MIN: Final = _scalars.INT64_MIN
INT64_MAX: Final = _scalars.INT64_MAX

#: ``(bits, signed)`` -> (min, max, C type name used in range messages).
INT_RANGES: Final[dict[tuple[int, bool], tuple[int, int, str]]] = {
    (8, True): (-(2**7), 2**7 - 1, "int8_t"),
    (16, True): (-(2**15), 2**15 - 1, "int16_t"),
    (32, True): (-(2**31), 2**31 - 1, "int32_t"),
    (64, True): (INT64_MIN, INT64_MAX, "int64_t"),
    (8, False): (0, 2**8 - 1, "uint8_t"),
    (16, False): (0, 2**16 - 1, "uint16_t"),
    (32, False): (0, 2**32 - 1, "uint32_t"),
    (64, False): (0, UINT64_MAX, "uint64_t"),
}


#: The integer types of QAPI by name: their (bits, signed) in `INT_RANGES`.
_INT_TYPES: Final[dict[str, tuple[int, bool]]] = {
    "int": (64, True),
    "size": (64, False),
    **{("int" if signed else "uint") + str(bits): (bits, signed) for bits, signed in INT_RANGES},
}

#: The shortcut of an enum: ``{members}`` is the frozenset of its member names.
ENUM_SHORTCUT: Final = "type(raw) is str and raw in {members}"


def scalar_shortcut(type_name: str) -> tuple[str, dict[str, Any], bool] | None:
    """
    What the visitors return unchanged for the QAPI built-in scalar *type_name*; None for another type.

    ``(expression, constants, every visitor)``: the expression over ``raw``
    (naming its *constants* as ``{name}``) is true exactly when the JSON
    visitor's read of that type returns ``raw`` as it is, and, when *every
    visitor* is true, any visitor's.  The one definition: the checker's member
    checks and the property kinds' setters both test it inline.
    """
    if type_name == "str":
        return "type(raw) is str", {}, True  # every visitor takes a str as it is
    if type_name == "any":
        return "True", {}, True
    if type_name == "bool":
        return "type(raw) is bool", {}, False
    if type_name == "number":
        return "type(raw) is float", {}, False
    width = _INT_TYPES.get(type_name)
    if width is None:
        return None
    # An in-range int is what the JSON visitor returns unchanged (an unsigned
    # read also takes negative int64 values, modulo 2**64: not a shortcut).
    low, high, _ = INT_RANGES[width]
    return "type(raw) is int and {low} <= raw <= {high}", {"low": low, "high": high}, False


def invalid_type(name: str, expected: str) -> ParameterError:
    """Return QEMU's ``Invalid parameter type for 'x', expected: T`` error."""
    return ParameterError(f"Invalid parameter type for '{name}', expected: {expected}")


#: The two input modes of QEMU's QObject input visitor, and its string input
#: visitor (``object_property_parse``), which reads scalars only: a visitor's
#: `InputVisitor.mode` is the checker's mode as it is.
Mode: TypeAlias = Literal["json", "keyval", "string"]


class InputVisitor(Protocol):
    """The typed reads a property setter (or a schema member) may ask of a visitor."""

    @property
    def mode(self) -> Mode:
        """``"json"``, ``"keyval"`` or ``"string"``."""
        ...

    def type_int64(self, name: str, raw: object) -> int: ...
    def type_uint64(self, name: str, raw: object) -> int: ...
    def type_size(self, name: str, raw: object) -> int: ...
    def type_bool(self, name: str, raw: object) -> bool: ...
    def type_str(self, name: str, raw: object) -> str: ...
    def type_number(self, name: str, raw: object) -> float: ...
    def type_any(self, name: str, raw: object) -> Any: ...


def type_int(visitor: InputVisitor, name: str, raw: object, bits: int, signed: bool) -> int:
    """Visit an integer of *bits* width: 64-bit read, then QEMU's range check."""
    value = visitor.type_int64(name, raw) if signed else visitor.type_uint64(name, raw)
    if bits != 64:
        low, high, ctype = INT_RANGES[bits, signed]
        if not low <= value <= high:
            raise expects(name, ctype)
    return value


def rejects_value(name: str | None, text: str) -> ParameterError:
    """
    Return QEMU's ``Parameter 'av' does not accept value 'yeti'`` error.

    *name* is the member's plain name, as ``input_type_enum()`` gives it (a
    list element has none: ``'null'``).
    """
    return ParameterError(f"Parameter '{'null' if name is None else name}' does not accept value '{text}'")


def type_enum(visitor: InputVisitor, name: str, raw: object, values: Sequence[str]) -> str:
    """Visit an enum member by name: ``Parameter 'av' does not accept value 'yeti'``."""
    text = visitor.type_str(name, raw)
    if text not in values:
        raise rejects_value(name, text)
    return text


class JSONInputVisitor:
    """QEMU's QObject input visitor in JSON mode: strict JSON types."""

    mode: Mode = "json"

    def type_int64(self, name: str, raw: object) -> int:
        if type(raw) is int and INT64_MIN <= raw <= INT64_MAX:
            return raw
        raise invalid_type(name, "integer")

    def type_uint64(self, name: str, raw: object) -> int:
        # QEMU accepts negative int64 values modulo 2**64, for backward compatibility.
        if type(raw) is int and INT64_MIN <= raw <= UINT64_MAX:
            return raw % 2**64
        raise expects(name, "uint64")

    def type_size(self, name: str, raw: object) -> int:
        # JSON mode has no size reader: QEMU falls back to uint64.
        return self.type_uint64(name, raw)

    def type_bool(self, name: str, raw: object) -> bool:
        if type(raw) is bool:
            return raw
        raise invalid_type(name, "boolean")

    def type_str(self, name: str, raw: object) -> str:
        if type(raw) is str:
            return raw
        raise invalid_type(name, "string")

    def type_number(self, name: str, raw: object) -> float:
        if type(raw) is int or type(raw) is float:
            try:
                return float(raw)
            except OverflowError:
                # Fix (tests/test_property.py, test_number): an int beyond the
                # double range escaped as a bare OverflowError.
                raise invalid_type(name, "number") from None
        raise invalid_type(name, "number")

    def type_any(self, name: str, raw: object) -> Any:
        return raw


class KeyvalInputVisitor:
    """QEMU's QObject input visitor in keyval mode: every scalar is a string."""

    mode: Mode = "keyval"

    @staticmethod
    def _text(name: str, raw: object) -> str:
        if type(raw) is str:
            return raw
        if isinstance(raw, (dict, list)):
            msg = f"Parameters '{name}.*' are unexpected"
            raise ParameterError(msg)
        # A non-string scalar cannot come out of keyval_parse; QEMU words it so.
        msg = f"Internal error: parameter {name} invalid"
        raise ParameterError(msg)

    def type_int64(self, name: str, raw: object) -> int:
        return _scalars.parse_int64(name, self._text(name, raw))

    def type_uint64(self, name: str, raw: object) -> int:
        return _scalars.parse_uint64(name, self._text(name, raw))

    def type_size(self, name: str, raw: object) -> int:
        return _scalars.parse_size(name, self._text(name, raw))

    def type_bool(self, name: str, raw: object) -> bool:
        return _scalars.parse_bool(name, self._text(name, raw))

    def type_str(self, name: str, raw: object) -> str:
        return self._text(name, raw)

    def type_number(self, name: str, raw: object) -> float:
        return _scalars.parse_number(name, self._text(name, raw))

    def type_any(self, name: str, raw: object) -> Any:
        return raw


class StringInputVisitor:
    """QEMU's string input visitor (``object_property_parse``, HMP ``qom-set``)."""

    mode: Mode = "string"

    @staticmethod
    def _text(name: str, raw: object) -> str:
        if type(raw) is str:
            return raw
        raise invalid_type(name, "string")

    def type_int64(self, name: str, raw: object) -> int:
        return _scalars.parse_int64_string(name, self._text(name, raw))

    def type_uint64(self, name: str, raw: object) -> int:
        return _scalars.parse_uint64_string(name, self._text(name, raw))

    def type_size(self, name: str, raw: object) -> int:
        return _scalars.parse_size_string(name, self._text(name, raw))

    def type_bool(self, name: str, raw: object) -> bool:
        return _scalars.parse_bool_string(name, self._text(name, raw))

    def type_str(self, name: str, raw: object) -> str:
        return self._text(name, raw)

    def type_number(self, name: str, raw: object) -> float:
        # Fix (tests/test_property.py, test_visitor): C's strtod grammar via
        # _scalars, not Python's float(), which also took "1_0", "1.5 " and
        # non-ASCII digits, and refused C's hex floats ("0x1p3").
        return _scalars.parse_number_string(name, self._text(name, raw))

    def type_any(self, name: str, raw: object) -> Any:
        return raw


class ForwardVisitor:
    """
    QEMU's forward visitor (``visitor_forward_field``), as alias properties use it.

    A read of the member *from_name* is passed to *target* as a read of
    *to_name*; every other name passes unchanged.  So what *target* itself
    reports (a wrong JSON type, a string that does not parse) names *to_name*,
    the alias, while the checks made above the visitor (`type_int`'s range,
    `type_enum`'s members, the setter's own) name *from_name*, the aliased
    property, exactly as in QEMU.
    """

    def __init__(self, target: InputVisitor, from_name: str, to_name: str) -> None:
        self.target = target
        self.from_name = from_name
        self.to_name = to_name

    @property
    def mode(self) -> Mode:
        return self.target.mode

    def _name(self, name: str) -> str:
        return self.to_name if name == self.from_name else name

    def type_int64(self, name: str, raw: object) -> int:
        return self.target.type_int64(self._name(name), raw)

    def type_uint64(self, name: str, raw: object) -> int:
        return self.target.type_uint64(self._name(name), raw)

    def type_size(self, name: str, raw: object) -> int:
        return self.target.type_size(self._name(name), raw)

    def type_bool(self, name: str, raw: object) -> bool:
        return self.target.type_bool(self._name(name), raw)

    def type_str(self, name: str, raw: object) -> str:
        return self.target.type_str(self._name(name), raw)

    def type_number(self, name: str, raw: object) -> float:
        return self.target.type_number(self._name(name), raw)

    def type_any(self, name: str, raw: object) -> Any:
        return self.target.type_any(self._name(name), raw)


#: Shared stateless visitor instances.
JSON_VISITOR: Final = JSONInputVisitor()
KEYVAL_VISITOR: Final = KeyvalInputVisitor()
STRING_VISITOR: Final = StringInputVisitor()


def size_to_str(value: int) -> str:
    """QEMU's ``size_to_str``: ``1536`` -> ``"1.5 KiB"`` (three significant digits)."""
    suffixes = ("", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei")
    _, exponent = math.frexp(value / (1000.0 / 1024.0))
    index = max(0, (exponent - 1) // 10)
    return f"{_c_g3(value / (1 << (index * 10)))} {suffixes[index]}B"


def _c_g3(number: float) -> str:
    # C's "%0.3g": three significant digits, no trailing zeros.
    return f"{number:.3g}"


def string_output(value: Any, *, human: bool = False, size: bool = False) -> str:
    """
    Format *value* as QEMU's string output visitor does (``object_property_print``).

    Plain mode: integers in decimal, numbers as ``%.17g``, booleans ``true`` /
    ``false``, strings raw.  Human mode: integers get `` (0x...)`` appended (a
    *size* gets QEMU's ``size_to_str`` instead, ``1536 (1.5 KiB)``) and strings
    are quoted.  Lists and dicts are written as compact JSON (QEMU prints integer
    lists as ranges and structs as ``<omitted>``).
    """
    if type(value) is bool:
        return "true" if value else "false"
    if type(value) is int:
        if not human:
            return str(value)
        if size:
            return f"{value} ({size_to_str(value)})"
        return f"{value} (0x{value % 2**64:x})"
    if type(value) is float:
        return f"{value:.17g}"
    if type(value) is str:
        return f'"{value}"' if human else value
    if value is None:
        return "<null>" if human else ""
    return json.dumps(value, separators=(",", ":"))
