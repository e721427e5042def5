"""
Checked by tests/test_typing.py with mypy and pyright, never imported by pytest.

Each line marked ``# E: assignment`` must be reported by both checkers; every
other line must pass.  ``assert_type`` lines pin what a checker infers.
"""

from __future__ import annotations

from typing import Any, assert_type

import qom_py
from qom_py import Object, prop, qom_type


@qom_type("typing-pump", interfaces=["user-creatable"])
class Pump(Object):
    rate = prop.UInt(32, default=5)
    label = prop.Str()
    on = prop.Bool()
    rules = prop.QAPIList("str")
    peer = prop.Link("typing-pump")


@qom_type("typing-tank", interfaces=["user-creatable"])
class Tank(Object):
    pump = prop.Link(Pump)


def check(pump: Pump, tank: Tank) -> None:
    assert_type(pump.rate, int)
    assert_type(pump.label, str)
    assert_type(pump.on, bool)
    assert_type(pump.rules, tuple[Any, ...])
    assert_type(pump.peer, Object | None)
    assert_type(tank.pump, Pump | None)
    assert_type(qom_py.object_add(Pump, id="p0"), Pump)
    assert_type(qom_py.object_add("typing-pump", id="p1"), Object)
    assert_type(Pump(rate=3, label="x"), Pump)
    assert_type(prop.Int(minimum=0, maximum=10), prop.Property[int])
    pump.rate = 7
    pump.label = "x"
    tank.pump = "/objects/p0"
    pump.rate = "seven"  # E: assignment
    pump.on = 1.5  # E: assignment
