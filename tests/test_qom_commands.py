"""
The QOM commands in process (`qom_py.testing.qmp_client`): what qsd 7.2 orders and names.

``qom-list-properties`` lists the root class's properties first (``type``), then each
subclass's, then a concrete type's instance properties, as QEMU's prepending walk does.
QEMU orders the properties *within* one class by hash table; qom-py by declaration.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

import qom_py
from qom_py import Object, ObjectClass, TypeInfo
from qom_py.testing import qmp_client
from tests.daemon import QOM_PY, QSD, running

_GROUPS = {
    "type": 0,
    "aio-max-batch": 1,
    "thread-pool-min": 1,
    "thread-pool-max": 1,
    "poll-max-ns": 2,
    "poll-grow": 2,
    "poll-shrink": 2,
}


def _names(reply: Any) -> list[str]:
    return [p["name"] for p in reply]


def test_list_properties_root_class_first() -> None:
    """iothread: type, event-loop-base's, iothread's own; main-loop and the abstract base alike."""
    qmp = qmp_client()
    with qmp:
        assert _names(qmp.execute("qom-list-properties", {"typename": "iothread"})) == [
            "type", "aio-max-batch", "thread-pool-min", "thread-pool-max", "poll-max-ns", "poll-grow", "poll-shrink",
        ]  # fmt: skip
        expected = ["type", "aio-max-batch", "thread-pool-min", "thread-pool-max"]
        assert _names(qmp.execute("qom-list-properties", {"typename": "main-loop"})) == expected
        assert _names(qmp.execute("qom-list-properties", {"typename": "event-loop-base"})) == expected


def test_list_properties_instance_properties_last() -> None:
    """A type with class and instance properties: classes root first, then the instance's."""

    def base_init(klass: ObjectClass, data: Any) -> None:
        klass.property_add_bool("b", lambda o: True, None)

    def leaf_init(klass: ObjectClass, data: Any) -> None:
        klass.property_add_str("s", lambda o: "", None)

    def instance_init(obj: Object) -> None:
        obj.property_add_int("i1", lambda o: 1, None)
        obj.property_add_int("i2", lambda o: 2, None)

    qom_py.type_register(TypeInfo("t10-base", class_init=base_init))
    qom_py.type_register(TypeInfo("t10-leaf", parent="t10-base", class_init=leaf_init, instance_init=instance_init))
    with qmp_client() as qmp:
        assert _names(qmp.execute("qom-list-properties", {"typename": "t10-leaf"})) == ["type", "b", "s", "i1", "i2"]
        assert _names(qmp.execute("qom-list-properties", {"typename": "t10-base"})) == ["type", "b"]


def _daemon_lists(program: Sequence[str]) -> dict[str, list[str]]:
    with running(program=program) as daemon:
        conn = daemon.connect()
        return {t: _names(conn.command("qom-list-properties", typename=t)) for t in ("iothread", "main-loop")}


@pytest.mark.skipif(QSD is None, reason="qemu-storage-daemon is not installed (apt-get install qemu-utils)")
def test_list_properties_order_as_qsd() -> None:
    """qsd's order, class by class (its order inside one class is a hash table's)."""
    assert QSD is not None
    want = _daemon_lists([QSD])
    got = _daemon_lists(QOM_PY)
    for typename in want:
        assert [_GROUPS[n] for n in want[typename]] == sorted(_GROUPS[n] for n in want[typename]), want
        assert [_GROUPS[n] for n in got[typename]] == [_GROUPS[n] for n in want[typename]]
        assert sorted(got[typename]) == sorted(want[typename])


def _readme_differences() -> str:
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    return readme.split("## Deliberate differences from QEMU 7.2", 1)[1].split("\n## ", 1)[0]


def test_default_value_is_a_documented_difference() -> None:
    """qom-list-properties sends ``default-value`` (QEMU 9.1), and the README says so."""
    qom_py.type_register(
        TypeInfo("t10-defaults", class_init=lambda k, d: k.property_add_int("n", lambda o: 0, None, default=7))
    )
    with qmp_client() as qmp:
        reply = qmp.execute("qom-list-properties", {"typename": "t10-defaults"})
    assert {"name": "n", "type": "int", "default-value": 7} in reply
    assert "`qom-list-properties` fills `default-value`" in _readme_differences()


def test_post_init_order_is_a_documented_difference() -> None:
    """``instance_post_init`` runs root first (QEMU 10.1), and the README says so."""
    order: list[str] = []
    qom_py.type_register(TypeInfo("t10-a", instance_post_init=lambda o: order.append("a")))
    qom_py.type_register(TypeInfo("t10-b", parent="t10-a", instance_post_init=lambda o: order.append("b")))
    qom_py.object_new("t10-b").unref()
    assert order == ["a", "b"]
    assert "`instance_post_init` hooks run root class first" in _readme_differences()
