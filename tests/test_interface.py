"""Interfaces, ported from QEMU's tests/unit/check-qom-interface.c (QOM-REFERENCE §4.2)."""

from __future__ import annotations

from typing import Any

import pytest

import qom_py
from qom_py import InterfaceClass, ObjectClass, TypeInfo, TypeRegistry

TYPE_TEST_IF = "test-interface"
TYPE_DIRECT_IMPL = "direct-impl"
TYPE_INTERMEDIATE_IMPL = "intermediate-impl"
#: The value check-qom-interface.c stores in the interface class.
TEST_VALUE = 0xFAFBFCFD


def _test_if_class_init(klass: ObjectClass, data: Any) -> None:
    # The interface class's uint32 `test` field, zero as in a fresh C class struct.
    setattr(klass, "test", 0)  # noqa: B010 - a dynamic class slot


def _direct_impl_class_init(klass: ObjectClass, data: Any) -> None:
    iface = klass.dynamic_cast(TYPE_TEST_IF)
    assert iface is not None
    setattr(iface, "test", TEST_VALUE)  # noqa: B010 - a dynamic class slot


@pytest.fixture
def interfaces(registry: TypeRegistry) -> TypeRegistry:
    """check-qom-interface.c's three types, in a fresh registry."""
    registry.register(TypeInfo(TYPE_TEST_IF, parent="interface", class_init=_test_if_class_init))
    registry.register(TypeInfo(TYPE_DIRECT_IMPL, interfaces=[TYPE_TEST_IF], class_init=_direct_impl_class_init))
    registry.register(TypeInfo(TYPE_INTERMEDIATE_IMPL, parent=TYPE_DIRECT_IMPL))
    return registry


@pytest.mark.parametrize(
    "typename", [TYPE_DIRECT_IMPL, TYPE_INTERMEDIATE_IMPL], ids=["direct_impl", "intermediate_impl"]
)
def test_interface_class_value(interfaces: TypeRegistry, typename: str) -> None:
    """An implementer casts to the interface, whose class holds the value set by `direct-impl`."""
    obj = interfaces.new(typename)
    assert obj.dynamic_cast(TYPE_TEST_IF) is obj
    iface = obj.klass.dynamic_cast(TYPE_TEST_IF)
    assert isinstance(iface, InterfaceClass)
    assert getattr(iface, "test") == TEST_VALUE  # noqa: B009
    assert iface.type_name == f"{typename}::{TYPE_TEST_IF}"
    assert iface.concrete_class is obj.klass
    obj.unref()
    assert obj.is_finalized


def test_interface_type_keeps_its_own_value(interfaces: TypeRegistry) -> None:
    """Setting the value on an implementer's interface class leaves the interface type's class alone."""
    interfaces.new(TYPE_INTERMEDIATE_IMPL).unref()
    assert getattr(interfaces.get_class(TYPE_TEST_IF), "test") == 0  # noqa: B009


def test_intermediate_interface_class_chains_to_parents(interfaces: TypeRegistry) -> None:
    """The inherited interface class's parent is the parent type's interface class."""
    direct = interfaces.get_class(TYPE_DIRECT_IMPL).dynamic_cast(TYPE_TEST_IF)
    intermediate = interfaces.get_class(TYPE_INTERMEDIATE_IMPL).dynamic_cast(TYPE_TEST_IF)
    assert intermediate is not None
    assert direct is not None
    assert intermediate is not direct
    assert intermediate.parent_class is direct
    assert direct.parent_class is interfaces.get_class(TYPE_TEST_IF)


def test_intermediate_override_does_not_leak(interfaces: TypeRegistry) -> None:
    """A value set on an inherited interface class stays below it."""

    def class_init(klass: ObjectClass, data: Any) -> None:
        iface = klass.dynamic_cast(TYPE_TEST_IF)
        assert iface is not None
        setattr(iface, "test", 7)  # noqa: B010 - a dynamic class slot

    interfaces.register(TypeInfo("override-impl", parent=TYPE_DIRECT_IMPL, class_init=class_init))
    override = interfaces.get_class("override-impl").dynamic_cast(TYPE_TEST_IF)
    direct = interfaces.get_class(TYPE_DIRECT_IMPL).dynamic_cast(TYPE_TEST_IF)
    assert getattr(override, "test") == 7  # noqa: B009
    assert getattr(direct, "test") == TEST_VALUE  # noqa: B009


def test_interface_casts_through_api(interfaces: TypeRegistry) -> None:
    """The module-level cast helpers agree with the methods."""
    obj = interfaces.new(TYPE_INTERMEDIATE_IMPL)
    assert qom_py.object_dynamic_cast(obj, TYPE_TEST_IF) is obj
    assert qom_py.object_class_dynamic_cast(obj.klass, TYPE_TEST_IF) is obj.interface_class(TYPE_TEST_IF)
    assert qom_py.object_cast(obj, TYPE_DIRECT_IMPL) is obj
    obj.unref()


def test_interface_class_base_init_runs_on_hidden_classes(registry: TypeRegistry) -> None:
    """An interface's `class_base_init` runs on each implementer's interface class, with no class data."""
    seen: list[tuple[str, Any]] = []
    registry.register(
        TypeInfo(TYPE_TEST_IF, parent="interface", class_base_init=lambda k, d: seen.append((k.type_name, d)))
    )
    registry.register(TypeInfo(TYPE_DIRECT_IMPL, interfaces=[TYPE_TEST_IF], class_data="direct-data"))
    registry.register(TypeInfo(TYPE_INTERMEDIATE_IMPL, parent=TYPE_DIRECT_IMPL, class_data="inter-data"))
    registry.class_by_name(TYPE_INTERMEDIATE_IMPL)
    assert seen == [(f"{TYPE_DIRECT_IMPL}::{TYPE_TEST_IF}", None), (f"{TYPE_INTERMEDIATE_IMPL}::{TYPE_TEST_IF}", None)]


def test_interface_class_sees_properties_added_later(interfaces: TypeRegistry) -> None:
    """An implementer's interface class finds class properties added to the interface after a lookup."""
    iface_type = interfaces.get_class(TYPE_TEST_IF)
    hidden = interfaces.get_class(TYPE_DIRECT_IMPL).dynamic_cast(TYPE_TEST_IF)
    assert hidden is not None
    iface_type.property_add_str("first", lambda obj: "1", None)
    assert hidden.property_find("first") is not None  # the lookup builds the hidden class's map
    iface_type.property_add_str("second", lambda obj: "2", None)
    assert hidden.property_find("second") is not None
