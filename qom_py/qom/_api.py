"""QEMU-named module-level functions over `default_registry` (``object_new`` and friends)."""

from __future__ import annotations

import os
from typing import Final

from ..errors import QOMInternalError
from ._object import Object, ObjectClass
from ._registry import TypeRegistry, default_registry
from ._tree import resolve_path_ambiguous
from ._typeinfo import TypeInfo

__all__ = [
    "object_cast",
    "object_class_by_name",
    "object_class_dynamic_cast",
    "object_class_get_list",
    "object_dynamic_cast",
    "object_get_objects_root",
    "object_get_root",
    "object_new",
    "object_resolve_path",
    "object_resolve_path_ambiguous",
    "qapi_load",
    "type_register",
]


def type_register(info: TypeInfo) -> TypeInfo:
    """
    Register *info* in the default registry and return it.

    Raises:
        TypeRegistrationError: malformed or duplicate name.
    """
    return default_registry.register(info)


def object_class_by_name(name: str) -> ObjectClass | None:
    """The class of *name*, realized on first use; None for an unknown name."""
    return default_registry.class_by_name(name)


def object_class_get_list(implements: str | None = None, include_abstract: bool = False) -> list[ObjectClass]:
    """Every class that casts to *implements*; abstract ones only if asked."""
    return default_registry.class_get_list(implements, include_abstract)


#: ``object_new(typename)``: create an object of *typename* in the default registry;
#: the caller owns its one reference (`TypeRegistry.new`, bound: this is a hot path).
object_new: Final = default_registry.new


def object_dynamic_cast(obj: Object, typename: str) -> Object | None:
    """*obj* if its class casts to *typename*, else None."""
    return obj.dynamic_cast(typename)


def object_class_dynamic_cast(klass: ObjectClass, typename: str) -> ObjectClass | None:
    """*klass* cast to *typename* (an interface gives its interface class), else None."""
    return klass.dynamic_cast(typename)


def object_cast(obj: Object, typename: str) -> Object:
    """
    Cast *obj* to *typename*, for programming errors (QEMU's ``OBJECT_CHECK``).

    Raises:
        QOMInternalError: ``Object X is not an instance of type T``.
    """
    if obj.dynamic_cast(typename) is None:
        msg = f"Object {obj!r} is not an instance of type {typename}"
        raise QOMInternalError(msg)
    return obj


def object_get_root() -> Object:
    """The root container ``/`` of the default registry."""
    return default_registry.root


def object_get_objects_root() -> Object:
    """The ``/objects`` container."""
    return default_registry.objects_root


def object_resolve_path(path: str, typename: str | None = None) -> Object | None:
    """Resolve an absolute or partial *path*; None when missing or ambiguous."""
    return resolve_path_ambiguous(default_registry.root, path, typename)[0]


def object_resolve_path_ambiguous(path: str, typename: str | None = None) -> tuple[Object | None, bool]:
    """Resolve *path*; return ``(object or None, ambiguous)``."""
    return resolve_path_ambiguous(default_registry.root, path, typename)


def qapi_load(source: str | os.PathLike[str], registry: TypeRegistry | None = None) -> list[str]:
    """
    Add QAPI definitions (schema text, or a schema file's path) to *registry*'s schema.

    The default registry's unless given (`TypeRegistry.qapi_load`).  The
    types are then usable as property types (``property_add_qapi``) and in
    command specs.

    Returns:
        the names defined.

    Raises:
        QAPISchemaError: a malformed definition; nothing is added then.
    """
    return (default_registry if registry is None else registry).qapi_load(source)
