"""
`ObjectClass` and `Object`: QOM classes and instances, their properties and lifecycle.

Lifecycle of an instance (QEMU's ``object_new`` / ``object_finalize``):

1. class-property defaults are applied (before any ``instance_init``);
2. ``instance_init`` runs root first, then ``instance_post_init`` root first;
3. the object lives with a reference count (1 after creation; a ``child<>``
   property holds one more);
4. when the count reaches 0: every property's ``release`` runs (repeating until
   none is left, because releasing one may delete others), then
   ``instance_finalize`` runs leaf first, exactly once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, ClassVar, Final, Self, cast

from .._util.codegen import compile_function
from .._util.unset import UNSET
from ..errors import (
    DuplicatePropertyError,
    PropertyAccessError,
    PropertyCallbackError,
    PropertyNotFoundError,
    QOMError,
    QOMInternalError,
)
from ..qapi._visitors import JSON_VISITOR, KEYVAL_VISITOR, STRING_VISITOR, InputVisitor, string_output
from ._declared import check_declaration
from ._property import ObjectProperty, PropertyBuilders, SetFn
from ._tree import TreeMixin

if TYPE_CHECKING:
    from ._registry import TypeRegistry
    from ._typeinfo import TypeInfo

__all__ = ["InterfaceClass", "Object", "ObjectClass", "Observer"]

#: ``callback(obj, name, value)`` after a successful set; *value* as JSON carries it.
Observer = Callable[["Object", str, Any], None]

#: Attributes of a class object that are its own, never copied from the parent.
_OWN_ATTRIBUTES: Final = frozenset(
    {
        "type_info",
        "type_name",
        "parent_class",
        "registry",
        "interfaces",
        "abstract",
        "_properties",
        "_find_cache",
        "_setters",
        "_plan",
        "_cast_cache",
        "_cast_generation",
        "memo",
        "child_type",
    }
)


class ObjectClass(PropertyBuilders):
    """
    The class of a QOM type: its class properties and method slots.

    Models QEMU's ``ObjectClass``.  On realization a class starts as a copy of its
    parent's slots (every attribute that is not one of its own, such as
    ``complete``, ``can_be_deleted``, ``unparent`` or user slots), so values set
    by an ancestor's ``class_init`` are inherited; properties are not copied,
    lookup walks up the parents instead.
    """

    def __init__(self, registry: TypeRegistry, info: TypeInfo, parent: ObjectClass | None) -> None:
        if parent is not None:
            for key, value in vars(parent).items():
                if key not in _OWN_ATTRIBUTES:
                    setattr(self, key, value)
        #: The registry this class belongs to.
        self.registry = registry
        #: The declaration this class was realized from.
        self.type_info = info
        #: The type's name.
        self.type_name = info.name
        #: The type string of a ``child<>`` property holding an instance.
        self.child_type = f"child<{info.name}>"
        #: The parent class, or None at a root.
        self.parent_class = parent
        #: Whether ``object_new`` refuses this class.
        self.abstract = info.abstract
        #: The interface classes this class implements (one per interface).
        self.interfaces: list[InterfaceClass] = []
        self._properties: dict[str, ObjectProperty] = {}
        # property_find's map (see class_property_map) and the instance plan;
        # the registry drops both (for every class) whenever a class property is added.
        self._find_cache: dict[str, ObjectProperty] = {}
        self._setters: dict[str, SetFn] = {}
        self._plan: InstancePlan | None = None
        self._cast_cache: dict[str, ObjectClass | None] = {}
        self._cast_generation = -1
        #: Values that layers above compute once per class from its slots and
        #: properties; never inherited, dropped whenever a class property is added.
        self.memo: dict[Any, Any] = {}

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.type_name!r}>"

    # -- hierarchy ---------------------------------------------------------

    def ancestors(self) -> Iterator[ObjectClass]:
        """Yield this class, then its parent, up to the root."""
        klass: ObjectClass | None = self
        while klass is not None:
            yield klass
            klass = klass.parent_class

    def is_subclass_of(self, typename: str) -> bool:
        """Whether *typename* is this class's type or one of its ancestors."""
        return any(k.type_name == typename for k in self.ancestors())

    def dynamic_cast(self, typename: str) -> ObjectClass | None:
        """
        Cast this class to *typename* (QEMU's ``object_class_dynamic_cast``).

        Returns:
            the class itself when *typename* is an ancestor; for an interface,
            this class's interface class; None when it does not apply, when the
            name is unknown, or when more than one interface class matches.
        """
        # Results are cached until the registry changes (a registration may make
        # an unknown target name known).
        cache = self._cast_cache
        generation = self.registry.generation
        if self._cast_generation != generation:
            cache.clear()
            self._cast_generation = generation
        elif typename in cache:
            return cache[typename]
        result = self._dynamic_cast(typename)
        cache[typename] = result
        return result

    def _dynamic_cast(self, typename: str) -> ObjectClass | None:
        target = self.registry.class_by_name(typename)
        if target is None:
            return None
        if target.is_interface and self.interfaces:
            found = [i for i in self.interfaces if i.is_subclass_of(typename)]
            return found[0] if len(found) == 1 else None
        return self if self.is_subclass_of(typename) else None

    @property
    def is_interface(self) -> bool:
        """Whether this is an interface type (a descendant of ``interface``)."""
        return self.is_subclass_of("interface")

    # -- class properties ----------------------------------------------------

    def _add_property(self, prop: ObjectProperty) -> ObjectProperty:
        if self.property_find(prop.name) is not None:
            raise DuplicatePropertyError(prop.name, self.type_name)
        if prop.set is not None:
            check_declaration(self.registry, self.type_name, prop.name, prop.kind)
        self._properties[prop.name] = prop
        self.registry.class_properties_changed(self)
        return prop

    def property_set_default(self, prop: ObjectProperty, default: Any) -> None:
        prop.default = default
        self.registry.class_properties_changed(self)  # instance plans list the properties with defaults

    def property_find(self, name: str) -> ObjectProperty | None:
        """Find a class property on this class or an ancestor (the most distant first)."""
        return (self._find_cache or self.class_property_map()).get(name)

    def class_property_map(self) -> dict[str, ObjectProperty]:
        """
        Every class property by name, as `property_find` finds it (computed once).

        The map is dropped (for every class) whenever a class property is added.
        It holds only real properties: names looked up in vain (an object's
        children, say) never accumulate in it.
        """
        found: dict[str, ObjectProperty] = {}
        for klass in reversed(list(self.ancestors())):
            for name, prop in klass._properties.items():
                found.setdefault(name, prop)
        self._find_cache = found
        self._setters = {name: prop.set for name, prop in found.items() if prop.set is not None}
        return found

    def class_setters(self) -> dict[str, SetFn]:
        """The setter of every writable class property by name (built with `class_property_map`)."""
        # The property map is never empty once built (every class has ``type``)
        # while the setter map may be, so the former says whether both are current.
        if not self._find_cache:
            self.class_property_map()
        return self._setters

    def instance_plan(self) -> InstancePlan:
        """The cached recipe for creating and finalizing instances of this class."""
        plan = self._plan
        if plan is None:
            plan = InstancePlan.build(self)
            self._plan = plan
        return plan

    def properties(self) -> Iterator[ObjectProperty]:
        """Yield the class properties: this class's, then each parent's up to the root."""
        for klass in self.ancestors():
            yield from list(klass._properties.values())

    def own_properties(self) -> Iterator[ObjectProperty]:
        """Yield the properties declared on this very class."""
        yield from list(self._properties.values())


class InterfaceClass(ObjectClass):
    """
    The hidden per-implementer class of an interface, named ``"<type>::<iface>"``.

    Its parent is the interface type's class, or the parent type's interface
    class when the interface is inherited, so values set in a parent's
    ``class_init`` are inherited (QEMU's ``type_initialize_interface``).
    """

    def __init__(
        self,
        registry: TypeRegistry,
        info: TypeInfo,
        parent: ObjectClass,
        concrete_class: ObjectClass,
        interface_type: str,
    ) -> None:
        super().__init__(registry, info, parent)
        #: The class that implements the interface.
        self.concrete_class = concrete_class
        #: The interface type's name.
        self.interface_type = interface_type

    def is_subclass_of(self, typename: str) -> bool:
        return typename == self.type_name or (
            self.parent_class is not None and self.parent_class.is_subclass_of(typename)
        )


class Object(PropertyBuilders, TreeMixin):
    """
    An instance of a QOM type. Models QEMU's ``Object``.

    Create objects with ``object_new`` (or ``object_add`` for user-creatable
    ones).  A declarative class (`qom_py.qom_type`) may also be called:
    ``Lamp(watts=5)`` is ``object_new_with_props("lamp", {"watts": 5})``
    (keyword names as ``object_add`` maps them), all or nothing, and the caller
    owns the one reference.  Attributes not named here are free for the type's
    own state.
    """

    #: The object's class.
    klass: ObjectClass
    _properties: dict[str, ObjectProperty]
    _refcount: int
    _finalized: bool = False
    #: Property observers (an object's own dict once `observe` is first called).
    _observers: Mapping[str, list[Observer]] = MappingProxyType({})

    # An instance's state (klass, _properties, _refcount) is set by its class's
    # generated constructor (`InstancePlan.constructor_lines`); everything else
    # starts as the class-level defaults above and gets a per-object value only
    # when first changed: creation is a hot path.

    #: What calling a class does (``Lamp(watts=5)``): set by the layer above,
    #: `qom_py.qom._declarative` (``call_declared``), which ``import qom_py``
    #: imports; so this module imports nothing above it.
    _call_class: ClassVar[Callable[[type[Any], tuple[Any, ...], dict[str, Any]], Any] | None] = None

    def __new__(cls, /, *args: Any, **props: Any) -> Self:
        """``Lamp(watts=5)``: a new object of the declarative class (see the class's description)."""
        call = Object._call_class
        assert call is not None, "qom_py.qom._declarative sets Object._call_class"
        return cast(Self, call(cls, args, props))

    def __init__(self, /, *args: Any, **props: Any) -> None:
        """Nothing: `__new__` made and filled the object."""

    def __repr__(self) -> str:
        path = self.canonical_path
        where = f" at {path}" if path else ""
        return f"<{type(self).__name__} {self.type_name!r}{where}>"

    @property
    def type_name(self) -> str:
        """The object's type name."""
        return self.klass.type_name

    @property
    def registry(self) -> TypeRegistry:
        """The registry the object's type lives in."""
        return self.klass.registry

    # -- casts -------------------------------------------------------------

    def dynamic_cast(self, typename: str) -> Object | None:
        """Return this object if its class casts to *typename*, else None."""
        return self if self.klass.dynamic_cast(typename) is not None else None

    def interface_class(self, typename: str) -> InterfaceClass | None:
        """Return this object's class cast to the interface *typename* (or None)."""
        klass = self.klass.dynamic_cast(typename)
        return klass if isinstance(klass, InterfaceClass) else None

    # -- reference counting and finalization -------------------------------

    def ref(self) -> Object:
        """Take a reference; return the object."""
        if self._finalized:
            msg = f"object of type '{self.type_name}' referenced after finalization"
            raise QOMInternalError(msg)
        self._refcount += 1
        return self

    def unref(self) -> None:
        """Drop a reference; finalize the object when none is left."""
        if self._refcount <= 0:
            msg = f"unbalanced unref of an object of type '{self.type_name}'"
            raise QOMInternalError(msg)
        self._refcount -= 1
        if self._refcount == 0:
            self._finalize()

    @property
    def refcount(self) -> int:
        """The current reference count."""
        return self._refcount

    @property
    def is_finalized(self) -> bool:
        """Whether ``instance_finalize`` has run."""
        return self._finalized

    def _finalize(self) -> None:
        plan = self.klass._plan or self.klass.instance_plan()
        if self._properties or plan.releases:
            self._release_properties()
            self._properties.clear()
        for hook in plan.finalize:  # leaf first
            hook(self)
        self._finalized = True
        if self._observers:
            self._observers = MappingProxyType({})

    def _release_properties(self) -> None:
        # Release every property (instance and class), once each, restarting the
        # walk after each release: a release may delete other properties
        # (check-qom-proplist "delchild").
        done: set[ObjectProperty] = set()  # compared by identity (eq=False)
        released = True
        while released:
            released = False
            for prop in list(self.properties()):
                if prop in done:
                    continue
                done.add(prop)
                if prop.release is not None:
                    prop.release(self, prop.name)
                    released = True
                    break

    # -- properties --------------------------------------------------------

    def _add_property(self, prop: ObjectProperty) -> ObjectProperty:
        klass = self.klass
        if prop.name.endswith("[*]"):
            base = prop.name[:-3]
            i = 0
            while self.property_find(f"{base}[{i}]") is not None:
                i += 1
            prop.name = f"{base}[{i}]"
        elif prop.name in self._properties or (klass._find_cache or klass.class_property_map()).get(prop.name):
            raise DuplicatePropertyError(prop.name, self.type_name)
        self._properties[prop.name] = prop
        return prop

    def property_set_default(self, prop: ObjectProperty, default: Any) -> None:
        prop.default = default
        if prop.set is not None:
            try:
                prop.set(self, JSON_VISITOR, prop.name, default)
            except QOMError:
                raise
            except Exception as exc:
                raise PropertyCallbackError.of(self.type_name, prop.name, exc) from exc

    def property_find(self, name: str) -> ObjectProperty | None:
        """Find *name*: the class chain first, then the instance (None if absent)."""
        prop = self.klass.property_find(name)
        if prop is None:
            prop = self._properties.get(name)
        return prop

    def property(self, name: str) -> ObjectProperty:
        """
        Return the property *name*.

        Raises:
            PropertyNotFoundError: ``Property 'T.name' not found``.
        """
        prop = self.property_find(name)
        if prop is None:
            raise PropertyNotFoundError(self.type_name, name)
        return prop

    def instance_properties(self) -> Iterator[ObjectProperty]:
        """Yield the properties of this object only (not its classes'), in insertion order."""
        yield from list(self._properties.values())

    def properties(self) -> Iterator[ObjectProperty]:
        """Yield the instance properties, then the class properties leaf to root."""
        yield from list(self._properties.values())
        yield from self.klass.properties()

    def property_del(self, name: str) -> None:
        """
        Delete the instance property *name*, running its release callback.

        As QEMU's ``object_property_del``, the property is removed only after its
        release callback returned: while a child's ``unparent`` hook (and its
        finalization, if that was the last reference) runs, its path still
        resolves.  Deleting the same property again from within its release
        callback does nothing (QEMU clears ``release`` for the same reason).

        Raises:
            PropertyNotFoundError: there is no instance property *name*.
        """
        prop = self._properties.get(name)
        if prop is None:
            raise PropertyNotFoundError(self.type_name, name)
        release = prop.release
        releasing: set[str] = self.__dict__.setdefault("_releasing", set()) if release is not None else set()
        if name in releasing:
            return  # re-entered from its own release: the outer call removes it
        try:
            if release is not None:
                releasing.add(name)
                release(self, name)
        finally:
            releasing.discard(name)
            if self._properties.get(name) is prop:
                del self._properties[name]

    def property_get(self, name: str) -> Any:
        """
        Return the value of *name* as JSON would carry it.

        Raises:
            PropertyNotFoundError: no such property.
            PropertyAccessError: ``Property 'T.name' is not readable``.
            PropertyCallbackError: the getter raised an exception that is not a `QOMError`.
        """
        klass = self.klass  # klass.property_find(name), inlined (the hot path)
        prop = (klass._find_cache or klass.class_property_map()).get(name) or self._properties.get(name)
        if prop is None:
            raise PropertyNotFoundError(self.type_name, name)
        getter = prop.get
        if getter is None:
            raise PropertyAccessError(self.type_name, name, "readable")
        try:
            return getter(self)
        except QOMError:
            raise
        except Exception as exc:
            raise PropertyCallbackError.of(self.type_name, name, exc) from exc

    def property_set(self, name: str, value: Any, visitor: InputVisitor = JSON_VISITOR) -> None:
        """
        Set *name* from *value* read through *visitor* (default: QMP's strict JSON typing).

        A failed set changes nothing; observers are notified after a successful one.

        Raises:
            PropertyNotFoundError: no such property.
            PropertyAccessError: ``Property 'T.name' is not writable``.
            ParameterError: *value* has the wrong type or is out of range.
            PropertyCallbackError: the setter (or its ``check=``) raised an exception
                that is not a `QOMError`.
        """
        klass = self.klass
        setter = (klass._setters if klass._find_cache else klass.class_setters()).get(name)
        if setter is None:  # not a writable class property: an instance one, or an error
            prop = self.property(name)
            setter = prop.set
            if setter is None:
                raise PropertyAccessError(self.type_name, name, "writable")
        try:
            setter(self, visitor, name, value)
        except QOMError:
            raise
        except Exception as exc:  # the user's code: one line naming the property (try is free in 3.11)
            raise PropertyCallbackError.of(self.type_name, name, exc) from exc
        if self._observers:
            self._notify(self.property(name), name, value)

    def set_props(
        self, props: Mapping[str, Any] | Iterable[tuple[str, Any]], visitor: InputVisitor = JSON_VISITOR
    ) -> None:
        """
        Set several properties in order, each exactly as `property_set` would
        (QEMU's ``object_set_props``).

        Stops at the first failure, which propagates; the properties set before it
        keep their new values (use `object_new_with_props` for all or nothing).
        """
        klass = self.klass
        find = (klass._setters if klass._find_cache else klass.class_setters()).get
        items: Iterable[tuple[str, Any]]
        if type(props) is dict or isinstance(props, Mapping):
            items = cast("Mapping[str, Any]", props).items()
        else:
            items = props
        name = ""
        try:
            for name, value in items:
                setter = find(name)
                if setter is None or self._observers:
                    self.property_set(name, value, visitor)  # instance properties, errors, observers
                else:
                    setter(self, visitor, name, value)
        except QOMError:
            raise
        except Exception as exc:  # as property_set reports it
            raise PropertyCallbackError.of(self.type_name, name, exc) from exc

    def property_parse(self, name: str, text: str) -> None:
        """Set *name* from a string, as QEMU's ``object_property_parse`` does."""
        self.property_visit(name, STRING_VISITOR, text)

    def property_print(self, name: str, *, human: bool = False) -> str:
        """
        Format *name*'s value as QEMU's ``object_property_print`` (string output visitor).

        Raises:
            PropertyNotFoundError: no such property.
            PropertyAccessError: ``Property 'T.name' is not readable``.
        """
        value = self.property_get(name)
        kind = self.property(name).kind
        return string_output(value, human=human, size=kind is not None and kind.type_name == "size")

    def property_set_keyval(self, name: str, value: Any) -> None:
        """Set *name* from a keyval value (strings, or nested dicts/lists of them)."""
        self.property_visit(name, KEYVAL_VISITOR, value)

    def property_visit(self, name: str, visitor: InputVisitor, raw: Any) -> None:
        """Set *name* from *raw* through *visitor* (`property_set` with the visitor first)."""
        self.property_set(name, raw, visitor)

    def _notify(self, prop: ObjectProperty, name: str, raw: Any) -> None:
        observers = self._observers.get(name)
        if observers:
            value = prop.get(self) if prop.get is not None else raw
            for callback in list(observers):
                callback(self, name, value)

    def observe(self, name: str, callback: Observer) -> Callable[[], None]:
        """
        Call *callback(obj, name, value)* after every successful set of *name*.

        Returns:
            a function that removes the observer again.

        Raises:
            PropertyNotFoundError: no such property.
        """
        self.property(name)
        observers: dict[str, list[Observer]] | None = self.__dict__.get("_observers")
        if observers is None:
            observers = self._observers = {}
        observers.setdefault(name, []).append(callback)

        def unobserve() -> None:
            callbacks = self._observers.get(name, [])
            if callback in callbacks:
                callbacks.remove(callback)

        return unobserve


def instantiate(klass: ObjectClass) -> Object:
    """
    Create an instance of the concrete *klass* (QEMU's ``object_initialize_with_type``).

    Class-property defaults are applied first, then ``instance_init`` root first,
    then ``instance_post_init`` root first.  If a hook fails, the half-built
    object is finalized and the error propagates.
    """
    return (klass._plan or klass.instance_plan()).new()


class InstancePlan:
    """
    What creating and finalizing an instance of one class takes, computed once.

    Dropped (and rebuilt on next use) whenever a class property is added.
    """

    __slots__ = ("cls", "defaults", "finalize", "init", "new", "releases")

    def __init__(
        self,
        klass: ObjectClass,
        cls: type[Object],
        defaults: list[ObjectProperty],
        init: list[Callable[[Object], None]],
        finalize: list[Callable[[Object], None]],
        releases: bool,
    ) -> None:
        #: The Python class of instances.
        self.cls = cls
        #: Class properties with a default and a setter, root class first.
        self.defaults = defaults
        #: ``instance_init`` hooks root first, then ``instance_post_init`` hooks root first.
        self.init = init
        #: ``instance_finalize`` hooks, leaf first.
        self.finalize = finalize
        #: Whether any class property has a release callback.
        self.releases = releases
        #: ``new() -> Object``: a new instance (see `instantiate`), generated once per
        #: class with its defaults and hooks written out in straight-line code.
        self.new: Callable[[], Object] = self._generate_new(klass)

    def _generate_new(self, klass: ObjectClass) -> Callable[[], Object]:
        namespace: dict[str, Any] = {}
        lines = ["def new():", *self.constructor_lines(klass, namespace), "    return obj"]
        return compile_function("\n".join(lines) + "\n", "new", namespace, f"constructor of {klass.type_name}")

    def constructor_lines(self, klass: ObjectClass, namespace: dict[str, Any]) -> list[str]:
        """
        Source lines (indented one level) that leave a new instance of *klass* in ``obj``.

        The names they use are added to *namespace*.  Builders of user-creatable
        objects embed these lines too (see `qom_py.qom._creation`).
        """
        # Object.__init__, inlined: keep the two in step.
        namespace.update(
            {
                "cls": self.cls,
                "klass": klass,
                "JSON_VISITOR": JSON_VISITOR,
                "QOMError": QOMError,
                "new_instance": object.__new__,
                "callback_error": PropertyCallbackError.of,
                "init_failed": _init_failed(klass.type_name),
            }
        )
        lines = [
            "    obj = new_instance(cls)",
            "    obj.klass = klass",
            "    obj._properties = {}",
            "    obj._refcount = 1",
        ]
        steps = []
        for index, prop in enumerate(self.defaults):
            namespace[f"default_{index}"] = prop
            # Read from the property each time: a default may be changed later.
            # A setter's foreign exception is reported as property_set reports it.
            steps += [
                "try:",
                f"    default_{index}.set(obj, JSON_VISITOR, default_{index}.name, default_{index}.default)",
                "except QOMError:",
                "    raise",
                "except Exception as exc:",
                f"    raise callback_error(klass.type_name, default_{index}.name, exc) from exc",
            ]
        for index, hook in enumerate(self.init):
            namespace[f"init_{index}"] = hook
            steps.append(f"init_{index}(obj)")
        if steps:
            lines.append("    try:")
            lines += [f"        {step}" for step in steps]
            lines += [
                "    except BaseException as exc:",
                "        obj.unref()",
                "        init_failed(exc)",
                "        raise",
            ]
        return lines

    @classmethod
    def build(cls, klass: ObjectClass) -> InstancePlan:
        """Compute the plan of *klass*."""
        leaf_first = list(klass.ancestors())
        chain = leaf_first[::-1]
        defaults = [
            prop for k in chain for prop in k.own_properties() if prop.default is not UNSET and prop.set is not None
        ]
        init = [k.type_info.instance_init for k in chain if k.type_info.instance_init is not None]
        init += [k.type_info.instance_post_init for k in chain if k.type_info.instance_post_init is not None]
        finalize = [k.type_info.instance_finalize for k in leaf_first if k.type_info.instance_finalize is not None]
        releases = any(prop.release is not None for k in chain for prop in k.own_properties())
        return cls(klass, _instance_class(klass), defaults, init, finalize, releases)


def _init_failed(type_name: str) -> Callable[[BaseException], None]:
    """What a constructor calls when a hook raised: blame a foreign exception on the user type."""

    def init_failed(exc: BaseException) -> None:
        if isinstance(exc, Exception) and not isinstance(exc, QOMError):
            from .._log import blame, blamed  # imports logging: only on this failure

            if blamed(exc) is None:
                blame(exc, f"instance_init() of type '{type_name}'")

    return init_failed


def _instance_class(klass: ObjectClass) -> type[Object]:
    for ancestor in klass.ancestors():
        if ancestor.type_info.instance_class is not None:
            return ancestor.type_info.instance_class
    return Object
