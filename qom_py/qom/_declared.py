"""
What a property declaration must satisfy: checked when it is declared, never at creation.

QOM takes any string as a type, property or enum-type name (QEMU's
``qom/object.c`` checks none against QAPI's rules), and so does qom_py: the
derived schema of a run-time type is exempt from the naming rules
(`qom_py.qom._object_schema`).  Two things cannot work, and are refused where
they are declared (``property_add_*`` on a class, in ``class_init``; a
declarative class when it is decorated), in one line naming the type and the
property:

* a writable property whose name keyval cannot address: ``--object`` keys are
  QAPI names as QEMU's ``parse_qapi_name`` reads them (a letter, then letters,
  digits, ``-`` and ``_``; maybe a downstream ``__RFQDN_`` prefix), shorter
  than 128 characters, so ``a.b``, ``a,b``, ``a=b``, ``9p`` or ``""`` cannot be set;
* an enum kind whose name is that of a different QAPI definition of the
  registry (``qom_py.qapi_load``'ed or shipped): the two would silently disagree.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Final

from ..errors import TypeRegistrationError
from ._property import EnumKind, PropertyKind

if TYPE_CHECKING:
    from ._registry import TypeRegistry

__all__ = ["check_declaration", "keyval_addressable"]

#: A key keyval reads as one name (QEMU's ``parse_qapi_name``, complete), below its length limit.
_KEYVAL_NAME: Final = re.compile(r"(?:__[A-Za-z0-9.-]+_)?[A-Za-z][A-Za-z0-9_-]{0,126}")


def keyval_addressable(name: str) -> bool:
    """Whether ``--object TYPE,NAME=...`` sets the property *name* (keyval reads *NAME* as one key)."""
    return _KEYVAL_NAME.fullmatch(name) is not None and len(name) < 128


def check_declaration(registry: TypeRegistry | None, typename: str, name: str, kind: PropertyKind | None) -> None:
    """
    Refuse a writable property declaration that cannot work (see the module's description).

    Raises:
        TypeRegistrationError: one line naming the type and the property.
    """
    if not keyval_addressable(name):
        msg = (
            f"Property {name!r} of type '{typename}' cannot be set by --object: a property name must start"
            " with a letter and hold only letters, digits, '-' and '_'"
        )
        raise TypeRegistrationError(msg)
    if registry is not None and type(kind) is EnumKind:
        clash = _clashing_definition(registry, kind)
        if clash is not None:
            msg = (
                f"Enum '{kind.enum_name}' of property '{name}' of type '{typename}' clashes with"
                f" the QAPI definition of {clash}"
            )
            raise TypeRegistrationError(msg)


def _clashing_definition(registry: TypeRegistry, kind: EnumKind) -> str | None:
    """The registry's QAPI definition named as *kind*, described, when it differs from *kind*; else None."""
    name = kind.enum_name
    table = registry.qapi_table()
    if table is not None:  # the shipped schema, its model not loaded: its table tells
        entry = table["types"].get(name)
        if entry is None or entry[0] in ("builtin", "array"):
            return None
        if entry[0] != "enum":
            return f"{entry[0]} type '{name}'"
        values: tuple[str, ...] = tuple(entry[1])
    else:
        typ = registry.qapi_schema.lookup_type(name)
        if typ is None or typ.meta in ("built-in", "array"):
            return None
        if typ.meta != "enum":
            return typ.describe()
        values = registry.qapi_schema.enum_type(name).value_names
    return None if values == kind.values else f"enum type '{name}' with values {', '.join(values) or '(none)'}"
