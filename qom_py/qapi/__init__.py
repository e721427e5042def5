"""
QAPI: QEMU's schema language, read as QEMU's ``scripts/qapi`` reads it.

`QAPISchema` is the model: entities by name, in definition order
(`BuiltinType`, `EnumType`, `ArrayType`, `ObjectType` for structs and unions,
`AlternateType`, `Command`, `Event`), built from schema files
(`QAPISchema.from_file`, `load_schema` for the files qom_py ships) and grown at
run time (`QAPISchema.add`, `QAPISchema.add_union_branches`).  Malformed
schemas raise `qom_py.errors.QAPISchemaError` (``FILE:LINE: problem``).

Layering: this package imports only `qom_py.errors` (and attrs); the object
model and QMP build on it.
"""

from __future__ import annotations

from ._entities import (
    EMPTY_OBJECT,
    AlternateType,
    ArrayType,
    BuiltinType,
    Command,
    EnumType,
    EnumValue,
    Event,
    Feature,
    JSONType,
    Member,
    ObjectType,
    SchemaEntity,
    SchemaType,
    Variant,
    Variants,
    array_name,
)
from ._loader import ROOT_SCHEMA, load_schema, schema_files
from ._parser import ParsedExpr, Pragma, SchemaReader
from ._schema import QAPISchema, TypeExpr
from ._source import SourceInfo

__all__ = [
    "EMPTY_OBJECT",
    "ROOT_SCHEMA",
    "AlternateType",
    "ArrayType",
    "BuiltinType",
    "Command",
    "EnumType",
    "EnumValue",
    "Event",
    "Feature",
    "JSONType",
    "Member",
    "ObjectType",
    "ParsedExpr",
    "Pragma",
    "QAPISchema",
    "SchemaEntity",
    "SchemaReader",
    "SchemaType",
    "SourceInfo",
    "TypeExpr",
    "Variant",
    "Variants",
    "array_name",
    "load_schema",
    "schema_files",
]
