"""
The schema of creatable objects: one view of the QAPI schema per registry.

``schemas/`` (read by `qom_py.qapi.load_schema`) holds QEMU 7.2's
``ObjectOptions`` for the hosted types.  Each `TypeRegistry` gets its own
`ObjectSchema`: a copy of the shipped schema, plus, for each user-creatable
type registered at run time and not in the static ``ObjectType`` enum, a
struct derived from its writable properties as an ``ObjectOptions`` branch.
The view follows ``registry.revision``.  Every check is the engine's
(`qom_py.qapi.Checker`): the union's base members (``qom-type``, ``id``), then
the branch's members in schema order (base struct first), then leftovers.

While the registry's schema is the shipped one, not loaded (`TypeRegistry.qapi_table`),
and no run-time type needs a derived branch, the checks work from the shipped
schema's check table, as QEMU's generated visitors do: a daemon's ``--object``
options need no schema model.  What needs the model (`ObjectSchema.current`,
`ObjectSchema.branch`, `ObjectSchema.json_schema`, a derived branch) loads it,
and the view works from the model from then on.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final

from .._names import camel_name
from ..errors import QOMError
from ..qapi._checker import Checker, MemberCheck, Mode, check_leftovers
from ..qapi._visitors import INT_RANGES, InputVisitor
from ._object import Object, ObjectClass
from ._property import BOOL, NUMBER, SIZE, STR, EnumKind, IntKind, ObjectProperty, PropertyKind, int_kind
from ._registry import TypeRegistry, default_registry

if TYPE_CHECKING:
    from ..qapi import Member, ObjectType, QAPISchema

__all__ = ["ObjectSchema", "StructCodec", "add_derived_struct", "derive_members", "json_type", "object_schema"]

#: The user-creatable interface's name (the interface itself lives one module up).
_USER_CREATABLE: Final = "user-creatable"
#: The union every creation request is checked as.
_OPTIONS: Final = "ObjectOptions"

#: QAPI's built-in scalar types as property kinds: a member checked as one of
#: these needs no second check when the property has that very kind.
_BUILTINS: Final[dict[str, PropertyKind]] = {
    "str": STR,
    "bool": BOOL,
    "number": NUMBER,
    "size": SIZE,
    **{
        ("int" if signed else "uint") + ("" if bits == 64 and signed else str(bits)): int_kind(bits, signed)
        for bits, signed in INT_RANGES
    },
}


def _mode(mode: str) -> Mode:
    """The engine's mode for a visitor's (creation requests come as JSON or keyval)."""
    if mode == "keyval":
        return "keyval"
    if mode == "json":
        return "json"
    msg = f"object options are read in JSON or keyval mode, not {mode}"
    raise ValueError(msg)


class StructCodec:
    """
    How one ``ObjectOptions`` branch is checked in one mode: built once per view.

    `check` runs the engine's member check of the branch, then QEMU's
    leftover check over the whole request (the union's base consumed too).
    """

    __slots__ = ("base_names", "kinds", "members", "wire_names")

    def __init__(
        self,
        wire_names: tuple[str, ...],
        check: MemberCheck,
        base_names: tuple[str, ...],
        kinds: tuple[PropertyKind | None, ...],
    ) -> None:
        #: The engine's check of the branch's members.
        self.members = check
        #: The union's base members (consumed before the branch's).
        self.base_names = base_names
        #: The members' wire names, in schema order.
        self.wire_names = wire_names
        #: The property kind each member's checked value is good for as is (None: none).
        self.kinds = kinds

    def check(self, data: Mapping[str, Any]) -> dict[str, Any]:
        """
        Check the branch's members of *data*, then its leftovers.

        Returns:
            the members present, checked, by wire name in schema order.

        Raises:
            ParameterError: QEMU's message for the first problem met.
        """
        typed = self.members(data, "")
        if len(typed) + len(self.base_names) != len(data):
            check_leftovers(data, (*self.base_names, *typed), "")
        return typed


class ObjectSchema:
    """
    Creation requests against ``ObjectOptions``, static and derived, for one registry.

    `object_schema` gives a registry's; `current` its QAPI schema view.
    """

    def __init__(self, registry: TypeRegistry) -> None:
        self.registry = registry
        self._revision = -1
        # The view with derived branches; None while the checks work from the shipped table.
        self._view: QAPISchema | None = None
        # Types derived from the registry: type name -> its struct, None until first needed.
        self._derived: dict[str, str | None] = {}
        self._types: tuple[str, ...] = ()
        self._type_set: frozenset[str] = frozenset()
        # (qom-type, mode) -> the branch's codec; mode -> the union's base check
        self._codecs: dict[tuple[str, str], StructCodec] = {}
        self._base: dict[str, MemberCheck] = {}
        self._base_names: tuple[str, ...] = ()
        self._checker = self._refresh()

    @staticmethod
    def of(registry: TypeRegistry) -> ObjectSchema:
        """The `ObjectSchema` of *registry* (made on first use, kept with the registry)."""
        found: ObjectSchema | None = registry.memo.get("object-schema")
        if found is None:
            found = ObjectSchema(registry)
            registry.memo["object-schema"] = found
        return found

    # -- the view -----------------------------------------------------------

    def _refresh(self) -> Checker:
        """Follow the registry (its revision; a model loaded meanwhile); return the checker."""
        revision = self.registry.revision
        if revision == self._revision and (self._view is not None or self.registry.qapi_table() is not None):
            return self._checker
        table = self.registry.qapi_table()
        checker = Checker(self.registry.qapi_schema) if table is None else Checker.from_table(table)
        entry = checker.entry("ObjectType")
        assert entry[0] == "enum", entry
        static = entry[1]
        derived: dict[str, str | None] = {}
        for klass in self.registry.class_get_list(_USER_CREATABLE, include_abstract=False):
            if klass.type_name not in static:
                # FIX (tests/test_schema.py, test_failing_instance_init_stays_local):
                # derive lazily, in struct_for.  Deriving every type here built a
                # throwaway instance of each, so one type whose instance_init fails
                # made every creation (``iothread,id=x`` too) fail with its error.
                derived[klass.type_name] = None
        if table is not None and not derived:
            self._set_view(None, checker)
        else:
            view = self.registry.qapi_schema.copy()
            if derived:
                view.add_union_branches(_OPTIONS, dict.fromkeys(derived))
            self._set_view(view, Checker(view))
        self._derived = derived
        self._types = static + tuple(derived)
        self._type_set = frozenset(self._types)
        self._revision = revision
        return self._checker

    def _set_view(self, view: QAPISchema | None, checker: Checker) -> None:
        self._view = view
        self._checker = checker
        self._codecs.clear()
        self._base.clear()
        entry = checker.entry(_OPTIONS)
        assert entry[0] == "object", entry
        self._base_names = tuple(name for name, _, _ in entry[1])

    def _model_view(self) -> QAPISchema:
        """The view, from the model (loaded now if the checks worked from the table)."""
        self._refresh()
        if self._view is None:
            self.registry.qapi_schema  # noqa: B018 - loads the model: the next refresh builds the view from it
            self._refresh()
        assert self._view is not None
        return self._view

    def _derive(self, typename: str) -> str:
        """Add the derived struct of *typename* to the view; return its name."""
        struct = self._derived.get(typename)
        if struct is None:
            view = self._model_view().copy()
            struct = add_derived_struct(view, self.registry.get_class(typename))
            view.add_union_branches(_OPTIONS, {typename: struct})
            self._set_view(view, Checker(view))
            self._derived[typename] = struct
        return struct

    def current(self) -> QAPISchema:
        """
        The registry's QAPI schema: the shipped one, every run-time type's branch included.

        A type whose throwaway instance cannot be made (its ``instance_init``
        fails) keeps an empty branch.  Do not modify the result.
        """
        self._model_view()
        for typename, struct in list(self._derived.items()):
            if struct is None:
                try:
                    self._derive(typename)
                except QOMError:
                    pass
        return self._model_view()

    @property
    def checker(self) -> Checker:
        """The engine's checker of the view (as far as derived so far; from the table while it serves)."""
        return self._refresh()

    def object_types(self) -> tuple[str, ...]:
        """The accepted ``qom-type`` values: the schema's ``ObjectType``, then derived ones."""
        self._refresh()
        return self._types

    def branch(self, typename: str) -> ObjectType:
        """The branch struct of the creatable *typename* (derived on first use)."""
        view = self._model_view()
        if typename in self._derived:
            struct = self._derive(typename)  # may replace the view
            return self._model_view().object_type(struct)
        return view.object_type(self._branch_name(typename))

    def _branch_name(self, typename: str) -> str:
        """The name of *typename*'s ``ObjectOptions`` branch struct, by the checker's entries."""
        entry = self._checker.entry(_OPTIONS)
        assert entry[0] == "object" and entry[2] is not None, entry
        for case, struct in entry[2][1]:
            if case == typename:
                return struct
        raise KeyError(typename)

    def struct_for(self, typename: str) -> ObjectType:
        """The properties struct of the creatable *typename*: `branch` (its `members` flattened, base first)."""
        return self.branch(typename)

    # -- validation ------------------------------------------------------------

    def validate(self, data: Mapping[str, Any], visitor: InputVisitor) -> tuple[str, str, dict[str, Any]]:
        """
        Check one ``ObjectOptions`` request; return ``(qom_type, id, properties)``.

        *properties* maps wire names to values typed as JSON would carry them,
        in schema member order.

        Raises:
            ParameterError: QEMU's message for the first problem found.
        """
        qom_type, id_, codec = self.dispatch(data, visitor)
        return qom_type, id_, codec.check(data)

    def dispatch(self, data: Mapping[str, Any], visitor: InputVisitor) -> tuple[str, str, StructCodec]:
        """
        Check the union's base members of *data*; return ``(qom_type, id, branch codec)``.

        The branch's members are checked next, by ``codec.check(data)`` (QEMU's order).
        """
        if self._revision != self.registry.revision:
            self._refresh()
        mode = visitor.mode
        base = self._base.get(mode)
        if base is None:
            base = self._base_check(mode)
        if not isinstance(data, dict):
            self._checker.compile(_OPTIONS, _mode(mode))(data, "", None)  # raises its message for a non-object
        asked = data.get("qom-type")
        if type(asked) is str and asked not in self._type_set:
            self.registry.class_by_name(asked)  # a broken type raises its own error
        head = base(data, "")
        qom_type: str = head["qom-type"]
        codec = self._codecs.get((qom_type, mode))
        if codec is None:
            codec = self._codec(qom_type, _mode(mode))
        return qom_type, head["id"], codec

    def _base_check(self, mode: str) -> MemberCheck:
        entry = self._checker.entry(_OPTIONS)
        assert entry[0] == "object" and entry[3] is not None, entry
        base = self._checker.members(entry[3], _mode(mode))
        self._base[mode] = base
        return base

    def _codec(self, qom_type: str, mode: Mode) -> StructCodec:
        if qom_type in self._derived:
            self._derive(qom_type)  # the view (and checker) change
        struct = self._branch_name(qom_type)
        entry = self._checker.entry(struct)
        assert entry[0] == "object", entry
        members = entry[1]
        kinds = tuple(self._kind_of(typ) for _, _, typ in members)
        wire_names = tuple(name for name, _, _ in members)
        codec = StructCodec(wire_names, self._checker.members(struct, mode), self._base_names, kinds)
        self._codecs[qom_type, mode] = codec
        return codec

    def _kind_of(self, typ: str) -> PropertyKind | None:
        """The property kind a value checked as QAPI type *typ* is good for (a built-in or an enum)."""
        kind = _BUILTINS.get(typ)
        if kind is None:
            entry = self._checker.entry(typ)
            if entry[0] == "enum":
                kind = EnumKind(typ, entry[1])
        return kind

    # -- export ---------------------------------------------------------------

    def json_schema(self, typename: str | None = None) -> dict[str, Any]:
        """
        Return a JSON Schema (draft 2020-12) of creation requests.

        For *typename*, the schema of that type's ``object-add`` arguments; for
        None, a ``oneOf`` over every creatable type.
        """
        if typename is None:
            return {
                "$schema": "https://json-schema.org/draft/2020-12/schema",
                "title": "ObjectOptions",
                "oneOf": [self._type_schema(t) for t in self.object_types()],
            }
        schema = self._type_schema(typename)
        schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
        return schema

    def _type_schema(self, typename: str) -> dict[str, Any]:
        props: dict[str, Any] = {
            "qom-type": {"const": typename},
            "id": {"type": "string", "pattern": r"^[A-Za-z][A-Za-z0-9._-]*$"},
        }
        required = ["qom-type", "id"]
        members = self.struct_for(typename).members
        for m in members:
            props[m.name] = self._json_type(m)
            if not m.optional:
                required.append(m.name)
        klass = self.registry.class_by_name(typename)
        if klass is not None:
            for name, (low, high) in declared_ranges(klass, [m.name for m in members if "minimum" in props[m.name]]):
                props[name]["minimum"], props[name]["maximum"] = low, high
        return {
            "title": typename,
            "type": "object",
            "properties": props,
            "required": required,
            "additionalProperties": False,
        }

    def _json_type(self, member: Member) -> dict[str, Any]:
        return json_type(self._model_view(), member.type)


def json_type(schema: QAPISchema, type_name: str) -> dict[str, Any]:
    """The JSON Schema of values of the QAPI type *type_name* (what the checker accepts in JSON mode)."""
    if type_name == "str":
        return {"type": "string"}
    if type_name == "bool":
        return {"type": "boolean"}
    if type_name == "number":
        return {"type": "number"}
    if type_name == "null":
        return {"type": "null"}
    if type_name in ("int", "int64"):
        return {"type": "integer", "minimum": -(2**63), "maximum": 2**63 - 1}
    if type_name in ("size", "uint64"):
        # QEMU's JSON visitor also takes negative int64 values, modulo 2**64.
        return {"type": "integer", "minimum": -(2**63), "maximum": 2**64 - 1}
    for (bits, signed), (low, high, _) in INT_RANGES.items():
        if type_name == ("int" if signed else "uint") + str(bits):
            return {"type": "integer", "minimum": low, "maximum": high}
    typ = schema.lookup_type(type_name)
    if typ is None or type_name == "any":
        return {}
    if typ.meta == "enum":
        return {"enum": list(schema.enum_type(type_name).value_names)}
    if typ.meta == "array":
        return {"type": "array", "items": json_type(schema, schema.resolve_type(type_name).element_type)}  # type: ignore[attr-defined]
    if typ.meta == "alternate":
        branches = typ.variants.variants  # type: ignore[attr-defined]
        return {"anyOf": [json_type(schema, v.type) for v in branches]}
    obj = schema.object_type(type_name)
    result: dict[str, Any] = {
        "type": "object",
        "properties": {m.name: json_type(schema, m.type) for m in obj.members},
        "required": [m.name for m in obj.members if not m.optional],
        "additionalProperties": False,
    }
    if obj.variants is not None:
        del result["additionalProperties"]
    return result


def declared_ranges(klass: ObjectClass, names: list[str]) -> list[tuple[str, tuple[int, int]]]:
    """
    The integer properties among *names* with a declared range: ``(name, (minimum, maximum))`` each.

    Ranges are declared (``prop.Int(minimum=...)``, ``property_add_int(...,
    maximum=...)``), never probed: class properties are read from the class;
    only when a name is none of those is a throwaway instance made to read its
    instance properties (as derived structs make one), and never given a value.
    """
    found: list[tuple[str, tuple[int, int]]] = []
    missing: list[str] = []
    for name in names:
        prop = klass.property_find(name)
        if prop is None:
            missing.append(name)
        elif isinstance(prop.kind, IntKind) and prop.kind.has_range:
            found.append((name, prop.kind.bounds))
    if missing and not klass.abstract:
        try:
            obj: Object = klass.registry.new(klass.type_name)
        except QOMError:
            return found
        try:
            for name in missing:
                prop = obj.property_find(name)
                if prop is not None and isinstance(prop.kind, IntKind) and prop.kind.has_range:
                    found.append((name, prop.kind.bounds))
        finally:
            obj.unref()
    return found


def derive_members(klass: ObjectClass) -> list[ObjectProperty]:
    """
    The writable properties of *klass* a derived struct has, in member order.

    Class properties come first (root class first), then the instance properties
    a throwaway instance has (QEMU's ``qom-list-properties`` makes one too).
    """
    props: list[ObjectProperty] = []
    seen: set[str] = set()
    for ancestor in reversed(list(klass.ancestors())):
        for prop in ancestor.own_properties():
            if prop.set is not None and prop.name not in seen:
                seen.add(prop.name)
                props.append(prop)
    if not klass.abstract:
        obj: Object = klass.registry.new(klass.type_name)
        try:
            for prop in list(obj.properties()):
                if prop.set is not None and prop.name not in seen:
                    seen.add(prop.name)
                    props.append(prop)
        finally:
            obj.unref()
    return props


def add_derived_struct(schema: QAPISchema, klass: ObjectClass) -> str:
    """
    Add the properties struct of *klass* to *schema*, derived from its writable properties.

    Members are optional and typed by the property's kind (an enum kind's enum
    is defined too, unless *schema* has it already), ``link<T>`` as ``str``,
    anything else ``any``.  Named as QEMU names branches: ``test-widget`` ->
    ``TestWidgetProperties``.

    Returns:
        the struct's name.
    """
    name = f"{camel_name(klass.type_name)}Properties"
    while name in schema:
        name = f"QomPy{name}"
    exprs: list[dict[str, Any]] = []
    data: dict[str, Any] = {}
    for prop in derive_members(klass):
        data[f"*{prop.name}"] = _member_type(schema, prop, exprs)
    exprs.append({"struct": name, "data": data})
    schema.add(exprs, f"<{klass.type_name}>")
    return name


def _member_type(schema: QAPISchema, prop: ObjectProperty, exprs: list[dict[str, Any]]) -> Any:
    from .._qapi_property import QAPIKind  # structured properties: the schema model is loaded by now

    kind = prop.kind
    if isinstance(kind, QAPIKind):
        return list(kind.type_expr) if isinstance(kind.type_expr, tuple) else kind.type_expr
    if isinstance(kind, EnumKind):
        existing = schema.lookup_type(kind.enum_name)
        if existing is None and not any(e.get("enum") == kind.enum_name for e in exprs):
            exprs.append({"enum": kind.enum_name, "data": list(kind.values)})
        elif existing is not None and (
            existing.meta != "enum" or schema.enum_type(kind.enum_name).value_names != kind.values
        ):
            return "str"  # a clashing name: checked by the property's own setter
        return kind.enum_name
    if kind is not None:
        return kind.schema_type
    if prop.type.startswith("link<"):
        return "str"
    return "any"


def object_schema(registry: TypeRegistry = default_registry) -> ObjectSchema:
    """The `ObjectSchema` of *registry* (made on first use and kept with it)."""
    return ObjectSchema.of(registry)
