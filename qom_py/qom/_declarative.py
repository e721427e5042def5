"""
Declarative QOM types: a Python class with typed property declarations.

::

    @qom_type("qemu-dummy", interfaces=["user-creatable"])
    class Dummy(Object):
        bv = prop.Bool(default=False)
        sv = prop.Str(description="A string")
        av = prop.Enum("DummyAnimal", ["frog", "alligator", "platypus"])

        def complete(self) -> None: ...

This produces exactly what `TypeInfo` + ``class_init`` would: the same registry
entry, class properties added in the generated ``class_init`` (``link`` ones as
instance properties, since they hold per-object state), class slots
(``complete``, ``can_be_deleted``, ``unparent``) set from methods of those names,
and the hooks ``instance_init`` / ``instance_post_init`` / ``instance_finalize``
taken from methods defined on the class itself.  Attribute access goes through
the property: ``obj.sv = 1`` fails exactly as ``qom-set`` would.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final, Generic, TypeVar, cast, overload

from .._util.names import wire_name
from .._util.unset import UNSET
from ..errors import PropertyCallbackError, QOMError
from ..qapi._frozen import EMPTY_LIST, freeze
from ..qapi._visitors import JSON_VISITOR
from ._declared import check_declaration
from ._object import Object, ObjectClass
from ._property import BOOL, NUMBER, SIZE, STR, EnumKind, IntKind, PropertyKind, StoreIn, int_kind
from ._registry import TypeRegistry, default_registry
from ._typeinfo import TYPE_OBJECT, TypeInfo

if TYPE_CHECKING:
    from ..qapi._pytypes import PyTypes

__all__ = [
    "QAPI",
    "Bool",
    "Enum",
    "Int",
    "JSONInput",
    "Link",
    "Number",
    "Property",
    "QAPIList",
    "QAPIProperty",
    "QAPIStruct",
    "Size",
    "Str",
    "UInt",
    "call_declared",
    "declare_type",
    "qom_type",
]

T = TypeVar("T")
ObjT = TypeVar("ObjT", bound="Object")
_TargetT = TypeVar("_TargetT", bound="Object")  # a Link's target class, bound per call

#: Methods that become class slots of the same name.
CLASS_SLOTS: Final = ("complete", "can_be_deleted", "unparent")

#: ``check(obj, value)``: raise a `QOMError` to refuse a value (nothing is stored then); any
#: other exception is reported as `qom_py.errors.PropertyCallbackError`, one line naming the property.
Check = Callable[[Any, Any], None]
#: ``on_change(obj)``: runs after a value is stored; if it raises, the old value is put back.
OnChange = Callable[[Any], None]


class Property(Generic[T]):
    """A typed property declared on a declarative class (a data descriptor)."""

    def __init__(
        self,
        kind: PropertyKind,
        *,
        default: Any = UNSET,
        description: str | None = None,
        name: str | None = None,
        check: Check | None = None,
        read_only: bool = False,
        initial: Any = None,
        on_change: OnChange | None = None,
    ) -> None:
        self.kind = kind
        self.default = default
        self.description = description
        #: The wire name (kebab-case), from the attribute name unless given.
        self.name = name or ""
        self.check = check
        #: Applies a stored value (say, to a running context); a failure undoes the store.
        self.on_change = on_change
        self.read_only = read_only
        self.initial = default if default is not UNSET else initial
        self.attr = ""
        self._slot = ""

    def __repr__(self) -> str:
        parts = [f"name={self.name!r}" if self.name else "(unbound)", f"type={self.kind.type_name!r}"]
        if isinstance(self.kind, IntKind) and self.kind.has_range:
            parts.append(self.kind.range_text().replace(": ", "="))
        if self.default is not UNSET:
            parts.append(f"default={self.default!r}")
        if self.read_only:
            parts.append("read_only=True")
        if self.description is not None:
            parts.append(f"description={self.description!r}")
        return f"Property({', '.join(parts)})"

    def __set_name__(self, owner: type, attr: str) -> None:
        self.attr = attr
        #: Where the value lives in the instance's ``__dict__``.
        self._slot = f"_qom_{attr}"
        if not self.name:
            self.name = wire_name(attr)

    @overload
    def __get__(self, obj: None, objtype: type | None = None) -> Property[T]: ...
    @overload
    def __get__(self, obj: object, objtype: type | None = None) -> T: ...
    def __get__(self, obj: object | None, objtype: type | None = None) -> Any:
        if obj is None:
            return self
        return obj.__dict__.get(self._slot, self.initial)

    def __set__(self, obj: Object, value: T) -> None:
        # Typed for checkers (``obj.rate = "seven"`` is flagged); at run time
        # any value is validated exactly as qom-set would: `Object.property_set`,
        # its common case (a writable class property, no observers) inlined.
        klass = obj.klass
        setter = (klass._setters if klass._find_cache else klass.class_setters()).get(self.name)
        if setter is None or obj._observers:
            obj.property_set(self.name, value)
            return
        try:
            setter(obj, JSON_VISITOR, self.name, value)
        except QOMError:
            raise
        except Exception as exc:  # the user's code, as in property_set (try is free in 3.11)
            raise PropertyCallbackError.of(obj.type_name, self.name, exc) from exc

    def store(self, obj: Object, value: Any) -> None:
        """
        Store an already-checked *value* (the property's setter): *check*, store, *on_change*.

        If *on_change* raises, the previous value is put back (a failed set changes nothing).
        """
        if self.check is not None:
            self.check(obj, value)
        state = obj.__dict__
        if self.on_change is None:
            state[self._slot] = value
            return
        old = state.get(self._slot, UNSET)
        state[self._slot] = value
        try:
            self.on_change(obj)
        except BaseException:
            if old is UNSET:
                state.pop(self._slot, None)
            else:
                state[self._slot] = old
            raise

    def add_to(self, klass: ObjectClass) -> None:
        """Add this property to *klass* as a class property."""
        klass.property_add_typed(
            self.name,
            self.kind,
            self.__get__,
            None if self.read_only else self._store(),
            description=self.description,
            default=self.default,
        )

    def _store(self) -> Callable[[Any, Any], None]:
        # The common case, with neither check nor on_change, stores straight into the slot.
        return StoreIn(self._slot) if self.check is None and self.on_change is None else self.store


def Bool(**kwargs: Any) -> Property[bool]:  # reads as a type in declarations
    """Declare a ``bool`` property."""
    kwargs.setdefault("initial", False)
    return Property(BOOL, **kwargs)


def Str(**kwargs: Any) -> Property[str]:
    """Declare a ``string`` property."""
    kwargs.setdefault("initial", "")
    return Property(STR, **kwargs)


def Number(**kwargs: Any) -> Property[float]:
    """Declare a ``number`` (double) property."""
    kwargs.setdefault("initial", 0.0)
    return Property(NUMBER, **kwargs)


def Int(bits: int = 64, *, minimum: int | None = None, maximum: int | None = None, **kwargs: Any) -> Property[int]:
    """
    Declare a signed integer property of *bits* width (``int``, ``int32``, ...).

    *minimum* and *maximum* declare a range within the width (see
    ``property_add_int``); the value read before any set is then the one
    nearest 0 in the range.

    Raises:
        ValueError: a bad width or range, or a *default* outside the range.
    """
    return _integer(int_kind(bits, True, minimum=minimum, maximum=maximum), kwargs)


def UInt(bits: int = 64, *, minimum: int | None = None, maximum: int | None = None, **kwargs: Any) -> Property[int]:
    """Declare an unsigned integer property of *bits* width (``uint8`` ... ``uint32``, ``uint`` at 64; a range as `Int`)."""
    return _integer(int_kind(bits, False, minimum=minimum, maximum=maximum), kwargs)


def _integer(kind: IntKind, kwargs: dict[str, Any]) -> Property[int]:
    low, high = kind.bounds
    kwargs.setdefault("initial", min(max(0, low), high))
    kind.check_default(kwargs.get("default", UNSET))
    return Property(kind, **kwargs)


def Size(**kwargs: Any) -> Property[int]:
    """Declare a ``size`` property (keyval accepts ``4k``, ``1G``, ...)."""
    kwargs.setdefault("initial", 0)
    return Property(SIZE, **kwargs)


def Enum(enum_name: str, values: Sequence[str], **kwargs: Any) -> Property[str]:
    """Declare an enum property named *enum_name* with members *values*."""
    kwargs.setdefault("initial", values[0] if values else "")
    return Property(EnumKind(enum_name, tuple(values)), **kwargs)


def declared_type_info(cls: type[Object]) -> TypeInfo:
    """
    The `TypeInfo` of the declarative class *cls* (`qom_type`, `declare_type`): registrable in any registry.

    Raises:
        TypeError: *cls* is not a declarative class.
    """
    info = cls.__dict__.get("__qom_type_info__")
    if not isinstance(info, TypeInfo):
        msg = f"{cls.__qualname__} is not a declarative QOM type (use @qom_type)"
        raise TypeError(msg)
    return info


def declared_type_name(cls: type[Object]) -> str:
    """
    The QOM type name of the declarative class *cls* (`qom_type`, `declare_type`).

    Raises:
        TypeError: *cls* is not a declarative class.
    """
    return declared_type_info(cls).name


class Link(Generic[ObjT]):
    """
    Declare a ``link<T>`` property (an instance property: it holds per-object state).

    *target_type* is a QOM type name (the attribute reads as `Object` or None)
    or a declarative class (the attribute reads as that class or None).
    Writing the attribute takes a path, as ``qom-set`` does.
    """

    @overload
    def __init__(
        self: Link[Object],
        target_type: str,
        *,
        strong: bool = False,
        description: str | None = None,
        name: str | None = None,
        check: Callable[[Any, str, Any], None] | None = None,
    ) -> None: ...
    @overload
    def __init__(
        self: Link[_TargetT],
        target_type: type[_TargetT],
        *,
        strong: bool = False,
        description: str | None = None,
        name: str | None = None,
        check: Callable[[Any, str, Any], None] | None = None,
    ) -> None: ...
    def __init__(
        self,
        target_type: str | type[Object],
        *,
        strong: bool = False,
        description: str | None = None,
        name: str | None = None,
        check: Callable[[Any, str, Any], None] | None = None,
    ) -> None:
        if not isinstance(target_type, str):
            target_type = declared_type_name(target_type)
        self.target_type = target_type
        self.strong = strong
        self.description = description
        self.name = name or ""
        self.check = check

    def __repr__(self) -> str:
        return f"Link(name={self.name!r}, type='link<{self.target_type}>', strong={self.strong!r})"

    def __set_name__(self, owner: type, attr: str) -> None:
        if not self.name:
            self.name = wire_name(attr)

    @overload
    def __get__(self, obj: None, objtype: type | None = None) -> Link[ObjT]: ...
    @overload
    def __get__(self, obj: Object, objtype: type | None = None) -> ObjT | None: ...
    def __get__(self, obj: Object | None, objtype: type | None = None) -> Any:
        if obj is None:
            return self
        return obj.link_target(self.name)

    def __set__(self, obj: Object, value: str) -> None:
        obj.property_set(self.name, value)

    def add_to(self, obj: Object) -> None:
        """Add this link to *obj*."""
        obj.property_add_link(
            self.name, self.target_type, check=self.check, strong=self.strong, description=self.description
        )


#: What a structured property's attribute takes besides its typed values: JSON as ``qom-set`` does.
JSONInput = str | int | float | bool | Mapping[str, Any] | Sequence[Any] | None
_ReadT = TypeVar("_ReadT")
_WriteT = TypeVar("_WriteT")
_QAPIT = TypeVar("_QAPIT")


class QAPIProperty(Property[Any], Generic[_ReadT, _WriteT]):
    """
    A declared property of a QAPI type (`QAPI`, `QAPIList`, `QAPIStruct`), resolved when its class is made.

    The stored value is its JSON (frozen): ``property_get``, ``qom-get`` and the
    callbacks see that.  The attribute reads the typed value
    (`qom_py.qapi._pytypes.PyTypes.structure`: attrs instances, tuples, enums),
    built on the first read of each stored value and kept beside it; writing the
    attribute takes typed values or JSON.
    """

    def __init__(
        self, qapi_type: str | type | list[Any] | tuple[Any], *, type_name: str | None = None, **kwargs: Any
    ) -> None:
        super().__init__(PropertyKind(), **kwargs)
        self.initial = freeze(self.initial)  # handed out as every value is: frozen
        #: The Python class declared for the type (its attribute reads are instances of it), or None.
        declared = qapi_type if isinstance(qapi_type, (str, type)) else qapi_type[0]
        self.py_class = declared if isinstance(declared, type) else None
        name = declared if isinstance(declared, str) else _qapi_name(declared)
        #: The QAPI type expression (``"Rule"``, ``["uint16"]``).
        self.qapi_type: str | list[str] = name if isinstance(qapi_type, (str, type)) else [name]
        #: The type string shown, or None for QEMU's convention.
        self.type_name = type_name
        self._is_list = not isinstance(self.qapi_type, str)
        #: Freezes a stored value on first read (the kind's freezer, once the class is made).
        self._freeze: Callable[[Any], Any] = freeze
        self._types: PyTypes | None = None  # the registry schema's Python types, once the class is made
        self._typed_slot = ""

    def __set_name__(self, owner: type, attr: str) -> None:
        super().__set_name__(owner, attr)
        #: Where the typed value lives in the instance's ``__dict__``: (stored JSON, typed value).
        self._typed_slot = f"_qom_typed_{attr}"

    def json_get(self, obj: object, objtype: type | None = None) -> Any:
        """The stored value as JSON carries it (frozen): the property's getter (``property_get``)."""
        state = obj.__dict__
        value = state.get(self._slot, UNSET)
        kind = type(value)
        if kind is list or kind is dict:  # as the checker made it (nobody else holds it): frozen now, once
            value = state[self._slot] = self._freeze(value)
        elif value is UNSET:
            return EMPTY_LIST if self._is_list and self.initial is None else self.initial
        return value

    @overload
    def __get__(self, obj: None, objtype: type | None = None) -> QAPIProperty[_ReadT, _WriteT]: ...
    @overload
    def __get__(self, obj: object, objtype: type | None = None) -> _ReadT: ...
    def __get__(self, obj: object | None, objtype: type | None = None) -> Any:
        if obj is None:
            return self
        value = self.json_get(obj)
        # Frozen values are never changed: the same stored object means the same typed value.
        cached = obj.__dict__.get(self._typed_slot)
        if cached is not None and cached[0] is value:
            return cached[1]
        if self._types is None:
            msg = f"property '{self.name}' is read before its class is made (create an object first)"
            raise TypeError(msg)
        typed = None if value is None else self._types.structure(value, self.qapi_type)  # None: unset
        obj.__dict__[self._typed_slot] = (value, typed)
        return typed

    if TYPE_CHECKING:  # what the attribute takes, to checkers; at run time `Property.__set__`

        def __set__(self, obj: Object, value: _WriteT) -> None: ...

    def add_to(self, klass: ObjectClass) -> None:
        """Add this property to *klass*, its type looked up in the class's registry's schema."""
        from ..qapi._pytypes import py_types  # the schema engine: on first use

        self.kind = klass.registry.qapi_kind(self.qapi_type, self.type_name)
        self._freeze = self.kind.freezer()
        self._types = py_types(klass.registry.qapi_schema)
        if self.py_class is not None:
            made = self._types.py_type(self.qapi_type[0] if self._is_list else self.qapi_type)
            if made is not self.py_class:
                msg = (
                    f"property '{self.name}': {self.py_class.__qualname__} is not the Python type of QAPI type "
                    f"'{_qapi_name(self.py_class)}' (define it with qom_py.qapi_define)"
                )
                raise TypeError(msg)
        klass.property_add_typed(
            self.name,
            self.kind,
            self.json_get,
            None if self.read_only else self._store(),
            description=self.description,
            default=self.default,
        )


def _qapi_name(cls: type) -> str:
    from ..qapi._pydefine import type_name

    return type_name(cls)


@overload
def QAPI(qapi_type: type[_QAPIT], **kwargs: Any) -> QAPIProperty[_QAPIT | None, _QAPIT | JSONInput]: ...
@overload
def QAPI(
    qapi_type: list[type[_QAPIT]] | tuple[type[_QAPIT]], **kwargs: Any
) -> QAPIProperty[tuple[_QAPIT, ...], Sequence[_QAPIT | Mapping[str, Any]]]: ...
@overload
def QAPI(qapi_type: str | list[str] | tuple[str], **kwargs: Any) -> QAPIProperty[Any, Any]: ...
def QAPI(
    qapi_type: str | list[str] | tuple[str] | type | list[type] | tuple[type], **kwargs: Any
) -> QAPIProperty[Any, Any]:
    """
    Declare a property of any QAPI type: a built-in, a defined enum/struct/union/alternate, or ``[T]``.

    ``QAPI([Rule])`` (a one-element list of a class) is `QAPIList`'s ``QAPIList(Rule)``.

    The type must be defined (`qom_py.qapi_load`, `qom_py.qapi_define`) before
    the class is first used; a class (generated, or defined with
    `qom_py.qapi_define`) names its QAPI type.  The attribute reads typed values
    (`qom_py.qapi_type`); ``property_get`` gives JSON.  Keywords: as `Property`,
    plus *type_name* (the type string ``qom-list`` shows).
    """
    return QAPIProperty(qapi_type, **kwargs)


@overload
def QAPIList(
    element_type: type[_QAPIT], **kwargs: Any
) -> QAPIProperty[tuple[_QAPIT, ...], Sequence[_QAPIT | Mapping[str, Any]]]: ...
@overload
def QAPIList(element_type: str, **kwargs: Any) -> QAPIProperty[tuple[Any, ...], Sequence[Any]]: ...
def QAPIList(element_type: str | type, **kwargs: Any) -> QAPIProperty[Any, Any]:
    """
    Declare a list property, ``[element_type]`` (a QAPI name or its class).

    Its attribute reads a tuple of typed values (``()`` until set); writing it
    takes a sequence of them or of JSON values.
    """
    return QAPIProperty([element_type], **kwargs)


@overload
def QAPIStruct(struct: type[_QAPIT], **kwargs: Any) -> QAPIProperty[_QAPIT | None, _QAPIT | Mapping[str, Any]]: ...
@overload
def QAPIStruct(struct: str, **kwargs: Any) -> QAPIProperty[Any, Any]: ...
def QAPIStruct(struct: str | type, **kwargs: Any) -> QAPIProperty[Any, Any]:
    """
    Declare a struct (or union) property, a QAPI name or its class.

    Its attribute reads an instance of the struct's class (None until set);
    writing it takes an instance or a dict keyed by member names.
    """
    return QAPIProperty(struct, **kwargs)


def declare_type(
    cls: type[Object],
    typename: str,
    *,
    parent: str | None = None,
    abstract: bool = False,
    interfaces: Iterable[str] = (),
    class_data: Any = None,
    class_class: type[ObjectClass] | None = None,
    registry: TypeRegistry | None = default_registry,
) -> TypeInfo:
    """
    Build (and register, unless *registry* is None) the `TypeInfo` of the declarative *cls*.

    The parent is the nearest declarative base class's type unless given;
    *class_class* is the Python class of the QOM class object (inherited when None).
    """
    if parent is None:
        parent = TYPE_OBJECT
        for base in cls.__mro__[1:]:
            info = base.__dict__.get("__qom_type_info__")
            if info is not None:
                parent = info.name
                break
    own = cls.__dict__
    props = [v for v in own.values() if isinstance(v, Property)]
    for declared in props:  # refused now, not when the class is first used
        if not declared.read_only:
            check_declaration(registry, typename, declared.name, declared.kind)
    links = [v for v in own.values() if isinstance(v, Link)]
    slots = {name: own[name] for name in CLASS_SLOTS if name in own}
    user_class_init = own.get("class_init")
    if isinstance(user_class_init, (staticmethod, classmethod)):
        user_class_init = user_class_init.__get__(None, cls)
    user_instance_init = own.get("instance_init")

    def class_init(klass: ObjectClass, data: Any) -> None:
        for prop in props:
            prop.add_to(klass)
        for name, fn in slots.items():
            setattr(klass, name, fn)
        if user_class_init is not None:
            user_class_init(klass, data)

    def instance_init(obj: Object) -> None:
        for link in links:
            link.add_to(obj)
        if user_instance_init is not None:
            user_instance_init(obj)

    info = TypeInfo(
        typename,
        parent=parent,
        abstract=abstract,
        interfaces=tuple(interfaces),
        class_init=class_init,
        instance_init=instance_init if (links or user_instance_init) else None,
        instance_post_init=own.get("instance_post_init"),
        instance_finalize=own.get("instance_finalize"),
        class_data=class_data,
        instance_class=cls,
        class_class=class_class,
    )
    marked: Any = cls  # two attributes that only declarative classes carry:
    marked.__qom_type_info__ = info
    marked.__qom_registry__ = registry  # where calling the class creates
    if registry is not None:
        registry.register(info)
    return info


def call_declared(cls: type[ObjT], args: tuple[Any, ...], props: dict[str, Any]) -> ObjT:
    """
    ``cls(**props)``: a new object of the declarative class *cls*, as ``object_new_with_props``.

    Keyword names map to dashed names (``object_add``'s rule); values are typed
    as JSON carries them and set in order, all or nothing; a user-creatable
    object is completed.  The caller owns the one reference.

    Raises:
        TypeError: *cls* is not a declarative class registered in a registry, or
            positional arguments were given (the message says what to call).
        QOMError: as ``object_new_with_props``; nothing is left behind then.
    """
    from ..qapi._visitors import JSON_VISITOR
    from ._creation import PLAIN_BUILDER, builder

    name = cls.__name__
    info = cls.__dict__.get("__qom_type_info__")
    if info is None:
        msg = (
            f"{name}() cannot be called: it is not a declarative QOM type (@qom_type); "
            "create its objects with object_new(typename)"
        )
        raise TypeError(msg)
    if args:
        msg = f"{name}() takes property values as keyword arguments only"
        raise TypeError(msg)
    registry: TypeRegistry | None = cls.__dict__.get("__qom_registry__")
    if registry is None:
        msg = f"{name}() cannot be called: its type '{info.name}' was declared without a registry"
        raise TypeError(msg)
    klass = registry.concrete_class(info.name)
    if klass.type_info is not info:
        msg = f"{name}() cannot be called: type '{info.name}' is now registered from another class"
        raise TypeError(msg)
    request = {wire_name(key): value for key, value in props.items()}
    obj = (klass.memo.get(PLAIN_BUILDER) or builder(klass))(None, None, request, JSON_VISITOR)
    return cast("ObjT", obj)


Object._call_class = call_declared  # ``Cls(**props)`` (the object layer does not import this one)


def qom_type(
    typename: str,
    *,
    parent: str | None = None,
    abstract: bool = False,
    interfaces: Iterable[str] = (),
    class_data: Any = None,
    class_class: type[ObjectClass] | None = None,
    registry: TypeRegistry | None = default_registry,
) -> Callable[[type[ObjT]], type[ObjT]]:
    """
    Class decorator: declare and register the QOM type *typename* from the class.

    Example::

        @qom_type("qemu-dummy", interfaces=["user-creatable"])
        class Dummy(Object):
            sv = prop.Str()
    """

    def decorate(cls: type[ObjT]) -> type[ObjT]:
        declare_type(
            cls,
            typename,
            parent=parent,
            abstract=abstract,
            interfaces=interfaces,
            class_data=class_data,
            class_class=class_class,
            registry=registry,
        )
        return cls

    return decorate
