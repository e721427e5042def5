"""QEMU's object model (QOM) in Python: typed objects, interfaces, -object strings and QMP."""

from __future__ import annotations

from typing import Any

from . import _chardev  # noqa: F401 - registers the chardev types, built-ins as in qsd
from ._qapi_property import qapi_load
from ._unset import UNSET
from .errors import QOMError
from .loop import TYPE_EVENT_LOOP_BASE, TYPE_IOTHREAD, TYPE_MAIN_LOOP, main_aio_context
from .qapi._keyval import keyval_parse
from .qapi._visitors import InputVisitor, JSONInputVisitor, KeyvalInputVisitor, StringInputVisitor
from .qom import _declarative as prop
from .qom._api import (
    object_cast,
    object_class_by_name,
    object_class_dynamic_cast,
    object_class_get_list,
    object_dynamic_cast,
    object_get_objects_root,
    object_get_root,
    object_new,
    object_resolve_path,
    object_resolve_path_ambiguous,
    type_register,
)
from .qom._declarative import declare_type, qom_type
from .qom._object import InterfaceClass, Object, ObjectClass
from .qom._object_schema import object_schema
from .qom._property import ObjectProperty
from .qom._registry import TYPE_CONTAINER, TypeRegistry, default_registry
from .qom._typeinfo import TYPE_INTERFACE, TYPE_OBJECT, TypeInfo
from .qom._user_creatable import (
    TYPE_USER_CREATABLE,
    object_add,
    object_del,
    object_new_with_props,
    object_option_parse,
    object_set_props,
)

__all__ = [
    "TYPE_CONTAINER",
    "TYPE_EVENT_LOOP_BASE",
    "TYPE_INTERFACE",
    "TYPE_IOTHREAD",
    "TYPE_MAIN_LOOP",
    "TYPE_OBJECT",
    "TYPE_USER_CREATABLE",
    "UNSET",
    "InputVisitor",
    "InterfaceClass",
    "JSONInputVisitor",
    "KeyvalInputVisitor",
    "Object",
    "ObjectClass",
    "ObjectProperty",
    "QOMError",
    "StringInputVisitor",
    "TypeInfo",
    "TypeRegistry",
    "declare_type",
    "default_registry",
    "keyval_parse",
    "main_aio_context",
    "object_add",
    "object_cast",
    "object_class_by_name",
    "object_class_dynamic_cast",
    "object_class_get_list",
    "object_del",
    "object_dynamic_cast",
    "object_get_objects_root",
    "object_get_root",
    "object_new",
    "object_new_with_props",
    "object_option_parse",
    "object_resolve_path",
    "object_resolve_path_ambiguous",
    "object_schema",
    "object_set_props",
    "prop",
    "qapi_load",
    "qom_type",
    "type_register",
]


#: Public submodules reachable as attributes, imported on first access (``qom_py.qmp``).
_LAZY_SUBMODULES = frozenset({"loop", "qmp", "testing", "errors", "cli"})


def __getattr__(name: str) -> Any:
    if name in _LAZY_SUBMODULES:
        import importlib

        return importlib.import_module(f"{__name__}.{name}")
    if name == "__version__":
        from ._version import __version__

        return __version__
    msg = f"module {__name__!r} has no attribute {name!r}"
    raise AttributeError(msg)


from . import testing as _testing  # noqa: E402 - records the built-in types, last

_testing.builtin_type_names()
