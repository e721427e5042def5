"""
Properties: each typed kind, links, children, aliases, the three input visitors,
observers, and the declarative API.

Messages are QEMU's, matched exactly.  ``json`` rows go through
``property_set`` (QMP's strict typing), ``keyval`` rows through
``property_set_keyval`` (``--object`` strings) and ``string`` rows through
``property_parse`` (QEMU's ``object_property_parse``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any, ClassVar

import attrs
import pytest

from qom_py import UNSET, Object, ObjectClass, ObjectProperty, TypeInfo, TypeRegistry, prop, qom_type
from qom_py.errors import (
    DeviceNotFoundError,
    DuplicatePropertyError,
    ParameterError,
    PropertyAccessError,
    PropertyNotFoundError,
    QOMError,
)
from qom_py.qom._property import NUMBER

DUMMY_ANIMALS = ("frog", "alligator", "platypus")
INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1
UINT64_MAX = 2**64 - 1


@attrs.frozen
class Reject:
    """An expected failure: the message, and optionally the hint line."""

    message: str
    hint: str | None = None
    exc: type[QOMError] = ParameterError


Expected = Any  # a stored value, or a `Reject`


class Store:
    """Backing storage for test properties; records every value the setter receives."""

    def __init__(self) -> None:
        self.values: dict[str, Any] = {}
        self.sets: list[tuple[str, Any]] = []

    def get(self, name: str) -> Callable[[Object], Any]:
        return lambda obj: self.values[name]

    def set(self, name: str) -> Callable[[Object, Any], None]:
        def setter(obj: Object, value: Any) -> None:
            self.sets.append((name, value))
            self.values[name] = value

        return setter


@pytest.fixture
def store() -> Store:
    """Fresh property storage."""
    return Store()


@pytest.fixture
def obj(registry: TypeRegistry) -> Iterator[Object]:
    """A container in a fresh registry, to hang instance properties on."""
    obj = registry.new("container")
    yield obj
    if not obj.is_finalized:
        obj.unref()


def visit(obj: Object, name: str, mode: str, raw: object) -> None:
    """Set *name* through the visitor named by *mode*."""
    if mode == "json":
        obj.property_set(name, raw)
    elif mode == "keyval":
        obj.property_set_keyval(name, raw)
    else:
        assert mode == "string"
        assert isinstance(raw, str)
        obj.property_parse(name, raw)


def check(obj: Object, store: Store, name: str, mode: str, raw: object, expected: Expected) -> None:
    """Set *raw* and check the stored value, or the exact error and that nothing was stored."""
    if isinstance(expected, Reject):
        with pytest.raises(expected.exc, match=re.escape(expected.message)) as excinfo:
            visit(obj, name, mode, raw)
        assert str(excinfo.value) == expected.message
        if expected.hint is not None:
            assert excinfo.value.hint == expected.hint
        assert store.sets == []
        return
    visit(obj, name, mode, raw)
    assert store.sets == [(name, expected)]
    stored = store.values[name]
    assert stored == expected
    assert type(stored) is type(expected)
    assert obj.property_get(name) == expected


def _ids(rows: list[tuple[Any, ...]]) -> list[str]:
    return [f"{row[0]}:{row[1]!r}" for row in rows]


# --- scalar kinds -----------------------------------------------------------------------

BOOL_ROWS: list[tuple[str, object, Expected]] = [
    ("json", True, True),
    ("json", False, False),
    ("json", 1, Reject("Invalid parameter type for 'x', expected: boolean")),
    ("json", "true", Reject("Invalid parameter type for 'x', expected: boolean")),
    ("json", None, Reject("Invalid parameter type for 'x', expected: boolean")),
    ("keyval", "on", True),
    ("keyval", "off", False),
    ("string", "yes", True),
    ("string", "n", False),
]


@pytest.mark.parametrize(("mode", "raw", "expected"), BOOL_ROWS, ids=_ids(BOOL_ROWS))
def test_bool(obj: Object, store: Store, mode: str, raw: object, expected: Expected) -> None:
    """A `bool` property takes JSON booleans, or `on`/`off`-style strings."""
    p = obj.property_add_bool("x", store.get("x"), store.set("x"))
    assert (p.type, p.is_readable, p.is_writable) == ("bool", True, True)
    check(obj, store, "x", mode, raw, expected)


STR_ROWS: list[tuple[str, object, Expected]] = [
    ("json", "Hiss hiss hiss", "Hiss hiss hiss"),
    ("json", "", ""),
    ("json", 5, Reject("Invalid parameter type for 'x', expected: string")),
    ("json", True, Reject("Invalid parameter type for 'x', expected: string")),
    ("json", None, Reject("Invalid parameter type for 'x', expected: string")),
    ("json", ["a"], Reject("Invalid parameter type for 'x', expected: string")),
    ("keyval", "a,b", "a,b"),
    ("keyval", {"a": "b"}, Reject("Parameters 'x.*' are unexpected")),
    ("string", "42", "42"),
]


@pytest.mark.parametrize(("mode", "raw", "expected"), STR_ROWS, ids=_ids(STR_ROWS))
def test_str(obj: Object, store: Store, mode: str, raw: object, expected: Expected) -> None:
    """A `string` property takes strings only, stored as given."""
    p = obj.property_add_str("x", store.get("x"), store.set("x"))
    assert p.type == "string"
    check(obj, store, "x", mode, raw, expected)


ENUM_ROWS: list[tuple[str, object, Expected]] = [
    ("json", "platypus", "platypus"),
    ("json", "frog", "frog"),
    ("json", "yeti", Reject("Parameter 'x' does not accept value 'yeti'")),
    ("json", "Frog", Reject("Parameter 'x' does not accept value 'Frog'")),
    ("json", "", Reject("Parameter 'x' does not accept value ''")),
    ("json", 2, Reject("Invalid parameter type for 'x', expected: string")),
    ("keyval", "alligator", "alligator"),
    ("keyval", "yeti", Reject("Parameter 'x' does not accept value 'yeti'")),
    ("string", "platypus", "platypus"),
    ("string", "yeti", Reject("Parameter 'x' does not accept value 'yeti'")),
]


@pytest.mark.parametrize(("mode", "raw", "expected"), ENUM_ROWS, ids=_ids(ENUM_ROWS))
def test_enum(obj: Object, store: Store, mode: str, raw: object, expected: Expected) -> None:
    """An enum property takes member names; its type string is the enum's name."""
    p = obj.property_add_enum("x", "DummyAnimal", DUMMY_ANIMALS, store.get("x"), store.set("x"))
    assert p.type == "DummyAnimal"
    check(obj, store, "x", mode, raw, expected)


def _int_rows() -> list[tuple[str, int, bool, str, object, Expected]]:
    """(id, bits, signed, type string, JSON value, expected) for every width."""
    rows: list[tuple[str, int, bool, str, object, Expected]] = []
    for bits in (8, 16, 32):
        low, high = -(2 ** (bits - 1)), 2 ** (bits - 1) - 1
        too_big = Reject(f"Parameter 'x' expects int{bits}_t")
        rows += [
            (f"int{bits}-min", bits, True, f"int{bits}", low, low),
            (f"int{bits}-max", bits, True, f"int{bits}", high, high),
            (f"int{bits}-below", bits, True, f"int{bits}", low - 1, too_big),
            (f"int{bits}-above", bits, True, f"int{bits}", high + 1, too_big),
            (
                f"int{bits}-string",
                bits,
                True,
                f"int{bits}",
                "1",
                Reject("Invalid parameter type for 'x', expected: integer"),
            ),
        ]
        too_big = Reject(f"Parameter 'x' expects uint{bits}_t")
        rows += [
            (f"uint{bits}-zero", bits, False, f"uint{bits}", 0, 0),
            (f"uint{bits}-max", bits, False, f"uint{bits}", 2**bits - 1, 2**bits - 1),
            (f"uint{bits}-above", bits, False, f"uint{bits}", 2**bits, too_big),
            (f"uint{bits}-minus-one", bits, False, f"uint{bits}", -1, too_big),
            (f"uint{bits}-string", bits, False, f"uint{bits}", "1", Reject("Parameter 'x' expects uint64")),
        ]
    not_int = Reject("Invalid parameter type for 'x', expected: integer")
    rows += [
        ("int64-min", 64, True, "int", INT64_MIN, INT64_MIN),
        ("int64-max", 64, True, "int", INT64_MAX, INT64_MAX),
        ("int64-below", 64, True, "int", INT64_MIN - 1, not_int),
        ("int64-above", 64, True, "int", INT64_MAX + 1, not_int),
        ("int64-string", 64, True, "int", "3", not_int),
        ("int64-float", 64, True, "int", 1.0, not_int),
        ("int64-bool", 64, True, "int", True, not_int),
        ("int64-null", 64, True, "int", None, not_int),
    ]
    not_uint = Reject("Parameter 'x' expects uint64")
    rows += [
        ("uint64-zero", 64, False, "uint", 0, 0),
        ("uint64-max", 64, False, "uint", UINT64_MAX, UINT64_MAX),
        ("uint64-minus-one-wraps", 64, False, "uint", -1, UINT64_MAX),
        ("uint64-int64-min-wraps", 64, False, "uint", INT64_MIN, 2**63),
        ("uint64-below-int64", 64, False, "uint", INT64_MIN - 1, not_uint),
        ("uint64-above", 64, False, "uint", UINT64_MAX + 1, not_uint),
        ("uint64-string", 64, False, "uint", "1", not_uint),
        ("uint64-bool", 64, False, "uint", True, not_uint),
        ("uint64-float", 64, False, "uint", 1.0, not_uint),
    ]
    return rows


INT_ROWS = _int_rows()


@pytest.mark.parametrize(
    ("bits", "signed", "type_name", "raw", "expected"), [row[1:] for row in INT_ROWS], ids=[row[0] for row in INT_ROWS]
)
def test_int(
    obj: Object, store: Store, bits: int, signed: bool, type_name: str, raw: object, expected: Expected
) -> None:
    """Integers of each width take JSON ints in range; the range message names the C type."""
    p = obj.property_add_int("x", store.get("x"), store.set("x"), bits, signed)
    assert p.type == type_name
    check(obj, store, "x", "json", raw, expected)


@pytest.mark.parametrize(
    ("bits", "type_name"),
    [(8, "uint8"), (16, "uint16"), (32, "uint32"), (64, "uint")],
    ids=["uint8", "uint16", "uint32", "uint64"],
)
def test_uint_builder(obj: Object, store: Store, bits: int, type_name: str) -> None:
    """`property_add_uint` is `property_add_int` with `signed=False`."""
    assert obj.property_add_uint("x", store.get("x"), store.set("x"), bits).type == type_name


def test_int_bad_width(obj: Object, store: Store) -> None:
    """Only widths of 8, 16, 32 and 64 bits exist."""
    with pytest.raises(ValueError, match=re.escape("integer properties are 8, 16, 32 or 64 bits wide, not 12")):
        obj.property_add_int("x", store.get("x"), store.set("x"), 12)


SIZE_ROWS: list[tuple[str, object, Expected]] = [
    ("json", 0, 0),
    ("json", 4096, 4096),
    ("json", UINT64_MAX, UINT64_MAX),
    ("json", -1, UINT64_MAX),
    ("json", UINT64_MAX + 1, Reject("Parameter 'x' expects uint64")),
    ("json", "1G", Reject("Parameter 'x' expects uint64")),
    ("keyval", "1G", 2**30),
    ("keyval", "4k", 4096),
    ("keyval", "1.5k", 1536),
    ("keyval", "0x10", 16),
    ("keyval", "512", 512),
    ("keyval", "abc", Reject("Parameter 'x' expects size")),
    ("keyval", "-1", Reject("Parameter 'x' expects size")),
    ("string", "2M", 2 * 2**20),
]


@pytest.mark.parametrize(("mode", "raw", "expected"), SIZE_ROWS, ids=_ids(SIZE_ROWS))
def test_size(obj: Object, store: Store, mode: str, raw: object, expected: Expected) -> None:
    """A `size` property is a uint64 in JSON and takes suffixes from strings."""
    p = obj.property_add_size("x", store.get("x"), store.set("x"))
    assert p.type == "size"
    check(obj, store, "x", mode, raw, expected)


NUMBER_ROWS: list[tuple[str, object, Expected]] = [
    ("json", 1.5, 1.5),
    ("json", 3, 3.0),
    ("json", "1.0", Reject("Invalid parameter type for 'x', expected: number")),
    ("json", True, Reject("Invalid parameter type for 'x', expected: number")),
    ("json", None, Reject("Invalid parameter type for 'x', expected: number")),
    ("json", 10**400, Reject("Invalid parameter type for 'x', expected: number")),
    ("keyval", "3.14", 3.14),
    ("keyval", "1e3", 1000.0),
    ("keyval", "inf", Reject("Invalid parameter type for 'x', expected: number")),
    ("keyval", "nan", Reject("Invalid parameter type for 'x', expected: number")),
    ("string", "0.25", 0.25),
]


@pytest.mark.parametrize(("mode", "raw", "expected"), NUMBER_ROWS, ids=_ids(NUMBER_ROWS))
def test_number(obj: Object, store: Store, mode: str, raw: object, expected: Expected) -> None:
    """A `number` property takes JSON numbers (ints widen) or finite decimal strings."""
    p = obj.property_add_typed("x", NUMBER, store.get("x"), store.set("x"))
    assert p.type == "number"
    check(obj, store, "x", mode, raw, expected)


def test_read_only_builder(obj: Object, store: Store) -> None:
    """A builder given no setter makes a read-only property."""
    store.values["x"] = True
    p = obj.property_add_bool("x", store.get("x"), None)
    assert (p.is_readable, p.is_writable) == (True, False)
    assert obj.property_get("x") is True
    with pytest.raises(PropertyAccessError, match=re.escape("Property 'container.x' is not writable")):
        obj.property_set("x", False)


def test_class_and_instance_builders_agree(registry: TypeRegistry, store: Store) -> None:
    """The same builder on a class and on an object gives the same type string and checks."""

    def add(target: ObjectClass | Object, name: str) -> ObjectProperty:
        return target.property_add_int(name, store.get(name), store.set(name), 16, False, description="d")

    registry.register(TypeInfo("builders", class_init=lambda k, d: None))
    klass = registry.get_class("builders")
    class_prop = add(klass, "c")
    obj = registry.new("builders")
    inst_prop = add(obj, "i")
    assert (class_prop.type, class_prop.description) == (inst_prop.type, inst_prop.description) == ("uint16", "d")
    for name in ("c", "i"):
        with pytest.raises(ParameterError, match=re.escape(f"Parameter '{name}' expects uint16_t")):
            obj.property_set(name, 70000)
    obj.unref()


def test_description_and_default(obj: Object, store: Store) -> None:
    """Builders record the description and the JSON-typed default."""
    p = obj.property_add_str("x", store.get("x"), store.set("x"), description="A string", default="dflt")
    assert (p.description, p.default) == ("A string", "dflt")
    assert store.sets == [("x", "dflt")]
    q = obj.property_add_bool("y", store.get("y"), store.set("y"))
    assert (q.description, q.default) == (None, UNSET)


# --- link<T> ------------------------------------------------------------------------------


@pytest.fixture
def links(registry: TypeRegistry) -> dict[str, Object]:
    """
    A tree for link tests, all under ``/objects``.

    ``t1`` (``target-t``), ``sub`` (``target-sub``, a ``target-t``), ``other``
    (``other-t``), ``a/dup`` and ``b/dup`` (both ``target-t``), and ``holder``.
    """
    registry.register(TypeInfo("target-t"))
    registry.register(TypeInfo("target-sub", parent="target-t"))
    registry.register(TypeInfo("other-t"))
    objects = registry.objects_root
    made: dict[str, Object] = {}

    def add(parent: Object, name: str, typename: str) -> Object:
        child = registry.new(typename)
        parent.property_add_child(name, child)
        child.unref()
        made[name] = child
        return child

    add(objects, "t1", "target-t")
    add(objects, "sub", "target-sub")
    add(objects, "other", "other-t")
    add(add(objects, "a", "container"), "dup", "target-t")
    add(add(objects, "b", "container"), "dup", "target-t")
    add(objects, "holder", "container")
    return made


LINK_ROWS: list[tuple[str, object, Expected]] = [
    ("absolute", "/objects/t1", "t1"),
    ("partial", "t1", "t1"),
    ("subtype", "/objects/sub", "sub"),
    ("empty-clears", "", None),
    ("missing", "/objects/nope", Reject("Device '/objects/nope' not found", exc=DeviceNotFoundError)),
    ("missing-partial", "nope", Reject("Device 'nope' not found", exc=DeviceNotFoundError)),
    ("wrong-type", "/objects/other", Reject("Invalid parameter type for 'l', expected: target-t")),
    ("wrong-type-container", "/objects/a", Reject("Invalid parameter type for 'l', expected: target-t")),
    ("ambiguous", "dup", Reject("Path 'dup' does not uniquely identify an object")),
    ("not-a-string", 5, Reject("Invalid parameter type for 'l', expected: string")),
]


class TestLink:
    @pytest.mark.parametrize(("path", "expected"), [row[1:] for row in LINK_ROWS], ids=[r[0] for r in LINK_ROWS])
    def test_set(self, links: dict[str, Object], path: object, expected: Expected) -> None:
        """Writing a link takes a path of an object of the link's type; `""` clears it."""
        holder = links["holder"]
        p = holder.property_add_link("l", "target-t")
        assert p.type == "link<target-t>"
        holder.property_set("l", "/objects/t1")
        if isinstance(expected, Reject):
            with pytest.raises(expected.exc, match=re.escape(expected.message)):
                holder.property_set("l", path)
            assert holder.link_target("l") is links["t1"]
            return
        holder.property_set("l", path)
        target = links[expected] if expected is not None else None
        assert holder.link_target("l") is target
        assert holder.property_get("l") == (target.canonical_path if target is not None else "")

    def test_not_found_is_device_not_found(self, links: dict[str, Object]) -> None:
        """An unresolved link path carries QMP class `DeviceNotFound`."""
        holder = links["holder"]
        holder.property_add_link("l", "target-t")
        with pytest.raises(DeviceNotFoundError) as excinfo:
            holder.property_set("l", "/nowhere")
        assert excinfo.value.qmp_class == "DeviceNotFound"
        assert isinstance(excinfo.value, LookupError)

    def test_unset_reads_empty(self, links: dict[str, Object]) -> None:
        """An unset link reads as `""` and resolves to nothing."""
        holder = links["holder"]
        holder.property_add_link("l", "target-t")
        assert holder.property_get("l") == ""
        assert holder.link_target("l") is None
        assert holder.resolve_component("l") is None

    @pytest.mark.parametrize(("strong", "delta"), [(True, 1), (False, 0)], ids=["strong", "weak"])
    def test_refcounts(self, links: dict[str, Object], strong: bool, delta: int) -> None:
        """A strong link holds one reference on its target until it changes or goes away."""
        holder, t1, sub = links["holder"], links["t1"], links["sub"]
        base_t1, base_sub = t1.refcount, sub.refcount
        holder.property_add_link("l", "target-t", strong=strong)
        holder.property_set("l", "/objects/t1")
        assert (t1.refcount, sub.refcount) == (base_t1 + delta, base_sub)
        holder.property_set("l", "/objects/t1")
        assert t1.refcount == base_t1 + delta
        holder.property_set("l", "/objects/sub")
        assert (t1.refcount, sub.refcount) == (base_t1, base_sub + delta)
        holder.property_set("l", "")
        assert (t1.refcount, sub.refcount) == (base_t1, base_sub)
        holder.property_set("l", "/objects/t1")
        holder.unparent()
        assert holder.is_finalized
        assert t1.refcount == base_t1

    def test_strong_link_keeps_target_alive(self, links: dict[str, Object]) -> None:
        """The target of a strong link outlives its place in the tree."""
        holder, t1 = links["holder"], links["t1"]
        holder.property_add_link("l", "target-t", strong=True)
        holder.property_set("l", "/objects/t1")
        t1.unparent()
        assert not t1.is_finalized
        assert holder.link_target("l") is t1
        assert holder.property_get("l") == ""
        holder.property_del("l")
        assert t1.is_finalized

    def test_initial_target(self, links: dict[str, Object]) -> None:
        """A link may be created pointing at a target (a strong one takes a reference)."""
        holder, t1 = links["holder"], links["t1"]
        base = t1.refcount
        holder.property_add_link("l", "target-t", target=t1, strong=True)
        assert holder.property_get("l") == "/objects/t1"
        assert t1.refcount == base + 1
        holder.property_del("l")
        assert t1.refcount == base

    def test_check_veto(self, links: dict[str, Object]) -> None:
        """The check callback sees each new target (None to clear) and may veto it."""
        holder, t1 = links["holder"], links["t1"]
        seen: list[tuple[str, Object | None]] = []

        def check(obj: Object, name: str, new: Object | None) -> None:
            seen.append((name, new))
            if new is links["sub"]:
                msg = "sub is not welcome"
                raise ParameterError(msg)

        holder.property_add_link("l", "target-t", check=check, strong=True)
        holder.property_set("l", "/objects/t1")
        base_sub = links["sub"].refcount
        with pytest.raises(ParameterError, match=re.escape("sub is not welcome")):
            holder.property_set("l", "/objects/sub")
        assert holder.link_target("l") is t1
        assert links["sub"].refcount == base_sub
        holder.property_set("l", "")
        assert seen == [("l", t1), ("l", links["sub"]), ("l", None)]

    def test_read_only(self, links: dict[str, Object]) -> None:
        """A link made with `writable=False` cannot be set."""
        holder = links["holder"]
        holder.property_add_link("l", "target-t", writable=False, target=links["t1"])
        with pytest.raises(PropertyAccessError, match=re.escape("Property 'container.l' is not writable")):
            holder.property_set("l", "")
        assert holder.property_get("l") == "/objects/t1"

    def test_duplicate_keeps_existing_link(self, links: dict[str, Object]) -> None:
        """A refused duplicate link leaves the existing link's target and reference alone."""
        holder, t1 = links["holder"], links["t1"]
        holder.property_add_link("l", "target-t", strong=True)
        holder.property_set("l", "/objects/t1")
        base = t1.refcount
        msg = "attempt to add duplicate property 'l' to object (type 'container')"
        with pytest.raises(DuplicatePropertyError, match=re.escape(msg)):
            holder.property_add_link("l", "target-t", strong=True)
        assert holder.link_target("l") is t1
        assert holder.property_get("l") == "/objects/t1"
        holder.property_del("l")
        assert t1.refcount == base - 1

    def test_auto_numbered_links_are_independent(self, links: dict[str, Object]) -> None:
        """Each `name[*]` link gets its own number and its own target."""
        holder = links["holder"]
        names = [holder.property_add_link("l[*]", "target-t").name for _ in range(2)]
        assert names == ["l[0]", "l[1]"]
        holder.property_set("l[0]", "/objects/t1")
        holder.property_set("l[1]", "/objects/sub")
        assert holder.property_get("l[0]") == "/objects/t1"
        assert holder.property_get("l[1]") == "/objects/sub"
        assert holder.link_target("l[0]") is links["t1"]
        assert holder.resolve_component("l[1]") is links["sub"]

    def test_path_resolves_through_link(self, links: dict[str, Object], registry: TypeRegistry) -> None:
        """A path component naming a link resolves to its target."""
        holder = links["holder"]
        holder.property_add_link("l", "target-t")
        holder.property_set("l", "t1")
        assert registry.root.resolve_relative(["objects", "holder", "l"]) is links["t1"]


# --- child<T> -----------------------------------------------------------------------------


class TestChild:
    def test_child_property(self, registry: TypeRegistry) -> None:
        """`child<T>` reads as the child's path, resolves to it, and cannot be written."""
        parent = registry.new("container")
        registry.objects_root.property_add_child("p", parent)
        parent.unref()
        registry.register(TypeInfo("kid-t"))
        kid = registry.new("kid-t")
        p = parent.property_add_child("kid", kid)
        kid.unref()
        assert (p.type, p.is_readable, p.is_writable) == ("child<kid-t>", True, False)
        assert parent.property_get("kid") == "/objects/p/kid"
        assert parent.resolve_component("kid") is kid
        assert kid.parent is parent
        assert kid.canonical_path_component == "kid"
        assert list(parent.children()) == [("kid", kid)]
        with pytest.raises(PropertyAccessError, match=re.escape("Property 'container.kid' is not writable")):
            parent.property_set("kid", "/objects")
        parent.property_del("kid")
        assert kid.is_finalized
        assert list(parent.children()) == []


# --- alias ----------------------------------------------------------------------------------


@pytest.fixture
def aliased(registry: TypeRegistry, store: Store) -> Iterator[tuple[Object, Object]]:
    """``/objects/target`` with `rate` (int8), `kid` (child), `ro` (read-only) and `l` (link); and `front`."""
    objects = registry.objects_root
    target = registry.new("container")
    objects.property_add_child("target", target)
    target.unref()
    target.property_add_int("rate", store.get("rate"), store.set("rate"), 8, description="Rate", default=5)
    store.sets.clear()
    kid = registry.new("container")
    target.property_add_child("kid", kid)
    kid.unref()
    store.values["ro"] = "fixed"
    target.property_add_str("ro", store.get("ro"), None)
    target.property_add_link("l", "container", target=kid)
    front = registry.new("container")
    objects.property_add_child("front", front)
    front.unref()
    yield target, front


class TestAlias:
    def test_forwards(self, aliased: tuple[Object, Object], store: Store) -> None:
        """An alias has its target's type, description and default, and forwards get and set."""
        target, front = aliased
        p = front.property_add_alias("speed", target, "rate")
        assert (p.type, p.description, p.default) == ("int8", "Rate", 5)
        assert front.property_get("speed") == 5
        front.property_set("speed", -7)
        assert store.values["rate"] == -7
        assert target.property_get("rate") == -7
        front.property_parse("speed", "0x10")
        assert front.property_get("speed") == 16

    @pytest.mark.parametrize(
        ("mode", "raw", "message"),
        [
            ("json", "1", "Invalid parameter type for 'speed', expected: integer"),
            ("keyval", "x", "Parameter 'speed' expects integer"),
            ("keyval", {"a": "1"}, "Parameters 'speed.*' are unexpected"),
            ("string", "x", "Parameter 'speed' expects int64"),
        ],
        ids=["json-type", "keyval", "keyval-nested", "string"],
    )
    def test_type_errors_name_the_alias(
        self, aliased: tuple[Object, Object], store: Store, mode: str, raw: object, message: str
    ) -> None:
        """What the input visitor itself refuses is reported under the alias's name (QEMU's forward visitor)."""
        target, front = aliased
        front.property_add_alias("speed", target, "rate")
        with pytest.raises(ParameterError, match=re.escape(message)):
            visit(front, "speed", mode, raw)
        assert store.sets == []

    def test_child_becomes_link(self, aliased: tuple[Object, Object]) -> None:
        """An alias of `child<T>` is a read-only `link<T>` that resolves to the child."""
        target, front = aliased
        p = front.property_add_alias("kidalias", target, "kid")
        kid = target.resolve_component("kid")
        assert p.type == "link<container>"
        assert front.property_get("kidalias") == "/objects/target/kid"
        assert front.resolve_component("kidalias") is kid
        with pytest.raises(PropertyAccessError, match=re.escape("Property 'container.kid' is not writable")):
            front.property_set("kidalias", "")

    def test_link_alias_resolves(self, aliased: tuple[Object, Object]) -> None:
        """An alias of a link resolves to the link's target and keeps the link type."""
        target, front = aliased
        p = front.property_add_alias("la", target, "l")
        assert p.type == "link<container>"
        assert front.resolve_component("la") is target.link_target("l")

    def test_read_only_target(self, aliased: tuple[Object, Object], store: Store) -> None:
        """An alias of a read-only property reads; a write is refused by the target, in its name."""
        target, front = aliased
        p = front.property_add_alias("roa", target, "ro")
        assert p.type == "string"
        assert front.property_get("roa") == "fixed"
        for mode in ("json", "keyval", "string"):
            with pytest.raises(PropertyAccessError, match=re.escape("Property 'container.ro' is not writable")):
                visit(front, "roa", mode, "x")
        assert store.values["ro"] == "fixed"


class TestAliasNames:
    """
    Which name an alias's errors carry, with holder and target of different types.

    QEMU's alias setter calls ``object_property_set(target, target_name, v)`` with a
    forward visitor: checks made by the visitor core and by the target (enum
    members, integer widths, access) name the target; the visitor's own reads name
    the alias.
    """

    @pytest.fixture
    def pair(self, registry: TypeRegistry, store: Store) -> Iterator[tuple[Object, Object]]:
        def target_init(klass: ObjectClass, data: Any) -> None:
            klass.property_add_enum("av", "DummyAnimal", ["frog", "alligator"], store.get("av"), store.set("av"))
            klass.property_add_uint("u8", store.get("u8"), store.set("u8"), 8)
            klass.property_add_str("ro", store.get("ro"), None)
            klass.property_add_str("wo", None, store.set("wo"))

        registry.register(TypeInfo("alias-target", class_init=target_init))
        registry.register(TypeInfo("alias-holder"))
        store.values.update(av="frog", u8=1, ro="fixed")
        target = registry.new("alias-target")
        holder = registry.new("alias-holder")
        for name, tname in (("animal", "av"), ("byte", "u8"), ("roa", "ro"), ("woa", "wo")):
            holder.property_add_alias(name, target, tname)
        yield target, holder
        holder.unref()
        target.unref()

    @pytest.mark.parametrize(
        ("alias", "mode", "raw", "error", "message"),
        [
            ("animal", "json", "yeti", ParameterError, "Parameter 'av' does not accept value 'yeti'"),
            ("animal", "keyval", "yeti", ParameterError, "Parameter 'av' does not accept value 'yeti'"),
            ("animal", "string", "yeti", ParameterError, "Parameter 'av' does not accept value 'yeti'"),
            ("animal", "json", 1, ParameterError, "Invalid parameter type for 'animal', expected: string"),
            ("byte", "json", 256, ParameterError, "Parameter 'u8' expects uint8_t"),
            ("byte", "keyval", "300", ParameterError, "Parameter 'u8' expects uint8_t"),
            ("byte", "json", "1", ParameterError, "Parameter 'byte' expects uint64"),
            ("byte", "keyval", "x", ParameterError, "Parameter 'byte' expects integer"),
            ("roa", "json", "x", PropertyAccessError, "Property 'alias-target.ro' is not writable"),
        ],
        ids=[
            "enum-json",
            "enum-keyval",
            "enum-string",
            "enum-type",
            "uint8-json",
            "uint8-keyval",
            "uint64-type",
            "keyval-type",
            "read-only",
        ],
    )
    def test_set(
        self,
        pair: tuple[Object, Object],
        store: Store,
        alias: str,
        mode: str,
        raw: object,
        error: type[Exception],
        message: str,
    ) -> None:
        """Each refusal names what QEMU names; nothing is stored."""
        _, holder = pair
        with pytest.raises(error, match=f"\\A{re.escape(message)}\\Z"):
            visit(holder, alias, mode, raw)
        assert store.sets == []

    def test_write_only_target(self, pair: tuple[Object, Object], store: Store) -> None:
        """Reading an alias of a write-only property is refused by the target; writing works."""
        _, holder = pair
        with pytest.raises(PropertyAccessError, match=re.escape("Property 'alias-target.wo' is not readable")):
            holder.property_get("woa")
        holder.property_set("woa", "w")
        assert store.values["wo"] == "w"

    def test_valid_values_forward(self, pair: tuple[Object, Object], store: Store) -> None:
        """Accepted values reach the target through every visitor."""
        target, holder = pair
        holder.property_set("animal", "alligator")
        holder.property_set_keyval("byte", "255")
        assert (target.property_get("av"), target.property_get("u8")) == ("alligator", 255)

    def test_missing_target(self, aliased: tuple[Object, Object]) -> None:
        """An alias of a missing property is refused."""
        target, front = aliased
        with pytest.raises(PropertyNotFoundError, match=re.escape("Property 'container.nope' not found")):
            front.property_add_alias("a", target, "nope")
        assert front.property_find("a") is None

    def test_duplicate_alias(self, aliased: tuple[Object, Object]) -> None:
        """An alias may not reuse a property name."""
        target, front = aliased
        msg = "attempt to add duplicate property 'type' to object (type 'container')"
        with pytest.raises(DuplicatePropertyError, match=re.escape(msg)):
            front.property_add_alias("type", target, "rate")


# --- visitors -------------------------------------------------------------------------------

#: (kind, visitor mode, raw, expected) -- the kinds are built by `_add_kind`.
VISITOR_ROWS: list[tuple[str, str, object, Expected]] = [
    # JSON mode: strict types.
    ("int", "json", 42, 42),
    ("int", "json", "42", Reject("Invalid parameter type for 'x', expected: integer")),
    ("int", "json", 4.2, Reject("Invalid parameter type for 'x', expected: integer")),
    ("int", "json", False, Reject("Invalid parameter type for 'x', expected: integer")),
    ("int", "json", 2**63, Reject("Invalid parameter type for 'x', expected: integer")),
    ("bool", "json", "on", Reject("Invalid parameter type for 'x', expected: boolean")),
    ("bool", "json", 0, Reject("Invalid parameter type for 'x', expected: boolean")),
    ("str", "json", 1.5, Reject("Invalid parameter type for 'x', expected: string")),
    ("str", "json", {"a": 1}, Reject("Invalid parameter type for 'x', expected: string")),
    ("number", "json", "3.14", Reject("Invalid parameter type for 'x', expected: number")),
    ("number", "json", False, Reject("Invalid parameter type for 'x', expected: number")),
    ("uint64", "json", -1, UINT64_MAX),
    ("uint64", "json", -(2**63), 2**63),
    ("uint64", "json", 2**64, Reject("Parameter 'x' expects uint64")),
    ("uint64", "json", "1", Reject("Parameter 'x' expects uint64")),
    ("uint8", "json", -1, Reject("Parameter 'x' expects uint8_t")),
    # Keyval mode: strings, parsed for the type asked for.
    ("int", "keyval", "42", 42),
    ("int", "keyval", "-42", -42),
    ("int", "keyval", "0x2a", 42),
    ("int", "keyval", "0X2A", 42),
    ("int", "keyval", "052", 42),
    ("int", "keyval", "0", 0),
    ("int", "keyval", "+42", 42),
    ("int", "keyval", " 42", 42),
    ("int", "keyval", "\t-42", -42),
    ("int", "keyval", "42 ", Reject("Parameter 'x' expects integer")),
    ("int", "keyval", "42x", Reject("Parameter 'x' expects integer")),
    ("int", "keyval", "4_2", Reject("Parameter 'x' expects integer")),
    ("int", "keyval", "08", Reject("Parameter 'x' expects integer")),
    ("int", "keyval", "0x", Reject("Parameter 'x' expects integer")),
    ("int", "keyval", "", Reject("Parameter 'x' expects integer")),
    ("int", "keyval", "one", Reject("Parameter 'x' expects integer")),
    ("int", "keyval", "1.0", Reject("Parameter 'x' expects integer")),
    ("int", "keyval", "\u0664\u0662", Reject("Parameter 'x' expects integer")),
    ("int", "keyval", str(INT64_MAX), INT64_MAX),
    ("int", "keyval", str(INT64_MIN), INT64_MIN),
    ("int", "keyval", str(INT64_MAX + 1), Reject("Parameter 'x' expects integer")),
    ("int", "keyval", str(INT64_MIN - 1), Reject("Parameter 'x' expects integer")),
    ("int", "keyval", "0x8000000000000000", Reject("Parameter 'x' expects integer")),
    ("int", "keyval", {"a": "1"}, Reject("Parameters 'x.*' are unexpected")),
    ("int", "keyval", ["1"], Reject("Parameters 'x.*' are unexpected")),
    ("int", "keyval", 42, Reject("Internal error: parameter x invalid")),
    ("int8", "keyval", "127", 127),
    ("int8", "keyval", "128", Reject("Parameter 'x' expects int8_t")),
    ("int8", "keyval", "-129", Reject("Parameter 'x' expects int8_t")),
    ("uint64", "keyval", "-1", UINT64_MAX),
    ("uint64", "keyval", str(UINT64_MAX), UINT64_MAX),
    ("uint64", "keyval", str(UINT64_MAX + 1), Reject("Parameter 'x' expects integer")),
    ("uint64", "keyval", "one", Reject("Parameter 'x' expects integer")),
    ("uint8", "keyval", "256", Reject("Parameter 'x' expects uint8_t")),
    ("bool", "keyval", "on", True),
    ("bool", "keyval", "yes", True),
    ("bool", "keyval", "true", True),
    ("bool", "keyval", "y", True),
    ("bool", "keyval", "off", False),
    ("bool", "keyval", "no", False),
    ("bool", "keyval", "false", False),
    ("bool", "keyval", "n", False),
    ("bool", "keyval", "ON", Reject("Parameter 'x' expects 'on' or 'off'")),
    ("bool", "keyval", "1", Reject("Parameter 'x' expects 'on' or 'off'")),
    ("bool", "keyval", "", Reject("Parameter 'x' expects 'on' or 'off'")),
    ("bool", "keyval", {"a": "on"}, Reject("Parameters 'x.*' are unexpected")),
    ("number", "keyval", "3.14", 3.14),
    ("number", "keyval", "-1", -1.0),
    ("number", "keyval", "inf", Reject("Invalid parameter type for 'x', expected: number")),
    ("number", "keyval", "1e999", Reject("Invalid parameter type for 'x', expected: number")),
    ("str", "keyval", "", ""),
    ("str", "keyval", ["a"], Reject("Parameters 'x.*' are unexpected")),
    # String visitor (object_property_parse).
    ("int", "string", "42", 42),
    ("int", "string", "0x20", 32),
    ("int", "string", "010", 8),
    ("int", "string", "-5", -5),
    ("int", "string", "abc", Reject("Parameter 'x' expects int64")),
    ("int", "string", "1-3", Reject("Parameter 'x' expects int64")),
    ("int", "string", "", Reject("Parameter 'x' expects int64")),
    ("int", "string", str(INT64_MAX + 1), Reject("Parameter 'x' expects int64")),
    ("int8", "string", "200", Reject("Parameter 'x' expects int8_t")),
    ("uint64", "string", "-1", UINT64_MAX),
    ("uint64", "string", "abc", Reject("Parameter 'x' expects uint64")),
    ("uint16", "string", "65536", Reject("Parameter 'x' expects uint16_t")),
    ("bool", "string", "on", True),
    ("bool", "string", "false", False),
    ("bool", "string", "maybe", Reject("Parameter 'x' expects 'on' or 'off'")),
    ("size", "string", "1G", 2**30),
    (
        "size",
        "string",
        "abc",
        Reject(
            "Parameter 'x' expects a non-negative number below 2^64",
            hint="Optional suffix k, M, G, T, P or E means kilo-, mega-, giga-, tera-, peta-\n"
            "and exabytes, respectively.",
        ),
    ),
    ("size", "string", str(2**64), Reject(f"Value '{2**64}' is out of range for parameter 'x'")),
    ("number", "string", "2.5", 2.5),
    ("number", "string", "x", Reject("Invalid parameter type for 'x', expected: number")),
    ("number", "string", "0x1p3", 8.0),
    ("number", "string", " -2.5", -2.5),
    ("number", "string", "1_0", Reject("Invalid parameter type for 'x', expected: number")),
    ("number", "string", "1.5 ", Reject("Invalid parameter type for 'x', expected: number")),
    ("number", "string", "\u0661", Reject("Invalid parameter type for 'x', expected: number")),
    ("number", "string", "inf", Reject("Invalid parameter type for 'x', expected: number")),
    ("str", "string", "any text, even commas", "any text, even commas"),
]


def _add_kind(obj: Object, store: Store, kind: str) -> ObjectProperty:
    get, set_ = store.get("x"), store.set("x")
    builders: dict[str, Callable[[], ObjectProperty]] = {
        "int": lambda: obj.property_add_int("x", get, set_),
        "int8": lambda: obj.property_add_int("x", get, set_, 8),
        "uint8": lambda: obj.property_add_uint("x", get, set_, 8),
        "uint16": lambda: obj.property_add_uint("x", get, set_, 16),
        "uint64": lambda: obj.property_add_uint("x", get, set_),
        "bool": lambda: obj.property_add_bool("x", get, set_),
        "str": lambda: obj.property_add_str("x", get, set_),
        "size": lambda: obj.property_add_size("x", get, set_),
        "number": lambda: obj.property_add_typed("x", NUMBER, get, set_),
    }
    return builders[kind]()


@pytest.mark.parametrize(
    ("kind", "mode", "raw", "expected"), VISITOR_ROWS, ids=[f"{k}-{m}:{r!r}" for k, m, r, _ in VISITOR_ROWS]
)
def test_visitor(obj: Object, store: Store, kind: str, mode: str, raw: object, expected: Expected) -> None:
    """Each visitor converts (or refuses) input with QEMU's wording; a refused value is never stored."""
    _add_kind(obj, store, kind)
    check(obj, store, "x", mode, raw, expected)


# --- observers -------------------------------------------------------------------------------


class TestObservers:
    def test_called_after_successful_set(self, obj: Object, store: Store) -> None:
        """An observer sees each successful set, after the value is stored, as JSON carries it."""
        obj.property_add_int("x", store.get("x"), store.set("x"), 8)
        seen: list[tuple[Object, str, Any, Any]] = []
        obj.observe("x", lambda o, name, value: seen.append((o, name, value, o.property_get(name))))
        obj.property_set("x", 1)
        obj.property_parse("x", "0x10")
        obj.property_set_keyval("x", "3")
        assert seen == [(obj, "x", 1, 1), (obj, "x", 16, 16), (obj, "x", 3, 3)]

    @pytest.mark.parametrize(
        ("mode", "raw"),
        [("json", 1000), ("json", "1"), ("string", "x"), ("keyval", {"a": "1"})],
        ids=["range", "type", "string", "keyval-dict"],
    )
    def test_not_called_after_failed_set(self, obj: Object, store: Store, mode: str, raw: object) -> None:
        """A refused value notifies nobody."""
        obj.property_add_int("x", store.get("x"), store.set("x"), 8)
        seen: list[Any] = []
        obj.observe("x", lambda o, name, value: seen.append(value))
        with pytest.raises(ParameterError):
            visit(obj, "x", mode, raw)
        assert seen == []

    def test_unobserve(self, obj: Object, store: Store) -> None:
        """The function returned by `observe` removes that observer only, and may be called twice."""
        obj.property_add_str("x", store.get("x"), store.set("x"))
        first: list[str] = []
        second: list[str] = []
        unobserve = obj.observe("x", lambda o, n, v: first.append(v))
        obj.observe("x", lambda o, n, v: second.append(v))
        obj.property_set("x", "a")
        unobserve()
        unobserve()
        obj.property_set("x", "b")
        assert (first, second) == (["a"], ["a", "b"])

    def test_only_named_property(self, obj: Object, store: Store) -> None:
        """An observer of one property is not told about another."""
        obj.property_add_str("x", store.get("x"), store.set("x"))
        obj.property_add_str("y", store.get("y"), store.set("y"))
        seen: list[str] = []
        obj.observe("x", lambda o, n, v: seen.append(n))
        obj.property_set("y", "b")
        obj.property_set("x", "a")
        assert seen == ["x"]

    def test_observer_of_class_property(self, registry: TypeRegistry, store: Store) -> None:
        """Observers are per object, also for class properties."""

        def class_init(klass: ObjectClass, data: Any) -> None:
            klass.property_add_bool("flag", store.get("flag"), store.set("flag"))

        registry.register(TypeInfo("observed", class_init=class_init))
        a, b = registry.new("observed"), registry.new("observed")
        seen: list[Object] = []
        a.observe("flag", lambda o, n, v: seen.append(o))
        b.property_set("flag", True)
        a.property_set("flag", False)
        assert seen == [a]
        a.unref()
        b.unref()

    def test_missing_property(self, obj: Object) -> None:
        """Observing a missing property fails at once."""
        with pytest.raises(PropertyNotFoundError, match=re.escape("Property 'container.nope' not found")):
            obj.observe("nope", lambda o, n, v: None)


# --- declarative API ---------------------------------------------------------------------------


@pytest.fixture
def declared(registry: TypeRegistry) -> tuple[type[Object], list[str]]:
    """A declarative `decl-dummy` type in a fresh registry, and its hook log."""
    log: list[str] = []

    @qom_type("decl-dummy", registry=registry)
    class Dummy(Object):
        bv = prop.Bool(default=False)
        sv = prop.Str(description="A string")
        av = prop.Enum("DummyAnimal", DUMMY_ANIMALS, default="frog")
        iv = prop.Int(default=-1)
        u8 = prop.UInt(8)
        i16 = prop.Int(16)
        size = prop.Size(default=4096)
        thread_pool_min = prop.Int()
        ratio = prop.Number()
        backend = prop.Link("container")
        hook_log: ClassVar[list[str]] = log

        def instance_init(self) -> None:
            self.hook_log.append(f"init:{self.iv}:{self.property_find('backend') is not None}")

        def instance_post_init(self) -> None:
            self.hook_log.append("post_init")

        def instance_finalize(self) -> None:
            self.hook_log.append("finalize")

        def complete(self) -> None:
            self.hook_log.append("complete")

    return Dummy, log


class TestDeclarative:
    def test_properties(self, registry: TypeRegistry, declared: tuple[type[Object], list[str]]) -> None:
        """Declared properties become class properties with their types, defaults and descriptions."""
        klass = registry.get_class("decl-dummy")
        table = {p.name: (p.type, p.default, p.description) for p in klass.own_properties()}
        assert table == {
            "bv": ("bool", False, None),
            "sv": ("string", UNSET, "A string"),
            "av": ("DummyAnimal", "frog", None),
            "iv": ("int", -1, None),
            "u8": ("uint8", UNSET, None),
            "i16": ("int16", UNSET, None),
            "size": ("size", 4096, None),
            "thread-pool-min": ("int", UNSET, None),
            "ratio": ("number", UNSET, None),
        }

    def test_instance(self, registry: TypeRegistry, declared: tuple[type[Object], list[str]]) -> None:
        """An instance has the declared values, the link as an instance property, and runs the hooks."""
        cls, log = declared
        obj = registry.new("decl-dummy")
        assert isinstance(obj, cls)
        assert log == ["init:-1:True", "post_init"]
        values = {p.name: obj.property_get(p.name) for p in obj.properties() if p.name != "type"}
        assert values == {
            "bv": False,
            "sv": "",
            "av": "frog",
            "iv": -1,
            "u8": 0,
            "i16": 0,
            "size": 4096,
            "thread-pool-min": 0,
            "ratio": 0.0,
            "backend": "",
        }
        assert obj.property("backend").type == "link<container>"
        assert obj.klass.property_find("backend") is None
        obj.unref()
        assert log[-1] == "finalize"

    def test_complete_slot(self, registry: TypeRegistry, declared: tuple[type[Object], list[str]]) -> None:
        """A `complete` method becomes the class's `complete` slot."""
        cls, log = declared
        obj = registry.new("decl-dummy")
        complete = getattr(obj.klass, "complete")  # noqa: B009 - a dynamic class slot
        complete(obj)
        assert log[-1] == "complete"
        obj.unref()

    @pytest.mark.parametrize(
        ("attr", "value", "stored"),
        [
            ("iv", 5, 5),
            ("iv", "5", Reject("Invalid parameter type for 'iv', expected: integer")),
            ("u8", 255, 255),
            ("u8", 256, Reject("Parameter 'u8' expects uint8_t")),
            ("i16", -32769, Reject("Parameter 'i16' expects int16_t")),
            ("bv", True, True),
            ("bv", "yes", Reject("Invalid parameter type for 'bv', expected: boolean")),
            ("sv", "text", "text"),
            ("sv", None, Reject("Invalid parameter type for 'sv', expected: string")),
            ("av", "platypus", "platypus"),
            ("av", "yeti", Reject("Parameter 'av' does not accept value 'yeti'")),
            ("size", 2**64 - 1, 2**64 - 1),
            ("size", -1, 2**64 - 1),
            ("size", "1G", Reject("Parameter 'size' expects uint64")),
            ("thread_pool_min", 3, 3),
            ("ratio", 2, 2.0),
        ],
        ids=[
            "int",
            "int-type",
            "uint8",
            "uint8-range",
            "int16-range",
            "bool",
            "bool-type",
            "str",
            "str-type",
            "enum",
            "enum-value",
            "size",
            "size-wraps",
            "size-type",
            "dashed-name",
            "number",
        ],
    )
    def test_attribute_assignment(
        self,
        registry: TypeRegistry,
        declared: tuple[type[Object], list[str]],
        attr: str,
        value: object,
        stored: Expected,
    ) -> None:
        """Assigning an attribute sets the property as qom-set would; a refused value changes nothing."""
        obj = registry.new("decl-dummy")
        name = attr.replace("_", "-")
        before = obj.property_get(name)
        if isinstance(stored, Reject):
            with pytest.raises(ParameterError, match=re.escape(stored.message)):
                setattr(obj, attr, value)
            assert getattr(obj, attr) == before
            assert obj.property_get(name) == before
        else:
            setattr(obj, attr, value)
            assert getattr(obj, attr) == stored
            assert obj.property_get(name) == stored
        obj.unref()

    def test_property_set_reaches_attribute(
        self, registry: TypeRegistry, declared: tuple[type[Object], list[str]]
    ) -> None:
        """A generic set is visible through the attribute."""
        obj = registry.new("decl-dummy")
        obj.property_parse("thread-pool-min", "0x10")
        obj.property_set_keyval("bv", "on")
        assert (getattr(obj, "thread_pool_min"), getattr(obj, "bv")) == (16, True)  # noqa: B009
        obj.unref()

    def test_link_attribute(self, registry: TypeRegistry, declared: tuple[type[Object], list[str]]) -> None:
        """Assigning a path to a link attribute sets the link; reading it gives the target."""
        target = registry.new("container")
        registry.objects_root.property_add_child("t", target)
        target.unref()
        obj = registry.new("decl-dummy")
        obj.backend = "/objects/t"  # type: ignore[attr-defined]  # declared in the fixture
        assert obj.backend is target  # type: ignore[attr-defined]
        assert obj.property_get("backend") == "/objects/t"
        with pytest.raises(DeviceNotFoundError, match=re.escape("Device '/objects/none' not found")):
            obj.backend = "/objects/none"  # type: ignore[attr-defined]
        assert obj.backend is target  # type: ignore[attr-defined]
        obj.unref()

    def test_class_access_gives_descriptor(self, declared: tuple[type[Object], list[str]]) -> None:
        """On the class, a declared attribute is its declaration."""
        cls, _ = declared
        descriptor = cls.__dict__["thread_pool_min"]
        assert isinstance(descriptor, prop.Property)
        assert getattr(cls, "thread_pool_min") is descriptor  # noqa: B009
        assert descriptor.name == "thread-pool-min"

    def test_read_only_and_check(self, registry: TypeRegistry) -> None:
        """`read_only` removes the setter; `check` may refuse a value, leaving the old one."""

        def even(obj: Object, value: int) -> None:
            if value % 2:
                msg = f"{value} is odd"
                raise ParameterError(msg)

        @qom_type("decl-checked", registry=registry)
        class Checked(Object):
            fixed = prop.Str(read_only=True, default="x")
            n = prop.Int(check=even)

        assert registry.get_class("decl-checked").property_find("fixed") is not None
        obj = registry.new("decl-checked")
        assert obj.property_get("fixed") == "x"
        with pytest.raises(PropertyAccessError, match=re.escape("Property 'decl-checked.fixed' is not writable")):
            obj.property_set("fixed", "y")
        obj.property_set("n", 4)
        with pytest.raises(ParameterError, match=re.escape("3 is odd")):
            obj.property_set("n", 3)
        assert obj.property_get("n") == 4
        obj.unref()

    def test_inheritance(self, registry: TypeRegistry, declared: tuple[type[Object], list[str]]) -> None:
        """A declarative subclass's parent type is its base's; properties and slots are inherited."""
        cls, log = declared

        @qom_type("decl-sub", registry=registry)
        class Sub(cls):  # type: ignore[valid-type, misc]  # a class from a fixture
            extra = prop.Bool()

        info = registry.type_info("decl-sub")
        assert info is not None
        assert info.parent == "decl-dummy"
        obj = registry.new("decl-sub")
        assert isinstance(obj, Sub)
        assert obj.property_find("iv") is not None
        assert obj.property_find("extra") is not None
        assert getattr(obj.klass, "complete") is getattr(registry.get_class("decl-dummy"), "complete")  # noqa: B009
        assert log == ["init:-1:True", "post_init"]
        obj.unref()

    def test_declare_without_registering(self, registry: TypeRegistry) -> None:
        """`declare_type` with `registry=None` builds the `TypeInfo` only."""

        class Loose(Object):
            flag = prop.Bool()

        info = prop.declare_type(Loose, "decl-loose", registry=None)
        assert registry.type_info("decl-loose") is None
        registry.register(info)
        obj = registry.new("decl-loose")
        assert isinstance(obj, Loose)
        assert obj.property_get("flag") is False
        obj.unref()

    def test_same_as_typeinfo(self, registry: TypeRegistry) -> None:
        """A declarative type and the equivalent `TypeInfo` + `class_init` have the same properties."""

        @qom_type("decl-eq", registry=registry)
        class Declared(Object):
            bv = prop.Bool(default=True)
            sv = prop.Str(description="A string")
            av = prop.Enum("DummyAnimal", DUMMY_ANIMALS, default="alligator")
            iv = prop.Int(default=-1)
            u16 = prop.UInt(16)
            size = prop.Size(default=4096)
            poll_max_ns = prop.Int(description="ns")
            backend = prop.Link("container")

        initial = {"bv": False, "sv": "", "av": "frog", "iv": 0, "u16": 0, "size": 0, "poll-max-ns": 0}

        def getter(name: str) -> Callable[[Object], Any]:
            return lambda obj: obj.__dict__.get(f"_v_{name}", initial[name])

        def setter(name: str) -> Callable[[Object, Any], None]:
            def set_(obj: Object, value: Any) -> None:
                obj.__dict__[f"_v_{name}"] = value

            return set_

        def class_init(klass: ObjectClass, data: Any) -> None:
            klass.property_add_bool("bv", getter("bv"), setter("bv"), default=True)
            klass.property_add_str("sv", getter("sv"), setter("sv"), description="A string")
            klass.property_add_enum("av", "DummyAnimal", DUMMY_ANIMALS, getter("av"), setter("av"), default="alligator")
            klass.property_add_int("iv", getter("iv"), setter("iv"), default=-1)
            klass.property_add_uint("u16", getter("u16"), setter("u16"), 16)
            klass.property_add_size("size", getter("size"), setter("size"), default=4096)
            klass.property_add_int("poll-max-ns", getter("poll-max-ns"), setter("poll-max-ns"), description="ns")

        def instance_init(obj: Object) -> None:
            obj.property_add_link("backend", "container", check=lambda o, n, t: None)

        registry.register(TypeInfo("plain-eq", class_init=class_init, instance_init=instance_init))

        def describe(typename: str) -> tuple[list[tuple[Any, ...]], dict[str, Any]]:
            obj = registry.new(typename)
            props = sorted(
                (p.name, p.type, p.default, p.description, p.is_readable, p.is_writable) for p in obj.properties()
            )
            values = {p.name: obj.property_get(p.name) for p in obj.properties() if p.name != "type"}
            obj.unref()
            return props, values

        assert describe("decl-eq") == describe("plain-eq")
        assert Declared.__qom_type_info__.name == "decl-eq"  # type: ignore[attr-defined]


class TestPropertyPrint:
    """`Object.property_print`: QEMU's string output visitor (``object_property_print``)."""

    @pytest.mark.parametrize(
        ("kind", "value", "plain", "human"),
        [
            ("int", 42, "42", "42 (0x2a)"),
            ("int", -1, "-1", "-1 (0xffffffffffffffff)"),
            ("int", 0, "0", "0 (0x0)"),
            ("size", 1536, "1536", "1536 (1.5 KiB)"),
            ("size", 1 << 30, "1073741824", "1073741824 (1 GiB)"),
            ("size", 0, "0", "0 (0 B)"),
            ("bool", True, "true", "true"),
            ("str", "hiss", "hiss", '"hiss"'),
            ("uint64", 2**64 - 1, "18446744073709551615", "18446744073709551615 (0xffffffffffffffff)"),
        ],
        ids=["int", "negative", "zero", "size", "size-gib", "size-zero", "bool", "str", "uint64-max"],
    )
    def test_formats(self, obj: Object, store: Store, kind: str, value: Any, plain: str, human: str) -> None:
        """Plain and human output match QEMU's (uint64 above 2^63 printed unsigned, not wrapped)."""
        store.values["p"] = value
        if kind == "size":
            obj.property_add_size("p", store.get("p"), store.set("p"))
        elif kind == "bool":
            obj.property_add_bool("p", store.get("p"), store.set("p"))
        elif kind == "str":
            obj.property_add_str("p", store.get("p"), store.set("p"))
        else:
            obj.property_add_int("p", store.get("p"), store.set("p"), signed=kind == "int")
        assert obj.property_print("p") == plain
        assert obj.property_print("p", human=True) == human


class TestOnChange:
    """``prop.X(on_change=...)``: runs after a store; a failure puts the old value back."""

    def test_applies_and_undoes(self, registry: TypeRegistry) -> None:
        applied: list[int] = []

        def on_change(obj: Any) -> None:
            if obj.level > 10:
                msg = "too high"
                raise QOMError(msg)
            applied.append(obj.level)

        @qom_type("decl-on-change", registry=registry)
        class Declared(Object):
            level = prop.Int(initial=1, on_change=on_change)

        obj = registry.new("decl-on-change")
        assert isinstance(obj, Declared)
        obj.level = 5
        obj.property_set("level", 6)
        assert applied == [5, 6]
        with pytest.raises(QOMError, match="too high"):
            obj.level = 11
        assert obj.level == obj.property_get("level") == 6
        with pytest.raises(ParameterError, match="expected: integer"):
            obj.level = "7"  # refused before anything is stored or applied
        assert applied == [5, 6]
        fresh = registry.new("decl-on-change")
        with pytest.raises(QOMError, match="too high"):
            fresh.property_set("level", 12)
        assert fresh.property_get("level") == 1  # back to the initial value, not a stored one
        obj.unref()
        fresh.unref()
