"""
Generated fast paths (``qom_py._util.codegen``) agree with the visitors they short-cut.

A generated setter or schema hook tests a kind's shortcut inline and calls the
visitor only when it fails, so for every kind, visitor and value it must end the
same way the visitor does: the same stored value, or the same error.  Hypothesis
draws values around each kind's edges (range limits, bools that are ints,
strings of numbers, floats, containers).
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qom_py.errors import QOMError
from qom_py.qapi._visitors import JSON_VISITOR, KEYVAL_VISITOR, STRING_VISITOR, InputVisitor
from qom_py.qom._property import (
    BOOL,
    NUMBER,
    SIZE,
    STR,
    EnumKind,
    ObjectProperty,
    PropertyKind,
    StoreIn,
    int_kind,
    typed_property,
)

KINDS: list[PropertyKind] = [
    BOOL,
    STR,
    NUMBER,
    SIZE,
    EnumKind("Animal", ("frog", "alligator", "platypus")),
    *(int_kind(bits, signed) for bits in (8, 16, 32, 64) for signed in (True, False)),
]
VISITORS: list[InputVisitor] = [JSON_VISITOR, KEYVAL_VISITOR, STRING_VISITOR]

EDGES = [2**n + d for n in (7, 8, 15, 16, 31, 32, 63, 64) for d in (-1, 0, 1)]
VALUES = st.one_of(
    st.booleans(),
    st.integers(),
    st.sampled_from(EDGES + [-e for e in EDGES]),
    st.floats(allow_nan=False),
    st.text(max_size=8),
    st.sampled_from(["frog", "platypus", "yeti", "on", "off", "42", "-1", "0x10", "1k", " 7", ""]),
    st.none(),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=2), st.integers(), max_size=1),
)


class _Holder:
    """Stands in for an object: the setters only touch ``__dict__``."""


def _outcome(fn: Any) -> tuple[str, Any]:
    try:
        return "ok", fn()
    except QOMError as exc:
        return "error", (type(exc), str(exc))


def _via_setter(prop: ObjectProperty, visitor: InputVisitor, raw: object, slot: str) -> Any:
    holder = _Holder()
    assert prop.set is not None
    prop.set(holder, visitor, "p", raw)  # type: ignore[arg-type]  # a stand-in object
    return holder.__dict__[slot]


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.type_name)
@pytest.mark.parametrize("visitor", VISITORS, ids=lambda v: v.mode)
@settings(max_examples=150, derandomize=True, deadline=None)
@given(raw=VALUES)
def test_setters_agree_with_visit(kind: PropertyKind, visitor: InputVisitor, raw: Any) -> None:
    """Both setter flavours end exactly as ``kind.visit`` does."""
    expected = _outcome(lambda: kind.visit(visitor, "p", raw))
    stored: dict[str, Any] = {}
    with_callback = typed_property("p", kind, None, lambda obj, value: stored.__setitem__("v", value))
    with_slot = typed_property("p", kind, None, StoreIn("_slot"))
    callback_outcome = _outcome(lambda: (with_callback.set(_Holder(), visitor, "p", raw), stored["v"])[1])  # type: ignore[arg-type, misc]
    assert callback_outcome == expected
    assert _outcome(lambda: _via_setter(with_slot, visitor, raw, "_slot")) == expected
    if expected[0] == "ok":  # the very value, not merely an equal one (True is not 1)
        assert type(callback_outcome[1]) is type(expected[1])


def test_a_failed_set_stores_nothing() -> None:
    """A refused value never reaches the store."""
    holder = _Holder()
    prop = typed_property("p", int_kind(8), None, StoreIn("_slot"))
    assert prop.set is not None
    with pytest.raises(QOMError, match="Parameter 'p' expects int8_t"):
        prop.set(holder, JSON_VISITOR, "p", 128)  # type: ignore[arg-type]
    assert "_slot" not in holder.__dict__


def test_generated_code_shows_in_tracebacks() -> None:
    """Generated functions are registered with linecache, so tracebacks show their source."""
    import linecache
    import traceback

    def fail(obj: object, value: object) -> None:
        raise ZeroDivisionError

    prop = typed_property("p", int_kind(), None, fail)
    assert prop.set is not None
    with pytest.raises(ZeroDivisionError) as info:
        prop.set(_Holder(), JSON_VISITOR, "p", 1)  # type: ignore[arg-type]
    frames = traceback.extract_tb(info.value.__traceback__)
    generated = [f for f in frames if f.filename.startswith("<qom_py generated")]
    assert generated and generated[0].line == "user_set(obj, raw)"
    assert linecache.getline(generated[0].filename, generated[0].lineno or 0).strip() == "user_set(obj, raw)"
