"""
Properties: the `ObjectProperty` record, the typed kinds, and the builders.

A property is a name, a type string and callbacks, as in QEMU's
``ObjectProperty``.  The generic callbacks work on *visitors*:
``set(obj, visitor, name, raw)`` asks the visitor for the typed value (so a bad
input is rejected before any state changes) and only then calls the user's
setter; ``get(obj)`` returns the value as JSON would carry it.

The typed builders (`PropertyBuilders`) are shared by classes (class properties,
added in ``class_init``) and objects (instance properties, added in
``instance_init``): the same names on both, as the contract asks.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping, Sequence
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, ClassVar, Final

import attrs

from .._util.codegen import make_setter
from .._util.unset import UNSET, UnsetType
from ..errors import ParameterError, PropertyCallbackError, QOMError
from ..qapi._frozen import freeze
from ..qapi._typed_json import typed_json
from ..qapi._visitors import (
    ENUM_SHORTCUT,
    INT_RANGES,
    JSON_VISITOR,
    InputVisitor,
    scalar_shortcut,
    type_enum,
    type_int,
)

if TYPE_CHECKING:
    from ._object import Object
    from ._registry import TypeRegistry

__all__ = [
    "BOOL",
    "BUILTIN_KINDS",
    "NUMBER",
    "QDEV_RANGE_MESSAGE",
    "SIZE",
    "STR",
    "BoolKind",
    "EnumKind",
    "IntKind",
    "ObjectProperty",
    "PropertyBuilders",
    "PropertyKind",
    "StoreIn",
    "int_kind",
]

#: ``get(obj)`` returning the value as JSON carries it.
GetFn = Callable[["Object"], Any]
#: ``set(obj, visitor, name, raw)``: visit *raw* with *visitor*, then store.
SetFn = Callable[["Object", InputVisitor, str, object], None]
#: ``resolve(obj, name)``: the object a path component names, or None.
ResolveFn = Callable[["Object", str], "Object | None"]
#: ``release(obj, name)``: called when the property goes away.
ReleaseFn = Callable[["Object", str], None]


@attrs.define(eq=False, repr=False)
class ObjectProperty:
    """
    One property of an object or class. Models QEMU's ``ObjectProperty``.

    A missing ``get`` makes the property write-only, a missing ``set`` read-only.
    """

    #: The property's name (kebab-case on the wire).
    name: str
    #: QEMU's type string: ``int``, ``bool``, ``string``, ``link<T>``, ...
    type: str
    get: GetFn | None = None
    set: SetFn | None = None
    resolve: ResolveFn | None = None
    release: ReleaseFn | None = None
    description: str | None = None
    #: The default as JSON carries it (QEMU's ``defval``); `UNSET` if none.
    default: Any = UNSET
    #: The typed kind when built by a typed builder (used by schemas and help).
    kind: PropertyKind | None = None
    #: For typed properties: the user's setter, which takes a value already
    #: checked as `kind` (creation from a schema-checked request calls it directly).
    store: Callable[[Object, Any], None] | None = None

    @property
    def is_readable(self) -> bool:
        """Whether the property has a getter."""
        return self.get is not None

    @property
    def is_writable(self) -> bool:
        """Whether the property has a setter."""
        return self.set is not None

    def __repr__(self) -> str:
        # What a reader needs, not the getter and setter closures.
        access = {(True, True): "read-write", (True, False): "read-only", (False, True): "write-only"}
        parts = [
            f"name={self.name!r}",
            f"type={self.type!r}",
            f"access={access.get((self.is_readable, self.is_writable), 'none')!r}",
        ]
        if self.default is not UNSET:
            parts.append(f"default={self.default!r}")
        if self.description is not None:
            parts.append(f"description={self.description!r}")
        return f"ObjectProperty({', '.join(parts)})"


class PropertyKind:
    """
    A typed value kind: its type string and how a visitor reads it.

    A kind may name a *shortcut* (`shortcut`): an expression over ``raw`` (and
    the constants it names) that is true exactly when its visitor would
    return ``raw`` unchanged.  Generated setters and schema hooks test it inline
    and call `visit` only when it fails (see `qom_py._util.codegen`).
    """

    #: QEMU's type string for properties of this kind.
    type_name: ClassVar[str] = "any"
    #: The JSON type name used by schemas (``int``, ``bool``, ``str``, ``size``, ...).
    schema_type: ClassVar[str] = "any"

    def shortcut(self) -> tuple[str, dict[str, Any], bool]:
        """
        ``(expression, constants, every visitor)``: the shortcut, the values it names, whether it holds for any visitor.

        ("", {}, False) when there is none.  Scalar kinds have their QAPI
        type's (`qom_py.qapi._visitors.scalar_shortcut`, the checker's too).
        """
        return "", {}, False

    def visit(self, visitor: InputVisitor, name: str, raw: object) -> Any:
        """Read *raw* through *visitor* as this kind."""
        return visitor.type_any(name, raw)

    def output(self, value: Any) -> Any:
        """Return *value* as JSON carries it."""
        return value

    def freezer(self) -> Callable[[Any], Any]:
        """How a checked value of this kind is frozen before it is stored (structured kinds only)."""
        return freeze

    def checked_values_are_new(self) -> bool:
        """Whether checked values share nothing with the input (then a `StoreIn` may freeze on first read)."""
        return False

    def setter(self, user_set: Callable[[Object, Any], None]) -> SetFn:
        """A property setter handing values checked as this kind to *user_set*."""
        slot = user_set.slot if isinstance(user_set, StoreIn) else None
        fast, constants, any_visitor = self.shortcut()
        if slot is None and not fast:
            visit = self.visit

            def setter(obj: Object, visitor: InputVisitor, pname: str, raw: object) -> None:
                user_set(obj, visit(visitor, pname, raw))

            return setter
        return make_setter(
            self.visit,
            fast or "False",
            any_visitor,
            constants,
            JSON_VISITOR,
            user_set=user_set,
            slot=slot,
        )


@attrs.frozen
class StoreIn:
    """
    A setter storing the checked value in ``obj.__dict__[slot]``.

    Typed builders recognize it and generate a setter that stores directly,
    saving one call per set (declarative types use it).
    """

    slot: str

    def __call__(self, obj: Object, value: Any) -> None:
        obj.__dict__[self.slot] = value


def _scalar_shortcut(self: PropertyKind) -> tuple[str, dict[str, Any], bool]:
    """A scalar kind's shortcut: its QAPI type's (`scalar_shortcut`), the constants named as they are."""
    found = scalar_shortcut(self.schema_type)
    assert found is not None, self
    expression, constants, any_visitor = found
    return expression.format(**{name: name for name in constants}), constants, any_visitor


@attrs.frozen
class BoolKind(PropertyKind):
    """``bool``."""

    type_name: ClassVar[str] = "bool"
    schema_type: ClassVar[str] = "bool"
    shortcut = _scalar_shortcut

    def visit(self, visitor: InputVisitor, name: str, raw: object) -> bool:
        return visitor.type_bool(name, raw)


@attrs.frozen
class StrKind(PropertyKind):
    """``string``."""

    type_name: ClassVar[str] = "string"
    schema_type: ClassVar[str] = "str"
    shortcut = _scalar_shortcut

    def visit(self, visitor: InputVisitor, name: str, raw: object) -> str:
        return visitor.type_str(name, raw)


@attrs.frozen
class NumberKind(PropertyKind):
    """``number`` (a double)."""

    type_name: ClassVar[str] = "number"
    schema_type: ClassVar[str] = "number"
    shortcut = _scalar_shortcut

    def visit(self, visitor: InputVisitor, name: str, raw: object) -> float:
        return visitor.type_number(name, raw)


@attrs.frozen
class SizeKind(PropertyKind):
    """``size``: an unsigned 64-bit byte count (keyval accepts ``1G`` and friends)."""

    type_name: ClassVar[str] = "size"
    schema_type: ClassVar[str] = "size"
    shortcut = _scalar_shortcut

    def visit(self, visitor: InputVisitor, name: str, raw: object) -> int:
        return visitor.type_size(name, raw)


#: QEMU's qdev wording for a value outside a property's range (``QERR_PROPERTY_VALUE_OUT_OF_RANGE``).
QDEV_RANGE_MESSAGE: Final = "Property {type}.{name} doesn't take value {value} (minimum: {minimum}, maximum: {maximum})"


@attrs.frozen
class IntKind(PropertyKind):
    """
    Signed or unsigned integers of 8, 16, 32 or 64 bits, optionally in a declared range.

    The range is not part of equality: a value checked as the width is good
    for the property's store, which checks the range itself (so creation's
    schema-checked values need nothing more).
    """

    bits: int = 64
    signed: bool = True
    #: The declared lowest value (None: the width's).
    minimum: int | None = attrs.field(default=None, eq=False, kw_only=True)
    #: The declared highest value (None: the width's).
    maximum: int | None = attrs.field(default=None, eq=False, kw_only=True)
    #: The message for a value outside the declared range, a format with ``{type}``,
    #: ``{name}``, ``{value}``, ``{minimum}`` and ``{maximum}`` (default: QEMU's qdev
    #: wording).  A type wording its own (QEMU's event loops) keeps its description
    #: as given, without the range.
    range_message: str = attrs.field(default=QDEV_RANGE_MESSAGE, eq=False, kw_only=True)
    shortcut = _scalar_shortcut

    @property
    def type_name(self) -> str:  # type: ignore[override]  # computed from the width
        # The contract's names: "int" / "uint" at 64 bits (QEMU's pointer-backed
        # uint64 properties say "uint64"; its custom ones, like these, choose).
        if self.bits == 64:
            return "int" if self.signed else "uint"
        return f"{'int' if self.signed else 'uint'}{self.bits}"

    @property
    def schema_type(self) -> str:  # type: ignore[override]  # computed from the width
        if self.bits == 64:
            return "int" if self.signed else "uint64"
        return self.type_name

    def visit(self, visitor: InputVisitor, name: str, raw: object) -> int:
        return type_int(visitor, name, raw, self.bits, self.signed)

    @property
    def has_range(self) -> bool:
        """Whether a range narrower than the width is declared."""
        return self.minimum is not None or self.maximum is not None

    @property
    def bounds(self) -> tuple[int, int]:
        """The lowest and highest values accepted (the declared range, else the width's)."""
        low, high, _ = INT_RANGES[self.bits, self.signed]
        return (low if self.minimum is None else self.minimum, high if self.maximum is None else self.maximum)

    def range_text(self) -> str:
        """The declared range as help and descriptions show it: ``minimum: 0, maximum: 100``."""
        parts = [] if self.minimum is None else [f"minimum: {self.minimum}"]
        return ", ".join(parts if self.maximum is None else [*parts, f"maximum: {self.maximum}"])

    def out_of_range(self, typename: str, name: str, value: int) -> ParameterError:
        """The error for *value* outside the declared range."""
        low, high = self.bounds
        text = self.range_message.format(type=typename, name=name, value=value, minimum=low, maximum=high)
        return ParameterError(text)

    def check_default(self, default: Any) -> None:
        """
        Refuse a *default* outside the range (at declaration, not at every creation).

        Raises:
            ValueError: the default is out of range.
        """
        low, high = self.bounds
        if type(default) is int and not low <= default <= high:
            msg = f"the default {default} is outside the property's range ({self.range_text()})"
            raise ValueError(msg)


@attrs.frozen
class EnumKind(PropertyKind):
    """An enum, by member name; the type string is the enum's name."""

    enum_name: str = "enum"
    values: tuple[str, ...] = ()

    @property
    def type_name(self) -> str:  # type: ignore[override]  # the enum's own name
        return self.enum_name

    @property
    def schema_type(self) -> str:  # type: ignore[override]  # the enum's own name
        return self.enum_name

    def shortcut(self) -> tuple[str, dict[str, Any], bool]:
        # Every visitor takes a member's name as it is.
        return ENUM_SHORTCUT.format(members="members"), {"members": frozenset(self.values)}, True

    def visit(self, visitor: InputVisitor, name: str, raw: object) -> str:
        if visitor.mode == "json" and isinstance(raw, enum.Enum):  # a typed value (qom_py.qapi_type): its JSON
            raw = typed_json(raw)
        return type_enum(visitor, name, raw, self.values)


BOOL: Final = BoolKind()
STR: Final = StrKind()
SIZE: Final = SizeKind()
NUMBER: Final = NumberKind()


def int_kind(
    bits: int = 64,
    signed: bool = True,
    *,
    minimum: int | None = None,
    maximum: int | None = None,
    range_message: str = QDEV_RANGE_MESSAGE,
) -> IntKind:
    """
    Return the integer kind of *bits* width, in the range *minimum*..*maximum* when given.

    Raises:
        ValueError: a width other than 8, 16, 32, 64; a bound outside the width, or
            *minimum* above *maximum*.
    """
    if bits not in (8, 16, 32, 64):
        msg = f"integer properties are 8, 16, 32 or 64 bits wide, not {bits}"
        raise ValueError(msg)
    if minimum is None and maximum is None:
        return IntKind(bits, signed, range_message=range_message)
    low, high, _ = INT_RANGES[bits, signed]
    for bound in (minimum, maximum):
        if bound is not None and (type(bound) is not int or not low <= bound <= high):
            shown = IntKind(bits, signed).type_name
            msg = f"the range bounds of {shown} properties are integers in [{low}, {high}], not {bound!r}"
            raise ValueError(msg)
    if minimum is not None and maximum is not None and minimum > maximum:
        msg = f"the range of an integer property is empty: minimum {minimum} > maximum {maximum}"
        raise ValueError(msg)
    return IntKind(bits, signed, minimum=minimum, maximum=maximum, range_message=range_message)


#: Kinds whose values are scalars: the getter's and the setter's value is the value itself.
_SCALAR_KINDS: Final = frozenset({BoolKind, StrKind, IntKind, SizeKind, NumberKind, EnumKind})


#: QAPI's built-in scalar types as property kinds, keyed by each kind's own
#: `PropertyKind.schema_type` (``str``, ``bool``, ``number``, ``size``, ``int``,
#: ``uint8`` ... ``uint64``): a member checked as one of these needs no second
#: check when the property has that very kind.
BUILTIN_KINDS: Final[Mapping[str, PropertyKind]] = MappingProxyType(
    {kind.schema_type: kind for kind in (STR, BOOL, NUMBER, SIZE, *(int_kind(b, s) for b, s in INT_RANGES))}
)


def typed_property(
    name: str,
    kind: PropertyKind,
    get: Callable[[Object], Any] | None,
    set: Callable[[Object, Any], None] | None,  # the contract's name
    *,
    description: str | None = None,
) -> ObjectProperty:
    """
    Build an `ObjectProperty` whose setter only ever sees a checked value.

    A structured value (lists, dicts) is stored frozen (`qom_py.qapi._frozen`)
    and the getter returns it frozen: what a reader is handed cannot be changed
    behind the checks, and no output needs copying.
    """
    structured = type(kind) not in _SCALAR_KINDS
    getter: GetFn | None = None
    if get is not None:
        if not structured:
            getter = get  # scalar outputs are the values themselves
        else:
            user_get, output = get, kind.output

            def output_getter(obj: Object) -> Any:
                return freeze(output(user_get(obj)))  # a frozen value is returned as it is

            getter = output_getter
    ranged = kind if isinstance(kind, IntKind) and kind.has_range else None
    if ranged is not None and ranged.range_message == QDEV_RANGE_MESSAGE:
        shown = ranged.range_text()
        description = f"{description} ({shown})" if description else shown
    prop = ObjectProperty(name, kind.type_name, getter, None, description=description, kind=kind)
    store = set
    if store is not None and structured and not (isinstance(store, StoreIn) and kind.checked_values_are_new()):
        # Frozen before anyone sees it; a declarative slot holding a value nobody else
        # holds is frozen by the attribute on first read instead (sets cost nothing more).
        store = _freezing(store, kind.freezer())
    if store is not None and ranged is not None:
        store = _in_range(prop, ranged, store)
    if store is not None:
        prop.set = kind.setter(store)
        prop.store = store if isinstance(store, StoreIn) else _guarded_store(prop, store)
    return prop


def _in_range(
    prop: ObjectProperty, kind: IntKind, user_set: Callable[[Object, Any], None]
) -> Callable[[Object, Any], None]:
    """*user_set* (or the `StoreIn` slot) receiving only values in *kind*'s declared range."""
    low, high = kind.bounds
    out_of_range = kind.out_of_range
    if isinstance(user_set, StoreIn):
        slot = user_set.slot

        def store_in_range(obj: Object, value: int) -> None:
            if value < low or value > high:
                raise out_of_range(obj.type_name, prop.name, value)
            obj.__dict__[slot] = value

        return store_in_range

    def set_in_range(obj: Object, value: int) -> None:
        if value < low or value > high:
            raise out_of_range(obj.type_name, prop.name, value)
        user_set(obj, value)

    return set_in_range


def _freezing(user_set: Callable[[Object, Any], None], frozen: Callable[[Any], Any]) -> Callable[[Object, Any], None]:
    """*user_set* receiving the checked value *frozen* (a `StoreIn` stores it so itself)."""
    if isinstance(user_set, StoreIn):
        slot = user_set.slot

        def store_frozen(obj: Object, value: Any) -> None:
            obj.__dict__[slot] = frozen(value)

        return store_frozen

    def set_frozen(obj: Object, value: Any) -> None:
        user_set(obj, frozen(value))

    return set_frozen


def _guarded_store(prop: ObjectProperty, user_set: Callable[[Object, Any], None]) -> Callable[[Object, Any], None]:
    """
    *user_set*, reporting a foreign exception as `Object.property_set` does.

    Creation calls a property's ``store`` directly (its value checked by the
    schema already), past ``property_set``'s own guard.
    """

    def store(obj: Object, value: Any) -> None:
        try:
            user_set(obj, value)
        except QOMError:
            raise
        except Exception as exc:
            raise PropertyCallbackError.of(obj.type_name, prop.name, exc) from exc

    return store


class PropertyBuilders:
    """
    The typed ``property_add_*`` builders, shared by `ObjectClass` and `Object`.

    Subclasses provide `_add_property`, which checks for duplicates and stores.
    """

    def _add_property(self, prop: ObjectProperty) -> ObjectProperty:
        raise NotImplementedError

    def property_add(
        self,
        name: str,
        type: str,  # QEMU's name
        get: GetFn | None = None,
        set: SetFn | None = None,  # QEMU's name
        *,
        resolve: ResolveFn | None = None,
        release: ReleaseFn | None = None,
        description: str | None = None,
    ) -> ObjectProperty:
        """
        Add a raw property whose callbacks work on visitors (QEMU's ``object_property_add``).

        Raises:
            DuplicatePropertyError: *name* is already used.
        """
        prop = ObjectProperty(name, type, get, set, resolve, release, description)
        return self._add_property(prop)

    def property_add_typed(
        self,
        name: str,
        kind: PropertyKind,
        get: Callable[[Object], Any] | None,
        set: Callable[[Object, Any], None] | None,  # the contract's name
        *,
        description: str | None = None,
        default: Any = UNSET,
    ) -> ObjectProperty:
        """Add a property of *kind*; *set* receives values already checked against it."""
        prop = typed_property(name, kind, get, set, description=description)
        prop = self._add_property(prop)
        if default is not UNSET:
            self.property_set_default(prop, default)
        return prop

    def property_add_qapi(
        self,
        name: str,
        qapi_type: str | list[str] | tuple[str],
        get: Callable[[Object], Any] | None,
        set: Callable[[Object, Any], None] | None,  # the contract's name
        *,
        description: str | None = None,
        type_name: str | None = None,
    ) -> ObjectProperty:
        """
        Add a property of any QAPI type: a built-in, a defined enum/struct/union/alternate, or ``[T]``.

        *get* returns the value as JSON carries it; *set* receives a checked
        value in that shape (dicts keyed by member names, absent optional
        members absent); a failed check calls nothing.  *type_name* is the type
        string shown (default: the type's name; for a list, its element's).

        Raises:
            QAPITypeNotFoundError: *qapi_type* is not defined (see ``qom_py.qapi_load``).
            DuplicatePropertyError: *name* is already used.
        """
        registry: TypeRegistry = self.registry  # type: ignore[attr-defined]  # both subclasses have one
        kind = registry.qapi_kind(qapi_type, type_name)
        return self.property_add_typed(name, kind, get, set, description=description)

    def property_set_default(self, prop: ObjectProperty, default: Any) -> None:
        """Give *prop* a default (JSON-typed), applied as QEMU applies ``defval``."""
        prop.default = default

    def property_add_bool(
        self,
        name: str,
        get: Callable[[Object], bool] | None,
        set: Callable[[Object, bool], None] | None,
        *,
        description: str | None = None,
        default: bool | UnsetType = UNSET,
    ) -> ObjectProperty:
        """Add a ``bool`` property."""
        return self.property_add_typed(name, BOOL, get, set, description=description, default=default)

    def property_add_str(
        self,
        name: str,
        get: Callable[[Object], str] | None,
        set: Callable[[Object, str], None] | None,
        *,
        description: str | None = None,
        default: str | UnsetType = UNSET,
    ) -> ObjectProperty:
        """Add a ``string`` property."""
        return self.property_add_typed(name, STR, get, set, description=description, default=default)

    def property_add_enum(
        self,
        name: str,
        enum_name: str,
        values: Sequence[str],
        get: Callable[[Object], str] | None,
        set: Callable[[Object, str], None] | None,
        *,
        description: str | None = None,
        default: str | UnsetType = UNSET,
    ) -> ObjectProperty:
        """Add an enum property named *enum_name*, whose members are *values* (by name)."""
        kind = EnumKind(enum_name, tuple(values))
        return self.property_add_typed(name, kind, get, set, description=description, default=default)

    def property_add_int(
        self,
        name: str,
        get: Callable[[Object], int] | None,
        set: Callable[[Object, int], None] | None,
        bits: int = 64,
        signed: bool = True,
        *,
        description: str | None = None,
        default: int | UnsetType = UNSET,
        minimum: int | None = None,
        maximum: int | None = None,
    ) -> ObjectProperty:
        """
        Add an integer property (type ``int``/``uint`` at 64 bits, ``int8``... otherwise).

        *minimum* and *maximum* declare a range within the width: a value outside
        it is refused with QEMU's qdev message (``Property T.name doesn't take
        value 500 (minimum: 0, maximum: 100)``); help, ``qom-list-properties``
        descriptions and the JSON Schema show it.

        Raises:
            ValueError: a bad width or range, or a *default* outside the range.
        """
        kind = int_kind(bits, signed, minimum=minimum, maximum=maximum)
        kind.check_default(default)
        return self.property_add_typed(name, kind, get, set, description=description, default=default)

    def property_add_uint(
        self,
        name: str,
        get: Callable[[Object], int] | None,
        set: Callable[[Object, int], None] | None,
        bits: int = 64,
        *,
        description: str | None = None,
        default: int | UnsetType = UNSET,
        minimum: int | None = None,
        maximum: int | None = None,
    ) -> ObjectProperty:
        """Add an unsigned integer property (``uint8`` ... ``uint64``; a range as `property_add_int`)."""
        return self.property_add_int(
            name, get, set, bits, False, description=description, default=default, minimum=minimum, maximum=maximum
        )

    def property_add_size(
        self,
        name: str,
        get: Callable[[Object], int] | None,
        set: Callable[[Object, int], None] | None,
        *,
        description: str | None = None,
        default: int | UnsetType = UNSET,
    ) -> ObjectProperty:
        """Add a ``size`` property (keyval accepts suffixes: ``4k``, ``1G``)."""
        return self.property_add_typed(name, SIZE, get, set, description=description, default=default)
