"""
The schema of creatable objects: one view of the QAPI schema per registry.

``schemas/`` (read by `qom_py.qapi.load_schema`) holds QEMU 7.2's
``ObjectOptions`` for the hosted types.  Each `TypeRegistry` gets its own
`ObjectSchema`: a copy of the registry's schema (the view), plus, for each
user-creatable type registered at run time and not in the static
``ObjectType`` enum, a struct derived from its writable properties, added to
the view when the type is first needed.  Every check is the engine's
(`qom_py.qapi.Checker`): the union's base members (``qom-type``, ``id``), then
the branch's members in schema order (base struct first), then leftovers.

The view grows in place, so one more type costs O(its own properties), not
O(all types): a run-time type's request is checked by the union's base with
``qom-type`` read as a string (its value already known to name a creatable
type), then by the type's struct; the whole union, ``ObjectType`` listing
every run-time type, is assembled by `ObjectSchema.current` once per registry
revision.  QOM names are free strings: derived structs are exempt from QAPI's
naming rules (`QAPISchema.add_derived`); see `_add_struct` for enum names.

While the registry's schema is the shipped one, not loaded (`TypeRegistry.qapi_table`),
the checks work from the shipped schema's check table, as QEMU's generated
visitors do: a daemon's ``--object`` options need no schema model, and a
run-time type's struct then goes to the checker as a table entry.  What needs
the model (`ObjectSchema.current`, `ObjectSchema.branch`,
`ObjectSchema.json_schema`, a structured property) loads it, and the view
works from the model from then on (the derived structs made anew in it).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final

from .._util.names import camel_name
from ..errors import QAPITypeNotFoundError, QOMError
from ..qapi._checker import Checker, MemberCheck, Mode, check_leftovers
from ..qapi._visitors import InputVisitor
from ._object import Object, ObjectClass
from ._property import BUILTIN_KINDS, EnumKind, IntKind, ObjectProperty, PropertyKind
from ._registry import TypeRegistry, default_registry

if TYPE_CHECKING:
    from ..qapi import ObjectType, QAPISchema
    from ..qapi._source import SourceInfo
    from ..qapi._table import TypeEntry
    from ._qapi_property import QAPIKind

__all__ = ["ObjectSchema", "StructCodec", "add_derived_struct", "derive_members", "object_schema"]

#: The user-creatable interface's name (the interface itself lives one module up).
_USER_CREATABLE: Final = "user-creatable"
#: The union every creation request is checked as.
_OPTIONS: Final = "ObjectOptions"
#: The view's copy of the union's base with the tag read as a string (run-time types' requests start with it).
_HEAD: Final = "q_qompy_ObjectOptions-head"
#: The class memo key of a run-time type's derived branch.
_DERIVED: Final = "object-schema-branch"


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


class _Branch:
    """A run-time type's derived branch in one view (kept in the class's memo: it goes with the class's properties)."""

    __slots__ = ("codecs", "generation", "kinds", "owner", "struct")

    def __init__(
        self, owner: ObjectSchema, generation: int, struct: str, kinds: tuple[PropertyKind | None, ...]
    ) -> None:
        self.owner = owner
        #: The view generation the struct was added to.
        self.generation = generation
        #: The struct's name in the view.
        self.struct = struct
        #: Per member, the property kind its checked value is good for (None: none).
        self.kinds = kinds
        #: mode -> the branch's codec.
        self.codecs: dict[str, StructCodec] = {}


class ObjectSchema:
    """
    Creation requests against ``ObjectOptions``, static and derived, for one registry.

    `object_schema` gives a registry's; `current` its QAPI schema view.

    The view grows in place, one type at a time: a run-time type's struct (and
    the enums its properties need) is added to it when the type is first
    needed, at a cost of O(its own properties), and requests of that type are
    checked by the union's base members (``qom-type`` read as a string, its
    value known to be a creatable type) and then the struct's.  (Without a
    schema model the struct is a table entry of the checker.)  `current`
    assembles the whole union (``ObjectType`` with every run-time type) once
    per revision of the registry.  The view is made anew (a copy of the
    registry's schema) only when that schema grows (`qom_py.qapi_load`).
    """

    def __init__(self, registry: TypeRegistry) -> None:
        self.registry = registry
        self._revision = -1
        # The view the derived structs go to; None while the checks work from the shipped table.
        self._view: QAPISchema | None = None
        # The registry's schema and its size when the view was copied from it.
        self._source: tuple[QAPISchema, int] | None = None
        # Bumped with every new view: branches derived into an older one are stale.
        self._generation = 0
        # The types derived into the view so far; those served at this revision (the hot path's).
        self._structs: set[str] = set()
        self._served: dict[str, _Branch] = {}
        # (enum name, values) of a property kind -> the view's enum checking it.
        self._enums: dict[tuple[str, tuple[str, ...]], str] = {}
        # The ``ObjectType`` values of the schema (the static types).
        self._static: frozenset[str] = frozenset()
        self._static_types: tuple[str, ...] = ()
        # (qom-type, mode) -> a static branch's codec; mode -> the union's base check / the head check
        self._codecs: dict[tuple[str, str], StructCodec] = {}
        self._base: dict[str, MemberCheck] = {}
        self._head: dict[str, MemberCheck] = {}
        self._base_names: tuple[str, ...] = ()
        self._plain_head = False
        # (registry revision, the accepted qom-type values); ((revision, generation), the whole view)
        self._listed: tuple[int, tuple[str, ...]] | None = None
        self._full: tuple[tuple[int, int], QAPISchema] | None = None
        self._checker = self._refresh(force=True)

    @staticmethod
    def of(registry: TypeRegistry) -> ObjectSchema:
        """The `ObjectSchema` of *registry* (made on first use, kept with the registry)."""
        found = registry.caches.object_schema
        if found is None:
            found = registry.caches.object_schema = ObjectSchema(registry)
        return found

    # -- the view -----------------------------------------------------------

    def _refresh(self, *, force: bool = False) -> Checker:
        """Follow the registry (a model loaded, its schema grown); return the checker."""
        revision = self.registry.revision
        if revision == self._revision and not force:
            return self._checker
        self._revision = revision
        self._served.clear()  # a class may have changed: look again
        table = self.registry.qapi_table()
        if table is not None:
            if self._view is not None or force:
                self._set_view(None, Checker.from_table(table))
            return self._checker
        schema = self.registry.qapi_schema
        if self._view is None or self._source != (schema, len(schema)):
            self._new_view()
        return self._checker

    def _new_view(self) -> None:
        """Start a view from the registry's schema (the derived branches follow on demand)."""
        schema = self.registry.qapi_schema
        view = schema.copy()
        self._source = (schema, len(schema))
        self._set_view(view, Checker(view))

    def _set_view(self, view: QAPISchema | None, checker: Checker) -> None:
        self._view = view
        self._checker = checker
        self._generation += 1
        self._structs.clear()
        self._served.clear()
        self._enums.clear()
        self._codecs.clear()
        self._base.clear()
        self._head.clear()
        self._full = None
        entry = checker.entry("ObjectType")
        assert entry[0] == "enum", entry
        self._static_types = entry[1]
        self._static = frozenset(entry[1])
        entry = checker.entry(_OPTIONS)
        assert entry[0] == "object" and entry[3] is not None, entry
        self._base_names = tuple(name for name, _, _ in entry[1])
        # The union's base with the tag read as a string: run-time types are not
        # values of the view's ObjectType (adding each would cost O(all types)).
        tag = entry[2][0] if entry[2] is not None else ""
        base = checker.entry(entry[3])
        assert base[0] == "object", base
        head = tuple((name, optional, "str" if name == tag else typ) for name, optional, typ in base[1])
        checker.define(_HEAD, ("object", head, None, None))
        # The shipped head: qom-type (checked by then) and a string id, which a string passes as is.
        self._plain_head = head == (("qom-type", False, "str"), ("id", False, "str"))

    def _model_view(self) -> QAPISchema:
        """The view, from the model (loaded now if the checks worked from the table)."""
        self._refresh()
        if self._view is None:
            self.registry.qapi_schema  # noqa: B018 - loads the model: the refresh builds the view from it
            self._refresh(force=True)
        assert self._view is not None
        return self._view

    def _derived_branch(self, typename: str) -> _Branch | None:
        """The branch of the run-time creatable *typename* (derived on first use), or None if it is none."""
        klass = self.registry.class_by_name(typename)  # a broken type raises its own error
        if klass is None or klass.abstract or klass.dynamic_cast(_USER_CREATABLE) is None:
            return None
        found: _Branch | None = klass.memo.get(_DERIVED)
        if found is None or found.owner is not self or found.generation != self._generation:
            found = self._derive(klass)
        return found

    def _derive(self, klass: ObjectClass) -> _Branch:
        """
        Add the derived struct of *klass* to the view: O(its properties).

        While the checks work from the shipped table (no schema model), the
        struct goes to the checker as a table entry, and to a view once the
        model is loaded: a daemon's first creation of a run-time type loads no model.
        """
        props = derive_members(klass)  # may realize classes, load the model, grow the registry's schema
        self._refresh(force=self._view is None and self.registry.qapi_table() is None)
        if klass.type_name in self._structs:
            # Derived before, for a class since replaced or given new properties:
            # the checker knows the old struct by its name, so start anew.
            if self._view is None:
                self._refresh(force=True)
            else:
                self._new_view()
        self._structs.add(klass.type_name)
        target = _TableTarget(self._checker) if self._view is None else _SchemaTarget(self._view)
        struct, kinds = target.add(klass.type_name, props, self._base_names, self._enums)
        branch = _Branch(self, self._generation, struct, kinds)
        klass.memo[_DERIVED] = branch
        return branch

    def current(self) -> QAPISchema:
        """
        The registry's QAPI schema: the shipped one, every run-time type's branch included.

        A type whose throwaway instance cannot be made (its ``instance_init``
        fails) keeps an empty branch.  Made once per revision of the registry
        (O(all types)).  Do not modify the result.
        """
        self._model_view()
        key = (self.registry.revision, self._generation)
        if self._full is not None and self._full[0] == key:
            return self._full[1]
        while True:
            typenames = self.object_types()[len(self._static_types) :]  # may register promised types
            view = self._model_view()
            generation = self._generation
            branches: dict[str, str | None] = {}
            for typename in typenames:
                try:
                    branch = self._derived_branch(typename)
                except QOMError:
                    branch = None
                branches[typename] = None if branch is None else branch.struct
            if self._model_view() is view and generation == self._generation:  # no new view meanwhile
                break
        full = view.copy()
        if branches:
            full.add_union_branches(_OPTIONS, branches)
        self._full = ((self.registry.revision, self._generation), full)
        return full

    @property
    def checker(self) -> Checker:
        """The engine's checker of the view (as far as derived so far; from the table while it serves)."""
        return self._refresh()

    def object_types(self) -> tuple[str, ...]:
        """The accepted ``qom-type`` values: the schema's ``ObjectType``, then the run-time types."""
        self._refresh()
        listed = self._listed
        if listed is None or listed[0] != self.registry.revision:
            derived = tuple(
                klass.type_name
                for klass in self.registry.class_get_list(_USER_CREATABLE, include_abstract=False)
                if klass.type_name not in self._static
            )
            listed = self._listed = (self.registry.revision, self._static_types + derived)
        return listed[1]

    def branch(self, typename: str) -> ObjectType:
        """The branch struct of the creatable *typename* (derived on first use)."""
        view = self._model_view()
        if typename not in self._static:
            while True:  # until no new view came meanwhile (a lookup may register promised types)
                found = self._derived_branch(typename)
                if found is None:
                    raise KeyError(typename)
                view = self._model_view()
                if found.generation == self._generation:
                    return view.object_type(found.struct)
        return view.object_type(self._branch_name(typename))

    def _branch_name(self, typename: str) -> str:
        """The name of the static *typename*'s ``ObjectOptions`` branch struct, by the checker's entries."""
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
        if not isinstance(data, dict):
            self._checker.compile(_OPTIONS, mode)(data, "", None)  # raises its message for a non-object
        asked = data.get("qom-type")
        if type(asked) is str and asked not in self._static:
            found = self._served.get(asked)
            if found is None:
                found = self._derived_branch(asked)
                if found is not None:
                    self._served[asked] = found
            if found is not None:  # else the base check refuses the value, in QEMU's words
                id_ = data.get("id")
                if type(id_) is not str or not self._plain_head:  # the head check has more to say
                    head = self._head.get(mode)
                    if head is None:
                        head = self._head[mode] = self._checker.members(_HEAD, mode)
                    id_ = head(data, "")["id"]
                codec = found.codecs.get(mode)
                if codec is None:
                    codec = self._derived_codec(found, mode)
                return asked, id_, codec
        base = self._base.get(mode)
        if base is None:
            base = self._base_check(mode)
        fields = base(data, "")
        qom_type: str = fields["qom-type"]
        codec = self._codecs.get((qom_type, mode))
        if codec is None:
            codec = self._codec(qom_type, mode)
        return qom_type, fields["id"], codec

    def _base_check(self, mode: Mode) -> MemberCheck:
        entry = self._checker.entry(_OPTIONS)
        assert entry[0] == "object" and entry[3] is not None, entry
        base = self._checker.members(entry[3], mode)
        self._base[mode] = base
        return base

    def _derived_codec(self, branch: _Branch, mode: Mode) -> StructCodec:
        entry = self._checker.entry(branch.struct)
        assert entry[0] == "object", entry
        wire_names = tuple(name for name, _, _ in entry[1])
        codec = StructCodec(wire_names, self._checker.members(branch.struct, mode), self._base_names, branch.kinds)
        branch.codecs[mode] = codec
        return codec

    def _codec(self, qom_type: str, mode: Mode) -> StructCodec:
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
        kind = BUILTIN_KINDS.get(typ)
        if kind is None:
            entry = self._checker.entry(typ)
            if entry[0] == "enum":
                kind = EnumKind(typ, entry[1])
        return kind

    # -- export ---------------------------------------------------------------

    def json_schema(self, typename: str | None = None) -> dict[str, Any]:
        """
        Return a JSON Schema (draft 2020-12) of creation requests (`qom_py.qapi.json_schema` makes it).

        For *typename*, the schema of that type's ``object-add`` arguments; for
        None, a ``oneOf`` over every creatable type.
        """
        from ..qapi.json_schema import DIALECT

        if typename is None:
            return {
                "$schema": DIALECT,
                "title": "ObjectOptions",
                "oneOf": [self._type_schema(t) for t in self.object_types()],
            }
        schema = self._type_schema(typename)
        schema["$schema"] = DIALECT
        return schema

    def _type_schema(self, typename: str) -> dict[str, Any]:
        from ..qapi.json_schema import request_schema

        head = {
            "qom-type": {"const": typename},
            "id": {"type": "string", "pattern": r"^[A-Za-z][A-Za-z0-9._-]*$"},
        }
        klass = self.registry.class_by_name(typename)

        def ranges(names: list[str]) -> list[tuple[str, tuple[int, int]]]:
            return [] if klass is None else declared_ranges(klass, names)

        return request_schema(self._model_view(), typename, head, self.struct_for(typename).members, ranges)


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

    Members are optional and typed by the property's kind (see `_derive_struct`),
    ``link<T>`` as ``str``, anything else ``any``.  Named as QEMU names
    branches: ``test-widget`` -> ``TestWidgetProperties``.

    Returns:
        the struct's name.
    """
    return _SchemaTarget(schema).add(klass.type_name, derive_members(klass), (), {})[0]


#: A QAPI type name as QAPI's rules have it (CamelCase; ``...List`` is an array's).
_QAPI_TYPE_NAME: Final = re.compile(r"[A-Z][A-Za-z0-9]*[a-z][A-Za-z0-9]*")


class _Target:
    """
    Where derived types go: a schema view (entities) or, without a model, a checker (table entries).

    QOM names are free strings: the struct and its enums are added as built,
    exempt from QAPI's naming rules.  An enum kind is checked by the enum of
    that name when it has exactly the kind's values, else by one added for it:
    under the kind's own name when that is a QAPI type name no other
    definition has, else under a mapped name (``my-color`` -> ``QomPyMyColor``);
    the *enums* memo of `add` remembers the choice.  The type string users see
    (``qom-list-properties``, help) is the property's: the name it was given.
    """

    def defined(self, name: str) -> TypeEntry | None:
        """The check-table entry of the type *name*, or None if there is none."""
        raise NotImplementedError

    def add_enum(self, name: str, values: tuple[str, ...], info: SourceInfo) -> None:
        raise NotImplementedError

    def add_struct(self, name: str, members: list[tuple[str, str]], info: SourceInfo) -> None:
        raise NotImplementedError

    def qapi_type(self, kind: QAPIKind) -> str:
        """The name of a structured kind's type here (a model is loaded: the kind exists)."""
        raise NotImplementedError

    def add(
        self,
        typename: str,
        props: list[ObjectProperty],
        skip: tuple[str, ...],
        enums: dict[tuple[str, tuple[str, ...]], str],
    ) -> tuple[str, tuple[PropertyKind | None, ...]]:
        """
        Add the struct of the run-time type *typename* with members *props*; O(len(props)).

        Members named in *skip* (the union's base members) are left out: a
        request's ``id`` is the union's.

        Returns:
            the struct's name, and per member the property kind its checked value
            is good for as is (None: the property's setter checks again).
        """
        from ..qapi._source import SourceInfo
        from ._qapi_property import QAPIKind  # a kind only structured properties have

        info = SourceInfo(f"<{typename}>", 1)
        name = f"{camel_name(typename)}Properties"
        while self.defined(name) is not None:
            name = f"QomPy{name}"
        members: list[tuple[str, str]] = []
        kinds: list[PropertyKind | None] = []
        for prop in props:
            if prop.name in skip:
                continue
            kind = prop.kind
            good: PropertyKind | None = None
            if type(kind) is QAPIKind:
                typ = self.qapi_type(kind)
                good = kind if typ == kind.qapi_type else None
            elif type(kind) is EnumKind:
                typ = self._enum(kind, info, enums)
                good = kind
            elif kind is not None and kind.schema_type in BUILTIN_KINDS:
                typ = kind.schema_type
                good = BUILTIN_KINDS[typ] if BUILTIN_KINDS[typ] == kind else None
            elif prop.type.startswith("link<"):
                typ = "str"
            else:
                typ = "any"
            members.append((prop.name, typ))
            kinds.append(good)
        self.add_struct(name, members, info)
        return name, tuple(kinds)

    def _enum(self, kind: EnumKind, info: SourceInfo, enums: dict[tuple[str, tuple[str, ...]], str]) -> str:
        """The name of the enum checking *kind*'s values (added if need be)."""
        key = (kind.enum_name, kind.values)
        found = enums.get(key)
        if found is not None:
            return found
        name = kind.enum_name
        existing = self.defined(name)
        if existing is None or existing[0] != "enum" or tuple(existing[1]) != kind.values:
            if existing is not None or not _QAPI_TYPE_NAME.fullmatch(name) or name.endswith("List"):
                stem = camel_name(name)
                stem = f"QomPy{stem}" if stem[:1].isalpha() else f"QomPyEnum{stem}"
                stem += "Enum" if stem.endswith("List") else ""
                name = stem
                i = 1
                while self.defined(name) is not None:
                    i += 1
                    name = f"{stem}{i}"
            self.add_enum(name, kind.values, info)
        enums[key] = name
        return name


class _SchemaTarget(_Target):
    """Derived types as entities of a schema view (`QAPISchema.add_derived`)."""

    def __init__(self, schema: QAPISchema) -> None:
        self.schema = schema

    def defined(self, name: str) -> TypeEntry | None:
        from ..qapi._table import type_entry

        typ = self.schema.lookup_type(name)
        if typ is None:
            return None if name not in self.schema else ("builtin", "value")  # a command's or event's name
        if typ.meta == "enum":
            return ("enum", self.schema.enum_type(name).value_names)
        if typ.meta == "alternate":
            return ("alternate", ())
        return type_entry(self.schema, typ)

    def add_enum(self, name: str, values: tuple[str, ...], info: SourceInfo) -> None:
        from ..qapi._entities import EnumType, EnumValue

        self.schema.add_derived([EnumType(name=name, info=info, values=[EnumValue(name=v) for v in values])])

    def add_struct(self, name: str, members: list[tuple[str, str]], info: SourceInfo) -> None:
        from ..qapi._entities import Member, ObjectType

        built = [Member(name=member, type=typ, optional=True, defined_in=name) for member, typ in members]
        self.schema.add_derived([ObjectType(name=name, info=info, local_members=built, members=built)])

    def qapi_type(self, kind: QAPIKind) -> str:
        return self.schema.resolve_type(kind.type_expr).name


class _TableTarget(_Target):
    """Derived types as entries of a checker working from the shipped table (no schema model)."""

    def __init__(self, checker: Checker) -> None:
        self.checker = checker

    def defined(self, name: str) -> TypeEntry | None:
        try:
            return self.checker.entry(name)
        except QAPITypeNotFoundError:
            return None

    def add_enum(self, name: str, values: tuple[str, ...], info: SourceInfo) -> None:
        self.checker.define(name, ("enum", values))

    def add_struct(self, name: str, members: list[tuple[str, str]], info: SourceInfo) -> None:
        self.checker.define(name, ("object", tuple((member, True, typ) for member, typ in members), None, None))

    def qapi_type(self, kind: QAPIKind) -> str:
        msg = "a structured property's type needs the schema model"  # loaded when the kind was made
        raise AssertionError(msg)


def object_schema(registry: TypeRegistry = default_registry) -> ObjectSchema:
    """The `ObjectSchema` of *registry* (made on first use and kept with it)."""
    return ObjectSchema.of(registry)
