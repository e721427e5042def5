"""`TypeInfo`: the frozen declaration of one QOM type (QEMU's ``TypeInfo``)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, Final

import attrs

if TYPE_CHECKING:
    from ._object import Object, ObjectClass

__all__ = ["TYPE_INTERFACE", "TYPE_OBJECT", "ClassHook", "InstanceHook", "TypeInfo"]

#: The abstract root of every instantiable type.
TYPE_OBJECT: Final = "object"
#: The abstract root of every interface type.
TYPE_INTERFACE: Final = "interface"

#: ``class_init(klass, class_data)`` / ``class_base_init(klass, class_data)``.
ClassHook = Callable[["ObjectClass", Any], None]
#: ``instance_init(obj)``, ``instance_post_init(obj)``, ``instance_finalize(obj)``.
InstanceHook = Callable[["Object"], None]


def _to_names(names: Iterable[str]) -> tuple[str, ...]:
    if isinstance(names, str):
        return (names,)
    return tuple(names)


@attrs.frozen
class TypeInfo:
    """
    Declaration of one QOM type. Models QEMU's ``TypeInfo`` (include/qom/object.h).

    Registering only stores the record; the class is realized on first use, parent
    first: the ancestors' ``class_base_init`` hooks run on the new class (nearest
    first), then its own ``class_init``.  An instance runs ``instance_init`` root
    first, then ``instance_post_init`` root first; ``instance_finalize`` runs leaf
    first, once, when the object is released.

    Args:
        name: the type name (``[A-Za-z0-9._-]``, at least two characters).
        parent: the parent type's name; ``None`` only for the roots.
        abstract: whether ``object_new`` refuses the type.
        interfaces: names of the interfaces the type implements.
        class_data: passed as the second argument of the class hooks.
    """

    name: str
    parent: str | None = attrs.field(default=TYPE_OBJECT, kw_only=True)
    abstract: bool = attrs.field(default=False, kw_only=True)
    interfaces: tuple[str, ...] = attrs.field(default=(), converter=_to_names, kw_only=True)
    class_init: ClassHook | None = attrs.field(default=None, kw_only=True)
    class_base_init: ClassHook | None = attrs.field(default=None, kw_only=True)
    instance_init: InstanceHook | None = attrs.field(default=None, kw_only=True)
    instance_post_init: InstanceHook | None = attrs.field(default=None, kw_only=True)
    instance_finalize: InstanceHook | None = attrs.field(default=None, kw_only=True)
    class_data: Any = attrs.field(default=None, kw_only=True)
    #: Python class used for instances (a subclass of `Object`); inherited when None.
    instance_class: type[Object] | None = attrs.field(default=None, kw_only=True)
    #: Python class used for the class object (a subclass of `ObjectClass`).
    class_class: type[ObjectClass] | None = attrs.field(default=None, kw_only=True)
