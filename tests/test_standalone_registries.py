"""Registries that stand alone: creation, the schema, QMP and the test reset work on any `TypeRegistry`."""

from __future__ import annotations

import io
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest

import qom_py
import qom_py.testing
from qom_py import ObjectClass, TypeInfo, TypeRegistry, default_registry
from qom_py.errors import ParameterError, QOMError, TypeNotFoundError
from qom_py.loop import IOThread, install_event_loop_types, main_loop_object
from qom_py.qmp import Dispatcher, InProcessQMP, QMPError, register_qom_commands
from qom_py.qom._object_schema import ObjectSchema, object_schema
from qom_py.qom._user_creatable import (
    TYPE_USER_CREATABLE,
    object_add,
    object_del,
    object_new_with_props,
    object_option_parse,
)


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


# -- built-in types in a standalone registry ------------------------------------------------------


@pytest.fixture
def builtin() -> Iterator[TypeRegistry]:
    """A fresh registry with qom_py's built-in types installed; reset (its iothreads joined) after."""
    registry = TypeRegistry()
    qom_py.install_builtin_types(registry)
    yield registry
    qom_py.testing.reset(registry)


def test_install_builtin_types_matches_the_default(builtin: TypeRegistry) -> None:
    # The order of `qom_py.__init__`'s promises (the default registry's order without eager imports).
    added = ["chardev", "chardev-socket", TYPE_USER_CREATABLE, "event-loop-base", "main-loop", "iothread"]
    assert builtin.type_names() == [*TypeRegistry().type_names(), *added]
    assert set(builtin.type_names()) == qom_py.testing.builtin_type_names()
    before = builtin.generation
    qom_py.install_builtin_types(builtin)  # installing twice changes nothing
    install_event_loop_types(builtin)
    assert builtin.generation == before
    bare = TypeRegistry()
    install_event_loop_types(bare)  # brings user-creatable, which event-loop-base implements
    assert {TYPE_USER_CREATABLE, "iothread", "main-loop"} <= set(bare.type_names())
    assert "chardev" not in bare.type_names()
    assert object_option_parse("iothread,id=io0", registry=bare) is not None
    qom_py.testing.reset(bare)


def test_object_option_on_a_standalone_registry(builtin: TypeRegistry) -> None:
    """``--object``, its help, object_add and object_new_with_props, beside the default registry."""
    io0 = object_option_parse("iothread,id=io0,poll-max-ns=5", registry=builtin)
    try:
        assert io0 is not None and io0.property_get("poll-max-ns") == 5
        assert builtin.objects_root.resolve_component("io0") is io0
        assert default_registry.objects_root.resolve_component("io0") is None
        # The same id in the default registry is another object.
        io0_default = object_option_parse("iothread,id=io0")
        assert io0_default is not None and io0_default is not io0
        assert io0_default.property_get("poll-max-ns") == 32768
        with pytest.raises(QOMError, match="^attempt to add duplicate property 'io0' to object"):
            object_option_parse("iothread,id=io0", registry=builtin)
        added = object_add("iothread", id="io1", poll_grow=2, registry=builtin)
        assert builtin.objects_root.resolve_component("io1") is added
        assert default_registry.objects_root.resolve_component("io1") is None
        assert object_add(IOThread, "io2", registry=builtin).klass.registry is builtin
        with pytest.raises(TypeError, match="registry="):
            object_add("iothread", id="io3", registry="on")  # type: ignore[call-overload]  # a property value
        plain = object_new_with_props("iothread", {"poll-shrink": 3}, registry=builtin)
        assert plain.klass is builtin.get_class("iothread") and plain.klass is not default_registry.get_class(
            "iothread"
        )
        plain.unref()
        with pytest.raises(TypeNotFoundError, match="^invalid object type: type-a$"):
            object_new_with_props("type-a", registry=builtin)
    finally:
        object_del("io0")
    out = io.StringIO()
    assert object_option_parse("help", registry=builtin, out=out) is None
    assert out.getvalue() == "List of user creatable objects:\n  iothread\n  main-loop\n"
    out = io.StringIO()
    object_option_parse("iothread,help", registry=builtin, out=out)
    default_out = io.StringIO()
    object_option_parse("iothread,help", out=default_out)
    assert out.getvalue() == default_out.getvalue() and out.getvalue().startswith("iothread options:\n")
    qom_py.testing.reset(builtin)
    assert list(builtin.objects_root.children()) == []
    assert "iothread" in builtin.type_names()  # installed built-ins stay


def test_qmp_on_a_standalone_registry_with_builtins(builtin: TypeRegistry) -> None:
    with qom_py.testing.qmp_client(builtin) as qmp, qom_py.testing.qmp_client() as default_qmp:
        qmp.execute("object-add", {"qom-type": "iothread", "id": "io0", "poll-max-ns": 7})
        default_qmp.execute("object-add", {"qom-type": "iothread", "id": "iod"})
        try:
            assert [(i["id"], i["poll-max-ns"]) for i in qmp.execute("query-iothreads")] == [("io0", 7)]
            assert [i["id"] for i in default_qmp.execute("query-iothreads")] == ["iod"]
            assert qmp.execute("qom-get", {"path": "/objects/io0", "property": "poll-max-ns"}) == 7
            with pytest.raises(QMPError, match="^Device '/objects/iod' not found$"):
                qmp.execute("qom-get", {"path": "/objects/iod", "property": "poll-max-ns"})
            names = {t["name"] for t in qmp.execute("qom-list-types", {"implements": TYPE_USER_CREATABLE})}
            assert names == {"iothread", "main-loop"}
            props = {p["name"] for p in qmp.execute("qom-list-properties", {"typename": "iothread"})}
            assert "poll-max-ns" in props
            qmp.execute("object-del", {"id": "io0"})
            assert list(builtin.objects_root.children()) == []
        finally:
            default_qmp.execute("object-del", {"id": "iod"})


def test_main_loop_singleton_is_process_wide(builtin: TypeRegistry) -> None:
    """One main-loop at a time in the process, whichever registry holds it; reset(r) frees it."""
    ml = object_option_parse("main-loop,id=ml", registry=builtin)
    assert ml is not None and main_loop_object() is ml
    with pytest.raises(QOMError, match="^only one main-loop instance allowed$"):
        object_option_parse("main-loop,id=ml")
    assert default_registry.objects_root.resolve_component("ml") is None
    qom_py.testing.reset(builtin)
    assert main_loop_object() is None
    ml_default = object_option_parse("main-loop,id=ml")
    assert main_loop_object() is ml_default
    qom_py.testing.reset()


def test_reset_of_a_standalone_registry_leaves_the_main_context(builtin: TypeRegistry) -> None:
    from qom_py.loop import main_aio_context, peek_main_aio_context

    ctx = main_aio_context()
    qom_py.testing.reset(builtin)
    assert peek_main_aio_context() is ctx and not ctx.is_stopped()
    qom_py.testing.reset()
    assert peek_main_aio_context() is None


# -- the registry's caches ------------------------------------------------------------------------


def test_caches_are_typed_and_dropped_at_each_revision(builtin: TypeRegistry) -> None:
    """Each layer's state is a field of ``registry.caches``; a revision bump drops the per-revision ones."""
    assert not hasattr(builtin, "memo")
    object_option_parse("iothread,id=io0", registry=builtin)
    caches = builtin.caches
    schema, creation = caches.object_schema, caches.creation
    assert isinstance(schema, ObjectSchema) and creation is not None and "iothread" in creation.classes
    assert default_registry.caches.object_schema is not schema
    builtin.register(TypeInfo("type-c", interfaces=(TYPE_USER_CREATABLE,)))
    assert caches.creation is None and caches.object_schema is schema  # the schema follows revisions itself
    assert object_option_parse("type-c,id=c", registry=builtin) is not None
    assert caches.creation is not None and "type-c" in caches.creation.classes
    builtin.unregister("type-c")
    assert caches.creation is None


def test_the_registry_imports_no_upper_layer() -> None:
    """``qom_py.qom._registry`` and its caches name the upper layers' types for annotations only."""
    code = (
        "import sys, qom_py.qom._registry\n"
        "print(sorted(m for m in sys.modules if m.startswith('qom_py.') and m.split('.')[1] in"
        " ('qmp', 'loop', 'daemon') or m.endswith(('_object_schema', '_user_creatable', '_qapi_property'))))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert out.stdout.strip() == "[]"


def test_qmp_handlers_take_the_registry_explicitly() -> None:
    """No handler falls back to the default registry: each one's ``registry`` has no default."""
    import inspect

    from qom_py.qmp import _commands

    handlers = [getattr(_commands, name) for name in _commands.__all__ if name.startswith("qmp_")]
    assert len(handlers) == 10
    for handler in handlers:
        parameter = inspect.signature(handler).parameters["registry"]
        assert parameter.default is inspect.Parameter.empty, handler.__name__
    registry = TypeRegistry()
    assert _commands.qmp_qom_list({"path": "/"}, registry) == [{"name": "type", "type": "string"}] + [
        {"name": "objects", "type": "child<container>"}
    ]
