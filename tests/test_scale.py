"""
The cost of a run-time type does not grow with the number of types (issue 17, item 2).

Registering N types and creating, reading and deleting one object of each used
to cost O(N^2): each new type copied the whole schema view, rebuilt the union's
branches and value names, and every class property added while a class was
realized cleared every realized class's caches.  These tests count work, not
time (the machine may be loaded): the Python-level calls made per type, with a
profile hook, at two sizes, and the schema copies made; and that a daemon's
first creation of a run-time type needs no schema model.  ``bench/scale.py``
measures the times.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Callable
from typing import Any

import pytest

import qom_py
from qom_py.qapi import QAPISchema
from qom_py.qom._user_creatable import user_creatable_add_qapi
from tests.daemon import child_env

#: The two sizes compared (quadratic cost would make the larger 10x as costly per type).
SMALL, LARGE = 40, 400


def _register(first: int, count: int) -> list[str]:
    """Register *count* user-creatable types, each with four typed class properties and an enum of its own."""
    names = []
    for i in range(first, first + count):

        def class_init(klass: Any, data: Any, i: int = i) -> None:
            klass.property_add_str(
                "label", lambda o: o.__dict__.get("l", ""), lambda o, v: o.__dict__.__setitem__("l", v)
            )
            klass.property_add_int(
                "count", lambda o: o.__dict__.get("c", 0), lambda o, v: o.__dict__.__setitem__("c", v)
            )
            klass.property_add_enum(
                "mode", f"ScaleTestMode{i + 1}", ["slow", "fast"], lambda o: "slow", lambda o, v: None
            )
            klass.property_add_bool("flag", lambda o: False, lambda o, v: None, default=False)

        name = f"scale-test-{i}"
        qom_py.type_register(qom_py.TypeInfo(name, interfaces=(qom_py.TYPE_USER_CREATABLE,), class_init=class_init))
        names.append(name)
    return names


def _cycle(names: list[str]) -> None:
    """Create, read and delete one object of each type, as QMP object-add / qom-get / object-del do."""
    for i, name in enumerate(names):
        obj = user_creatable_add_qapi({"qom-type": name, "id": f"s{i}", "label": "x", "count": i, "mode": "fast"})
        assert obj.property_get("count") == i
        qom_py.object_del(f"s{i}")


def _calls(fn: Callable[[], object]) -> int:
    """The number of Python and C function calls *fn* makes (a measure of work, independent of the machine's load)."""
    count = 0

    def hook(frame: Any, event: str, arg: Any) -> None:
        nonlocal count
        if event in ("call", "c_call"):
            count += 1

    old = sys.getprofile()
    sys.setprofile(hook)
    try:
        fn()
    finally:
        sys.setprofile(old)
    return count


@pytest.fixture(autouse=True)
def _model_loaded() -> None:
    """One run-time type created first: the schema model is loaded (a one-time cost) before counting."""
    _cycle(_register(-1, 1))


def test_work_per_type_is_flat() -> None:
    """Registering N types then a create/get/delete cycle of each: the same work per type at 10x the N."""
    small = _calls(lambda: _cycle(_register(0, SMALL))) / SMALL
    qom_py.testing.reset()
    _cycle(_register(-1, 1))
    large = _calls(lambda: _cycle(_register(SMALL, LARGE))) / LARGE
    assert large < 1.5 * small, (small, large)


def test_first_creation_after_many_registrations() -> None:
    """The first creation after N registrations does the work of one type, whatever N is."""
    names = _register(0, SMALL)
    small = _calls(lambda: _cycle(names[-1:]))
    qom_py.testing.reset()
    _cycle(_register(-1, 1))
    names = _register(SMALL, LARGE)
    large = _calls(lambda: _cycle(names[-1:]))
    assert large < 1.5 * small, (small, large)


def test_every_later_registration_is_cheap() -> None:
    """After many types, one more type's registration and first creation cost what the first type's did."""
    first = _calls(lambda: _cycle(_register(0, 1)))
    _cycle(_register(1, LARGE))
    later = _calls(lambda: _cycle(_register(LARGE + 1, 1)))
    assert later < 1.5 * first, (first, later)


def test_no_schema_copy_per_type(monkeypatch: pytest.MonkeyPatch) -> None:
    """The view grows in place: creating objects of N new types copies no schema."""
    copies = 0
    original = QAPISchema.copy

    def counting_copy(self: QAPISchema, exclude: Any = ()) -> QAPISchema:
        nonlocal copies
        copies += 1
        return original(self, exclude)

    qom_py.object_schema().current()  # the schema model loaded and a view made, before counting
    monkeypatch.setattr(QAPISchema, "copy", counting_copy)
    _cycle(_register(0, SMALL))
    assert copies == 0
    union = qom_py.object_schema().current().object_type("ObjectOptions")  # the whole union: one copy
    assert union.variants is not None and union.variants.case(f"scale-test-{SMALL - 1}") is not None
    assert copies == 1


#: A fresh process: 2,000 types registered, one created through QMP (then its enum refused), what is loaded.
FIRST_CREATION = """\
import sys, qom_py
from qom_py.qmp import QMPError
from qom_py.testing import qmp_client
def class_init(klass, data):
    klass.property_add_enum("mode", "mode-enum", ["slow", "fast"], lambda o: "slow", lambda o, v: None)
    klass.property_add_str("node_name", lambda o: "", lambda o, v: None)
for i in range(2000):
    qom_py.type_register(qom_py.TypeInfo(f"t_{i}", interfaces=["user-creatable"], class_init=class_init))
qmp = qmp_client()
qmp.execute("object-add", {"qom-type": "t_1999", "id": "a", "mode": "fast", "node_name": "n"})
try:
    qmp.execute("object-add", {"qom-type": "t_7", "id": "b", "mode": "turbo"})
except QMPError as err:
    print(err)
print(repr(sorted(sys.modules)))
"""


def test_first_creation_loads_no_model() -> None:
    """A run-time type's struct goes to the check table's checker: the first creation loads no schema model."""
    result = subprocess.run(
        [sys.executable, "-c", FIRST_CREATION], capture_output=True, text=True, env=child_env(), timeout=120, check=True
    )
    *lines, modules = result.stdout.splitlines()
    assert lines == ["Parameter 'mode' does not accept value 'turbo'"]
    assert {"qom_py.qapi._entities", "qom_py.qapi._schema"} & set(ast.literal_eval(modules)) == set()
