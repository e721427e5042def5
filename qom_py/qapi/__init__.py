"""
QAPI: QEMU's schema language, read as QEMU's ``scripts/qapi`` reads it.

`QAPISchema` is the model: entities by name, in definition order
(`BuiltinType`, `EnumType`, `ArrayType`, `ObjectType` for structs and unions,
`AlternateType`, `Command`, `Event`), built from schema files
(`QAPISchema.from_file`, `load_schema` for the files qom_py ships) and grown at
run time (`QAPISchema.add`, `QAPISchema.add_union_branches`); `Checker`
checks values against it as QEMU's QObject input visitor does, from the
schema's `CheckTable` (`check_table`; `load_table` for the shipped schema's,
cached as plain data so that a daemon's checks need no schema model).  Malformed
schemas raise `qom_py.errors.QAPISchemaError` (``FILE:LINE: problem``).

Layering: this package imports only `qom_py.errors`, the scalar visitors of
`qom_py.qapi._visitors` (their messages) and attrs; the object
model and QMP build on it.

The names below are imported on first use (PEP 562), so that importing one
submodule (``qom_py.qmp`` imports `qom_py.qapi._qdict_order`) does not pay for
the whole schema engine at start-up.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from .._util.lazy import lazy_getattr

if TYPE_CHECKING:
    from .._util.names import array_name
    from ._builtin_types import JSONType
    from ._checker import Checker, Mode
    from ._convert import ABSENT, Absent
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
        Member,
        ObjectType,
        SchemaEntity,
        SchemaMetaType,
        SchemaType,
        Variant,
        Variants,
    )
    from ._loader import ROOT_SCHEMA, load_schema, load_table, schema_files
    from ._parser import ParsedExpr, SchemaReader
    from ._pragma import Pragma
    from ._pydefine import QAPIType
    from ._pytypes import PyTypes, py_types
    from ._schema import QAPISchema, TypeExpr
    from ._source import SourceInfo
    from ._table import CheckTable, check_table

__all__ = [
    "ABSENT",
    "EMPTY_OBJECT",
    "ROOT_SCHEMA",
    "Absent",
    "AlternateType",
    "ArrayType",
    "BuiltinType",
    "CheckTable",
    "Checker",
    "Command",
    "EnumType",
    "EnumValue",
    "Event",
    "Feature",
    "JSONType",
    "Member",
    "Mode",
    "ObjectType",
    "ParsedExpr",
    "Pragma",
    "PyTypes",
    "QAPISchema",
    "QAPIType",
    "SchemaEntity",
    "SchemaMetaType",
    "SchemaReader",
    "SchemaType",
    "SourceInfo",
    "TypeExpr",
    "Variant",
    "Variants",
    "array_name",
    "check_table",
    "load_schema",
    "load_table",
    "py_types",
    "schema_files",
]

#: Public name -> the submodule defining it.
_LAZY: Final[dict[str, str]] = {
    "ABSENT": "._convert",
    "Absent": "._convert",
    "PyTypes": "._pytypes",
    "QAPIType": "._pydefine",
    "py_types": "._pytypes",
    "AlternateType": "._entities",
    "ArrayType": "._entities",
    "BuiltinType": "._entities",
    "CheckTable": "._table",
    "Checker": "._checker",
    "Command": "._entities",
    "EMPTY_OBJECT": "._entities",
    "EnumType": "._entities",
    "EnumValue": "._entities",
    "Event": "._entities",
    "Feature": "._entities",
    "JSONType": "._builtin_types",
    "Member": "._entities",
    "Mode": "._checker",
    "ObjectType": "._entities",
    "ParsedExpr": "._parser",
    "Pragma": "._pragma",
    "QAPISchema": "._schema",
    "ROOT_SCHEMA": "._loader",
    "SchemaEntity": "._entities",
    "SchemaMetaType": "._entities",
    "SchemaReader": "._parser",
    "SchemaType": "._entities",
    "SourceInfo": "._source",
    "TypeExpr": "._schema",
    "Variant": "._entities",
    "Variants": "._entities",
    "array_name": ".._util.names",
    "check_table": "._table",
    "load_schema": "._loader",
    "load_table": "._loader",
    "schema_files": "._loader",
}


__getattr__ = lazy_getattr(__name__, _LAZY, globals())
