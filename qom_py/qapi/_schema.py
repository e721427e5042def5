"""
The schema: QEMU's ``QAPISchema`` (scripts/qapi/schema.py) as a queryable model.

A `QAPISchema` starts with QEMU's predefined entities (the built-ins, each
followed by its array type, ``q_empty`` and the ``QType`` enum) and grows by
`QAPISchema.add`: schema text or already-parsed expressions, checked as QEMU
checks them (`qom_py.qapi._expr` for each definition's shape, then, once all of
the new definitions are known, the semantic checks here: unknown types,
duplicate definitions, member clashes, base and branch kinds, the union
discriminator).  An `add` is atomic: on error the schema is unchanged.

Entities are frozen, so a schema is cheap to copy (`QAPISchema.copy` shares
them) and safe to cache.  The way types registered at run time are served
(`qom_py.qom._object_schema`): keep the schema read from ``schemas/``
unchanged (cached), make each registry's view as ``view = base.copy()``, grow
it with `QAPISchema.add_derived` (the properties structs, built as entities:
QOM names follow no QAPI naming rule), and, to present the whole union, add
``view.add_union_branches("ObjectOptions", {"widget": "WidgetProperties"})``
for all the types at once, which also appends ``widget`` to the
``ObjectType`` enum.  Nothing is ever removed from a schema.
"""

from __future__ import annotations

import copy
import os.path
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

import attrs

from .._util.names import c_name
from ..errors import QAPISchemaError, QAPITypeNotFoundError
from ._builtin_types import BUILTIN_JSON_TYPES
from ._entities import (
    EMPTY_OBJECT,
    QTYPE_VALUES,
    AlternateType,
    ArrayType,
    BuiltinType,
    Command,
    EnumType,
    EnumValue,
    Event,
    Feature,
    Member,
    ObjectType,
    SchemaEntity,
    SchemaType,
    Variant,
    Variants,
    array_name,
)
from ._pragma import Pragma
from ._source import SourceInfo

if TYPE_CHECKING:
    from ._doc import QAPIDoc
    from ._parser import ParsedExpr, Reader

__all__ = ["QAPISchema", "TypeExpr"]

_E = TypeVar("_E", bound=SchemaEntity)

#: A type expression: a type name, or a one-element list for an array.
TypeExpr = str | Sequence[str]


def _ifcond_text(cond: object) -> str | None:
    """Render an ``if`` condition as text: ``A``, ``(A and B)``, ``(A or B)``, ``not A``."""
    if cond is None:
        return None
    if isinstance(cond, str):
        return cond
    assert isinstance(cond, dict) and len(cond) == 1  # _expr checked the shape
    ((operator, operand),) = cond.items()
    if operator == "not":
        return f"not {_ifcond_text(operand)}"
    return "(" + f" {'and' if operator == 'all' else 'or'} ".join(str(_ifcond_text(c)) for c in operand) + ")"


def _make_features(raw: Iterable[Mapping[str, Any]] | None) -> tuple[Feature, ...]:
    return tuple(Feature(f["name"], _ifcond_text(f.get("if"))) for f in raw or ())


def _member_role(member: Member, defn_name: str, role: str = "member") -> str:
    """QEMU's ``QAPISchemaMember.describe()``: ``parameter 'x'``, ``base member 'x'``, ``member 'x' of type 'T'``."""
    defined_in = member.defined_in
    if defined_in.startswith("q_obj_"):
        if defined_in.endswith("-arg"):
            return f"parameter '{member.name}'"
        if defined_in.endswith("-base"):
            return f"base {role} '{member.name}'"
    elif defined_in != defn_name:
        return f"{role} '{member.name}' of type '{defined_in}'"
    return f"{role} '{member.name}'"


class _Build:
    """One `QAPISchema.add`: define the new entities, then check them, then commit."""

    def __init__(self, schema: QAPISchema) -> None:
        self.schema = schema
        #: The new entities by name (replaced by their checked versions).
        self.new: dict[str, SchemaEntity] = {}
        #: The definitions (name, the definition's kind and name) of the new entities, in order.
        self.defn: dict[str, tuple[str, str]] = {}
        self.checked: set[str] = set()
        self.checking: set[str] = set()

    def lookup(self, name: str) -> SchemaEntity | None:
        entity = self.new.get(name)
        return entity if entity is not None else self.schema._entities.get(name)

    def lookup_type(self, name: str) -> SchemaType | None:
        entity = self.lookup(name)
        return entity if isinstance(entity, SchemaType) else None

    # -- defining -------------------------------------------------------------------

    def define(self, entity: SchemaEntity, meta: str, defn_name: str) -> None:
        other = self.lookup(entity.name)
        if other is not None:
            assert entity.info is not None
            if other.info is not None:
                raise entity.info.error(
                    f"'{entity.name}' is already defined", hint=f"{other.info.context}{other.info}: previous definition"
                )
            raise entity.info.error(f"{other.describe()} is already defined")
        self.new[entity.name] = entity
        self.defn[entity.name] = (meta, defn_name)

    def array(self, element: str, info: SourceInfo, meta: str, defn_name: str) -> str:
        name = array_name(element)
        if self.lookup_type(name) is None:
            self.define(ArrayType(name=name, info=info, element_type=element), meta, defn_name)
        return name

    def type_name(self, expr: object, info: SourceInfo, meta: str, defn_name: str) -> str:
        if isinstance(expr, list):
            return self.array(expr[0], info, meta, defn_name)
        assert isinstance(expr, str)
        return expr

    def members(self, data: Mapping[str, Any], info: SourceInfo, meta: str, defn_name: str, owner: str) -> list[Member]:
        result = []
        for key, arg in data.items():
            optional = key.startswith("*")
            result.append(
                Member(
                    name=key[1:] if optional else key,
                    type=self.type_name(arg["type"], info, meta, defn_name),
                    optional=optional,
                    features=_make_features(arg.get("features")),
                    ifcond=_ifcond_text(arg.get("if")),
                    defined_in=owner,
                )
            )
        return result

    def implicit_object(
        self, data: Mapping[str, Any], info: SourceInfo, meta: str, defn_name: str, role: str, ifcond: str | None
    ) -> str | None:
        # QEMU's _make_implicit_object_type(): none for no members; a second user
        # of the same name can only be a duplicate definition, flagged later.
        # The type has its definition's condition.
        if not data:
            return None
        name = f"q_obj_{defn_name}-{role}"
        members = self.members(data, info, meta, defn_name, name)
        if self.lookup(name) is None:
            obj = ObjectType(name=name, info=info, local_members=members, ifcond=ifcond)
            self.define(obj, meta, defn_name)
        return name

    def define_expr(self, parsed: ParsedExpr, meta: str) -> None:
        expr, info = parsed.expr, parsed.info
        name: str = expr[meta]
        common: dict[str, Any] = {
            "name": name,
            "info": info,
            "doc": parsed.doc,
            "features": _make_features(expr.get("features")),
            "ifcond": _ifcond_text(expr.get("if")),
        }
        entity: SchemaEntity
        if meta == "enum":
            values = [
                EnumValue(name=v["name"], features=_make_features(v.get("features")), ifcond=_ifcond_text(v.get("if")))
                for v in expr["data"]
            ]
            entity = EnumType(values=values, prefix=expr.get("prefix"), **common)
        elif meta == "struct":
            members = self.members(expr["data"], info, meta, name, name)
            entity = ObjectType(base=expr.get("base"), local_members=members, **common)
        elif meta == "union":
            base = expr["base"]
            if isinstance(base, dict):
                base = self.implicit_object(base, info, meta, name, "base", common["ifcond"])
            variants = [
                Variant(case=case, type=self.type_name(v["type"], info, meta, name), ifcond=_ifcond_text(v.get("if")))
                for case, v in expr["data"].items()
            ]
            entity = ObjectType(base=base, variants=Variants(expr["discriminator"], variants), **common)
        elif meta == "alternate":
            variants = [
                Variant(case=case, type=self.type_name(v["type"], info, meta, name), ifcond=_ifcond_text(v.get("if")))
                for case, v in expr["data"].items()
            ]
            entity = AlternateType(variants=Variants("type", variants), **common)
        else:
            data = expr.get("data")
            arg_type = (
                self.implicit_object(data, info, meta, name, "arg", common["ifcond"])
                if isinstance(data, dict)
                else data
            )
            if meta == "command":
                rets = expr.get("returns")
                entity = Command(
                    arg_type=arg_type,
                    ret_type=None if rets is None else self.type_name(rets, info, meta, name),
                    boxed=expr.get("boxed", False),
                    allow_oob=expr.get("allow-oob", False),
                    allow_preconfig=expr.get("allow-preconfig", False),
                    coroutine=expr.get("coroutine", False),
                    success_response=expr.get("success-response", True),
                    gen=expr.get("gen", True),
                    **common,
                )
            else:
                entity = Event(arg_type=arg_type, boxed=expr.get("boxed", False), **common)
        self.define(entity, meta, name)

    # -- checking ---------------------------------------------------------------------

    def connect_doc(self, name: str) -> None:
        """QEMU's ``connect_doc()`` and ``check_doc()``: the doc names what the definition has."""
        entity = self.new[name]
        doc, info = entity.doc, entity.info
        if doc is None:
            return
        assert info is not None
        for f in entity.features:
            doc.connect_feature(f.name, info)
        members: Iterable[Member | EnumValue] = ()
        if isinstance(entity, ObjectType):
            base = self.lookup(entity.base) if entity.base else None
            if isinstance(base, ObjectType) and base.is_implicit:
                members = base.local_members
            members = (*members, *entity.local_members)
        elif isinstance(entity, EnumType):
            members = entity.values
        elif isinstance(entity, (Command, Event)):
            arg = self.lookup(entity.arg_type) if entity.arg_type else None
            if isinstance(arg, ObjectType) and arg.is_implicit:
                members = arg.local_members
        elif isinstance(entity, AlternateType):
            for v in entity.variants.variants:
                doc.connect_member(v.case)
        for m in members:
            doc.connect_member(m.name)
            for f in m.features:
                doc.connect_feature(f.name, info)
        doc.check()

    def resolve(self, name: str, info: SourceInfo | None, what: str) -> SchemaType:
        typ = self.lookup_type(name)
        if typ is None:
            assert info is not None
            raise info.error(f"{what} uses unknown type '{name}'")
        return typ

    def check_clash(self, info: SourceInfo, seen: dict[str, str], cname: str, describe: str) -> None:
        if cname in seen:
            raise info.error(f"{describe} collides with {seen[cname]}")
        seen[cname] = describe

    def check_features(self, entity: SchemaEntity) -> None:
        if entity.info is None:
            return
        seen: dict[str, str] = {}
        for f in entity.features:
            self.check_clash(entity.info, seen, c_name(f.name), f"feature '{f.name}'")
        if isinstance(entity, SchemaType):
            for f in entity.features:
                if f.is_special:
                    raise entity.info.error(f"feature '{f.name}' is not supported for types")

    def check(self, name: str) -> SchemaEntity:
        entity = self.lookup(name)
        assert entity is not None
        if name in self.checked or name not in self.new:
            return entity
        if isinstance(entity, ObjectType):
            if name in self.checking:
                assert entity.info is not None
                raise entity.info.error(f"object {name} contains itself")
            self.checking.add(name)
            entity = self.check_object(entity)
        else:
            self.check_features(entity)
            if isinstance(entity, EnumType):
                self.check_enum(entity)
            elif isinstance(entity, ArrayType):
                meta, _ = self.defn[name]
                element = self.resolve(entity.element_type, entity.info, meta)
                assert not isinstance(element, ArrayType)
                entity = attrs.evolve(entity, ifcond=element.ifcond)  # QEMU: the element's condition
            elif isinstance(entity, AlternateType):
                self.check_alternate(entity)
            elif isinstance(entity, Command):
                self.check_command(entity)
            elif isinstance(entity, Event):
                self.check_arg_type(entity, "event")
        self.new[name] = entity
        self.checked.add(name)
        return entity

    def check_enum(self, enum: EnumType) -> None:
        assert enum.info is not None
        seen: dict[str, str] = {}
        for value in enum.values:
            self.check_clash(enum.info, seen, c_name(value.name), f"value '{value.name}'")

    def check_object(self, obj: ObjectType) -> ObjectType:
        info = obj.info
        assert info is not None
        self.check_features(obj)
        _, defn_name = self.defn[obj.name]
        seen: dict[str, str] = {}
        base_members: tuple[Member, ...] = ()
        if obj.base is not None:
            base = self.resolve(obj.base, info, "'base'")
            if not isinstance(base, ObjectType) or base.variants is not None:
                raise info.error(f"'base' requires a struct type, {base.describe()} isn't")
            checked_base = self.check(obj.base)
            assert isinstance(checked_base, ObjectType)
            base_members = checked_base.members
            for m in base_members:
                self.check_clash(info, seen, c_name(m.name), _member_role(m, defn_name))
        for m in obj.local_members:
            self.resolve(m.type, info, _member_role(m, defn_name))
            self.check_clash(info, seen, c_name(m.name), _member_role(m, defn_name))
        members = base_members + obj.local_members
        variants = obj.variants
        if variants is not None:
            variants = self.check_union_variants(obj, members, defn_name)
        return attrs.evolve(obj, members=members, variants=variants)

    def check_union_variants(self, obj: ObjectType, members: tuple[Member, ...], defn_name: str) -> Variants:
        info = obj.info
        assert info is not None and obj.variants is not None
        tag_name = obj.variants.tag
        tag = next((m for m in members if c_name(m.name) == c_name(tag_name)), None)
        if tag is None or tag.name != tag_name:
            raise info.error(f"discriminator '{tag_name}' is not a member of 'base'")
        where_type = self.lookup(tag.defined_in)
        where = "'base'" if where_type is None or where_type.is_implicit else f"base type '{tag.defined_in}'"
        tag_type = self.lookup_type(tag.type)
        if not isinstance(tag_type, EnumType):
            raise info.error(f"discriminator member '{tag_name}' of {where} must be of enum type")
        if tag.optional:
            raise info.error(f"discriminator member '{tag_name}' of {where} must not be optional")
        if tag.ifcond is not None:
            raise info.error(f"discriminator member '{tag_name}' of {where} must not be conditional")
        variants = list(obj.variants.variants)
        variants += _implicit_variants(tag_type, variants)
        if not variants:
            raise info.error("union has no branches")
        for v in variants:
            role = f"branch '{v.case}'"
            typ = self.resolve(v.type, info, role)
            if v.case not in tag_type.value_set:
                raise info.error(f"branch '{v.case}' is not a value of {tag_type.describe()}")
            if not isinstance(typ, ObjectType) or typ.variants is not None:
                raise info.error(f"{role} cannot use {typ.describe()}")
            branch = self.check(v.type)
            assert isinstance(branch, ObjectType)
            seen = {c_name(m.name): _member_role(m, defn_name) for m in members}
            for m in branch.members:
                self.check_clash(info, seen, c_name(m.name), _member_role(m, defn_name))
        return Variants(tag_name, variants)

    def check_alternate(self, alt: AlternateType) -> None:
        info = alt.info
        assert info is not None
        seen: dict[str, str] = {}
        types_seen: dict[str, str] = {}
        for v in alt.variants.variants:
            role = f"branch '{v.case}'"
            self.check_clash(info, seen, c_name(v.case), role)
            typ = self.resolve(v.type, info, role)
            qtype = _ALTERNATE_QTYPES.get(typ.json_type)
            if qtype is None:
                raise info.error(f"{role} cannot use {typ.describe()}")
            conflicting = {qtype}
            if qtype == "QTYPE_QSTRING":
                if isinstance(typ, EnumType):
                    for value in typ.value_names:
                        if value in ("on", "off"):
                            conflicting.add("QTYPE_QBOOL")
                        if value[:1] in "-+0123456789.":
                            conflicting.add("QTYPE_QNUM")
                else:
                    conflicting |= {"QTYPE_QNUM", "QTYPE_QBOOL"}
            for qt in sorted(conflicting):
                if qt in types_seen:
                    raise info.error(f"{role} can't be distinguished from '{types_seen[qt]}'")
                types_seen[qt] = v.case

    def check_arg_type(self, entity: Command | Event, meta: str) -> None:
        if entity.arg_type is None:
            return
        info = entity.info
        assert info is not None
        arg = self.resolve(entity.arg_type, info, f"{meta}'s 'data'")
        if not isinstance(arg, ObjectType):
            raise info.error(f"{meta}'s 'data' cannot take {arg.describe()}")
        if arg.variants is not None and not entity.boxed:
            raise info.error(f"{meta}'s 'data' can take {arg.describe()} only with 'boxed': true")
        self.check(entity.arg_type)

    def check_command(self, command: Command) -> None:
        self.check_arg_type(command, "command")
        if command.ret_type is None:
            return
        info = command.info
        assert info is not None
        ret = self.resolve(command.ret_type, info, "command's 'returns'")
        if command.name in self.schema.pragma.command_returns_exceptions:
            return
        typ = ret
        if isinstance(typ, ArrayType):
            typ = self.resolve(typ.element_type, info, "command's 'returns'")
        if not isinstance(typ, ObjectType):
            raise info.error(f"command's 'returns' cannot take {ret.describe()}")


_ALTERNATE_QTYPES = {
    "null": "QTYPE_QNULL",
    "string": "QTYPE_QSTRING",
    "number": "QTYPE_QNUM",
    "int": "QTYPE_QNUM",
    "boolean": "QTYPE_QBOOL",
    "object": "QTYPE_QDICT",
    "array": "QTYPE_QLIST",  # arrays as branches: QEMU 7.1
}


def _implicit_variants(tag_type: EnumType, variants: Iterable[Variant]) -> list[Variant]:
    """QEMU gives each enum value without a branch the branch ``q_empty``, in enum order."""
    cases = {v.case for v in variants}
    return [
        Variant(case=value.name, type=EMPTY_OBJECT, ifcond=value.ifcond, implicit=True)
        for value in tag_type.values
        if value.name not in cases
    ]


class QAPISchema:
    """
    A checked QAPI schema: every entity by name, in definition order.

    Models QEMU's ``QAPISchema``.  A new schema holds QEMU's predefined
    entities; `add` (or `from_file`) reads definitions into it.  Lookups:
    `lookup` (any entity), `lookup_type`, the typed `object_type` /
    `enum_type` / `command` / `event`, `resolve_type` for a type expression
    (``"str"``, ``["uint16"]``), `member_type` for a member and `branch_members`
    for a union's members under one tag value.  Iterating gives
    the entities in definition order (implicit ones where QEMU makes them: an
    array type or an implicit object type just before its first user).
    """

    def __init__(self) -> None:
        self._entities: dict[str, SchemaEntity] = {}
        #: The pragmas read so far (``command-returns-exceptions`` matters to the checks).
        self.pragma = Pragma()
        #: The schema files read, in order (normalized names).
        self.files: list[str] = []
        #: The doc comments read, in source order (definitions' docs are also on their entities).
        self.docs: list[QAPIDoc] = []
        #: Counts the changes to definitions already made (`add_union_branches`); what
        #: compiles definitions (checks, Python types) compares it to know when to start anew.
        self.generation = 0
        #: What other modules derive from this schema, kept with it and dropped with it
        #: (``qom_py.qapi._pytypes.py_types``); a copy starts without.
        self.derived: dict[str, Any] = {}
        for name, json_type in BUILTIN_JSON_TYPES.items():
            self._entities[name] = BuiltinType(name=name, builtin_json_type=json_type)
            list_name = array_name(name)
            self._entities[list_name] = ArrayType(name=list_name, element_type=name)
        self._entities[EMPTY_OBJECT] = ObjectType(name=EMPTY_OBJECT)
        values = [EnumValue(name=v) for v in QTYPE_VALUES]
        self._entities["QType"] = EnumType(name="QType", values=values, prefix="QTYPE")

    @classmethod
    def from_file(cls, file: str, read: Reader | None = None) -> QAPISchema:
        """
        Read the schema file *file* and everything it includes.

        Args:
            file: the root file's name (includes are relative to it).
            read: returns a file's text by name; the default reads the file system.

        Raises:
            OSError: *file* cannot be read.
            QAPISchemaError: the schema is malformed.
        """
        from ._parser import SchemaReader, _read_file  # the parser: not needed by a cached schema

        schema = cls()
        reader = SchemaReader(read or _read_file)
        reader.pragma = copy.deepcopy(schema.pragma)
        reader.read_root(file)
        schema._add_parsed(reader.exprs, reader.pragma, reader.files)
        schema.docs.extend(reader.docs)
        return schema

    # -- growing ----------------------------------------------------------------------

    def add(
        self, source: str | Iterable[Mapping[str, Any]], source_name: str = "<runtime>", read: Reader | None = None
    ) -> list[SchemaEntity]:
        """
        Add definitions and return the new entities (implicit ones included).

        Args:
            source: QAPI schema text (``include`` resolved relative to
                *source_name* through *read*), or expressions as parsed
                (dicts such as ``{"struct": "Rule", "data": {...}}``).
            source_name: the name errors show as the file; parsed expressions
                get line 1, 2, ... by position.

        Raises:
            QAPISchemaError: a definition is malformed, clashes with or
                refers to something undefined; the schema is then unchanged.
        """
        from ._parser import ParsedExpr, SchemaReader, _read_file

        pragma = copy.deepcopy(self.pragma)
        # doc-required holds for the files read with it (QEMU reads one schema once), not for additions.
        pragma.doc_required = False
        if isinstance(source, str):
            reader = SchemaReader(read or _read_file)
            reader.pragma = pragma
            reader.read_text(source, source_name)
            parsed, files, docs = reader.exprs, reader.files, reader.docs
        else:
            # The checks normalize in place: work on a copy of the caller's data.
            parsed = [ParsedExpr(copy.deepcopy(dict(e)), SourceInfo(source_name, i)) for i, e in enumerate(source, 1)]
            files, docs = [], []
        added = self._add_parsed(parsed, pragma, files)
        self.docs.extend(docs)
        return added

    def _add_parsed(self, parsed: Iterable[ParsedExpr], pragma: Pragma, files: list[str]) -> list[SchemaEntity]:
        from ._expr import check_expr
        from ._parser import ParsedExpr

        saved_pragma, self.pragma = self.pragma, pragma  # the checks read it
        try:
            build = _Build(self)
            for item in parsed:
                if "include" in item.expr:
                    continue
                meta, info = check_expr(item.expr, item.info, pragma, item.doc)
                build.define_expr(ParsedExpr(item.expr, info, item.doc), meta)
            for name in list(build.new):
                build.check(name)
                build.connect_doc(name)
        except QAPISchemaError:
            self.pragma = saved_pragma
            raise
        self._entities.update(build.new)
        self.files.extend(files)
        return list(build.new.values())

    def add_union_branches(self, union: str, branches: Mapping[str, str | None]) -> ObjectType:
        """
        Add branches to the flat union *union* and values to its tag enum.

        For each ``case: type`` of *branches*, *case* is appended to the
        discriminator's enum unless it is a value already, and the branch gets
        the object type *type* (None: ``q_empty``).  Explicit branches keep
        their order with the new ones after them; implicit (``q_empty``)
        branches follow in enum order, as QEMU orders them.  One call costs
        O(the union's size + the schema's unions): add many branches at once.

        Raises:
            QAPITypeNotFoundError: *union* or a branch type is not defined.
            QAPISchemaError: *union* is not a union, a case is not a valid
                value, or a branch type is not a struct.
        """
        obj = self.object_type(union)
        info = obj.info or SourceInfo("<runtime>", 0)
        if obj.variants is None:
            raise info.error(f"{obj.describe()} is not a union")
        tag = obj.member(obj.variants.tag)
        assert tag is not None
        enum = self.enum_type(tag.type)
        values = list(enum.values)
        names = set(enum.value_set)
        c_names = {c_name(v) for v in names}
        # case -> branch, in order: a case given again moves to the end
        explicit = {v.case: v for v in obj.variants.variants if not v.implicit}
        for case, type_name in branches.items():
            if case not in names:
                if c_name(case) in c_names:
                    raise info.error(f"value '{case}' collides with an existing value of {enum.describe()}")
                values.append(EnumValue(name=case))
                names.add(case)
                c_names.add(c_name(case))
            explicit.pop(case, None)
            if type_name is not None:
                typ = self.object_type(type_name)
                if typ.variants is not None:
                    raise info.error(f"branch '{case}' cannot use {typ.describe()}")
                explicit[case] = Variant(case=case, type=type_name)
        enum = attrs.evolve(enum, values=values)
        self._entities[enum.name] = enum
        # Every union tagged by this enum gets its implicit branches anew.
        for name, entity in list(self._entities.items()):
            if isinstance(entity, ObjectType) and entity.variants is not None:
                entity_tag = entity.member(entity.variants.tag)
                if entity_tag is None or entity_tag.type != enum.name:
                    continue
                own = (
                    list(explicit.values())
                    if name == union
                    else [v for v in entity.variants.variants if not v.implicit]
                )
                variants = Variants(entity.variants.tag, [*own, *_implicit_variants(enum, own)])
                self._entities[name] = attrs.evolve(entity, variants=variants)
        self.generation += 1
        return self.object_type(union)

    def add_derived(self, entities: Iterable[SchemaType]) -> None:
        """
        Add types built by the caller from run-time declarations (QOM types' properties).

        No naming rule applies (a QOM name is a free string; QEMU's
        ``member-name-exceptions`` pragma exempts legacy names alike) and the
        definitions are not re-checked: the caller builds them complete
        (``members`` filled) and referring only to types of the schema or of
        *entities*.  Costs O(the new entities).

        Raises:
            QAPISchemaError: a name is taken; nothing is added then.
        """
        new = list(entities)
        for entity in new:
            if entity.name in self._entities:
                info = entity.info or SourceInfo("<runtime>", 0)
                raise info.error(f"'{entity.name}' is already defined")
        for entity in new:
            self._entities[entity.name] = entity

    def copy(self, exclude: Iterable[str] = ()) -> QAPISchema:
        """
        Return an independent schema with the same entities (shared: they are frozen).

        *exclude*: names of commands and events to leave out (a QMP server
        without them); types stay.
        """
        new = QAPISchema.__new__(QAPISchema)
        new._entities = dict(self._entities)
        for name in exclude:
            if isinstance(new._entities.get(name), (Command, Event)):
                del new._entities[name]
        new.pragma = copy.deepcopy(self.pragma)
        new.files = list(self.files)
        new.docs = list(self.docs)
        new.generation = self.generation
        new.derived = {}
        return new

    # -- lookups ------------------------------------------------------------------------

    def __iter__(self) -> Iterator[SchemaEntity]:
        """The entities in definition order."""
        return iter(self._entities.values())

    def __len__(self) -> int:
        return len(self._entities)

    def __contains__(self, name: object) -> bool:
        return name in self._entities

    def lookup(self, name: str) -> SchemaEntity | None:
        """The entity *name* (a type, a command or an event), or None."""
        return self._entities.get(name)

    def lookup_type(self, name: str) -> SchemaType | None:
        """The type *name*, or None (also for a command or event of that name)."""
        entity = self._entities.get(name)
        return entity if isinstance(entity, SchemaType) else None

    def _get(self, name: str, kind: type[_E]) -> _E:
        entity = self._entities.get(name)
        if not isinstance(entity, kind):
            raise QAPITypeNotFoundError(name)
        return entity

    def object_type(self, name: str) -> ObjectType:
        """
        The struct or union *name*.

        Raises:
            QAPITypeNotFoundError: no object type has that name.
        """
        return self._get(name, ObjectType)

    def enum_type(self, name: str) -> EnumType:
        """
        The enum *name*.

        Raises:
            QAPITypeNotFoundError: no enum has that name.
        """
        return self._get(name, EnumType)

    def command(self, name: str) -> Command | None:
        """The command *name*, or None."""
        entity = self._entities.get(name)
        return entity if isinstance(entity, Command) else None

    def event(self, name: str) -> Event | None:
        """The event *name*, or None."""
        entity = self._entities.get(name)
        return entity if isinstance(entity, Event) else None

    def commands(self) -> list[Command]:
        """Every command, in definition order."""
        return [e for e in self._entities.values() if isinstance(e, Command)]

    def events(self) -> list[Event]:
        """Every event, in definition order."""
        return [e for e in self._entities.values() if isinstance(e, Event)]

    def in_visit_order(self, entities: Iterable[SchemaEntity] | None = None) -> list[SchemaEntity]:
        """
        The entities in the order QEMU's ``QAPISchema.visit()`` visits them: module by module.

        *entities*: some of this schema's, in definition order (default: all).

        A module is one schema file; the modules come in the order each file
        was first included (the root first, after the built-ins), each one's
        entities in definition order.  Definitions added from text of no file
        read (``<runtime>``) follow, file by file.  So a file's commands come
        before those of the files it includes, wherever the includes stand.
        """
        rank = {name: i for i, name in enumerate(self.files)}
        modules: dict[int, list[SchemaEntity]] = {-1: []}  # -1: the built-ins
        file_rank: dict[str, int] = {}
        for entity in self._entities.values() if entities is None else entities:
            if entity.info is None:
                modules[-1].append(entity)
                continue
            file = entity.info.file
            index = file_rank.get(file)
            if index is None:
                index = rank.get(os.path.normpath(file), len(rank) + len(file_rank))
                file_rank[file] = index
            modules.setdefault(index, []).append(entity)
        return [entity for index in sorted(modules) for entity in modules[index]]

    def types(self) -> list[SchemaType]:
        """Every type (built-ins and implicit ones included), in definition order."""
        return [e for e in self._entities.values() if isinstance(e, SchemaType)]

    def resolve_type(self, expr: TypeExpr) -> SchemaType:
        """
        The type a type expression names: ``"str"``, ``"Rule"``, ``["Rule"]``.

        An array type of a defined element type is made on first use
        (``RuleList``), as QEMU makes one for each ``['T']`` it meets.

        Raises:
            QAPITypeNotFoundError: the name (or the element's) is not a type.
        """
        if isinstance(expr, str):
            typ = self.lookup_type(expr)
            if typ is None:
                raise QAPITypeNotFoundError(expr)
            return typ
        if len(expr) != 1 or not isinstance(expr[0], str):
            raise QAPITypeNotFoundError(repr(list(expr)))
        element = self.resolve_type(expr[0])
        if isinstance(element, ArrayType):
            raise QAPITypeNotFoundError(repr(list(expr)))
        name = array_name(element.name)
        typ = self.lookup_type(name)
        if typ is None:
            typ = ArrayType(name=name, element_type=element.name)
            self._entities[name] = typ
        return typ

    def member_type(self, member: Member) -> SchemaType:
        """The type of *member* (every member's type resolves in a built schema)."""
        typ = self.lookup_type(member.type)
        assert typ is not None, member
        return typ

    def element_type(self, array: ArrayType) -> SchemaType:
        """The element type of *array*."""
        typ = self.lookup_type(array.element_type)
        assert typ is not None, array
        return typ

    def variant_type(self, variant: Variant) -> SchemaType:
        """The type of the branch *variant*."""
        typ = self.lookup_type(variant.type)
        assert typ is not None, variant
        return typ

    def branch_members(self, union: ObjectType, case: str) -> tuple[Member, ...] | None:
        """
        The members of *union* for tag value *case*, in QEMU's visit order.

        The union's own members (its base's, discriminator included) come
        first, then the branch type's (its base's first); None when *case*
        has no branch (not a value of the tag enum).
        """
        if union.variants is None:
            return union.members
        variant = union.variants.case(case)
        if variant is None:
            return None
        branch = self.lookup_type(variant.type)
        assert isinstance(branch, ObjectType), variant
        return union.members + branch.members

    @property
    def the_empty_object_type(self) -> ObjectType:
        """``q_empty``: what introspection shows for a command or event without ``data``."""
        return self.object_type(EMPTY_OBJECT)
