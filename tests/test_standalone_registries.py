"""Registries that stand alone: creation, the schema, QMP and the test reset work on any `TypeRegistry`."""

from __future__ import annotations

from typing import Any

import pytest

import qom_py
import qom_py.testing
from qom_py import ObjectClass, TypeInfo, TypeRegistry, default_registry
from qom_py.errors import ParameterError
from qom_py.qmp import Dispatcher, InProcessQMP, QMPError, register_qom_commands
from qom_py.qom._object_schema import ObjectSchema, object_schema
from qom_py.qom._user_creatable import TYPE_USER_CREATABLE, object_del, object_option_parse


def _registry(type_name: str) -> TypeRegistry:
    """A fresh registry with user-creatable and one creatable type with a ``flag`` property."""
    registry = TypeRegistry()
    registry.register(TypeInfo(TYPE_USER_CREATABLE, parent="interface"))

    def class_init(klass: ObjectClass, data: object) -> None:
        store: dict[int, bool] = {}
        klass.property_add_bool("flag", lambda o: store.get(id(o), False), lambda o, v: store.__setitem__(id(o), v))

    registry.register(TypeInfo(type_name, interfaces=(TYPE_USER_CREATABLE,), class_init=class_init))
    return registry


@pytest.fixture
def pair() -> tuple[TypeRegistry, TypeRegistry]:
    return _registry("type-a"), _registry("type-b")


def _object_types(schema: Any) -> tuple[str, ...]:
    return schema.enum_type("ObjectType").value_names  # type: ignore[no-any-return]


def test_schemas_do_not_see_each_other(pair: tuple[TypeRegistry, TypeRegistry]) -> None:
    a, b = pair
    schema_a, schema_b = ObjectSchema.of(a).current(), ObjectSchema.of(b).current()
    assert "type-a" in _object_types(schema_a) and "type-b" not in _object_types(schema_a)
    assert "type-b" in _object_types(schema_b) and "type-a" not in _object_types(schema_b)
    assert "type-a" not in _object_types(object_schema().current())
    union = schema_a.object_type("ObjectOptions")
    assert union.variants is not None
    branch = schema_a.object_type(union.variants.as_dict()["type-a"])
    assert [(m.name, m.type, m.optional) for m in branch.members] == [("flag", "bool", True)]
    assert object_schema(a) is ObjectSchema.of(a)


def test_creation_goes_to_its_registry(pair: tuple[TypeRegistry, TypeRegistry]) -> None:
    a, b = pair
    obj = object_option_parse("type-a,id=x,flag=on", registry=a)
    assert obj is not None and obj.property_get("flag") is True
    assert [name for name, _ in a.objects_root.children()] == ["x"]
    assert list(b.objects_root.children()) == []
    assert list(default_registry.objects_root.children()) == []
    with pytest.raises(ParameterError, match="^Parameter 'qom-type' does not accept value 'type-a'$"):
        object_option_parse("type-a,id=y", registry=b)
    object_del("x", registry=a)
    assert list(a.objects_root.children()) == []


def test_qmp_on_its_registry(pair: tuple[TypeRegistry, TypeRegistry]) -> None:
    a, b = pair
    dispatcher = Dispatcher(registry=b)
    register_qom_commands(dispatcher)
    with InProcessQMP(dispatcher) as qmp:
        qmp.execute("object-add", {"qom-type": "type-b", "id": "y", "flag": True})
        assert qmp.execute("qom-get", {"path": "/objects/y", "property": "flag"}) is True
        names = {t["name"] for t in qmp.execute("qom-list-types", {"implements": TYPE_USER_CREATABLE})}
        assert names == {"type-b"}
        with pytest.raises(QMPError, match="^Parameter 'qom-type' does not accept value 'type-a'$"):
            qmp.execute("object-add", {"qom-type": "type-a", "id": "z"})
    assert [name for name, _ in b.objects_root.children()] == ["y"]
    assert list(a.objects_root.children()) == []
    schema = dispatcher.schema()
    assert "type-b" in _object_types(schema) and "type-a" not in _object_types(schema)
    assert schema.command("qom-get") is not None and schema.command("query-qmp-schema") is not None


def test_reset_on_its_registry(pair: tuple[TypeRegistry, TypeRegistry]) -> None:
    a, b = pair
    object_option_parse("type-a,id=x", registry=a)
    object_option_parse("type-b,id=x", registry=b)
    qom_py.testing.reset(a)
    assert list(a.objects_root.children()) == []
    assert "type-a" not in a.type_names() and TYPE_USER_CREATABLE in a.type_names()
    assert [name for name, _ in b.objects_root.children()] == ["x"]
    assert "type-a" not in _object_types(ObjectSchema.of(a).current())
    qom_py.testing.reset(b)


def test_client_of_a_registry(pair: tuple[TypeRegistry, TypeRegistry]) -> None:
    a, _ = pair
    with qom_py.testing.qmp_client(a) as qmp:
        qmp.execute("object-add", {"qom-type": "type-a", "id": "q"})
    assert [name for name, _ in a.objects_root.children()] == ["q"]


def test_query_iothreads_on_its_registry(pair: tuple[TypeRegistry, TypeRegistry]) -> None:
    """A dispatcher of a standalone registry lists that registry's iothreads, not the default one's."""
    a, _ = pair
    object_option_parse("iothread,id=io-default")
    try:
        dispatcher = Dispatcher(registry=a)
        register_qom_commands(dispatcher)
        with InProcessQMP(dispatcher) as qmp:
            assert qmp.execute("query-iothreads") == []
        with qom_py.testing.qmp_client() as qmp:
            assert [info["id"] for info in qmp.execute("query-iothreads")] == ["io-default"]
    finally:
        object_del("io-default")
