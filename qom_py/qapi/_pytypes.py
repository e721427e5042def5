"""
Every QAPI type as a Python type, built from a `QAPISchema` on demand.

* a struct is a frozen, keyword-only attrs class; its attributes are the
  members in Python form (`qom_py.qapi._pynames.py_name`: ``poll-max-ns`` ->
  ``poll_max_ns``), in QEMU's order (the base's first, as a subclass of the
  base's class); an optional member defaults to None (absent);
* an enum is an `enum.Enum` whose values are the QAPI strings (member names
  in Python form: ``q_if``);
* an array ``['T']`` is ``tuple[T, ...]``;
* a union is a class of the base's attributes, with one subclass per branch
  (``ObjectOptions_iothread``) whose tag attribute is fixed (not an argument);
* an alternate is the Python union of its branches' types; ``any`` stays JSON
  (`typing.Any`), ``null`` is None, ``number`` is float, every integer type int.

`PyTypes` (one per schema: `py_types`, kept with the schema) makes a type's
class the first time it is asked for, with the classes it refers to; the
schema may grow meanwhile: new types are made on first use, and when
definitions already made change (`QAPISchema.add_union_branches`, followed
through `QAPISchema.generation`) the classes grow in place -- the union's
class gets the new branches' classes, the tag's enum the new members -- and
the compiled checks are made anew.  `PyTypes.from_json`
checks JSON with `qom_py.qapi.Checker` (QEMU's messages) and then structures
it with the cattrs converter of `qom_py.qapi._convert`; `PyTypes.to_json`
gives QEMU's JSON back, QAPI names, base members first.

An absent optional member is None, unless its type admits null (``any``,
an alternate with a ``null`` branch): then None is the null value, and an
absent member is `qom_py.qapi._convert.ABSENT` (QEMU's ``has_*`` flag).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Final, cast

import attrs

from ._convert import ABSENT, Absent, QAPIMembers, make_converter
from ._entities import AlternateType, ArrayType, BuiltinType, EnumType, ObjectType, SchemaType
from ._pynames import branch_class_name, enum_member_name, py_name

if TYPE_CHECKING:
    import cattrs

    from ._checker import Checker, Mode
    from ._schema import QAPISchema, TypeExpr

__all__ = ["BUILTIN_PY_TYPES", "PyTypes", "py_types"]

#: The Python type of each built-in QAPI type, as an annotation.
BUILTIN_PY_TYPES: Final = {
    "str": "str",
    "number": "float",
    "int": "int",
    "int8": "int",
    "int16": "int",
    "int32": "int",
    "int64": "int",
    "uint8": "int",
    "uint16": "int",
    "uint32": "int",
    "uint64": "int",
    "size": "int",
    "bool": "bool",
    "any": "Any",
    "null": "None",
}

_MISSING: Final = object()
_MODULE: Final = "qom_py.qapi.types"  # the __module__ of the classes made here


def _admits_null(annotation: str) -> bool:
    """Whether a value of *annotation* may be null (None): then an absent optional member is `ABSENT`."""
    return annotation == "Any" or "None" in annotation.split(" | ")


def _field(annotation: str, **kwargs: Any) -> Any:
    """An attribute of *annotation* (a string: resolved once the classes it names exist)."""
    return attrs.field(type=annotation, **kwargs)  # type: ignore[call-overload]  # attrs takes strings


class PyTypes:
    """The Python types of one schema's QAPI types (see the module's description)."""

    def __init__(self, schema: QAPISchema) -> None:
        #: The schema the types come from.
        self.schema = schema
        #: The cattrs converter the classes are registered with.
        self.converter: cattrs.Converter = make_converter()
        self._namespace: dict[str, Any] = {"Any": Any, "None": None, "Absent": Absent}
        self._annotations: dict[str, str] = {}  # QAPI type name -> annotation in _namespace
        self._unions: dict[str, ObjectType] = {}  # union name -> the entity its branches were made from
        self._enums: dict[str, type[enum.Enum]] = {}  # enum name -> its class (made or adopted)
        self._generation = schema.generation  # the schema's, when the classes were last followed up
        self._pending: list[type] = []  # classes whose annotations are not resolved yet
        self._checker: Checker | None = None
        self._py_types: dict[object, Any] = {}  # type expression (a list as a tuple) -> Python type
        #: (type expression, mode) -> the compiled check, the structure hook, the Python type.
        self._from_json: dict[tuple[object, str], tuple[Any, Any, Any]] = {}

    # -- public ---------------------------------------------------------------------

    def py_type(self, type_expr: TypeExpr) -> Any:
        """The Python type of *type_expr* (``"FirewallRule"``, ``["str"]``)."""
        if self._generation != self.schema.generation:
            self._follow_schema()
        key = type_expr if isinstance(type_expr, str) else tuple(type_expr)
        found = self._py_types.get(key, _MISSING)
        if found is _MISSING:
            annotation = self.annotation(type_expr)
            found = self._py_types[key] = eval(annotation, self._namespace)  # made here from names
        return found

    def annotation(self, type_expr: TypeExpr) -> str:
        """The Python type of *type_expr* as an annotation (``tuple[FirewallRule, ...]``), made on first use."""
        if self._generation != self.schema.generation:
            self._follow_schema()
        typ = self.schema.resolve_type(type_expr)
        outermost = not self._pending
        try:
            return self._annotation(typ)
        finally:
            if outermost:
                self._resolve_pending()

    def adopt(self, name: str, cls: type, members: QAPIMembers | None = None) -> None:
        """Use the hand-written *cls* for the QAPI type *name* (an attrs class with ``__qapi_members__``, or an enum)."""
        key = py_name(name)
        if attrs.has(cls):
            attrs.resolve_types(cls)  # string annotations (a generated module's): the converter reads the types
        self._namespace[key] = cls
        self._annotations[name] = key
        if issubclass(cls, enum.Enum):
            self._enums[name] = cls
        self._py_types.clear()  # a type asked for before may be this one now
        self._from_json.clear()
        if members is not None:
            type.__setattr__(cls, "__qapi_members__", members)
            type.__setattr__(cls, "__qapi_name__", name)

    def adopt_module(self, module: Any) -> None:
        """Use the classes and enums of a module written by ``gen-python`` (its ``TYPES``) for their QAPI types."""
        for name, value in module.TYPES.items():
            if isinstance(value, type) and name in self.schema:
                self.adopt(name, value)
                for branch in value.__dict__.get("__qapi_branches__", {}).values():
                    attrs.resolve_types(branch)

    def is_adopted(self, name: str, cls: type) -> bool:
        """True when *cls* is the Python type of the QAPI type *name*."""
        key = self._annotations.get(name)
        return key is not None and self._namespace.get(key) is cls

    def structure(self, value: Any, type_expr: TypeExpr) -> Any:
        """*value*, checked JSON of *type_expr*, as its Python type."""
        return self.converter.structure(value, self.py_type(type_expr))

    def from_json(self, type_expr: TypeExpr, value: object, mode: Mode = "json", name: str | None = None) -> Any:
        """
        Check *value* as *type_expr* (QEMU's messages), then build its Python value.

        Raises:
            ParameterError: QEMU's message for the first problem met.
        """
        if self._generation != self.schema.generation:
            self._follow_schema()
        key = (type_expr if isinstance(type_expr, str) else tuple(type_expr), mode)
        found = self._from_json.get(key)
        if found is None:
            py_type = self.py_type(type_expr)
            check = self.checker.compile(self.schema.resolve_type(type_expr).name, mode)
            found = self._from_json[key] = (check, self.converter.get_structure_hook(py_type), py_type)
        check, structure, py_type = found
        return structure(check(value, "" if name is None else name, name), py_type)

    def to_json(self, value: Any) -> Any:
        """The JSON of a value of these types: QAPI names, QEMU's member order, absent optional members left out."""
        return self.converter.unstructure(value)

    @property
    def checker(self) -> Checker:
        """The checker of `schema`."""
        if self._checker is None:
            from ._checker import Checker

            self._checker = Checker(self.schema)
        return self._checker

    # -- building -------------------------------------------------------------------

    def _annotation(self, typ: SchemaType) -> str:
        found = self._annotations.get(typ.name)
        if found is not None:
            return found
        if isinstance(typ, BuiltinType):
            annotation = BUILTIN_PY_TYPES[typ.name]
        elif isinstance(typ, ArrayType):
            element = self.schema.resolve_type(typ.element_type)
            annotation = f"tuple[{self._annotation(element)}, ...]"
        elif isinstance(typ, EnumType):
            annotation = self._enum(typ)
        elif isinstance(typ, AlternateType):
            branches = [self._annotation(self.schema.variant_type(v)) for v in typ.variants.variants]
            annotation = " | ".join(dict.fromkeys(branches))
        else:
            assert isinstance(typ, ObjectType)
            annotation = self._object(typ)
        self._annotations[typ.name] = annotation
        return annotation

    def _enum(self, typ: EnumType) -> str:
        key = py_name(typ.name)
        cls = enum.Enum(key, [(enum_member_name(v), v) for v in typ.value_names], module=_MODULE)  # type: ignore[misc]  # the functional API with a computed name
        cls.__qapi_name__ = typ.name  # type: ignore[attr-defined]  # our marker on a made class
        self._namespace[key] = cls
        self._enums[typ.name] = cast("type[enum.Enum]", cls)  # pyright reads the functional call as a member
        return key

    def _members(self, members: tuple[Any, ...]) -> tuple[dict[str, Any], QAPIMembers]:
        fields: dict[str, Any] = {}
        names: list[tuple[str, str, bool]] = []
        for member in members:
            attr = py_name(member.name)
            annotation = self._annotation(self.schema.member_type(member))
            if member.optional and _admits_null(annotation):
                fields[attr] = _field(f"{annotation} | Absent", default=ABSENT)
            elif member.optional:
                fields[attr] = _field(f"{annotation} | None", default=None)
            else:
                fields[attr] = _field(annotation)
            names.append((attr, member.name, member.optional))
        return fields, tuple(names)

    def _make_class(self, key: str, qapi_name: str, fields: dict[str, Any], members: QAPIMembers, base: type) -> type:
        # Not slotted: the converter builds an instance by setting its __dict__ at once (fast).
        cls = attrs.make_class(key, fields, bases=(base,), frozen=True, kw_only=True, slots=False)
        cls.__module__ = _MODULE
        type.__setattr__(cls, "__qapi_generated__", True)
        type.__setattr__(cls, "__qapi_members__", members)
        type.__setattr__(cls, "__qapi_name__", qapi_name)
        self._pending.append(cls)
        return cls

    def _object(self, typ: ObjectType) -> str:
        key = py_name(typ.name)
        self._annotations[typ.name] = key  # before the members: a member may refer back
        base: type = object
        inherited: tuple[Any, ...] = ()
        if typ.base is not None:
            base = self._namespace[self._annotation(self.schema.resolve_type(typ.base))]
            inherited = self.schema.object_type(typ.base).members
        own = typ.members[len(inherited) :]
        fields, members = self._members(own)
        base_members: QAPIMembers = getattr(base, "__qapi_members__", ())
        cls = self._make_class(key, typ.name, fields, base_members + members, base)
        self._namespace[key] = cls
        if typ.variants is not None:
            tag_member = typ.member(typ.variants.tag)
            assert tag_member is not None
            type.__setattr__(cls, "__qapi_branches__", {})
            type.__setattr__(cls, "__qapi_tag__", typ.variants.tag)
            self._unions[typ.name] = ObjectType(name="")  # no branch made yet
            self._add_branches(typ)
        return key

    def _add_branches(self, union: ObjectType) -> None:
        """Make the classes of *union*'s branches not made yet (the schema adds branches at run time)."""
        assert union.variants is not None
        cls = self._namespace[self._annotations[union.name]]
        branches: dict[str, type] = cls.__qapi_branches__
        tag = union.variants.tag
        tag_member = union.member(tag)
        assert tag_member is not None
        tag_annotation = self._annotation(self.schema.member_type(tag_member))
        tag_enum = self._namespace[tag_annotation]
        self._unions[union.name] = union
        for variant in union.variants.variants:
            if variant.case in branches:
                continue
            # All attributes again, in QEMU's order, so that the tag stays where the base has it.
            fields, members = self._members(union.members + self.schema.object_type(variant.type).members)
            tag_attr = py_name(tag)
            fields[tag_attr] = _field(tag_annotation, default=tag_enum(variant.case), init=False)
            key = branch_class_name(union.name, variant.case)
            branch = self._make_class(key, union.name, fields, members, cls)
            type.__setattr__(branch, "__qapi_case__", variant.case)
            self._namespace[key] = branch
            branches[variant.case] = branch

    def _follow_schema(self) -> None:
        """Follow the schema's changed definitions: grow the enums and unions made, compile the checks anew."""
        self._generation = self.schema.generation
        self._checker = None  # a checker compiles each definition once
        self._from_json.clear()
        for name, cls in self._enums.items():
            _grow_enum(cls, self.schema.enum_type(name).value_names)
        outermost = not self._pending
        for name, made in list(self._unions.items()):
            union = self.schema.object_type(name)
            if union is not made:
                self._add_branches(union)
        if outermost:
            self._resolve_pending()

    def _resolve_pending(self) -> None:
        pending, self._pending = self._pending, []
        for cls in pending:
            attrs.resolve_types(cls, globalns=self._namespace, localns=self._namespace)


def _grow_enum(cls: type[enum.Enum], values: Iterable[str]) -> None:
    """
    Give the enum class *cls* a member for each of *values* it lacks, in place.

    The schema grew the enum (`QAPISchema.add_union_branches`); the class
    stays the one every class, hook and user already holds.  The members are
    made as `enum.EnumType` makes its own (Python 3.11 to 3.13).
    """
    for value in values:
        if value in cls._value2member_map_:
            continue
        name = enum_member_name(value)
        member = object.__new__(cls)
        member._name_ = name
        member._value_ = value
        object.__setattr__(member, "_sort_order_", len(cls._member_names_))
        type.__setattr__(cls, name, member)  # EnumType.__setattr__ refuses to set a member
        cls._member_names_.append(name)
        cls._member_map_[name] = member
        cls._value2member_map_[value] = member


#: The `QAPISchema.derived` key of a schema's `PyTypes`.
_DERIVED: Final = "py_types"


def py_types(schema: QAPISchema) -> PyTypes:
    """The `PyTypes` of *schema*, made on first use and kept with the schema (dropped with it)."""
    found: PyTypes | None = schema.derived.get(_DERIVED)
    if found is None:
        found = schema.derived[_DERIVED] = PyTypes(schema)
    return found
