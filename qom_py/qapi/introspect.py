"""
Introspection: a `QAPISchema` as QMP ``query-qmp-schema`` answers it.

`schema_info` generates QEMU's ``SchemaInfo`` list as QEMU 7.2's
``scripts/qapi/introspect.py`` does at build time:

* first the commands and events, in QEMU's visit order (module by module,
  each file's in definition order, the files in the order each was first
  included: `QAPISchema.in_visit_order`; only those asked for: a server
  lists what it serves), then every type they reach, in order of first use
  (a work list that grows while it is walked, so a type's own references
  follow it);
* every integer type shows as ``int``, and a list of any integer type as
  ``[int]`` (QEMU maps them to ``int`` / ``intList`` before use);
* a command or event without ``data`` (or ``returns``) names ``q_empty``;
* non-command/event, non-builtin type names are masked as decimal numbers,
  numbered in order of first use (``"0"``, ``"1"``, ...); arrays are named
  ``[ELEMENT]`` after their (masked) element.  *unmask* keeps the real names,
  as QEMU's ``qapi-gen.py --unmask-non-abi-names``;
* optional members carry ``default: null``; enums carry 7.2's ``members``
  (with their features) and the older ``values``; ``allow-oob`` appears only
  when true; ``features`` only when there are some.
* ``if`` conditions, given the symbols a build defines, are evaluated as the
  C preprocessor evaluates QEMU's generated ``#if``: after every name is
  numbered and every type used, so a dropped entry leaves a gap in the
  numbering and the unconditional types only it reaches stay.  An array has
  its element's condition, an implicit object type its user's.

`schema_path_get` / `schema_path_exists` resolve libvirt's probe paths
(``object-add/arg-type/+iothread/thread-pool-max``) in such a list, as
libvirt's ``virQEMUQAPISchemaPathGet()`` (src/qemu/qemu_qapi.c) does.

Pure functions of the schema: nothing here knows about objects or QMP.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import Any, Final, Protocol, TypeAlias, TypeVar, cast

from ..errors import SchemaPathError
from ._entities import (
    AlternateType,
    ArrayType,
    BuiltinType,
    Command,
    EnumType,
    Event,
    Feature,
    Member,
    ObjectType,
    SchemaType,
    array_name,
)
from ._ifcond import ifcond_holds
from ._schema import QAPISchema

__all__ = [
    "SchemaInfo",
    "schema_index",
    "schema_info",
    "schema_path_exists",
    "schema_path_get",
]

#: One entry of the ``query-qmp-schema`` answer (a JSON object).
SchemaInfo: TypeAlias = dict[str, Any]

_T = TypeVar("_T")


class _Conditional(Protocol):
    """A part of the schema that may have an ``if`` condition."""

    @property
    def ifcond(self) -> str | None: ...


class _Introspector:
    """
    One run of QEMU's ``QAPISchemaGenIntrospectVisitor``, then of the C preprocessor.

    Every entry is generated, names numbered and types used whatever the
    conditions (QEMU's generator does not evaluate them); with *defines*, an
    entry (entity, member, branch, enum value or feature) whose condition
    fails is then dropped, as ``#if`` drops it from QEMU's generated C.
    """

    def __init__(self, schema: QAPISchema, unmask: bool, defines: Collection[str] | None) -> None:
        self._schema = schema
        self._unmask = unmask
        self._defines = defines
        # The work list: types in order of first use; walked while it grows.
        self._used: list[SchemaType] = []
        self._used_names: set[str] = set()
        # Real name -> masked name, numbered in order of first use.
        self._names: dict[str, str] = {}
        self.infos: list[SchemaInfo] = []

    def _kept(self, entries: list[_T], parts: Sequence[_Conditional]) -> list[_T]:
        """The *entries* generated for *parts* whose condition holds (all when conditions are not evaluated)."""
        defines = self._defines
        if defines is None:
            return entries
        return [entry for entry, part in zip(entries, parts, strict=True) if ifcond_holds(part.ifcond, defines)]

    def _features(self, features: Sequence[Feature]) -> list[str]:
        return self._kept([f.name for f in features], features)

    def _name(self, name: str) -> str:
        if self._unmask:
            return name
        masked = self._names.get(name)
        if masked is None:
            masked = self._names[name] = str(len(self._names))
        return masked

    def _use_type(self, typ: SchemaType) -> str:
        # QEMU maps every integer type to int, and lists of them to intList.
        if typ.json_type == "int":
            typ = self._schema.resolve_type("int")
        elif isinstance(typ, ArrayType) and self._schema.element_type(typ).json_type == "int":
            typ = self._schema.resolve_type(array_name("int"))
        if typ.name not in self._used_names:
            self._used_names.add(typ.name)
            self._used.append(typ)
        if isinstance(typ, BuiltinType):
            return typ.name
        if isinstance(typ, ArrayType):
            return "[" + self._use_type(self._schema.element_type(typ)) + "]"
        return self._name(typ.name)

    def _use(self, name: str) -> str:
        return self._use_type(self._schema.resolve_type(name))

    def _emit(
        self, name: str, meta_type: str, body: SchemaInfo, features: Sequence[Feature], ifcond: str | None
    ) -> None:
        info: SchemaInfo = {"name": name, "meta-type": meta_type, **body}
        if features:  # QEMU tests the list, the preprocessor may still empty it
            info["features"] = self._features(features)
        if ifcond is None or self._defines is None or ifcond_holds(ifcond, self._defines):
            self.infos.append(info)

    def _member(self, member: Member) -> SchemaInfo:
        info: SchemaInfo = {"name": member.name, "type": self._use(member.type)}
        if member.optional:
            info["default"] = None
        if member.features:
            info["features"] = self._features(member.features)
        return info

    # -- the entities -------------------------------------------------------------

    def command(self, command: Command) -> None:
        empty = self._schema.the_empty_object_type.name
        body: SchemaInfo = {
            "arg-type": self._use(command.arg_type or empty),
            "ret-type": self._use(command.ret_type or empty),
        }
        if command.allow_oob:
            body["allow-oob"] = True
        self._emit(command.name, "command", body, command.features, command.ifcond)

    def event(self, event: Event) -> None:
        empty = self._schema.the_empty_object_type.name
        body = {"arg-type": self._use(event.arg_type or empty)}
        self._emit(event.name, "event", body, event.features, event.ifcond)

    def types(self) -> None:
        index = 0
        while index < len(self._used):  # the list grows while it is walked
            self._type(self._used[index])
            index += 1

    def _type(self, typ: SchemaType) -> None:
        body: SchemaInfo
        if isinstance(typ, BuiltinType):
            self._emit(typ.name, "builtin", {"json-type": typ.json_type}, (), None)
        elif isinstance(typ, ArrayType):
            element_type = self._schema.element_type(typ)
            element = self._use_type(element_type)
            # An array has its element type's condition (QEMU's QAPISchemaArrayType.ifcond).
            self._emit("[" + element + "]", "array", {"element-type": element}, (), element_type.ifcond)
        elif isinstance(typ, EnumType):
            members: list[SchemaInfo] = []
            for value in typ.values:
                entry: SchemaInfo = {"name": value.name}
                if value.features:
                    entry["features"] = self._features(value.features)
                members.append(entry)
            values = typ.values
            body = {"members": self._kept(members, values), "values": self._kept(list(typ.value_names), values)}
            self._emit(self._name(typ.name), "enum", body, typ.features, typ.ifcond)
        elif isinstance(typ, AlternateType):
            branches = typ.variants.variants
            body = {"members": self._kept([{"type": self._use(v.type)} for v in branches], branches)}
            self._emit(self._name(typ.name), "alternate", body, typ.features, typ.ifcond)
        else:
            assert isinstance(typ, ObjectType), typ
            body = {"members": self._kept([self._member(m) for m in typ.members], typ.members)}
            if typ.variants is not None:
                body["tag"] = typ.variants.tag
                branches = typ.variants.variants
                body["variants"] = self._kept([{"case": v.case, "type": self._use(v.type)} for v in branches], branches)
            self._emit(self._name(typ.name), "object", body, typ.features, typ.ifcond)


def schema_info(
    schema: QAPISchema,
    *,
    commands: Collection[str] | None = None,
    events: Collection[str] | None = None,
    unmask: bool = False,
    defines: Collection[str] | None = None,
) -> list[SchemaInfo]:
    """
    Return *schema* as QEMU 7.2's ``query-qmp-schema`` answers it.

    Args:
        schema: the schema of what is served.
        commands: the command names to list (None: every command of *schema*);
            names *schema* does not define are ignored.
        events: the event names to list (None: every event).
        unmask: keep the real type names instead of QEMU's numbers.
        defines: the ``if`` symbols the build defines (``CONFIG_LINUX``, ...):
            what is conditional on others is left out, as that build of
            QEMU leaves it out.  None: conditions are not evaluated, every
            conditional part is there.

    Returns:
        Fresh ``SchemaInfo`` dicts (the caller may keep or change them).
    """
    gen = _Introspector(schema, unmask, defines)
    for entity in schema.in_visit_order(e for e in schema if isinstance(e, (Command, Event))):
        if isinstance(entity, Command):
            if commands is None or entity.name in commands:
                gen.command(entity)
        elif isinstance(entity, Event) and (events is None or entity.name in events):
            gen.event(entity)
    gen.types()
    return gen.infos


# -- libvirt's probe paths ----------------------------------------------------------


#: libvirt's result codes (virQEMUQAPISchemaTraverseFunc): found, not found.
_FOUND: Final = 1
_MISSING: Final = 0
_MAX_DEPTH: Final = 1000  # libvirt's loop guard


def schema_index(infos: Iterable[SchemaInfo]) -> dict[str, SchemaInfo]:
    """Index a ``query-qmp-schema`` answer by name, as libvirt's ``virQEMUQAPISchemaConvert()``."""
    return {info["name"]: info for info in infos}


class _Traversal:
    def __init__(self, index: Mapping[str, SchemaInfo], query: str, parts: list[str]) -> None:
        self.index = index
        self.query = query
        self.parts = parts
        self.pos = 0
        self.depth = 0
        self.found: SchemaInfo | None = None

    def has_next(self) -> bool:
        return self.pos < len(self.parts)

    def next(self) -> str:
        part = self.parts[self.pos]
        self.pos += 1
        return part

    def malformed_schema(self) -> SchemaPathError:
        return SchemaPathError(f"malformed QAPI schema when querying '{self.parts[self.pos - 1]}' of '{self.query}'")

    def followers(self) -> SchemaPathError:
        part = self.parts[self.pos - 1]
        return SchemaPathError(f"terminal QAPI query component '{part}' of '{self.query}' must not have followers")

    def traverse(self, name: object) -> int:
        self.depth += 1
        if self.depth > _MAX_DEPTH:
            msg = "possible loop in QMP schema"
            raise SchemaPathError(msg)
        cur = self.index.get(name) if isinstance(name, str) else None
        if cur is None:
            raise self.malformed_schema()
        if not self.has_next():
            self.found = cur
            return _FOUND
        meta = cur.get("meta-type")
        if meta == "object":
            return self.object(cur)
        if meta == "array":
            if "element-type" not in cur:
                raise self.malformed_schema()
            return self.traverse(cur["element-type"])
        if meta in ("command", "event"):
            return self.command(cur)
        if meta == "enum":
            return self.enum(cur)
        if meta == "builtin":
            return self.builtin(cur)
        if meta == "alternate":
            return self.alternate(cur)
        return _MISSING

    def _split(self) -> tuple[str, str]:
        part = self.next()
        modifier = part[:1]
        return modifier, (part if modifier.isalpha() and modifier.isascii() else part[1:])

    def feature(self, name: str, entry: SchemaInfo) -> int:
        if self.has_next():
            raise self.followers()
        features = entry.get("features", [])
        if not all(isinstance(f, str) for f in features):
            raise self.malformed_schema()
        return _FOUND if name in features else _MISSING

    def object(self, cur: SchemaInfo) -> int:
        modifier, name = self._split()
        if modifier in ("^", "!"):
            return _MISSING
        if modifier == "$":
            return self.feature(name, cur)
        if modifier == "+":
            entry = _find(cur.get("variants"), "case", name)
        else:
            entry = _find(cur.get("members"), "name", name)
            if modifier == "*" and entry is not None and "default" not in entry:
                return _MISSING
        if entry is None:
            return _MISSING
        return self.traverse(entry.get("type"))

    def command(self, cur: SchemaInfo) -> int:
        modifier, name = self._split()
        if modifier in ("^", "!", "+", "*"):
            return _MISSING
        if modifier == "$":
            return self.feature(name, cur)
        target = cur.get(name)
        if not isinstance(target, str):
            return _MISSING
        return self.traverse(target)

    def enum(self, cur: SchemaInfo) -> int:
        part = self.next()
        if not part.startswith("^"):
            return _MISSING
        feature: str | None = None
        if self.has_next():
            follower = self.next()  # only a feature of the value may follow
            if not follower.startswith("$") or self.has_next():
                raise self.followers()
            feature = follower[1:]
        value = part[1:]
        members = cur.get("members")
        if isinstance(members, list):  # QEMU >= 6.2
            for member in members:
                if not isinstance(member, dict) or not isinstance(member.get("name"), str):
                    raise self.malformed_schema()
                if member["name"] == value:
                    if feature is not None:
                        features = member.get("features", [])
                        return _FOUND if feature in features else _MISSING
                    return _FOUND
            return _MISSING
        if feature is not None:
            return _MISSING  # old-style values carry no features
        values = cur.get("values")
        if not isinstance(values, list):
            raise self.malformed_schema()
        return _FOUND if value in values else _MISSING

    def builtin(self, cur: SchemaInfo) -> int:
        part = self.next()
        if not part.startswith("!"):
            return _MISSING
        if self.has_next():
            raise self.followers()
        if not isinstance(cur.get("json-type"), str):
            raise self.malformed_schema()
        return _FOUND if cur["json-type"] == part[1:] else _MISSING

    def alternate(self, cur: SchemaInfo) -> int:
        members = cur.get("members")
        if not isinstance(members, list):
            raise self.malformed_schema()
        saved = (self.pos, self.depth, self.found)
        for member in members:
            if not isinstance(member, dict) or not isinstance(member.get("type"), str):
                continue
            self.pos, self.depth, self.found = saved
            result = self.traverse(member["type"])
            if result != _MISSING:
                return result
        return _MISSING


def _find(entries: object, key: str, name: str) -> SchemaInfo | None:
    if not isinstance(entries, list):
        return None
    for entry in entries:
        if isinstance(entry, dict) and entry.get(key) == name:
            return entry
    return None


def schema_path_get(
    infos: Mapping[str, SchemaInfo] | Iterable[SchemaInfo], query: str
) -> tuple[bool, SchemaInfo | None]:
    """
    Resolve libvirt's probe *query* in a ``query-qmp-schema`` answer.

    The syntax is ``COMMAND_OR_EVENT/arg-type|ret-type/...``, then, per
    component: ``NAME`` a member, ``*NAME`` an optional member, ``+CASE`` a
    union branch (arrays are entered implicitly, alternates tried branch by
    branch); last: ``^VALUE`` an enum value (optionally followed by
    ``$FEATURE`` of that value), ``!JSONTYPE`` a built-in's JSON type,
    ``$FEATURE`` a feature of the entity reached.  A name starting with a
    non-letter is written after one space.

    Args:
        infos: the answer, as a list or as `schema_index` made it.
        query: the probe path.

    Returns:
        ``(found, entry)``: *entry* is the ``SchemaInfo`` reached by a type
        query, None for the boolean queries (``^``, ``!``, ``$``) and when not found.

    Raises:
        SchemaPathError: where libvirt reports an error: the answer is
            malformed along the path, or a terminal component has followers.
    """
    index = cast("Mapping[str, SchemaInfo]", infos) if isinstance(infos, Mapping) else schema_index(infos)
    parts = query.split("/")
    traversal = _Traversal(index, query, parts)
    first = traversal.next()
    if first not in index:
        return False, None
    found = traversal.traverse(first) == _FOUND
    return found, traversal.found if found else None


def schema_path_exists(infos: Mapping[str, SchemaInfo] | Iterable[SchemaInfo], query: str) -> bool:
    """True when libvirt's ``virQEMUQAPISchemaPathExists()`` says so for *query* (see `schema_path_get`)."""
    try:
        return schema_path_get(infos, query)[0]
    except SchemaPathError:
        return False
