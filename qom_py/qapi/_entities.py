"""
The schema's entities: QEMU's ``QAPISchemaEntity`` family (scripts/qapi/schema.py).

Every entity is a frozen attrs record that names the types it uses (a member's
`Member.type`, an array's `ArrayType.element_type`, a command's
`Command.arg_type`, ...) by their *canonical names*; `QAPISchema.lookup_type`
(or `QAPISchema.member_type`) turns a name into the entity.  Names are canonical
in QEMU's way: ``['T']`` is the array type ``TList``, a command's inline
``data`` is the object type ``q_obj_<command>-arg``, a union's inline ``base``
is ``q_obj_<union>-base``, and a command without ``data`` has no `arg_type`
(introspection shows ``q_empty``, `EMPTY_OBJECT`).  A built schema guarantees
that every name an entity uses resolves.

``if`` conditions are kept as text (`Entity.ifcond`, e.g. ``CONFIG_LINUX`` or
``(CONFIG_A and not CONFIG_B)``; `qom_py.qapi._ifcond`): a conditional
definition is always present; only introspection evaluates conditions, when
given a build's symbols.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, ClassVar, Final, Literal, TypeAlias, final

import attrs

from .._util.names import array_name
from ._builtin_types import JSONType
from ._source import SourceInfo

if TYPE_CHECKING:
    from ._doc import QAPIDoc

__all__ = [
    "EMPTY_OBJECT",
    "AlternateType",
    "ArrayType",
    "BuiltinType",
    "Command",
    "EnumType",
    "EnumValue",
    "Event",
    "Feature",
    "Member",
    "ObjectType",
    "SchemaEntity",
    "SchemaMetaType",
    "SchemaType",
    "Variant",
    "Variants",
    "array_name",
]

#: The JSON types QAPI knows (SchemaInfoBuiltin's ``json-type``).

#: The kinds introspection names (SchemaInfo's ``meta-type``).
SchemaMetaType: TypeAlias = Literal["builtin", "enum", "array", "object", "alternate", "command", "event"]

#: The implicit empty object type (arguments of a command without ``data``).
EMPTY_OBJECT: Final = "q_empty"


def _features(features: Iterable[Feature]) -> tuple[Feature, ...]:
    return tuple(features)


@final
@attrs.frozen
class Feature:
    """A feature flag of a definition, a member or an enum value (QEMU's ``QAPISchemaFeature``)."""

    #: The feature's name: ``deprecated``, ``unstable`` or any other.
    name: str
    #: The ``if`` condition, as text, or None.
    ifcond: str | None = None

    @property
    def is_special(self) -> bool:
        """True for the features QEMU's introspection and policies know: ``deprecated``, ``unstable``."""
        return self.name in ("deprecated", "unstable")


@attrs.frozen(kw_only=True)
class _Featured:
    #: The features, in source order.
    features: tuple[Feature, ...] = attrs.field(default=(), converter=_features)
    #: The ``if`` condition, as text, or None.
    ifcond: str | None = None

    def has_feature(self, name: str) -> bool:
        """True when this carries the feature *name*."""
        return any(f.name == name for f in self.features)

    @property
    def feature_names(self) -> tuple[str, ...]:
        """The feature names, in source order (introspection's ``features``)."""
        return tuple(f.name for f in self.features)


@final
@attrs.frozen(kw_only=True)
class EnumValue(_Featured):
    """One value of an enum (QEMU's ``QAPISchemaEnumMember``)."""

    #: The value as the wire carries it.
    name: str


@final
@attrs.frozen(kw_only=True)
class Member(_Featured):
    """One member of an object type (QEMU's ``QAPISchemaObjectTypeMember``)."""

    #: The wire name (without the ``*`` of an optional member).
    name: str
    #: The canonical name of the member's type (``str``, ``RuleList``, ``IothreadProperties``).
    type: str
    #: Whether the member may be absent.
    optional: bool = False
    #: The object type that declares it (a base's members name the base).
    defined_in: str = ""


@final
@attrs.frozen(kw_only=True)
class Variant:
    """One branch of a union or an alternate (QEMU's ``QAPISchemaVariant``)."""

    #: The tag value selecting it (union) or the branch's name (alternate).
    case: str
    #: The canonical name of the branch's type.
    type: str
    #: The ``if`` condition, as text, or None.
    ifcond: str | None = None
    #: True for a branch QEMU adds: a union's enum value with no branch gets ``q_empty``.
    implicit: bool = False


def _variants(variants: Iterable[Variant]) -> tuple[Variant, ...]:
    return tuple(variants)


@final
@attrs.frozen
class Variants:
    """The branches of a union (tag: the discriminator) or an alternate (tag: ``type``)."""

    #: The tag member's name: the union's discriminator, ``type`` for an alternate.
    tag: str
    #: The branches: explicit ones in source order, then implicit ones in enum order.
    variants: tuple[Variant, ...] = attrs.field(converter=_variants)

    def case(self, value: str) -> Variant | None:
        """The branch for tag value *value*, or None."""
        for variant in self.variants:
            if variant.case == value:
                return variant
        return None

    def as_dict(self) -> dict[str, str]:
        """Map each case to its type name, in branch order."""
        return {v.case: v.type for v in self.variants}


@attrs.frozen(kw_only=True)
class SchemaEntity(_Featured):
    """Base of every definition (QEMU's ``QAPISchemaEntity``)."""

    _META: ClassVar[str] = ""
    _META_TYPE: ClassVar[SchemaMetaType] = "object"

    #: The name; unique across the schema (types, commands and events share one namespace).
    name: str
    #: The definition's source; for implicit types the definition that made them; None for built-ins.
    info: SourceInfo | None = attrs.field(default=None, eq=False)
    #: The definition's doc comment, if it has one (implicit types have none).
    doc: QAPIDoc | None = attrs.field(default=None, eq=False, repr=False)

    @property
    def meta(self) -> str:
        """The kind, as QEMU's ``meta`` names it: ``built-in``, ``enum``, ``array``, ``struct``, ``union``, ..."""
        return self._META

    @property
    def meta_type(self) -> SchemaMetaType:
        """The kind as introspection names it (SchemaInfo's ``meta-type``): structs and unions are ``object``."""
        return self._META_TYPE

    @property
    def is_implicit(self) -> bool:
        """True for entities the schema makes itself (introspection masks or hides them)."""
        return self.info is None

    def describe(self) -> str:
        """QEMU's description in messages: ``command 'quit'``."""
        return f"{self.meta} '{self.name}'"


@attrs.frozen(kw_only=True)
class SchemaType(SchemaEntity):
    """Base of every type (QEMU's ``QAPISchemaType``)."""

    @property
    def json_type(self) -> JSONType:
        """The JSON type of its values (``value`` when it may be several)."""
        raise NotImplementedError

    def describe(self) -> str:
        """QEMU's description in messages: ``struct type 'Foo'``."""
        return f"{self.meta} type '{self.name}'"


@final
@attrs.frozen(kw_only=True)
class BuiltinType(SchemaType):
    """A built-in scalar type: ``str``, ``int``, ``uint8``, ``size``, ``any``, ... (``QAPISchemaBuiltinType``)."""

    _META: ClassVar[str] = "built-in"
    _META_TYPE: ClassVar[SchemaMetaType] = "builtin"

    #: Its JSON type (introspection's ``json-type``).
    builtin_json_type: JSONType

    @property
    def json_type(self) -> JSONType:
        """The JSON type: ``string``, ``int``, ``number``, ``boolean``, ``null`` or ``value``."""
        return self.builtin_json_type

    @property
    def is_implicit(self) -> bool:
        """Built-ins are not implicit: introspection names them unmasked."""
        return False


def _values(values: Iterable[EnumValue]) -> tuple[EnumValue, ...]:
    return tuple(values)


@final
@attrs.frozen(kw_only=True)
class EnumType(SchemaType):
    """An enumeration (``QAPISchemaEnumType``): a string from a fixed set."""

    _META: ClassVar[str] = "enum"
    _META_TYPE: ClassVar[SchemaMetaType] = "enum"

    #: The values, in source order.
    values: tuple[EnumValue, ...] = attrs.field(converter=_values)
    #: The C prefix (``prefix``), recorded only.
    prefix: str | None = None
    #: The value names, in order.
    value_names: tuple[str, ...] = attrs.field(init=False, eq=False, repr=False)
    #: The value names as a set, for membership tests.
    value_set: frozenset[str] = attrs.field(init=False, eq=False, repr=False)

    def __attrs_post_init__(self) -> None:
        names = tuple(v.name for v in self.values)
        object.__setattr__(self, "value_names", names)
        object.__setattr__(self, "value_set", frozenset(names))

    @property
    def json_type(self) -> JSONType:
        """Always ``string``."""
        return "string"

    @property
    def is_implicit(self) -> bool:
        """Only the predefined ``QType`` is implicit."""
        return self.name == "QType"


@final
@attrs.frozen(kw_only=True)
class ArrayType(SchemaType):
    """An array type ``['T']``, named ``TList`` (``QAPISchemaArrayType``); always implicit."""

    _META: ClassVar[str] = "array"
    _META_TYPE: ClassVar[SchemaMetaType] = "array"

    #: The canonical name of the element type.
    element_type: str

    @property
    def json_type(self) -> JSONType:
        """Always ``array``."""
        return "array"

    @property
    def is_implicit(self) -> bool:
        """Array types are always implicit."""
        return True

    def describe(self) -> str:
        """QEMU's ``array type ['T']``."""
        return f"array type ['{self.element_type}']"


def _members(members: Iterable[Member]) -> tuple[Member, ...]:
    return tuple(members)


@final
@attrs.frozen(kw_only=True)
class ObjectType(SchemaType):
    """
    A struct or a (flat) union (``QAPISchemaObjectType``).

    A struct has `local_members` and maybe a `base`; a union has a `base` (its
    own ``q_obj_<union>-base`` when written inline), no local members, and
    `variants` tagged by its discriminator.
    """

    #: The base struct's name, or None.
    base: str | None = None
    #: The members this definition declares itself, in source order.
    local_members: tuple[Member, ...] = attrs.field(default=(), converter=_members)
    #: The branches (unions only).
    variants: Variants | None = None
    #: All members: the base's (recursively) first, then the local ones.
    members: tuple[Member, ...] = attrs.field(default=(), converter=_members)

    @property
    def meta(self) -> str:
        """``union`` with variants, else ``struct``."""
        return "union" if self.variants is not None else "struct"

    @property
    def json_type(self) -> JSONType:
        """Always ``object``."""
        return "object"

    @property
    def is_implicit(self) -> bool:
        """Names starting with ``q_`` are implicit (``q_empty``, ``q_obj_*``)."""
        return self.name.startswith("q_")

    @property
    def is_empty(self) -> bool:
        """True without members and variants."""
        return not self.members and self.variants is None

    def member(self, name: str) -> Member | None:
        """The member *name* (from `members`), or None."""
        for member in self.members:
            if member.name == name:
                return member
        return None

    @property
    def member_names(self) -> tuple[str, ...]:
        """The names of `members`, base first."""
        return tuple(m.name for m in self.members)


@final
@attrs.frozen(kw_only=True)
class AlternateType(SchemaType):
    """An alternate (``QAPISchemaAlternateType``): one of several types, told apart by JSON type."""

    _META: ClassVar[str] = "alternate"
    _META_TYPE: ClassVar[SchemaMetaType] = "alternate"

    #: The branches; the tag is ``type`` (QEMU's implicit ``QType`` member).
    variants: Variants

    @property
    def json_type(self) -> JSONType:
        """Always ``value``."""
        return "value"


@final
@attrs.frozen(kw_only=True)
class Command(SchemaEntity):
    """A QMP command (``QAPISchemaCommand``)."""

    _META: ClassVar[str] = "command"
    _META_TYPE: ClassVar[SchemaMetaType] = "command"

    #: The arguments' object type, or None without ``data``.
    arg_type: str | None = None
    #: The result type, or None without ``returns`` (the reply is ``{}``).
    ret_type: str | None = None
    #: ``boxed``: the arguments are one object (a union allowed).
    boxed: bool = False
    #: ``allow-oob``: may run out of band.
    allow_oob: bool = False
    #: ``allow-preconfig``: available in preconfig state.
    allow_preconfig: bool = False
    #: ``coroutine``: runs in a coroutine.
    coroutine: bool = False
    #: ``success-response``: False for commands that send no reply on success.
    success_response: bool = True
    #: ``gen``: False when QEMU writes the marshaller by hand.
    gen: bool = True


@final
@attrs.frozen(kw_only=True)
class Event(SchemaEntity):
    """A QMP event (``QAPISchemaEvent``)."""

    _META: ClassVar[str] = "event"
    _META_TYPE: ClassVar[SchemaMetaType] = "event"

    #: The data's object type, or None without ``data``.
    arg_type: str | None = None
    #: ``boxed``: the data is one object.
    boxed: bool = False


#: QEMU's predefined ``QType`` enum values (tags of alternates).
QTYPE_VALUES: Final = ("none", "qnull", "qnum", "qstring", "qdict", "qlist", "qbool")
