"""
The type registry: registration, lazy parent-first class realization, lookups, casts.

Realization of a class (QEMU's ``type_initialize``), in this order:

1. realize the parent class;
2. start from a copy of the parent's class slots (`ObjectClass.__init__`);
3. rebuild the interface list: one new interface class for each interface the
   parent implements (its parent is the parent's interface class, so values set
   there are inherited), then one for each newly listed interface that the class
   does not already implement (its parent is the interface type's class);
4. run ``class_base_init`` of every ancestor, nearest parent first, with the
   *new* class's ``class_data``;
5. run the type's own ``class_init``.

A type that cannot be realized (its parent or an interface is missing or itself
broken, or a class hook raises) is *broken*: using it raises an error naming it
and the cause (a class hook's non-QOM exception becomes a `TypeRegistrationError`
chained to it), while listings skip it and every other type keeps working.  Nothing of a failed realization is kept, so
the next use tries again (a parent registered meanwhile makes the type work).
"""

from __future__ import annotations

import importlib
import os
import re
import sys
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, Final

from ..errors import AbstractTypeError, QAPISchemaError, QOMError, TypeNotFoundError, TypeRegistrationError
from ._object import InterfaceClass, Object, ObjectClass, instantiate
from ._registry_caches import RegistryCaches
from ._typeinfo import TYPE_INTERFACE, TYPE_OBJECT, TypeInfo

if TYPE_CHECKING:
    from ..qapi import CheckTable, QAPISchema, TypeExpr
    from ._qapi_property import QAPIKind

__all__ = ["TYPE_CONTAINER", "TypeRegistry", "default_registry"]

#: A concrete object with no properties of its own, used to group children.
TYPE_CONTAINER: Final = "container"

# QEMU's type_name_is_valid: at least two characters, a letter or 1-9 first.
_TYPE_NAME: Final = re.compile(r"[A-Za-z1-9][A-Za-z0-9._-]+\Z")


def _type_property(klass: ObjectClass) -> None:
    klass.property_add_str("type", lambda obj: obj.type_name, None)


class TypeRegistry:
    """
    A set of QOM types and the object tree built from them.

    The process normally uses `default_registry`; a fresh registry is useful in
    tests of the type system.  Each registry owns its root container ``/``
    (created on first use, with ``/objects`` beneath it).
    """

    def __init__(self) -> None:
        self._infos: dict[str, TypeInfo] = {}
        self._classes: dict[str, ObjectClass] = {}
        #: The realized classes by type name (read only: the registry keeps it).
        self.classes: Mapping[str, ObjectClass] = self._classes
        self._root: Object | None = None
        self._objects: Object | None = None  # cache of /objects (see objects_root)
        #: Bumped whenever a type is registered or unregistered.
        self.generation = 0
        #: Bumped on every change of `generation`, whenever a class property is
        #: added to a realized class (not by its own class hooks) and when QAPI
        #: definitions are added: what derived schemas depend on.  Only
        #: `_bump_revision` changes it.
        self.revision = 0
        #: What layers above keep per registry, one typed field each.
        self.caches = RegistryCaches()
        self._qapi: QAPISchema | None = None
        self._realizing = 0  # depth of class hooks running
        # The class whose hooks are running (innermost), and how many classes were realized then.
        self._in_realization: list[tuple[ObjectClass, int]] = []
        #: Types registered on first lookup: name -> the module whose import registers it
        #: (see `register_lazy`).
        self._lazy: dict[str, str] = {}
        self.register(TypeInfo(TYPE_OBJECT, parent=None, abstract=True, class_init=lambda k, d: _type_property(k)))
        self.register(TypeInfo(TYPE_INTERFACE, parent=None, abstract=True))
        self.register(TypeInfo(TYPE_CONTAINER))

    def __repr__(self) -> str:
        # Counts only: listing every type would flood a traceback; /objects is
        # counted only if it exists (a repr must not create the tree).
        objects = "" if self._objects is None else f", objects={sum(1 for _ in self._objects.children())}"
        default = " (default)" if self is default_registry else ""
        return f"<TypeRegistry{default} types={len(self._infos) + len(self._lazy)}, realized={len(self._classes)}{objects}>"

    # -- QAPI definitions --------------------------------------------------

    @property
    def qapi_schema(self) -> QAPISchema:
        """
        The QAPI definitions of this registry: the shipped schema, plus `qapi_load`'s.

        Structured property types name its types; the object schema starts
        from it.  Grow it through `qapi_load` only.
        """
        if self._qapi is None:
            from ..qapi import load_schema  # the schema engine costs start-up time: on first use

            self._qapi = load_schema()
        return self._qapi

    def qapi_table(self) -> CheckTable | None:
        """
        The check table of `qapi_schema` while it is the shipped schema, not loaded yet; else None.

        Checks work from it (`qom_py.qapi.Checker.from_table`) without loading
        the schema model.  Once something loads the model (`qapi_schema`,
        `qapi_load`, a structured property), this is None and checks work from
        the model.  Shared: do not modify it.
        """
        if self._qapi is not None:
            return None
        from ..qapi import load_table  # the table alone: no schema model

        return load_table()

    def qapi_kind(self, qapi_type: TypeExpr, type_name: str | None = None) -> QAPIKind:
        """
        The property kind of *qapi_type* (``"str"``, ``"Rule"``, ``["Rule"]``) in `qapi_schema`.

        *type_name* is the type string shown (default: QEMU's convention, the
        type's name, for a list its element type's).  Structured properties get
        their kind here: the schema engine is loaded on first use.

        Raises:
            QAPITypeNotFoundError: *qapi_type* names no type (`qapi_load` defines one).
        """
        from ._qapi_property import qapi_kind  # sits on the schema engine

        return qapi_kind(self, qapi_type, type_name)

    def qapi_load(self, source: str | os.PathLike[str]) -> list[str]:
        """
        Add QAPI definitions: schema text, or the path of a schema file (``include`` relative to it).

        Returns:
            the names defined (implicit types included).

        Raises:
            QAPISchemaError: a malformed definition (``FILE:LINE: problem``);
                nothing is added then.  Also the file's own failure, as QEMU's
                ``can't read schema file 'X': WHY``: it cannot be read, is not
                a regular file (a FIFO, a device), is larger than 64 MiB or is
                not UTF-8.
        """
        schema = self.qapi_schema
        if isinstance(source, str) and "{" in source:
            entities = schema.add(source)
        else:
            from ..qapi._parser import read_schema_file  # a regular file of UTF-8, of bounded size

            path = os.fspath(source)
            try:
                text = read_schema_file(path)
            except OSError as err:
                msg = f"can't read schema file '{path}': {err.strerror}"
                raise QAPISchemaError(None, 0, msg) from err
            entities = schema.add(text, path)
        self._bump_revision()
        return [e.name for e in entities]

    def qapi_type(self, name: TypeExpr) -> Any:
        """The Python type of the QAPI type *name* in `qapi_schema` (``qom_py.qapi_type``)."""
        from ..qapi._pytypes import py_types

        return py_types(self.qapi_schema).py_type(name)

    # -- registration ------------------------------------------------------

    def register(self, info: TypeInfo) -> TypeInfo:
        """
        Register *info* and return it; nothing else happens until first use.

        Raises:
            TypeRegistrationError: the name is malformed or already registered.
        """
        if not _TYPE_NAME.match(info.name):
            msg = f"Registering '{info.name}' with illegal type name"
            raise TypeRegistrationError(msg)
        if info.name in self._lazy:
            if self._lazy[info.name] in sys.modules:  # that module, being imported, registers it
                del self._lazy[info.name]
            else:
                self._load_lazy()  # then the name is taken, as if registered eagerly
        if info.name in self._infos:
            msg = f"Registering `{info.name}' which already exists"
            raise TypeRegistrationError(msg)
        self._infos[info.name] = info
        self.generation += 1
        self._bump_revision()
        return info

    def install(self, infos: Iterable[TypeInfo]) -> None:
        """
        Register those of *infos* this registry lacks (by name), in order: what the layers' ``install_*`` do.

        A name registered already (or promised by `register_lazy`, whose module
        then registers it) is left as it is, so installing twice is harmless.
        """
        for info in infos:
            if self.type_info(info.name) is None:
                self.register(info)

    def register_lazy(self, module: str, names: Iterable[str]) -> None:
        """
        Promise that importing *module* registers the types *names*; it is imported on first need.

        Any lookup of a promised name, a listing of the types, or a registration
        of a promised name imports every promised module, in the order promised
        (so the registration order is the one eager imports would give).  This
        keeps ``import qom_py`` from importing the built-in types' modules (and
        asyncio) before a program uses them.
        """
        for name in names:
            self._lazy[name] = module

    def _load_lazy(self) -> None:
        """Import every promised module (`register_lazy`), in the order promised."""
        modules = list(dict.fromkeys(self._lazy.values()))
        self._lazy.clear()
        for module in modules:
            importlib.import_module(module)

    def class_properties_changed(self, changed: ObjectClass | None = None) -> None:
        """
        Drop the property maps, instance plans and memos a new class property of *changed* affects.

        A class whose hooks are running has no realized subclass (parents are
        realized first) unless its hooks realized other classes meanwhile: then
        only its own caches go, so realizing N classes costs O(N), not O(N^2).
        Otherwise (or with *changed* None) every class's go.
        """
        current = self._in_realization[-1] if self._in_realization else None
        if changed is not None and current is not None and changed is current[0] and len(self._classes) == current[1]:
            classes: list[ObjectClass] = [changed]
        else:
            classes = list(self._classes.values())
        for klass in classes:
            for each in (klass, *klass.interfaces):  # interface classes are not in _classes
                each._find_cache.clear()
                each._setters.clear()
                each._plan = None
                each.memo.clear()
        if not self._realizing:  # properties a class_init adds are part of its type
            self._bump_revision()

    def _bump_revision(self) -> None:
        """The one invalidation point: a new revision, and the caches valid for one revision dropped."""
        self.revision += 1
        self.caches.invalidate()

    def unregister(self, name: str) -> None:
        """Forget type *name* and its realized class (for test isolation)."""
        if name in self._lazy:
            self._load_lazy()
        self._infos.pop(name, None)
        self._classes.pop(name, None)
        self.generation += 1
        self._bump_revision()

    def type_names(self, *, load: bool = True) -> list[str]:
        """
        Every registered type name, in registration order.

        With ``load=False`` the types promised by `register_lazy` are listed
        (last) without importing their modules.
        """
        if not load:
            return [*self._infos, *self._lazy]
        if self._lazy:
            self._load_lazy()
        return list(self._infos)

    def type_info(self, name: str) -> TypeInfo | None:
        """The declaration of *name*, or None."""
        if name in self._lazy:
            self._load_lazy()
        return self._infos.get(name)

    # -- classes -----------------------------------------------------------

    def class_by_name(self, name: str) -> ObjectClass | None:
        """
        Return the class of *name*, realizing it on first use; None if unknown.

        Raises:
            QOMError: the type is broken (the message names it and why); mostly
                `TypeRegistrationError`, or a class hook's own QOM error.
        """
        klass = self._classes.get(name)
        if klass is not None:
            return klass
        info = self._infos.get(name)
        if info is None:
            if name not in self._lazy:
                return None
            self._load_lazy()
            info = self._infos.get(name)
            if info is None:
                return None
        return self._realize(info)

    def get_class(self, name: str) -> ObjectClass:
        """
        Return the class of *name*.

        Raises:
            TypeNotFoundError: ``unknown type 'name'``.
        """
        klass = self.class_by_name(name)
        if klass is None:
            msg = f"unknown type '{name}'"
            raise TypeNotFoundError(msg)
        return klass

    def _realize(self, info: TypeInfo) -> ObjectClass:
        parent: ObjectClass | None = None
        if info.parent is not None:
            try:
                parent = self.class_by_name(info.parent)
            except QOMError as exc:
                msg = f"Type '{info.name}' is unusable: its parent is broken: {exc}"
                raise TypeRegistrationError(msg) from exc
            if parent is None:
                msg = f"Type '{info.name}' is missing its parent '{info.parent}'"
                raise TypeRegistrationError(msg)
        class_cls = info.class_class or (type(parent) if parent is not None else ObjectClass)
        if issubclass(class_cls, InterfaceClass):
            class_cls = ObjectClass
        klass = class_cls(self, info, parent)
        is_interface = parent is not None and parent.is_interface or info.name == TYPE_INTERFACE
        if is_interface and info.interfaces:
            msg = f"interface type '{info.name}' may not implement interfaces"
            raise TypeRegistrationError(msg)
        if is_interface:
            klass.abstract = True
        # Publish before running hooks, so class_init may look its own type up.
        self._classes[info.name] = klass
        self._realizing += 1
        self._in_realization.append((klass, len(self._classes)))
        try:
            if parent is not None:
                for iface in parent.interfaces:
                    self._add_interface_class(klass, iface.interface_type, iface)
            for iface_name in info.interfaces:
                iface_class = self.class_by_name(iface_name)
                if iface_class is None:
                    msg = f"missing interface '{iface_name}' for object '{info.name}'"
                    raise TypeRegistrationError(msg)
                if not iface_class.is_interface:
                    msg = f"'{iface_name}' listed as an interface of '{info.name}' is not an interface"
                    raise TypeRegistrationError(msg)
                if klass.dynamic_cast(iface_name) is None:
                    self._add_interface_class(klass, iface_name, iface_class)
            try:
                self._run_class_hooks(klass, info)
            except QOMError:
                raise  # QOM's own errors (a duplicate property, say) name the type already
            except Exception as exc:
                msg = f"Type '{info.name}' is unusable: its class initialization failed: {type(exc).__name__}: {exc}"
                raise TypeRegistrationError(msg) from exc
        except BaseException:
            self._classes.pop(info.name, None)
            raise
        finally:
            self._realizing -= 1
            self._in_realization.pop()
        return klass

    def _add_interface_class(self, klass: ObjectClass, iface_name: str, parent: ObjectClass) -> None:
        info = TypeInfo(f"{klass.type_name}::{iface_name}", parent=parent.type_name, abstract=True)
        iface = InterfaceClass(self, info, parent, klass, iface_name)
        # The hidden class gets its ancestors' class_base_init, as any class does.
        self._run_class_hooks(iface, info, own_init=False)
        klass.interfaces.append(iface)
        klass._cast_cache.clear()  # casts to this interface now succeed

    @staticmethod
    def _run_class_hooks(klass: ObjectClass, info: TypeInfo, *, own_init: bool = True) -> None:
        ancestor = klass.parent_class
        while ancestor is not None:  # nearest parent first, up to the root
            hook = ancestor.type_info.class_base_init
            if hook is not None:
                hook(klass, info.class_data)
            ancestor = ancestor.parent_class
        if own_init and info.class_init is not None:
            info.class_init(klass, info.class_data)

    def class_get_list(self, implements: str | None = None, include_abstract: bool = False) -> list[ObjectClass]:
        """
        Return the classes that cast to *implements* (every class when None).

        Classes are realized as needed; abstract ones only with *include_abstract*;
        broken ones never.
        """
        if self._lazy:
            self._load_lazy()
        result = []
        for name in list(self._infos):
            try:
                klass = self.class_by_name(name)
            except QOMError:
                continue  # a broken type lists nothing; using it says why
            if klass is None or (klass.abstract and not include_abstract):
                continue
            if implements is not None and klass.dynamic_cast(implements) is None:
                continue
            result.append(klass)
        return result

    def class_get_list_sorted(self, implements: str | None = None, include_abstract: bool = False) -> list[ObjectClass]:
        """`class_get_list`, sorted by name case-insensitively (as QEMU sorts)."""
        return sorted(self.class_get_list(implements, include_abstract), key=lambda k: k.type_name.casefold())

    # -- instances ---------------------------------------------------------

    def new(self, typename: str) -> Object:
        """
        Create an object of *typename* (QEMU's ``object_new``); the caller owns one reference.

        Raises:
            TypeNotFoundError: ``unknown type 'x'``.
            AbstractTypeError: ``object type 'x' is abstract``.
        """
        return instantiate(self.concrete_class(typename))

    def concrete_class(self, typename: str) -> ObjectClass:
        """
        The class of *typename*, which ``object_new`` accepts.

        Raises:
            TypeNotFoundError: ``unknown type 'x'``.
            AbstractTypeError: ``object type 'x' is abstract``.
        """
        klass = self._classes.get(typename) or self.get_class(typename)
        if klass.abstract:
            msg = f"object type '{typename}' is abstract"
            raise AbstractTypeError(msg)
        return klass

    # -- the tree root -----------------------------------------------------

    @property
    def root(self) -> Object:
        """The root container ``/``, created on first use with ``/objects`` beneath it."""
        if self._root is None:
            root = self.new(TYPE_CONTAINER)
            self._root = root
            objects = self.new(TYPE_CONTAINER)
            root.property_add_child("objects", objects)
            objects.unref()
        return self._root

    def root_if_created(self) -> Object | None:
        """The root container if it exists yet (never creates it)."""
        return self._root

    @property
    def objects_root(self) -> Object:
        """The ``/objects`` container of user-created objects."""
        objects = self._objects
        if objects is None or objects._parent is not self._root:  # first use, or replaced
            objects = self.root.resolve_component("objects")
            assert objects is not None
            self._objects = objects
        return objects

    def container_get(self, path: str) -> Object:
        """Return the container at the absolute *path*, creating missing ones."""
        node = self.root
        for part in (p for p in path.split("/") if p):
            child = node.resolve_component(part)
            if child is None:
                child = self.new(TYPE_CONTAINER)
                node.property_add_child(part, child)
                child.unref()
            node = child
        return node


#: The registry used by the module-level functions (`type_register`, `object_new`, ...).
default_registry: Final = TypeRegistry()
