"""
The QOM commands in process (`qom_py.testing.qmp_client`): what qsd 7.2 orders and names.

``qom-list-properties`` lists the root class's properties first (``type``), then each
subclass's, then a concrete type's instance properties, as QEMU's prepending walk does.
QEMU orders the properties *within* one class by hash table; qom-py by declaration.
"""

from __future__ import annotations

from collections.abc import Sequence
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
