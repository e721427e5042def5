"""
Objects: lifecycle, reference counts, the property table, and the object tree.

The first half ports QEMU's tests/unit/check-qom-proplist.c (QOM-REFERENCE §4.1)
with our own ``qemu-dummy`` fixture type.  It is registered in a fresh registry
(`dummy`), except where the module-level API is the subject (the resolvers,
``object_new_with_props``: `default_dummy`, in the default registry, which the
autouse clean-slate fixture resets after each test).
``qemu-dummy`` does not list ``user-creatable`` here: nothing below uses
``complete`` or ``object_add``.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from typing import Any, cast

import pytest

import qom_py
from qom_py import Object, ObjectClass, TypeInfo, TypeRegistry, default_registry
from qom_py.errors import (
    AbstractTypeError,
    DuplicatePropertyError,
    ParameterError,
    PropertyAccessError,
    PropertyNotFoundError,
    QOMError,
    QOMInternalError,
    TypeNotFoundError,
)
from qom_py.qom._tree import resolve_path

TYPE_DUMMY = "qemu-dummy"
DUMMY_ANIMALS = ("frog", "alligator", "platypus")


# --- the qemu-dummy fixture type -------------------------------------------------


class DummyObject(Object):
    """State of a ``qemu-dummy`` instance (QEMU's ``DummyObject``)."""

    bv: bool
    sv: str
    av: str


def _dummy(obj: Object) -> DummyObject:
    assert isinstance(obj, DummyObject)
    return obj


def _set_bv(obj: Object, value: bool) -> None:
    _dummy(obj).bv = value


def _set_sv(obj: Object, value: str) -> None:
    _dummy(obj).sv = value


def _set_av(obj: Object, value: str) -> None:
    _dummy(obj).av = value


def _dummy_class_init(klass: ObjectClass, data: Any) -> None:
    klass.property_add_str("sv", lambda o: _dummy(o).sv, _set_sv)
    klass.property_add_enum("av", "DummyAnimal", DUMMY_ANIMALS, lambda o: _dummy(o).av, _set_av)


def _dummy_instance_init(obj: Object) -> None:
    dummy = _dummy(obj)
    dummy.bv = False
    dummy.sv = ""
    dummy.av = DUMMY_ANIMALS[0]
    obj.property_add_bool("bv", lambda o: _dummy(o).bv, _set_bv)


@pytest.fixture
def finalized() -> list[Object]:
    """Objects whose ``instance_finalize`` ran, in order (one entry per run)."""
    return []


def _dummy_info(finalized: list[Object]) -> TypeInfo:
    return TypeInfo(
        TYPE_DUMMY,
        class_init=_dummy_class_init,
        instance_init=_dummy_instance_init,
        instance_finalize=finalized.append,
        instance_class=DummyObject,
    )


@pytest.fixture
def dummy(registry: TypeRegistry, finalized: list[Object]) -> str:
    """Register ``qemu-dummy`` in the test's fresh registry; return its name."""
    registry.register(_dummy_info(finalized))
    return TYPE_DUMMY


@pytest.fixture
def default_dummy(finalized: list[Object]) -> str:
    """Register ``qemu-dummy`` in the default registry (for the module-level API); return its name."""
    qom_py.type_register(_dummy_info(finalized))
    return TYPE_DUMMY


def new_with_props(typename: str, parent: Object, id: str, **props: str) -> Object:
    """
    QEMU's ``object_new_with_props``: create, parse each property, attach as *id*.

    Properties are set before the object is attached; on failure the object is
    released and nothing is attached.  Returns a reference owned by *parent*.
    """
    obj = parent.registry.new(typename)
    try:
        for name, text in props.items():
            obj.property_parse(name, text)
        parent.property_add_child(id, obj)
    finally:
        obj.unref()
    return obj


# --- check-qom-proplist.c --------------------------------------------------------


class TestProplist:
    @pytest.mark.parametrize(
        ("bv_text", "bv"),
        [
            ("yes", True),
            ("on", True),
            ("true", True),
            ("y", True),
            ("no", False),
            ("off", False),
            ("false", False),
            ("n", False),
        ],
        ids=["yes", "on", "true", "y", "no", "off", "false", "n"],
    )
    def test_createv(self, registry: TypeRegistry, dummy: str, finalized: list[Object], bv_text: str, bv: bool) -> None:
        """Properties parsed from strings are set, and the object is attached under `/objects`."""
        objects = registry.objects_root
        obj = new_with_props(dummy, objects, "dummy0", bv=bv_text, sv="Hiss hiss hiss", av="platypus")
        assert obj.property_get("sv") == "Hiss hiss hiss"
        assert obj.property_get("bv") is bv
        assert obj.property_get("av") == "platypus"
        assert objects.resolve_component("dummy0") is obj
        assert resolve_path(registry.root, "/objects/dummy0") is obj
        assert obj.canonical_path == "/objects/dummy0"
        assert obj.parent is objects
        assert obj.refcount == 1
        obj.unparent()
        assert finalized == [obj]
        assert resolve_path(registry.root, "/objects/dummy0") is None

    def test_badenum(self, registry: TypeRegistry, dummy: str, finalized: list[Object]) -> None:
        """A bad enum value fails before the object is attached, and the object is released."""
        objects = registry.objects_root
        msg = "Parameter 'av' does not accept value 'yeti'"
        with pytest.raises(ParameterError, match=re.escape(msg)):
            new_with_props(dummy, objects, "dummy0", bv="yes", sv="Hiss hiss hiss", av="yeti")
        assert resolve_path(registry.root, "/objects/dummy0") is None
        assert objects.property_find("dummy0") is None
        assert len(finalized) == 1
        assert finalized[0].is_finalized

    def test_getenum(self, registry: TypeRegistry, dummy: str) -> None:
        """An enum property reads back by name; its type string is the enum's name."""
        obj = new_with_props(dummy, registry.objects_root, "dummy0", av="platypus")
        prop = obj.property("av")
        assert obj.property_get("av") == "platypus"
        assert prop.type == "DummyAnimal"
        assert prop.kind is not None
        assert DUMMY_ANIMALS.index(obj.property_get("av")) == 2
        with pytest.raises(PropertyNotFoundError, match=re.escape("Property 'qemu-dummy.iv' not found")):
            obj.property("iv")

    def test_iterator(self, registry: TypeRegistry, dummy: str) -> None:
        """An instance's properties are `type`, `sv`, `av` and `bv`, each once."""
        obj = registry.new(dummy)
        names = [p.name for p in obj.properties()]
        assert Counter(names) == Counter({"type": 1, "sv": 1, "av": 1, "bv": 1})
        obj.unref()

    def test_iterator_order(self, registry: TypeRegistry, dummy: str) -> None:
        """Iteration yields the instance properties first, then the class chain leaf to root."""
        obj = registry.new(dummy)
        assert [p.name for p in obj.properties()] == ["bv", "sv", "av", "type"]
        obj.unref()

    def test_class_iterator(self, registry: TypeRegistry, dummy: str) -> None:
        """A class's properties are `type`, `av` and `sv`: instance properties are not included."""
        klass = registry.class_by_name(dummy)
        assert klass is not None
        names = [p.name for p in klass.properties()]
        assert Counter(names) == Counter({"type": 1, "av": 1, "sv": 1})


# --- delchild: teardown that deletes properties while it runs ---------------------


class DummyDev(Object):
    bus: DummyBus


class DummyBus(Object):
    backend: Object


@pytest.fixture
def delchild(finalized: list[Object]) -> list[str]:
    """Register check-qom-proplist's dev/bus/backend; return the finalize log (type names)."""
    log: list[str] = []

    def dev_init(obj: Object) -> None:
        dev = cast(DummyDev, obj)
        bus = cast(DummyBus, qom_py.object_new("qemu-dummy-bus"))
        backend = qom_py.object_new("qemu-dummy-backend")
        dev.property_add_child("bus", bus)
        dev.bus = bus
        bus.property_add_child("backend", backend)
        bus.backend = backend
        dev.property_add_link("backend", "qemu-dummy-backend", writable=False, target=backend)

    def dev_unparent(obj: Object) -> None:
        cast(DummyDev, obj).bus.unparent()

    def dev_finalize(obj: Object) -> None:
        log.append(obj.type_name)
        cast(DummyDev, obj).bus.unref()

    def bus_unparent(obj: Object) -> None:
        bus = cast(DummyBus, obj)
        assert bus.parent is not None
        bus.parent.property_del("backend")
        bus.backend.unparent()

    def bus_finalize(obj: Object) -> None:
        log.append(obj.type_name)
        cast(DummyBus, obj).backend.unref()

    def set_unparent(hook: Callable[[Object], None]) -> Callable[[ObjectClass, Any], None]:
        def class_init(klass: ObjectClass, data: Any) -> None:
            setattr(klass, "unparent", hook)  # noqa: B010 - QEMU's ObjectClass.unparent slot

        return class_init

    qom_py.type_register(
        TypeInfo(
            "qemu-dummy-dev",
            instance_init=dev_init,
            instance_finalize=dev_finalize,
            class_init=set_unparent(dev_unparent),
            instance_class=DummyDev,
        )
    )
    qom_py.type_register(
        TypeInfo(
            "qemu-dummy-bus",
            instance_finalize=bus_finalize,
            class_init=set_unparent(bus_unparent),
            instance_class=DummyBus,
        )
    )
    qom_py.type_register(TypeInfo("qemu-dummy-backend", instance_finalize=lambda o: log.append(o.type_name)))
    return log


class TestDelchild:
    def test_unparent(self, delchild: list[str]) -> None:
        """Unparenting the dev tears down bus and backend; each finalize runs once."""
        dev = cast(DummyDev, new_with_props("qemu-dummy-dev", default_registry.objects_root, "dev0"))
        bus = dev.bus
        backend = bus.backend
        assert dev.property("backend").type == "link<qemu-dummy-backend>"
        assert dev.property_get("backend") == "/objects/dev0/bus/backend"
        assert dev.property("backend").set is None
        dev.unparent()
        assert Counter(delchild) == Counter(["qemu-dummy-dev", "qemu-dummy-bus", "qemu-dummy-backend"])
        assert delchild[0] == "qemu-dummy-dev"
        assert dev.is_finalized
        assert bus.is_finalized
        assert backend.is_finalized
        assert (dev.refcount, bus.refcount, backend.refcount) == (0, 0, 0)
        assert qom_py.object_resolve_path("/objects/dev0") is None

    def test_unref_detached(self, delchild: list[str]) -> None:
        """A detached dev released by its last unref runs the same teardown while releasing properties."""
        dev = qom_py.object_new("qemu-dummy-dev")
        dev.unref()
        assert Counter(delchild) == Counter(["qemu-dummy-dev", "qemu-dummy-bus", "qemu-dummy-backend"])


# --- resolve/partial --------------------------------------------------------------


class TestResolve:
    @pytest.fixture
    def tree(self, default_dummy: str) -> dict[str, Object]:
        """`/objects/cont1/{obj1,obj2}` and `/objects/obj2`, all `qemu-dummy`."""
        objects = default_registry.objects_root
        cont1 = qom_py.object_new("container")
        objects.property_add_child("cont1", cont1)
        cont1.unref()
        return {
            "cont1": cont1,
            "obj1": new_with_props(default_dummy, cont1, "obj1"),
            "cont1/obj2": new_with_props(default_dummy, cont1, "obj2"),
            "obj2": new_with_props(default_dummy, objects, "obj2"),
        }

    @pytest.mark.parametrize(
        ("path", "typename", "expected", "ambiguous"),
        [
            ("", TYPE_DUMMY, None, True),
            ("", None, None, True),
            ("obj2", None, None, True),
            ("obj2", TYPE_DUMMY, None, True),
            ("obj1", None, "obj1", False),
            ("obj1", TYPE_DUMMY, "obj1", False),
            ("obj1", "container", None, False),
            ("cont1", None, "cont1", False),
            ("cont1/obj2", None, "cont1/obj2", False),
            ("/objects/obj2", None, "obj2", False),
            ("/objects/cont1/obj2", TYPE_DUMMY, "cont1/obj2", False),
            ("//objects//cont1//obj1/", None, "obj1", False),
            ("/objects/cont1/obj1", "container", None, False),
            ("/objects/obj1", None, None, False),
            ("nothing", None, None, False),
            ("/objects/obj1/type", None, None, False),
        ],
        ids=[
            "empty-typed",
            "empty-any",
            "partial-ambiguous",
            "partial-ambiguous-typed",
            "partial-unique",
            "partial-unique-typed",
            "partial-wrong-type",
            "partial-container",
            "partial-two-components",
            "absolute",
            "absolute-typed",
            "empty-components",
            "absolute-wrong-type",
            "absolute-missing",
            "partial-missing",
            "through-non-child",
        ],
    )
    def test_resolve(
        self, tree: dict[str, Object], path: str, typename: str | None, expected: str | None, ambiguous: bool
    ) -> None:
        """A partial path must match exactly one object; an absolute path walks from `/`."""
        want = tree[expected] if expected is not None else None
        assert qom_py.object_resolve_path_ambiguous(path, typename) == (want, ambiguous)
        assert qom_py.object_resolve_path(path, typename) is want

    def test_root_paths(self, tree: dict[str, Object]) -> None:
        """`/` is the root container and `/objects` its child `objects`."""
        root = qom_py.object_get_root()
        assert qom_py.object_resolve_path("/") is root
        assert qom_py.object_resolve_path("/objects") is qom_py.object_get_objects_root()
        assert root.canonical_path == "/"
        assert root.property_get("objects") == "/objects"
        assert tree["cont1"].property_get("obj1") == "/objects/cont1/obj1"


# --- lifecycle ----------------------------------------------------------------------


@pytest.fixture
def lifecycle(registry: TypeRegistry) -> list[str]:
    """Types `life-a` > `life-b` > `life-c`, each hook logging `hook:type`."""
    log: list[str] = []

    def hook(kind: str, typename: str) -> Callable[[Object], None]:
        return lambda obj: log.append(f"{kind}:{typename}")

    parent = "object"
    for name in ("life-a", "life-b", "life-c"):
        registry.register(
            TypeInfo(
                name,
                parent=parent,
                instance_init=hook("init", name),
                instance_post_init=hook("post_init", name),
                instance_finalize=hook("finalize", name),
            )
        )
        parent = name
    return log


class TestLifecycle:
    def test_init_order(self, registry: TypeRegistry, lifecycle: list[str]) -> None:
        """`instance_init` runs root first, then `instance_post_init` root first."""
        obj = registry.new("life-c")
        assert lifecycle == [
            "init:life-a",
            "init:life-b",
            "init:life-c",
            "post_init:life-a",
            "post_init:life-b",
            "post_init:life-c",
        ]
        obj.unref()

    def test_finalize_once_on_unparent(self, registry: TypeRegistry, lifecycle: list[str]) -> None:
        """Unparenting the only owner finalizes the object leaf first, exactly once."""
        obj = registry.new("life-c")
        registry.objects_root.property_add_child("life0", obj)
        obj.unref()
        del lifecycle[:]
        obj.unparent()
        assert lifecycle == ["finalize:life-c", "finalize:life-b", "finalize:life-a"]
        assert obj.is_finalized
        assert obj.parent is None
        assert obj.canonical_path is None
        obj.unparent()
        assert lifecycle == ["finalize:life-c", "finalize:life-b", "finalize:life-a"]

    def test_path_resolves_while_release_hooks_run(self, registry: TypeRegistry) -> None:
        """
        During ``unparent`` and the finalization it causes, ``/objects/x`` still resolves
        (QEMU removes the child property only after its release callback; qdev relies on it).
        """
        seen: list[tuple[str, object, object]] = []

        def unparent(obj: Object) -> None:
            seen.append(("unparent", registry.root.resolve_relative(["objects", "x"]), obj.canonical_path))

        def finalize(obj: Object) -> None:
            seen.append(("finalize", registry.root.resolve_relative(["objects", "x"]), obj.canonical_path))

        registry.register(
            TypeInfo("held", class_init=lambda k, d: setattr(k, "unparent", unparent), instance_finalize=finalize)
        )
        obj = registry.new("held")
        registry.objects_root.adopt_child("x", obj)
        obj.unparent()
        # As QEMU: the child's parent link is cut before its last unref, the property after.
        assert seen == [("unparent", obj, "/objects/x"), ("finalize", obj, None)]
        assert registry.objects_root.property_find("x") is None
        assert registry.root.resolve_relative(["objects", "x"]) is None

    def test_delete_from_own_release_is_harmless(self, registry: TypeRegistry) -> None:
        """A release callback deleting its own property again does not release twice."""
        calls: list[str] = []
        holder = registry.new("container")

        def release(obj: Object, name: str) -> None:
            calls.append(name)
            obj.property_del(name)

        holder.property_add("p", "int", lambda o: 1, None, release=release)
        holder.property_del("p")
        assert calls == ["p"]
        assert holder.property_find("p") is None
        holder.unref()

    def test_finalize_waits_for_last_reference(self, registry: TypeRegistry, lifecycle: list[str]) -> None:
        """An extra reference keeps the object alive after unparent."""
        obj = registry.new("life-c")
        registry.objects_root.property_add_child("life0", obj)
        obj.unref()
        obj.ref()
        obj.unparent()
        assert "finalize:life-c" not in lifecycle
        assert obj.canonical_path is None
        assert obj.refcount == 1
        obj.unref()
        assert obj.is_finalized
        assert lifecycle.count("finalize:life-a") == 1

    def test_class_defaults_before_instance_init(self, registry: TypeRegistry) -> None:
        """Class-property defaults are applied, root class first, before any `instance_init`."""
        log: list[tuple[str, Any]] = []

        def class_init(name: str) -> Callable[[ObjectClass, Any], None]:
            def init(klass: ObjectClass, data: Any) -> None:
                klass.property_add_int(name, None, lambda o, v: log.append((f"set:{name}", v)), default=7)

            return init

        registry.register(
            TypeInfo(
                "defaults-base",
                class_init=class_init("base-value"),
                instance_init=lambda o: log.append(("init:defaults-base", None)),
            )
        )
        registry.register(
            TypeInfo(
                "defaults-leaf",
                parent="defaults-base",
                class_init=class_init("leaf-value"),
                instance_init=lambda o: log.append(("init:defaults-leaf", None)),
            )
        )
        registry.new("defaults-leaf").unref()
        assert log == [
            ("set:base-value", 7),
            ("set:leaf-value", 7),
            ("init:defaults-base", None),
            ("init:defaults-leaf", None),
        ]

    def test_instance_default_applied_at_once(self, registry: TypeRegistry) -> None:
        """An instance property's default runs its setter when the property is added."""
        values: list[int] = []

        def instance_init(obj: Object) -> None:
            obj.property_add_int("n", None, lambda _o, v: values.append(v), default=3)

        registry.register(TypeInfo("inst-default", instance_init=instance_init))
        obj = registry.new("inst-default")
        assert values == [3]
        assert obj.property("n").default == 3
        obj.unref()


class TestRefcount:
    def test_counts(self, registry: TypeRegistry) -> None:
        """`new` gives 1, a child property holds one more, `ref`/`unref` count up and down."""
        obj = registry.new("container")
        assert obj.refcount == 1
        registry.objects_root.property_add_child("c0", obj)
        assert obj.refcount == 2
        assert obj.ref() is obj
        assert obj.refcount == 3
        obj.unref()
        obj.unref()
        assert obj.refcount == 1
        assert not obj.is_finalized
        obj.unparent()
        assert obj.refcount == 0
        assert obj.is_finalized

    def test_unbalanced_unref(self, registry: TypeRegistry) -> None:
        """Dropping a reference that is not held is our bug, reported as such."""
        obj = registry.new("container")
        obj.unref()
        with pytest.raises(QOMInternalError, match=re.escape("unbalanced unref of an object of type 'container'")):
            obj.unref()

    def test_ref_after_finalize(self, registry: TypeRegistry) -> None:
        """Taking a reference on a finalized object is our bug, reported as such."""
        obj = registry.new("container")
        obj.unref()
        msg = "object of type 'container' referenced after finalization"
        with pytest.raises(QOMInternalError, match=re.escape(msg)):
            obj.ref()

    def test_child_with_parent_refused(self, registry: TypeRegistry) -> None:
        """An object that already has a parent cannot be added as a child again."""
        obj = registry.new("container")
        registry.objects_root.property_add_child("c0", obj)
        with pytest.raises(QOMInternalError, match=re.escape("object '/objects/c0' already has a parent")):
            registry.root.property_add_child("c1", obj)
        assert obj.refcount == 2
        assert registry.root.property_find("c1") is None
        obj.unref()


class TestAutoNumbering:
    def test_instance_properties(self, registry: TypeRegistry) -> None:
        """A name ending in `[*]` takes the first free `name[N]`."""
        obj = registry.new("container")
        names = [obj.property_add_bool("flag[*]", lambda o: True, None).name for _ in range(3)]
        assert names == ["flag[0]", "flag[1]", "flag[2]"]
        obj.property_del("flag[1]")
        assert obj.property_add_bool("flag[*]", lambda o: True, None).name == "flag[1]"
        assert obj.property_add_bool("flag[*]", lambda o: True, None).name == "flag[3]"
        obj.unref()

    def test_children(self, registry: TypeRegistry) -> None:
        """Auto-numbered children get numbered paths."""
        objects = registry.objects_root
        children = [registry.new("container") for _ in range(2)]
        for child in children:
            objects.property_add_child("item[*]", child)
            child.unref()
        assert [c.canonical_path for c in children] == ["/objects/item[0]", "/objects/item[1]"]
        assert [c.canonical_path_component for c in children] == ["item[0]", "item[1]"]
        assert objects.property("item[1]").type == "child<container>"


class TestPropertyTable:
    @pytest.mark.parametrize(
        ("name", "typename"),
        [("bv", TYPE_DUMMY), ("sv", TYPE_DUMMY), ("av", TYPE_DUMMY), ("type", TYPE_DUMMY)],
        ids=["instance-vs-instance", "instance-vs-class", "instance-vs-class-enum", "instance-vs-root-class"],
    )
    def test_duplicate_instance_property(self, registry: TypeRegistry, dummy: str, name: str, typename: str) -> None:
        """An instance property may not reuse a name of the instance or of its class chain."""
        obj = registry.new(dummy)
        before = obj.property(name)
        msg = f"attempt to add duplicate property '{name}' to object (type '{typename}')"
        with pytest.raises(DuplicatePropertyError, match=re.escape(msg)):
            obj.property_add_str(name, lambda o: "", None)
        assert obj.property(name) is before
        obj.unref()

    def test_duplicate_child(self, registry: TypeRegistry) -> None:
        """A second child of the same name is refused, and takes no reference on the child."""
        objects = registry.objects_root
        first = registry.new("container")
        objects.property_add_child("io0", first)
        second = registry.new("container")
        msg = "attempt to add duplicate property 'io0' to object (type 'container')"
        with pytest.raises(DuplicatePropertyError, match=re.escape(msg)):
            objects.property_add_child("io0", second)
        assert second.refcount == 1
        assert second.parent is None
        assert objects.resolve_component("io0") is first
        second.unref()
        first.unref()

    def test_duplicate_class_property(self, registry: TypeRegistry) -> None:
        """A class property may not reuse a name of the class chain."""

        def class_init(klass: ObjectClass, data: Any) -> None:
            klass.property_add_str("type", lambda o: "", None)

        registry.register(TypeInfo("dup-class", class_init=class_init))
        msg = "attempt to add duplicate property 'type' to object (type 'dup-class')"
        with pytest.raises(DuplicatePropertyError, match=re.escape(msg)):
            registry.class_by_name("dup-class")

    def test_lookup_order(self, registry: TypeRegistry, dummy: str) -> None:
        """Lookup finds class properties first, then instance ones."""
        obj = registry.new(dummy)
        assert obj.property_find("sv") is obj.klass.property_find("sv")
        assert obj.property_find("bv") is not None
        assert obj.klass.property_find("bv") is None
        obj.unref()

    @pytest.mark.parametrize(
        ("operation", "exc", "message"),
        [
            (lambda o: o.property_get("nope"), PropertyNotFoundError, "Property 'qemu-dummy.nope' not found"),
            (lambda o: o.property_set("nope", 1), PropertyNotFoundError, "Property 'qemu-dummy.nope' not found"),
            (lambda o: o.property_parse("nope", "1"), PropertyNotFoundError, "Property 'qemu-dummy.nope' not found"),
            (lambda o: o.property("nope"), PropertyNotFoundError, "Property 'qemu-dummy.nope' not found"),
            (lambda o: o.property_del("nope"), PropertyNotFoundError, "Property 'qemu-dummy.nope' not found"),
            (lambda o: o.property_del("sv"), PropertyNotFoundError, "Property 'qemu-dummy.sv' not found"),
            (
                lambda o: o.observe("nope", lambda *a: None),
                PropertyNotFoundError,
                "Property 'qemu-dummy.nope' not found",
            ),
            (lambda o: o.property_set("type", "x"), PropertyAccessError, "Property 'qemu-dummy.type' is not writable"),
            (
                lambda o: o.property_parse("type", "x"),
                PropertyAccessError,
                "Property 'qemu-dummy.type' is not writable",
            ),
            (lambda o: o.property_get("wo"), PropertyAccessError, "Property 'qemu-dummy.wo' is not readable"),
        ],
        ids=[
            "get-missing",
            "set-missing",
            "parse-missing",
            "lookup-missing",
            "del-missing",
            "del-class-property",
            "observe-missing",
            "set-read-only",
            "parse-read-only",
            "get-write-only",
        ],
    )
    def test_access_errors(
        self,
        registry: TypeRegistry,
        dummy: str,
        operation: Callable[[Object], object],
        exc: type[QOMError],
        message: str,
    ) -> None:
        """Missing, read-only and write-only properties fail with QEMU's messages."""
        obj = registry.new(dummy)
        obj.property_add_int("wo", None, lambda o, v: None)
        with pytest.raises(exc, match=re.escape(message)):
            operation(obj)
        obj.unref()

    def test_error_classes(self) -> None:
        """Not-found errors are `LookupError`s, access errors `AttributeError`s."""
        assert issubclass(PropertyNotFoundError, LookupError)
        assert issubclass(PropertyAccessError, AttributeError)

    def test_type_property(self, registry: TypeRegistry, dummy: str) -> None:
        """Every object has the read-only `type` property giving its type name."""
        obj = registry.new(dummy)
        prop = obj.property("type")
        assert (prop.type, prop.is_readable, prop.is_writable) == ("string", True, False)
        assert obj.property_get("type") == TYPE_DUMMY
        assert obj.type_name == TYPE_DUMMY
        obj.unref()

    @pytest.mark.parametrize(
        ("name", "good", "bad", "message"),
        [
            ("av", "alligator", "yeti", "Parameter 'av' does not accept value 'yeti'"),
            ("av", "alligator", 1, "Invalid parameter type for 'av', expected: string"),
            ("bv", True, "yes", "Invalid parameter type for 'bv', expected: boolean"),
            ("sv", "kept", 5, "Invalid parameter type for 'sv', expected: string"),
        ],
        ids=["enum-value", "enum-type", "bool", "str"],
    )
    def test_failed_set_keeps_value(
        self, registry: TypeRegistry, dummy: str, name: str, good: object, bad: object, message: str
    ) -> None:
        """A rejected value changes nothing."""
        obj = registry.new(dummy)
        obj.property_set(name, good)
        with pytest.raises(ParameterError, match=re.escape(message)):
            obj.property_set(name, bad)
        assert obj.property_get(name) == good
        obj.unref()

    def test_property_del_runs_release(self, registry: TypeRegistry) -> None:
        """Deleting an instance property runs its release callback once and removes it."""
        released: list[str] = []
        obj = registry.new("container")
        obj.property_add("p", "int", release=lambda o, n: released.append(n))
        obj.property_del("p")
        assert released == ["p"]
        assert obj.property_find("p") is None
        obj.unref()
        assert released == ["p"]

    def test_release_runs_at_finalize(self, registry: TypeRegistry) -> None:
        """At finalization every property's release runs once, even if a release deletes others."""
        released: list[str] = []
        obj = registry.new("container")

        def release_a(o: Object, name: str) -> None:
            released.append(name)
            o.property_del("b")

        obj.property_add("a", "int", release=release_a)
        obj.property_add("b", "int", release=lambda o, n: released.append(n))
        obj.property_add("c", "int", release=lambda o, n: released.append(n))
        obj.unref()
        assert sorted(released) == ["a", "b", "c"]
        assert len(released) == 3


def test_objects_are_reset_between_tests() -> None:
    """The clean-slate fixture leaves `/objects` empty and the fixture types unregistered."""
    assert list(default_registry.objects_root.children()) == []
    assert qom_py.object_class_by_name(TYPE_DUMMY) is None


# --- object_new_with_props / set_props ---------------------------------------------


class TestNewWithProps:
    """``object_new_with_props`` (JSON-typed values, all or nothing) and ``Object.set_props``."""

    def test_attached_and_owned_by_parent(self, default_dummy: str) -> None:
        """Class and instance properties are set, then the object is attached; the parent owns it."""
        objects = default_registry.objects_root
        obj = qom_py.object_new_with_props(
            default_dummy, {"bv": True, "sv": "Hiss", "av": "platypus"}, parent=objects, id="d0"
        )
        assert (obj.property_get("bv"), obj.property_get("sv"), obj.property_get("av")) == (True, "Hiss", "platypus")
        assert obj.canonical_path == "/objects/d0" and obj.refcount == 1

    def test_unattached_is_owned_by_caller(self, default_dummy: str, finalized: list[Object]) -> None:
        """Without parent and id the caller owns the one reference."""
        obj = qom_py.object_new_with_props(default_dummy, {"sv": "x"})
        assert obj.parent is None and obj.refcount == 1
        obj.unref()
        assert finalized == [obj]

    @pytest.mark.parametrize(
        ("props", "message"),
        [
            ({"sv": "x", "av": "yeti"}, "Parameter 'av' does not accept value 'yeti'"),
            ({"sv": "x", "bv": 1}, "Invalid parameter type for 'bv', expected: boolean"),
            ({"sv": "x", "nosuch": 1}, "Property 'qemu-dummy.nosuch' not found"),
            ({"sv": "x", "type": "y"}, "Property 'qemu-dummy.type' is not writable"),
        ],
        ids=["enum", "type", "unknown", "read-only"],
    )
    def test_failure_leaves_nothing(
        self, default_dummy: str, finalized: list[Object], props: dict[str, Any], message: str
    ) -> None:
        """A failing property finalizes the new object once and attaches nothing."""
        with pytest.raises(QOMError, match=re.escape(message)):
            qom_py.object_new_with_props(default_dummy, props, parent=default_registry.objects_root, id="d0")
        assert len(finalized) == 1 and finalized[0].is_finalized
        assert default_registry.objects_root.property_find("d0") is None

    def test_duplicate_id_leaves_first(self, default_dummy: str, finalized: list[Object]) -> None:
        """A duplicate id is refused; the refused object is finalized, the first stays."""
        objects = default_registry.objects_root
        first = qom_py.object_new_with_props(default_dummy, parent=objects, id="d0")
        with pytest.raises(QOMError, match=re.escape("attempt to add duplicate property 'd0' to object")):
            qom_py.object_new_with_props(default_dummy, parent=objects, id="d0")
        assert len(finalized) == 1 and finalized[0] is not first
        assert objects.resolve_component("d0") is first

    def test_unknown_type(self) -> None:
        """An unknown type says QEMU's ``invalid object type: NAME`` (object_new_with_propv)."""
        with pytest.raises(TypeNotFoundError, match=r"\Ainvalid object type: no-such-type\Z"):
            qom_py.object_new_with_props("no-such-type", {"a": 1}, parent=default_registry.objects_root, id="x")
        with pytest.raises(TypeNotFoundError, match=r"\Ainvalid object type: no-such-type\Z"):
            qom_py.object_new_with_props("no-such-type")
        assert default_registry.objects_root.property_find("x") is None

    def test_abstract_type(self) -> None:
        """An abstract type says ``object type 'NAME' is abstract``."""
        with pytest.raises(AbstractTypeError, match=r"\Aobject type 'event-loop-base' is abstract\Z"):
            qom_py.object_new_with_props("event-loop-base")

    def test_parent_and_id_go_together(self, default_dummy: str) -> None:
        """A parent without an id (or the reverse) is a usage error."""
        with pytest.raises(ParameterError, match="parent and id together"):
            qom_py.object_new_with_props(default_dummy, parent=default_registry.objects_root)

    def test_set_props_stops_at_first_failure(self, default_dummy: str) -> None:
        """``set_props`` sets in order; a failure leaves earlier values changed and later ones alone."""
        obj = qom_py.object_new(default_dummy)
        with pytest.raises(ParameterError, match=re.escape("Parameter 'av' does not accept value 'yeti'")):
            qom_py.object_set_props(obj, {"sv": "new", "av": "yeti", "bv": True})
        assert (obj.property_get("sv"), obj.property_get("av"), obj.property_get("bv")) == ("new", "frog", False)
        obj.unref()

    def test_set_props_notifies_observers(self, default_dummy: str) -> None:
        """Observers hear of each property ``set_props`` sets, class and instance ones alike."""
        obj = qom_py.object_new(default_dummy)
        seen: list[tuple[str, Any]] = []
        obj.observe("sv", lambda o, n, v: seen.append((n, v)))
        obj.observe("bv", lambda o, n, v: seen.append((n, v)))
        obj.set_props([("sv", "a"), ("bv", True), ("av", "platypus")])
        assert seen == [("sv", "a"), ("bv", True)]
        obj.unref()
