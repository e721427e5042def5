"""The type registry: registration, lazy realization, class hooks, lookups and casts."""

from __future__ import annotations

import re
from typing import Any

import pytest

import qom_py
from qom_py import InterfaceClass, ObjectClass, TypeInfo, TypeRegistry
from qom_py.errors import AbstractTypeError, QOMError, TypeNotFoundError, TypeRegistrationError
from qom_py.qmp import QMPError
from qom_py.testing import qmp_client

Event = tuple[str, ...]


def _names(classes: list[ObjectClass]) -> set[str]:
    return {k.type_name for k in classes}


class TestRegister:
    @pytest.mark.parametrize(
        "name",
        ["x", "", "0abc", "-abc", ".abc", "_abc", "a b", "a/b", "a:b", "a::b", "é-type", "ab\n"],
        ids=[
            "one-char",
            "empty",
            "leading-zero",
            "leading-dash",
            "leading-dot",
            "leading-underscore",
            "space",
            "slash",
            "colon",
            "double-colon",
            "non-ascii",
            "trailing-newline",
        ],
    )
    def test_rejects_illegal_name(self, registry: TypeRegistry, name: str) -> None:
        """A malformed type name is refused with QEMU's message and not stored."""
        msg = f"Registering '{name}' with illegal type name"
        with pytest.raises(TypeRegistrationError, match=re.escape(msg)):
            registry.register(TypeInfo(name))
        assert registry.type_info(name) is None

    @pytest.mark.parametrize(
        "name",
        ["ab", "1a", "9-x", "A.b_c-d", "qemu-dummy", "x86_64-cpu", "a0"],
        ids=["two-chars", "digit-first", "digit-dash", "mixed-punctuation", "dashed", "underscore", "zero-after-first"],
    )
    def test_accepts_legal_name(self, registry: TypeRegistry, name: str) -> None:
        """Names of two or more `[A-Za-z0-9._-]` characters, not starting with `0`, register."""
        info = TypeInfo(name)
        assert registry.register(info) is info
        assert registry.type_info(name) is info
        assert name in registry.type_names()

    @pytest.mark.parametrize(
        "name",
        ["dup-type", "object", "interface", "container"],
        ids=["user-type", "root-object", "root-interface", "container"],
    )
    def test_rejects_duplicate(self, registry: TypeRegistry, name: str) -> None:
        """Registering a name twice is refused and the first record stays."""
        first = TypeInfo("dup-type")
        registry.register(first)
        before = registry.type_info(name)
        msg = f"Registering `{name}' which already exists"
        with pytest.raises(TypeRegistrationError, match=re.escape(msg)):
            registry.register(TypeInfo(name))
        assert registry.type_info(name) is before

    def test_builtin_types(self, registry: TypeRegistry) -> None:
        """A fresh registry holds the abstract roots and the concrete `container`."""
        assert registry.type_names() == ["object", "interface", "container"]
        assert registry.get_class("object").abstract
        assert registry.get_class("interface").abstract
        assert not registry.get_class("container").abstract
        assert registry.get_class("object").parent_class is None
        assert registry.get_class("interface").parent_class is None
        assert registry.get_class("container").parent_class is registry.get_class("object")

    def test_registration_runs_no_hook(self, registry: TypeRegistry) -> None:
        """Registering only stores the record: no class hook runs until first use."""
        calls: list[str] = []
        registry.register(
            TypeInfo(
                "lazy-type",
                class_init=lambda k, d: calls.append("class_init"),
                class_base_init=lambda k, d: calls.append("class_base_init"),
            )
        )
        registry.register(TypeInfo("lazy-child", parent="lazy-type"))
        assert calls == []
        registry.class_by_name("lazy-type")
        assert calls == ["class_init"]

    def test_child_may_be_registered_before_parent(self, registry: TypeRegistry) -> None:
        """A parent registered after its child is found when the child is first used."""
        registry.register(TypeInfo("early-child", parent="late-parent"))
        registry.register(TypeInfo("late-parent"))
        klass = registry.get_class("early-child")
        assert klass.parent_class is registry.get_class("late-parent")


class TestRealization:
    def test_class_init_runs_once_and_is_cached(self, registry: TypeRegistry) -> None:
        """`class_init` runs on first lookup only; later lookups return the same class."""
        calls: list[ObjectClass] = []
        registry.register(TypeInfo("once-type", class_init=lambda k, d: calls.append(k)))
        first = registry.class_by_name("once-type")
        assert registry.class_by_name("once-type") is first
        assert registry.get_class("once-type") is first
        registry.new("once-type").unref()
        assert calls == [first]

    def test_parent_realized_first(self, registry: TypeRegistry) -> None:
        """Realizing a leaf realizes every ancestor first, root first."""
        order: list[str] = []

        def init(k: ObjectClass, d: Any) -> None:
            order.append(k.type_name)

        registry.register(TypeInfo("leaf-type", parent="mid-type", class_init=init))
        registry.register(TypeInfo("mid-type", parent="top-type", class_init=init))
        registry.register(TypeInfo("top-type", class_init=init))
        registry.class_by_name("leaf-type")
        assert order == ["top-type", "mid-type", "leaf-type"]

    def test_class_base_init_of_every_ancestor_nearest_first(self, registry: TypeRegistry) -> None:
        """Each ancestor's `class_base_init` runs on a new class, nearest first, with its `class_data`."""
        events: list[Event] = []

        def base_init(tag: str) -> Any:
            def hook(k: ObjectClass, d: Any) -> None:
                events.append((f"base_init:{tag}", k.type_name, d))

            return hook

        def class_init(k: ObjectClass, d: Any) -> None:
            events.append(("class_init", k.type_name, d))

        registry.register(
            TypeInfo("base-a", class_init=class_init, class_base_init=base_init("base-a"), class_data="a-data")
        )
        registry.register(
            TypeInfo(
                "mid-b", parent="base-a", class_init=class_init, class_base_init=base_init("mid-b"), class_data="b-data"
            )
        )
        registry.register(TypeInfo("leaf-c", parent="mid-b", class_init=class_init, class_data="c-data"))
        registry.class_by_name("leaf-c")
        assert events == [
            ("class_init", "base-a", "a-data"),
            ("base_init:base-a", "mid-b", "b-data"),
            ("class_init", "mid-b", "b-data"),
            ("base_init:mid-b", "leaf-c", "c-data"),
            ("base_init:base-a", "leaf-c", "c-data"),
            ("class_init", "leaf-c", "c-data"),
        ]

    def test_class_base_init_sees_inherited_slots(self, registry: TypeRegistry) -> None:
        """`class_base_init` runs on a copy of the parent's slots, before the type's `class_init`."""
        seen: list[tuple[str, Any]] = []

        def base_init(k: ObjectClass, d: Any) -> None:
            seen.append((k.type_name, getattr(k, "slot", None)))
            setattr(k, "slot", "reset-by-base-init")  # noqa: B010 - a dynamic class slot

        def class_init(k: ObjectClass, d: Any) -> None:
            seen.append((k.type_name, getattr(k, "slot")))  # noqa: B009

        registry.register(
            TypeInfo("slot-base", class_base_init=base_init, class_init=lambda k, d: setattr(k, "slot", "base"))
        )
        registry.register(TypeInfo("slot-sub", parent="slot-base", class_init=class_init))
        registry.class_by_name("slot-sub")
        assert seen == [("slot-sub", "base"), ("slot-sub", "reset-by-base-init")]
        assert getattr(registry.get_class("slot-base"), "slot") == "base"  # noqa: B009

    @pytest.mark.parametrize(
        ("typename", "expected"),
        [
            ("slots-parent", {"method": "parent", "flag": 1}),
            ("slots-inherit", {"method": "parent", "flag": 1}),
            ("slots-override", {"method": "override", "flag": 1}),
            ("slots-grandchild", {"method": "override", "flag": 2}),
        ],
        ids=["own", "inherited", "overridden", "inherited-and-extended"],
    )
    def test_class_slots_inherited(self, registry: TypeRegistry, typename: str, expected: dict[str, Any]) -> None:
        """Values set by an ancestor's `class_init` are inherited; overrides stay below."""

        def set_slots(**slots: Any) -> Any:
            def class_init(k: ObjectClass, d: Any) -> None:
                for key, value in slots.items():
                    setattr(k, key, value)

            return class_init

        registry.register(TypeInfo("slots-parent", class_init=set_slots(method="parent", flag=1)))
        registry.register(TypeInfo("slots-inherit", parent="slots-parent"))
        registry.register(TypeInfo("slots-override", parent="slots-parent", class_init=set_slots(method="override")))
        registry.register(TypeInfo("slots-grandchild", parent="slots-override", class_init=set_slots(flag=2)))
        # Realize every type, the deepest first, so an override would leak upward if shared.
        for name in ("slots-grandchild", "slots-override", "slots-inherit", "slots-parent"):
            registry.class_by_name(name)
        klass = registry.get_class(typename)
        assert {"method": getattr(klass, "method"), "flag": getattr(klass, "flag")} == expected  # noqa: B009

    def test_class_properties_are_not_copied(self, registry: TypeRegistry) -> None:
        """A class's own property table starts empty; lookup walks up to the parent's."""

        def class_init(k: ObjectClass, d: Any) -> None:
            k.property_add_bool("flag", lambda o: True, None)

        registry.register(TypeInfo("props-parent", class_init=class_init))
        registry.register(TypeInfo("props-child", parent="props-parent"))
        parent = registry.get_class("props-parent")
        child = registry.get_class("props-child")
        assert [p.name for p in child.own_properties()] == []
        assert child.property_find("flag") is parent.property_find("flag")
        assert [p.name for p in child.properties()] == ["flag", "type"]

    def test_property_lookup_most_distant_ancestor_wins(self, registry: TypeRegistry) -> None:
        """A name on both a class and its ancestor resolves to the ancestor's property (QEMU's order)."""
        registry.register(TypeInfo("lookup-parent"))
        registry.register(TypeInfo("lookup-child", parent="lookup-parent"))
        parent = registry.get_class("lookup-parent")
        child = registry.get_class("lookup-child")
        assert child.property_find("x") is None
        own = child.property_add_bool("x", lambda o: False, None)
        assert child.property_find("x") is own
        # Added to the parent later: the parent's duplicate check does not look down.
        inherited = parent.property_add_bool("x", lambda o: True, None)
        assert child.property_find("x") is inherited
        assert parent.property_find("x") is inherited

    def test_property_lookup_sees_later_additions(self, registry: TypeRegistry) -> None:
        """A miss is not remembered once an ancestor gains the property."""
        registry.register(TypeInfo("late-parent"))
        registry.register(TypeInfo("late-child", parent="late-parent"))
        child = registry.get_class("late-child")
        obj = registry.new("late-child")
        assert child.property_find("y") is None
        assert obj.property_find("y") is None
        added = registry.get_class("late-parent").property_add_str("y", lambda o: "y", None)
        assert child.property_find("y") is added
        assert obj.property_get("y") == "y"
        obj.unref()

    def test_missing_parent(self, registry: TypeRegistry) -> None:
        """A type whose parent is not registered fails at first use, and works once it is."""
        registry.register(TypeInfo("orphan-type", parent="absent-parent"))
        msg = "Type 'orphan-type' is missing its parent 'absent-parent'"
        with pytest.raises(TypeRegistrationError, match=re.escape(msg)):
            registry.class_by_name("orphan-type")
        with pytest.raises(TypeRegistrationError, match=re.escape(msg)):
            registry.new("orphan-type")
        registry.register(TypeInfo("absent-parent"))
        assert registry.get_class("orphan-type").parent_class is registry.get_class("absent-parent")

    def test_missing_interface(self, registry: TypeRegistry) -> None:
        """A type listing an unregistered interface fails at first use."""
        registry.register(TypeInfo("needs-iface", interfaces=["absent-iface"]))
        msg = "missing interface 'absent-iface' for object 'needs-iface'"
        with pytest.raises(TypeRegistrationError, match=re.escape(msg)):
            registry.class_by_name("needs-iface")

    def test_interface_may_not_list_interfaces(self, registry: TypeRegistry) -> None:
        """An interface type listing interfaces of its own is refused at first use."""
        registry.register(TypeInfo("plain-iface", parent="interface"))
        registry.register(TypeInfo("greedy-iface", parent="interface", interfaces=["plain-iface"]))
        msg = "interface type 'greedy-iface' may not implement interfaces"
        with pytest.raises(TypeRegistrationError, match=re.escape(msg)):
            registry.class_by_name("greedy-iface")

    def test_failed_class_init_is_not_cached(self, registry: TypeRegistry) -> None:
        """A `class_init` that raises leaves no half-built class behind."""
        attempts: list[int] = []

        def class_init(k: ObjectClass, d: Any) -> None:
            attempts.append(1)
            if len(attempts) == 1:
                msg = "first attempt fails"
                raise TypeRegistrationError(msg)

        registry.register(TypeInfo("flaky-type", class_init=class_init))
        with pytest.raises(TypeRegistrationError, match=re.escape("first attempt fails")):
            registry.class_by_name("flaky-type")
        assert registry.class_by_name("flaky-type") is not None
        assert len(attempts) == 2


class TestNew:
    @pytest.mark.parametrize(
        "typename",
        ["object", "interface", "abstract-type", "some-iface"],
        ids=["root-object", "root-interface", "declared-abstract", "interface-type"],
    )
    def test_refuses_abstract(self, registry: TypeRegistry, typename: str) -> None:
        """Abstract types (declared so, the roots, and every interface) cannot be instantiated."""
        registry.register(TypeInfo("abstract-type", abstract=True))
        registry.register(TypeInfo("some-iface", parent="interface"))
        msg = f"object type '{typename}' is abstract"
        with pytest.raises(AbstractTypeError, match=re.escape(msg)):
            registry.new(typename)
        assert registry.get_class(typename).abstract

    def test_concrete_child_of_abstract(self, registry: TypeRegistry) -> None:
        """A concrete type below an abstract one can be instantiated."""
        registry.register(TypeInfo("abstract-base", abstract=True))
        registry.register(TypeInfo("concrete-leaf", parent="abstract-base"))
        obj = registry.new("concrete-leaf")
        assert obj.type_name == "concrete-leaf"
        assert obj.klass is registry.get_class("concrete-leaf")
        assert obj.refcount == 1
        obj.unref()

    def test_unknown_type(self, registry: TypeRegistry) -> None:
        """An unknown name: `class_by_name` gives None, `new` and `get_class` raise."""
        assert registry.class_by_name("no-such-type") is None
        msg = "unknown type 'no-such-type'"
        with pytest.raises(TypeNotFoundError, match=re.escape(msg)):
            registry.new("no-such-type")
        with pytest.raises(TypeNotFoundError, match=re.escape(msg)):
            registry.get_class("no-such-type")

    def test_unknown_type_is_a_lookup_error(self, registry: TypeRegistry) -> None:
        """`TypeNotFoundError` is a `LookupError` and `AbstractTypeError` a `TypeError`."""
        with pytest.raises(LookupError):
            registry.new("no-such-type")
        with pytest.raises(TypeError):
            registry.new("object")

    def test_unregister(self, registry: TypeRegistry) -> None:
        """`unregister` forgets the type and its realized class."""
        registry.register(TypeInfo("gone-type"))
        registry.class_by_name("gone-type")
        registry.unregister("gone-type")
        assert registry.class_by_name("gone-type") is None
        assert "gone-type" not in registry.type_names()


@pytest.fixture
def zoo(registry: TypeRegistry) -> TypeRegistry:
    """`animal` (abstract) with `dog` (implements `pet-if`) and `cat`; `pet-if` is an interface."""
    registry.register(TypeInfo("pet-if", parent="interface"))
    registry.register(TypeInfo("animal", abstract=True))
    registry.register(TypeInfo("dog", parent="animal", interfaces=["pet-if"]))
    registry.register(TypeInfo("cat", parent="animal"))
    return registry


class TestClassGetList:
    @pytest.mark.parametrize(
        ("implements", "include_abstract", "expected"),
        [
            (None, False, {"container", "dog", "cat"}),
            (None, True, {"object", "interface", "container", "pet-if", "animal", "dog", "cat"}),
            ("animal", False, {"dog", "cat"}),
            ("animal", True, {"animal", "dog", "cat"}),
            ("dog", False, {"dog"}),
            ("pet-if", False, {"dog"}),
            ("pet-if", True, {"pet-if", "dog"}),
            ("interface", True, {"interface", "pet-if", "dog"}),
            ("object", False, {"container", "dog", "cat"}),
            ("no-such-type", True, set()),
        ],
        ids=[
            "all-concrete",
            "all",
            "subtree",
            "subtree-abstract",
            "leaf",
            "interface",
            "interface-abstract",
            "root-interface",
            "root-object",
            "unknown",
        ],
    )
    def test_filters(
        self, zoo: TypeRegistry, implements: str | None, include_abstract: bool, expected: set[str]
    ) -> None:
        """The list holds the classes that cast to *implements*, abstract ones only when asked."""
        result = zoo.class_get_list(implements, include_abstract)
        assert _names(result) == expected
        assert len(result) == len(expected)

    def test_hidden_interface_classes_not_listed(self, zoo: TypeRegistry) -> None:
        """The per-implementer interface classes never appear in lists or the type table."""
        zoo.class_by_name("dog")
        names = _names(zoo.class_get_list(include_abstract=True))
        assert not any("::" in name for name in names)
        assert not any("::" in name for name in zoo.type_names())

    def test_sorted_case_insensitively(self, registry: TypeRegistry) -> None:
        """`class_get_list_sorted` orders by name, ignoring case."""
        for name in ("Zeta-t", "alpha-t", "Beta-t", "gamma-t"):
            registry.register(TypeInfo(name))
        names = [k.type_name for k in registry.class_get_list_sorted()]
        assert names == ["alpha-t", "Beta-t", "container", "gamma-t", "Zeta-t"]


@pytest.fixture
def diamond(registry: TypeRegistry) -> TypeRegistry:
    """`both` implements `if-a` and `if-b`, which share the parent interface `base-if`."""
    registry.register(TypeInfo("base-if", parent="interface"))
    registry.register(TypeInfo("if-a", parent="base-if"))
    registry.register(TypeInfo("if-b", parent="base-if"))
    registry.register(TypeInfo("both", interfaces=["if-a", "if-b"]))
    registry.register(TypeInfo("both-child", parent="both"))
    registry.register(TypeInfo("plain"))
    return registry


class TestCasts:
    @pytest.mark.parametrize(
        ("source", "target", "result"),
        [
            ("both", "both", "self"),
            ("both-child", "both", "self"),
            ("both-child", "object", "self"),
            ("both", "both-child", None),
            ("both", "plain", None),
            ("plain", "container", None),
            ("both", "no-such-type", None),
            ("both", "if-a", "both::if-a"),
            ("both", "if-b", "both::if-b"),
            ("both-child", "if-a", "both-child::if-a"),
            ("both", "base-if", None),
            ("plain", "if-a", None),
            ("plain", "interface", None),
        ],
        ids=[
            "same",
            "parent",
            "root",
            "descendant",
            "unrelated",
            "sibling",
            "unknown",
            "interface-a",
            "interface-b",
            "inherited-interface",
            "ambiguous-interface",
            "not-implemented",
            "no-interfaces",
        ],
    )
    def test_class_cast(self, diamond: TypeRegistry, source: str, target: str, result: str | None) -> None:
        """A class casts to itself and its ancestors; an interface gives its interface class."""
        klass = diamond.get_class(source)
        cast = klass.dynamic_cast(target)
        if result is None:
            assert cast is None
        elif result == "self":
            assert cast is klass
        else:
            assert isinstance(cast, InterfaceClass)
            assert cast.type_name == result
            assert cast.concrete_class is klass
            assert cast.interface_type == target
            assert cast.is_subclass_of(target)

    @pytest.mark.parametrize(
        ("target", "castable"),
        [
            ("both", True),
            ("object", True),
            ("if-a", True),
            ("if-b", True),
            ("base-if", False),
            ("plain", False),
            ("no-such-type", False),
        ],
        ids=["own-type", "root", "interface-a", "interface-b", "ambiguous-interface", "unrelated", "unknown"],
    )
    def test_instance_cast(self, diamond: TypeRegistry, target: str, castable: bool) -> None:
        """An instance casts to the object itself or None, as its class does."""
        obj = diamond.new("both")
        assert obj.dynamic_cast(target) is (obj if castable else None)
        obj.unref()

    def test_interface_class_of_instance(self, diamond: TypeRegistry) -> None:
        """`interface_class` gives the object's interface class, or None for a plain class."""
        obj = diamond.new("both")
        iface = obj.interface_class("if-a")
        assert iface is not None
        assert iface is obj.klass.dynamic_cast("if-a")
        assert obj.interface_class("both") is None
        assert obj.interface_class("base-if") is None
        obj.unref()

    def test_interfaces_inherited_once(self, diamond: TypeRegistry) -> None:
        """A child class gets one interface class per inherited interface, not a second copy."""
        diamond.register(TypeInfo("both-relisted", parent="both", interfaces=["if-a"]))
        klass = diamond.get_class("both-relisted")
        assert [i.type_name for i in klass.interfaces] == ["both-relisted::if-a", "both-relisted::if-b"]
        parent_iface = diamond.get_class("both").dynamic_cast("if-a")
        assert klass.interfaces[0].parent_class is parent_iface

    def test_is_interface(self, diamond: TypeRegistry) -> None:
        """Interface types are those below `interface`; object types are not."""
        assert diamond.get_class("base-if").is_interface
        assert diamond.get_class("if-a").is_interface
        assert diamond.get_class("interface").is_interface
        assert not diamond.get_class("both").is_interface
        assert not diamond.get_class("object").is_interface


# --- broken types -------------------------------------------------------------------


def _boom(klass: ObjectClass, data: Any) -> None:
    msg = "boom"
    raise ValueError(msg)


#: (how the type is broken, its TypeInfos, the error its use gives).
BROKEN: list[tuple[str, list[TypeInfo], str]] = [
    ("orphan", [TypeInfo("orphan", parent="nope", interfaces=["user-creatable"])],
     "Type 'orphan' is missing its parent 'nope'"),
    ("class-init", [TypeInfo("orphan", interfaces=["user-creatable"], class_init=_boom)],
     "Type 'orphan' is unusable: its class initialization failed: ValueError: boom"),
    ("qom-error", [TypeInfo("orphan", class_init=lambda k, d: k.property_add_str("type", None, None))],
     "attempt to add duplicate property 'type' to object (type 'orphan')"),
    ("broken-parent", [TypeInfo("half", parent="nope"), TypeInfo("orphan", parent="half")],
     "Type 'orphan' is unusable: its parent is broken: Type 'half' is missing its parent 'nope'"),
]  # fmt: skip


class TestBrokenType:
    """One broken type makes only itself unusable, with an error naming it and the cause."""

    @pytest.fixture(params=[b[1:] for b in BROKEN], ids=[b[0] for b in BROKEN])
    def broken(self, request: pytest.FixtureRequest) -> str:
        infos, message = request.param
        for info in infos:
            qom_py.type_register(info)
        return str(message)

    def test_everything_else_works(self, broken: str, capsys: pytest.CaptureFixture[str]) -> None:
        """object_add, --object help and TYPE,help, qom-list-types and -properties of other types."""
        io = qom_py.object_add("iothread", id="io0", poll_max_ns=1)
        assert io.property_get("poll-max-ns") == 1
        assert qom_py.object_option_parse("main-loop,id=ml") is not None
        assert qom_py.object_option_parse("help") is None
        assert capsys.readouterr().out == "List of user creatable objects:\n  iothread\n  main-loop\n"
        assert qom_py.object_option_parse("iothread,help") is None
        assert "poll-max-ns=<int>" in capsys.readouterr().out
        assert "orphan" not in {k.type_name for k in qom_py.object_class_get_list(include_abstract=True)}
        with qmp_client() as qmp:
            types = qmp.execute("qom-list-types", {"abstract": True})
            assert {"name": "iothread", "parent": "event-loop-base"} in types
            assert "orphan" not in {t["name"] for t in types}
            props = qmp.execute("qom-list-properties", {"typename": "iothread"})
            assert [p["name"] for p in props][:2] == ["type", "aio-max-batch"]
            assert qmp.execute("object-add", {"qom-type": "iothread", "id": "io1"}) == {}
        assert qom_py.object_class_by_name("iothread") is not None

    def test_using_it_names_it_and_the_cause(self, broken: str, capsys: pytest.CaptureFixture[str]) -> None:
        """Every way of using the broken type says which and why; nothing is created."""
        exact = f"\\A{re.escape(broken)}\\Z"
        for use in (
            lambda: qom_py.object_class_by_name("orphan"),
            lambda: qom_py.object_new("orphan"),
            lambda: qom_py.object_new_with_props("orphan"),
            lambda: qom_py.object_add("orphan", id="o"),
            lambda: qom_py.object_option_parse("orphan,id=o"),
            lambda: qom_py.object_option_parse("orphan,help"),
        ):
            with pytest.raises(QOMError, match=exact):
                use()
        assert capsys.readouterr().out == ""
        with qmp_client() as qmp:
            for command, args in (
                ("qom-list-properties", {"typename": "orphan"}),
                ("object-add", {"qom-type": "orphan", "id": "o"}),
            ):
                with pytest.raises(QMPError, match=exact) as info:
                    qmp.execute(command, args)
                assert info.value.error_class == "GenericError"
        assert qom_py.object_resolve_path("/objects/o") is None

    def test_fixed_by_registering_the_parent(self) -> None:
        """Nothing of the failure is kept: registering the missing parent makes the type work."""
        qom_py.type_register(TypeInfo("orphan", parent="nope"))
        with pytest.raises(TypeRegistrationError):
            qom_py.object_new("orphan")
        qom_py.type_register(TypeInfo("nope"))
        obj = qom_py.object_new("orphan")
        assert obj.type_name == "orphan"
        obj.unref()
