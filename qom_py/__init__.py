"""QEMU's object model (QOM) in Python: typed objects, interfaces, -object strings and QMP."""

from __future__ import annotations

from ._gc_pause import GCPause

with GCPause():  # the import's objects all stay: young collections would free nothing
    from typing import TYPE_CHECKING, Any, Final

    from ._util.unset import UNSET
    from .errors import QOMError
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
        qapi_load,
        type_register,
    )
    from .qom._declarative import declare_type, qom_type
    from .qom._object import InterfaceClass, Object, ObjectClass
    from .qom._property import ObjectProperty
    from .qom._registry import TYPE_CONTAINER, TypeRegistry, default_registry
    from .qom._typeinfo import TYPE_INTERFACE, TYPE_OBJECT, TypeInfo

if TYPE_CHECKING:  # imported on first use (see __getattr__): they pull the schema, asyncio, ...
    from ._builtin_types import install_builtin_types
    from ._qapi_types import qapi_define, qapi_type
    from .loop import main_aio_context
    from .qom._object_schema import object_schema
    from .qom._user_creatable import (
        object_add,
        object_del,
        object_new_with_props,
        object_option_parse,
        object_set_props,
    )

# The same strings as qom_py.loop's and qom_py.qom._user_creatable's constants, without importing them.
TYPE_EVENT_LOOP_BASE: Final = "event-loop-base"
TYPE_IOTHREAD: Final = "iothread"
TYPE_MAIN_LOOP: Final = "main-loop"
TYPE_USER_CREATABLE: Final = "user-creatable"

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
    "install_builtin_types",
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
    "qapi_define",
    "qapi_load",
    "qapi_type",
    "qom_type",
    "type_register",
]


#: Public submodules reachable as attributes, imported on first access (``qom_py.qmp``).
_LAZY_SUBMODULES = frozenset({"loop", "qmp", "testing", "errors", "cli"})


#: Public names defined by modules imported on first access (PEP 562): name -> module.
_LAZY_NAMES: Final = {
    "install_builtin_types": "qom_py._builtin_types",
    "main_aio_context": "qom_py.loop",
    "object_add": "qom_py.qom._user_creatable",
    "object_del": "qom_py.qom._user_creatable",
    "object_new_with_props": "qom_py.qom._user_creatable",
    "object_option_parse": "qom_py.qom._user_creatable",
    "object_schema": "qom_py.qom._object_schema",
    "object_set_props": "qom_py.qom._user_creatable",
    "qapi_define": "qom_py._qapi_types",
    "qapi_type": "qom_py._qapi_types",
}


def __getattr__(name: str) -> Any:
    module = _LAZY_NAMES.get(name)
    if module is not None:
        import importlib

        value = getattr(importlib.import_module(module), name)
        globals()[name] = value  # later accesses skip this hook
        return value
    if name in _LAZY_SUBMODULES:
        import importlib

        return importlib.import_module(f"{__name__}.{name}")
    if name == "__version__":
        from ._version import __version__

        return __version__
    msg = f"module {__name__!r} has no attribute {name!r}"
    raise AttributeError(msg)


# The built-in types register when first looked up (or listed), in this order: their
# modules import the schema, json, logging and (the event loops) asyncio.
default_registry.register_lazy("qom_py.daemon._chardev", ("chardev", "chardev-socket"))
default_registry.register_lazy("qom_py.qom._user_creatable", (TYPE_USER_CREATABLE,))
default_registry.register_lazy("qom_py.loop._event_loop_base", (TYPE_EVENT_LOOP_BASE, TYPE_MAIN_LOOP))
default_registry.register_lazy("qom_py.loop._iothread", (TYPE_IOTHREAD,))

from . import testing as _testing  # noqa: E402 - records the built-in types, last

_testing.builtin_type_names()
