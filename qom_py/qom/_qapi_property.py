"""
Structured property types: a property whose values are any QAPI type.

`QAPIKind` is the kind of a property made by ``property_add_qapi``: its values
are checked by the QAPI engine (`qom_py.qapi.Checker`) against a type of the
registry's schema (`TypeRegistry.qapi_schema`, grown by `qom_py.qapi_load`):
a built-in, an enum, a struct, a union, an alternate or a list of one of
them.  JSON values are read strictly, keyval values (``rules.0.match=x``)
as strings, with QEMU's messages for each mode; the setter gets the value in
its JSON shape, the getter returns that shape.  A JSON value the check refused
is checked again as its JSON if it holds typed values (`qom_py.qapi_type`'s
instances, enum members, tuples: `qom_py.qapi._typed_json`), so plain JSON
costs nothing more and typed values get the same checks and messages.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import attrs

from ..errors import ParameterError
from ..qapi._typed_json import typed_json
from ..qapi._visitors import InputVisitor
from ._property import PropertyKind

if TYPE_CHECKING:
    from ..qapi import Checker, Mode, TypeExpr
    from ..qapi._checker import Check
    from ._registry import TypeRegistry

__all__ = ["QAPIKind", "qapi_kind"]


@attrs.frozen
class QAPIKind(PropertyKind):
    """Values of one QAPI type, checked by the engine."""

    #: The type's canonical name (``QAuthZListRuleList`` for ``["QAuthZListRule"]``).
    qapi_type: str = "any"
    #: The type as a QAPI source names it: a name, or a one-element list.
    type_expr: str | tuple[str] = "any"
    #: The type string ``qom-list`` shows.
    shown: str = "any"
    #: The checker over the registry's schema.
    checker: Checker | None = attrs.field(default=None, eq=False, repr=False)
    #: The compiled check per visitor mode.
    checks: dict[Mode, Check] = attrs.field(factory=dict, eq=False, repr=False)

    @property
    def type_name(self) -> str:  # type: ignore[override]  # per property
        return self.shown

    @property
    def schema_type(self) -> str:  # type: ignore[override]  # per property
        return self.qapi_type

    def visit(self, visitor: InputVisitor, name: str, raw: object) -> Any:
        check = self.checks.get(visitor.mode)
        if check is None:
            check = self._compile(visitor.mode)
        try:
            return check(raw, name, name)
        except ParameterError:
            as_json = typed_json(raw) if visitor.mode == "json" else raw
            if as_json is raw:
                raise
        return check(as_json, name, name)

    def freezer(self) -> Callable[[Any], Any]:
        # The checker's values are new: frozen by a walk over the type's containers only.
        from ..qapi._frozen import freezer

        assert self.checker is not None
        return freezer(self.checker.entry, self.qapi_type) or _as_is

    def checked_values_are_new(self) -> bool:
        from ..qapi._frozen import checked_values_are_new

        assert self.checker is not None
        return checked_values_are_new(self.checker.entry, self.qapi_type)

    def _compile(self, mode: Mode) -> Check:
        assert self.checker is not None
        check = self.checker.compile(self.qapi_type, mode)
        self.checks[mode] = check
        return check


def _as_is(value: Any) -> Any:
    return value


def _checker(registry: TypeRegistry) -> Checker:
    from ..qapi import Checker

    found = registry.caches.qapi_checker
    if found is None or found.schema is not registry.qapi_schema:
        found = registry.caches.qapi_checker = Checker(registry.qapi_schema)
    return found


def qapi_kind(registry: TypeRegistry, qapi_type: TypeExpr, type_name: str | None = None) -> QAPIKind:
    """
    The kind of *qapi_type* (``"str"``, ``"Rule"``, ``["Rule"]``) in *registry*'s schema.

    *type_name* is the type string shown; by default QEMU's convention
    (authz-list's ``rules`` shows ``QAuthZListRule``): the type's name, for a
    list its element type's.

    Raises:
        QAPITypeNotFoundError: *qapi_type* names no type (``qom_py.qapi_load`` defines one).
    """
    schema = registry.qapi_schema
    typ = schema.resolve_type(qapi_type)
    element = getattr(typ, "element_type", None)
    expr: str | tuple[str] = typ.name if element is None else (element,)
    shown = type_name if type_name is not None else (typ.name if element is None else element)
    return QAPIKind(typ.name, expr, shown, _checker(registry))
