"""
The check table: what the checker needs of a schema, as plain data.

QEMU checks values with visitors generated from its schema and never loads
the schema model at run time.  The table plays the generated code's part:
`check_table` derives it from a `QAPISchema` (the schema stays the one
truth), `qom_py.qapi.Checker` works from it, and the loader caches the
shipped schema's table as JSON (`qom_py.qapi._loader.load_table`), so
that a daemon checks ``--object`` options and QMP arguments without
importing the entity model.

A table is tuples, strings, booleans, None and dicts only (plain data:
`qom_py.qapi._table_json` writes it, and reads it back validated).  Each
type's entry starts with its kind:

* ``("builtin", json_type)``: ``str``, ``int``, ``uint8``, ``any``, ... by name;
* ``("enum", values)``: the values in order;
* ``("array", element_type)``;
* ``("object", members, variants, base)``: members ``(name, optional, type)``
  in the checker's order (the base's first); variants ``None`` for a struct,
  ``(tag, ((case, type), ...))`` for a union, implicit (``q_empty``) branches
  included; the base struct's name or None;
* ``("alternate", ((qtype, type), ...))``: each branch with the QType the
  generated visitor dispatches on (None: none, as for ``any``).

Commands map to their argument type's name, None without ``data``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final, Literal, TypeAlias, TypedDict

if TYPE_CHECKING:
    from ._entities import SchemaType
    from ._schema import QAPISchema

__all__ = [
    "AlternateEntry",
    "ArrayEntry",
    "BuiltinEntry",
    "CheckTable",
    "EnumEntry",
    "MemberEntry",
    "ObjectEntry",
    "TypeEntry",
    "VariantsEntry",
    "check_table",
    "type_entry",
]

#: A built-in type: its JSON type (``string``, ``int``, ``value``, ...).
BuiltinEntry: TypeAlias = tuple[Literal["builtin"], str]
#: An enum: its values, in order.
EnumEntry: TypeAlias = tuple[Literal["enum"], tuple[str, ...]]
#: An array: its element type's name.
ArrayEntry: TypeAlias = tuple[Literal["array"], str]
#: One member of an object type: ``(name, optional, type name)``.
MemberEntry: TypeAlias = tuple[str, bool, str]
#: A union's branches: ``(tag, ((case, type name), ...))``.
VariantsEntry: TypeAlias = tuple[str, tuple[tuple[str, str], ...]]
#: A struct or a union: members (base first), variants or None, base or None.
ObjectEntry: TypeAlias = tuple[Literal["object"], tuple[MemberEntry, ...], "VariantsEntry | None", "str | None"]
#: An alternate: its branches ``(QType or None, type name)``.
AlternateEntry: TypeAlias = tuple[Literal["alternate"], tuple[tuple["str | None", str], ...]]
#: Any type's entry.
TypeEntry: TypeAlias = BuiltinEntry | EnumEntry | ArrayEntry | ObjectEntry | AlternateEntry


class CheckTable(TypedDict):
    """A schema's check table (a plain dict: see the module's description)."""

    #: Every type's entry, by name, in definition order.
    types: dict[str, TypeEntry]
    #: Every command's argument type (None: no arguments), by name.
    commands: dict[str, str | None]


#: The QType QEMU's QObject of a built-in's value has, by JSON type (alternates dispatch on it).
_BUILTIN_QTYPES: Final[dict[str, str]] = {
    "string": "qstring",
    "int": "qnum",
    "number": "qnum",
    "boolean": "qbool",
    "null": "qnull",
}

#: The QType of the values of each kind but built-ins.
_KIND_QTYPES: Final[dict[str, str]] = {"enum": "qstring", "object": "qdict", "array": "qlist"}


def type_entry(schema: QAPISchema, typ: SchemaType) -> TypeEntry:
    """The entry of *typ*, a type of *schema*."""
    from ._entities import AlternateType, ArrayType, BuiltinType, EnumType, ObjectType  # a model is loaded

    if isinstance(typ, BuiltinType):
        return ("builtin", typ.json_type)
    if isinstance(typ, EnumType):
        return ("enum", typ.value_names)
    if isinstance(typ, ArrayType):
        return ("array", typ.element_type)
    if isinstance(typ, ObjectType):
        members = tuple((m.name, m.optional, m.type) for m in typ.members)
        variants = typ.variants
        cases = None if variants is None else (variants.tag, tuple((v.case, v.type) for v in variants.variants))
        return ("object", members, cases, typ.base)
    if isinstance(typ, AlternateType):
        branches: list[tuple[str | None, str]] = []
        for variant in typ.variants.variants:
            branch = schema.variant_type(variant)
            kind = branch.meta_type
            qtype = _BUILTIN_QTYPES.get(branch.json_type) if kind == "builtin" else _KIND_QTYPES.get(kind)
            branches.append((qtype, branch.name))
        return ("alternate", tuple(branches))
    msg = f"cannot check values of {typ.describe()}"
    raise TypeError(msg)


def check_table(schema: QAPISchema) -> CheckTable:
    """The check table of *schema*: every type's entry, every command's argument type."""
    return {
        "types": {typ.name: type_entry(schema, typ) for typ in schema.types()},
        "commands": {command.name: command.arg_type for command in schema.commands()},
    }
