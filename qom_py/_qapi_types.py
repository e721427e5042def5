"""
Typed QAPI values of a registry's schema: ``qom_py.qapi_type`` and ``qom_py.qapi_define``.

Thin functions over `qom_py.qapi._pytypes` (QAPI types as Python classes) and
`qom_py.qapi._pydefine` (Python classes as QAPI definitions), for the default
registry unless given one (`TypeRegistry.qapi_type`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .qom._registry import TypeRegistry, default_registry

if TYPE_CHECKING:
    from .qapi._pytypes import PyTypes
    from .qapi._schema import TypeExpr

__all__ = ["qapi_define", "qapi_type", "qapi_types"]


def qapi_types(registry: TypeRegistry | None = None) -> PyTypes:
    """The Python types of *registry*'s schema (`qom_py.qapi._pytypes.PyTypes`: ``from_json``, ``to_json``)."""
    from .qapi._pytypes import py_types

    return py_types((default_registry if registry is None else registry).qapi_schema)


def qapi_type(name: TypeExpr, registry: TypeRegistry | None = None) -> Any:
    """
    The Python type of the QAPI type *name* (``"FirewallRule"``, ``["str"]``): a frozen attrs class, an enum, ...

    Raises:
        QAPITypeNotFoundError: *name* names no type of the registry's schema.
    """
    return qapi_types(registry).py_type(name)


def qapi_define(*classes: type, registry: TypeRegistry | None = None) -> list[str]:
    """
    Define QAPI types from hand-written attrs classes and enums (`qom_py.qapi._pydefine`), and the types they use.

    The classes are then the Python types of those QAPI types: `qapi_type`
    returns them and values are built as their instances.

    Returns:
        the QAPI names defined (implicit types included).

    Raises:
        TypeError: an annotation has no QAPI type.
        QAPISchemaError: the definitions are malformed or clash; nothing is added then.
    """
    from .qapi._pydefine import qapi_expressions, qapi_text, type_name

    registry = default_registry if registry is None else registry
    types = qapi_types(registry)
    schema = registry.qapi_schema

    def known(cls: type) -> bool:
        return type_name(cls) in schema and types.is_adopted(type_name(cls), cls)

    exprs, defined = qapi_expressions(classes, known)
    names = registry.qapi_load(qapi_text(exprs)) if exprs else []
    for cls, members in defined:
        types.adopt(type_name(cls), cls, members)
    return names
