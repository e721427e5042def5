"""
The QAPI-style schema of creatable objects: loading, validation, derived entries, export.

``schemas/qom.json`` (shipped in the wheel as ``qom_py.schemas``) is written in
QEMU's QAPI syntax.  Each struct becomes an attrs class; cattrs structures a
creation request into it, one converter function per struct and input mode,
with a per-member hook that reads the value through the matching visitor, so
type errors carry QEMU's messages.  The order of checks is QEMU's: the union's
base members (``qom-type``, ``id``), then the variant's members in schema order
(base struct first), and only then unexpected members.

Types registered at run time that implement ``user-creatable`` and are not in
the static ``ObjectType`` enum join it automatically, with a properties struct
derived from their writable properties.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import attrs

from ._names import python_name
from ._object import Object, ObjectClass
from ._property import BOOL, NUMBER, SIZE, STR, EnumKind, PropertyKind, int_kind
from ._registry import TypeRegistry, default_registry
from ._unset import UNSET
from ._visitors import INT_RANGES, InputVisitor, invalid_type, type_enum
from .errors import ParameterError, QOMInternalError

if TYPE_CHECKING:
    import cattrs

# cattrs and importlib.resources are imported on first use: they cost start-up
# time (about 10 ms each) and a process that creates no object needs neither.

__all__ = [
    "Member",
    "ObjectSchema",
    "QAPISchema",
    "StructCodec",
    "StructDef",
    "UnionDef",
    "load_qapi",
    "object_schema",
    "parse_qapi",
]

#: The user-creatable interface's name (the interface itself lives one module up).
_USER_CREATABLE: Final = "user-creatable"

# -- reading QAPI syntax ----------------------------------------------------------

_QAPI_TOKEN: Final = re.compile(
    r"""\s*(?:(?P<comment>\#[^\n]*)|(?P<str>'[^'\\]*')|(?P<punct>[{}\[\]:,])|(?P<word>true|false))""",
    re.VERBOSE,
)


def parse_qapi(text: str) -> list[dict[str, Any]]:
    """
    Parse QAPI schema syntax: a sequence of JSON-like expressions with single-quoted
    strings and ``#`` comments.

    Raises:
        QOMInternalError: the text is not valid QAPI syntax (a packaging bug).
    """
    tokens: list[str | bool] = []
    pos = 0
    text = text.rstrip()
    while pos < len(text):
        m = _QAPI_TOKEN.match(text, pos)
        if m is None:
            msg = f"QAPI syntax error at offset {pos}: {text[pos:pos + 20]!r}"
            raise QOMInternalError(msg)
        pos = m.end()
        if m.group("str") is not None:
            tokens.append(m.group("str"))
        elif m.group("punct") is not None:
            tokens.append(m.group("punct"))
        elif m.group("word") is not None:
            tokens.append(m.group("word") == "true")
    exprs: list[dict[str, Any]] = []
    i = 0

    def value() -> Any:
        nonlocal i
        tok = tokens[i]
        i += 1
        if isinstance(tok, bool):
            return tok
        if tok.startswith("'"):
            return tok[1:-1]
        if tok == "{":
            result: dict[str, Any] = {}
            while tokens[i] != "}":
                key = value()
                if tokens[i] != ":":
                    raise QOMInternalError("QAPI syntax error: ':' expected")
                i += 1
                result[key] = value()
                if tokens[i] == ",":
                    i += 1
            i += 1
            return result
        if tok == "[":
            items: list[Any] = []
            while tokens[i] != "]":
                items.append(value())
                if tokens[i] == ",":
                    i += 1
            i += 1
            return items
        msg = f"QAPI syntax error: unexpected {tok!r}"
        raise QOMInternalError(msg)

    while i < len(tokens):
        expr = value()
        if not isinstance(expr, dict):
            raise QOMInternalError("QAPI syntax error: top-level expressions are objects")
        exprs.append(expr)
    return exprs


# -- the schema model -------------------------------------------------------------


@attrs.frozen
class Member:
    """One member of a QAPI struct."""

    #: The wire name.
    name: str
    #: A QAPI type name, or a one-element list for a list type.
    type: str | tuple[str, ...]
    optional: bool = False
    #: For members derived from a property: the property's kind (reads the value).
    kind: PropertyKind | None = attrs.field(default=None, eq=False)


@attrs.frozen
class StructDef:
    """A QAPI struct: optional base struct, then its own members."""

    name: str
    base: str | None
    members: tuple[Member, ...]


@attrs.frozen
class UnionDef:
    """A QAPI union with an inline base and a discriminator."""

    name: str
    base: tuple[Member, ...]
    discriminator: str
    variants: Mapping[str, str]


def _members(data: Mapping[str, Any]) -> tuple[Member, ...]:
    result = []
    for key, typ in data.items():
        optional = key.startswith("*")
        name = key[1:] if optional else key
        if isinstance(typ, list):
            typ = tuple(typ)
        elif isinstance(typ, dict):
            typ = typ["type"]
        result.append(Member(name, typ, optional))
    return tuple(result)


#: QAPI's built-in scalar types as property kinds (a kind knows how a visitor reads it).
_BUILTINS: Final[dict[str, PropertyKind]] = {
    "str": STR,
    "bool": BOOL,
    "number": NUMBER,
    "size": SIZE,
    "any": PropertyKind(),
    **{
        ("int" if signed else "uint") + ("" if bits == 64 and signed else str(bits)): int_kind(bits, signed)
        for bits, signed in INT_RANGES
    },
}


class QAPISchema:
    """The enums, structs and unions of one QAPI schema file."""

    def __init__(self, exprs: Iterable[Mapping[str, Any]]) -> None:
        self.enums: dict[str, tuple[str, ...]] = {}
        self.structs: dict[str, StructDef] = {}
        self.unions: dict[str, UnionDef] = {}
        for expr in exprs:
            if "enum" in expr:
                values = [v if isinstance(v, str) else v["name"] for v in expr["data"]]
                self.enums[expr["enum"]] = tuple(values)
            elif "struct" in expr:
                self.structs[expr["struct"]] = StructDef(expr["struct"], expr.get("base"), _members(expr["data"]))
            elif "union" in expr:
                self.unions[expr["union"]] = UnionDef(
                    expr["union"], _members(expr["base"]), expr["discriminator"], dict(expr["data"])
                )

    def all_members(self, struct: str) -> tuple[Member, ...]:
        """The members of *struct*, its base's first."""
        sdef = self.structs[struct]
        base = self.all_members(sdef.base) if sdef.base else ()
        return base + sdef.members


def load_qapi(resource: str = "qom.json") -> QAPISchema:
    """Load a schema file shipped in ``qom_py.schemas`` (or ``schemas/`` of a source tree)."""
    import importlib.resources

    try:
        text = importlib.resources.files("qom_py.schemas").joinpath(resource).read_text(encoding="utf-8")
    except ModuleNotFoundError:  # running from a source checkout, not an installed wheel
        text = (Path(__file__).resolve().parent.parent / "schemas" / resource).read_text(encoding="utf-8")
    return QAPISchema(parse_qapi(text))


# -- structuring with cattrs ------------------------------------------------------


def _attrs_class(name: str, members: tuple[Member, ...]) -> type:
    # init=False: cattrs then builds the instance empty (optional members UNSET)
    # and sets each member it finds, instead of collecting keyword arguments
    # first -- 15% less time per request.  Not frozen: a frozen class's __init__
    # costs twice as much, and these instances live only between structuring and
    # reading them back.
    fields = {
        python_name(m.name): attrs.field(default=UNSET if m.optional else attrs.NOTHING, init=False)
        for m in members
    }
    return attrs.make_class(name, fields, slots=True)


class StructCodec:
    """How one struct is checked in one input mode (and at one name prefix): built once, cached."""

    __slots__ = ("attributes", "kinds", "known", "prefix", "structure", "values", "wire_names")

    def __init__(self, structure: Callable[[Mapping[str, Any]], Any], members: tuple[Member, ...],
                 kinds: tuple[PropertyKind | None, ...], extra_known: tuple[str, ...], prefix: str) -> None:
        #: The cattrs function: request mapping -> attrs instance (reads members only).
        self.structure = structure
        #: Names that are not unexpected: the members, and *extra_known* (the union's base).
        self.known = frozenset(m.name for m in members) | frozenset(extra_known)
        #: The members' wire names, in schema order.
        self.wire_names = tuple(m.name for m in members)
        #: The attrs attribute holding each member.
        self.attributes = tuple(python_name(m.name) for m in members)
        #: The kind each member's value is checked as (None: not a scalar).
        self.kinds = kinds
        #: What member names are prefixed with in messages (``"a."`` inside member ``a``).
        self.prefix = prefix
        #: attrs instance -> the tuple of its member values, in one C call.
        self.values: Callable[[Any], tuple[Any, ...]]
        if len(self.attributes) >= 2:
            self.values = operator.attrgetter(*self.attributes)
        else:
            self.values = lambda typed: tuple(getattr(typed, a) for a in self.attributes)

    def check(self, data: Mapping[str, Any]) -> Any:
        """
        Structure *data*: every member in schema order, then leftovers.

        Returns:
            the attrs instance; members absent from *data* are `UNSET`.

        Raises:
            ParameterError: ``Parameter 'x' is missing`` / ``... is unexpected`` / a
            member's type error.
        """
        try:
            typed = self.structure(data)
        except KeyError as exc:
            msg = f"Parameter '{self.prefix}{exc.args[0]}' is missing"
            raise ParameterError(msg) from None
        if not self.known.issuperset(data):  # the common case costs one C call
            unexpected = next(name for name in data if name not in self.known)
            msg = f"Parameter '{self.prefix}{unexpected}' is unexpected"
            raise ParameterError(msg)
        return typed

    def as_dict(self, typed: Any) -> dict[str, Any]:
        """The members *typed* has values for, by wire name, in schema order."""
        return {
            name: value for name, value in zip(self.wire_names, self.values(typed), strict=True) if value is not UNSET
        }


class ObjectSchema:
    """
    Validation of creation requests against ``ObjectOptions``, static and derived.

    One per registry; `object_schema` gives the default registry's.
    """

    def __init__(self, qapi: QAPISchema, registry: TypeRegistry) -> None:
        self.qapi = qapi
        self.registry = registry
        self._union = qapi.unions["ObjectOptions"]
        self._base_names = tuple(m.name for m in self._union.base)
        self._converter: cattrs.Converter | None = None
        # (struct key, visitor mode, name prefix) -> how to structure it
        self._codecs: dict[tuple[str, str, str], StructCodec] = {}
        # (qom-type, visitor mode) -> the variant's codec (a shortcut into _codecs)
        self._variant_codecs: dict[tuple[str, str], StructCodec] = {}
        self._classes: dict[str, type] = {}
        # Derived structs by type name; None until first needed (see _refresh).
        self._derived: dict[str, StructDef | None] = {}
        self._derived_generation = -1
        self._types: tuple[str, ...] = ()
        self._type_set: frozenset[str] = frozenset()

    # -- the type list ------------------------------------------------------

    def _refresh(self) -> None:
        # Derived structs follow the registry's types and their class properties.
        generation = self.registry.revision
        if generation == self._derived_generation:
            return
        static = self.qapi.enums["ObjectType"]
        derived: dict[str, StructDef | None] = {}
        for klass in self.registry.class_get_list(_USER_CREATABLE, include_abstract=False):
            if klass.type_name not in static:
                # FIX (tests/test_schema.py, test_failing_instance_init_stays_local):
                # derive lazily, in struct_for.  Deriving every type here built a
                # throwaway instance of each, so one type whose instance_init fails
                # made every creation (``iothread,id=x`` too) fail with its error.
                derived[klass.type_name] = None
        for name in list(self._codecs):
            if name[0].startswith("derived:"):
                del self._codecs[name]
        self._variant_codecs.clear()
        self._derived = derived
        self._types = static + tuple(derived)
        self._type_set = frozenset(self._types)
        self._derived_generation = generation

    def object_types(self) -> tuple[str, ...]:
        """The accepted ``qom-type`` values: the schema's ``ObjectType``, then derived ones."""
        self._refresh()
        return self._types

    def struct_for(self, typename: str) -> StructDef:
        """The properties struct of the creatable *typename* (flattened, base first)."""
        self._refresh()
        if typename in self._derived:
            sdef = self._derived[typename]
            if sdef is None:  # derived on first use (see _refresh)
                sdef = derive_struct(self.registry.get_class(typename))
                self._derived[typename] = sdef
            return sdef
        struct = self._union.variants[typename]
        return StructDef(struct, None, self.qapi.all_members(struct))

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
        return qom_type, id_, codec.as_dict(codec.check(data))

    def dispatch(self, data: Mapping[str, Any], visitor: InputVisitor) -> tuple[str, str, StructCodec]:
        """
        Check the union's base members of *data*; return ``(qom_type, id, variant codec)``.

        The variant's members are checked next, by ``codec.check(data)`` (QEMU's order).
        """
        if not isinstance(data, dict) and not isinstance(data, Mapping):
            raise invalid_type("<anonymous>", "object")
        if self._derived_generation != self.registry.revision:
            self._refresh()
        try:
            qom_type = data["qom-type"]
        except KeyError:
            raise ParameterError("Parameter 'qom-type' is missing") from None
        if type(qom_type) is not str or qom_type not in self._type_set:
            if type(qom_type) is str:
                self.registry.class_by_name(qom_type)  # a broken type raises its own error
            qom_type = type_enum(visitor, "qom-type", qom_type, self._types)
        try:
            id_ = data["id"]
        except KeyError:
            raise ParameterError("Parameter 'id' is missing") from None
        if type(id_) is not str:
            id_ = visitor.type_str("id", id_)
        codec = self._variant_codecs.get((qom_type, visitor.mode))
        if codec is None:
            key = f"derived:{qom_type}" if qom_type in self._derived else self._union.variants[qom_type]
            codec = self._codec(key, qom_type, visitor, "")
            self._variant_codecs[qom_type, visitor.mode] = codec
        return qom_type, id_, codec

    def structure(self, key: str, typename: str, data: Mapping[str, Any], visitor: InputVisitor,
                  prefix: str = "") -> dict[str, Any]:
        """Structure *data* as the struct *key*, checking members then leftovers."""
        codec = self._codec(key, typename, visitor, prefix)
        return codec.as_dict(codec.check(data))

    def _codec(self, key: str, typename: str, visitor: InputVisitor, prefix: str) -> StructCodec:
        codec = self._codecs.get((key, visitor.mode, prefix))
        if codec is None:
            if key.startswith("derived:"):
                members = self.struct_for(typename).members
            else:
                members = self.qapi.all_members(key)
            # At the top level the union's base members are known too.
            extra = self._base_names if not prefix else ()
            kinds = tuple(self._member_kind(m) for m in members)
            codec = StructCodec(self._make_structure_fn(key, members, visitor, prefix), members, kinds, extra, prefix)
            self._codecs[key, visitor.mode, prefix] = codec
        return codec

    def _make_structure_fn(self, key: str, members: tuple[Member, ...], visitor: InputVisitor,
                           prefix: str) -> Callable[[Mapping[str, Any]], Any]:
        cls = self._classes.get(key)
        if cls is None or key.startswith("derived:"):
            cls = _attrs_class(key.replace("derived:", "Derived_").replace("-", "_"), members)
            self._classes[key] = cls
        import cattrs
        from cattrs.gen import make_dict_structure_fn, override

        if self._converter is None:
            self._converter = cattrs.Converter()
        overrides = {
            python_name(m.name): override(rename=m.name, struct_hook=self._member_hook(m, visitor, prefix + m.name))
            for m in members
        }
        fn: Callable[[Mapping[str, Any]], Any] = make_dict_structure_fn(
            cls,
            self._converter,
            _cattrs_forbid_extra_keys=False,  # leftovers are checked after the members, as QEMU does
            _cattrs_detailed_validation=False,  # the first error wins, as in QMP
            # (cattrs checks required members before optional ones; the variants of
            # qom.json have optional members only, so the order is the schema's.)
            _cattrs_include_init_false=True,  # the fields are init=False, see _attrs_class
            **overrides,  # type: ignore[arg-type]  # cattrs types **overrides as if they could hit its bool keywords
        )
        return fn

    def _kind_of(self, typ: str) -> PropertyKind | None:
        """The kind of a scalar QAPI type (a built-in or an enum), or None."""
        kind = _BUILTINS.get(typ)
        if kind is None and typ in self.qapi.enums:
            kind = EnumKind(typ, self.qapi.enums[typ])
        return kind

    def _member_kind(self, member: Member) -> PropertyKind | None:
        """The kind a scalar member is read as (None for lists and structs)."""
        if member.kind is not None:
            return member.kind
        return None if isinstance(member.type, tuple) else self._kind_of(member.type)

    def _member_hook(self, member: Member, visitor: InputVisitor, name: str) -> Callable[[Any, Any], Any]:
        typ = member.type
        kind = self._member_kind(member)
        if kind is not None:
            return kind.hook(visitor, name)
        if isinstance(typ, tuple):
            return self._list_hook(typ[0], visitor, name)
        if typ in self.qapi.structs:
            return lambda raw, _t: self._nested(typ, raw, visitor, name)
        msg = f"schema member '{name}' has unknown type '{typ}'"
        raise QOMInternalError(msg)

    def _nested(self, struct: str, raw: Any, visitor: InputVisitor, name: str) -> dict[str, Any]:
        if not isinstance(raw, dict):
            raise invalid_type(name, "object")
        return self.structure(struct, struct, raw, visitor, prefix=name + ".")

    def _list_hook(self, item_type: str, visitor: InputVisitor, name: str) -> Callable[[Any, Any], Any]:
        def hook(raw: Any, _t: Any) -> list[Any]:
            if not isinstance(raw, list):
                raise invalid_type(name, "array")
            result = []
            for i, item in enumerate(raw):
                item_name = f"{name}.{i}" if visitor.mode == "keyval" else f"{name}[{i}]"
                result.append(self._member_hook(Member(item_name, item_type), visitor, item_name)(item, None))
            return result

        return hook

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
        for m in self.struct_for(typename).members:
            props[m.name] = self._json_type(m)
            if not m.optional:
                required.append(m.name)
        return {
            "title": typename,
            "type": "object",
            "properties": props,
            "required": required,
            "additionalProperties": False,
        }

    def _json_type(self, member: Member) -> dict[str, Any]:
        typ: Any = member.type
        if member.kind is not None:
            typ = member.kind.schema_type
            values = getattr(member.kind, "values", None)
            if values is not None:
                return {"enum": list(values)}
        if isinstance(typ, tuple):
            return {"type": "array", "items": self._json_type(Member(member.name, typ[0]))}
        if typ == "str":
            return {"type": "string"}
        if typ == "bool":
            return {"type": "boolean"}
        if typ == "number":
            return {"type": "number"}
        if typ == "int":
            return {"type": "integer", "minimum": -(2**63), "maximum": 2**63 - 1}
        if typ in ("size", "uint64"):
            return {"type": "integer", "minimum": 0, "maximum": 2**64 - 1}
        for (bits, signed), (low, high, _) in INT_RANGES.items():
            if typ == ("int" if signed else "uint") + str(bits):
                return {"type": "integer", "minimum": low, "maximum": high}
        if typ in self.qapi.enums:
            return {"enum": list(self.qapi.enums[typ])}
        if typ in self.qapi.structs:
            members = self.qapi.all_members(typ)
            return {
                "type": "object",
                "properties": {m.name: self._json_type(m) for m in members},
                "required": [m.name for m in members if not m.optional],
                "additionalProperties": False,
            }
        return {}


def derive_struct(klass: ObjectClass) -> StructDef:
    """
    Derive the properties struct of *klass* from its writable properties.

    Class properties come first (root class first), then the instance properties
    a throwaway instance has (QEMU's ``qom-list-properties`` makes one too).
    """
    members: list[Member] = []
    seen: set[str] = set()
    for ancestor in reversed(list(klass.ancestors())):
        for prop in ancestor.own_properties():
            if prop.set is not None and prop.name not in seen:
                seen.add(prop.name)
                members.append(_member_of(prop.name, prop.type, prop.kind))
    if not klass.abstract:
        obj: Object = klass.registry.new(klass.type_name)
        try:
            for prop in list(obj._properties.values()):
                if prop.set is not None and prop.name not in seen:
                    seen.add(prop.name)
                    members.append(_member_of(prop.name, prop.type, prop.kind))
        finally:
            obj.unref()
    return StructDef(f"derived:{klass.type_name}", None, tuple(members))


def _member_of(name: str, type_: str, kind: PropertyKind | None) -> Member:
    if kind is not None:
        return Member(name, kind.schema_type, optional=True, kind=kind)
    if type_.startswith("link<"):
        return Member(name, "str", optional=True)
    return Member(name, "any", optional=True)


_schemas: dict[int, ObjectSchema] = {}


def object_schema(registry: TypeRegistry = default_registry) -> ObjectSchema:
    """The `ObjectSchema` of *registry* (loaded from ``schemas/qom.json`` once)."""
    schema = _schemas.get(id(registry))
    if schema is None:
        schema = ObjectSchema(load_qapi(), registry)
        _schemas[id(registry)] = schema
    return schema
