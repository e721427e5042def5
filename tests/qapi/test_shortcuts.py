"""`scalar_shortcut`, the one definition of what the visitors return unchanged, holds for every visitor it claims."""

from __future__ import annotations

from typing import Any

import pytest

from qom_py.qapi import Checker, load_schema
from qom_py.qapi._visitors import (
    ENUM_SHORTCUT,
    INT_RANGES,
    JSON_VISITOR,
    KEYVAL_VISITOR,
    STRING_VISITOR,
    InputVisitor,
    scalar_shortcut,
)
from qom_py.qom._property import BUILTIN_KINDS, EnumKind

SAMPLES: list[Any] = [True, False, 0, 1, -1, 255, 256, -129, 2**31, 2**63 - 1, 2**63, 2**64 - 1, 2**64, -(2**63),
                      1.5, 0.0, "", "x", "on", "12", None, [], {}]  # fmt: skip
NAMES = ["str", "any", "bool", "number", "int", "int64", "uint64", "size"] + [
    ("int" if signed else "uint") + str(bits) for bits, signed in INT_RANGES
]


def _read(visitor: InputVisitor, type_name: str, raw: object) -> Any:
    return Checker(load_schema()).check(type_name, raw, visitor.mode, "m")


@pytest.mark.parametrize("type_name", NAMES)
def test_the_shortcut_means_unchanged(type_name: str) -> None:
    found = scalar_shortcut(type_name)
    assert found is not None
    expression, constants, every = found
    test = eval(f"lambda raw: {expression.format(**{k: repr(v) for k, v in constants.items()})}")
    for visitor in [JSON_VISITOR, *([KEYVAL_VISITOR, STRING_VISITOR] if every else [])]:
        for raw in SAMPLES:
            if test(raw):
                assert _read(visitor, type_name, raw) is raw, (visitor.mode, raw)


def test_kinds_and_checker_share_it() -> None:
    for schema_type, kind in BUILTIN_KINDS.items():
        expression, constants, every = kind.shortcut()
        found = scalar_shortcut(schema_type)
        assert found is not None
        assert expression == found[0].format(**{k: k for k in found[1]}) and constants == found[1] and every == found[2]
    enum = EnumKind("E", ("a", "b"))
    assert enum.shortcut() == (ENUM_SHORTCUT.format(members="members"), {"members": frozenset({"a", "b"})}, True)
    assert scalar_shortcut("IothreadProperties") is None
