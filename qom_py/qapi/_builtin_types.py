"""
QAPI's built-in types and the JSON type of each: data only, imported by the
entity model and by the check table's JSON reader, which must not import the model.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final, Literal, TypeAlias

__all__ = ["BUILTIN_JSON_TYPES", "JSONType"]

#: The JSON types of QEMU's introspection (``SchemaInfoBuiltin.json-type`` and the rest).
JSONType: TypeAlias = Literal["string", "number", "int", "boolean", "null", "object", "array", "value"]

#: The built-in types and their JSON types, in QEMU's order.
BUILTIN_JSON_TYPES: Final[Mapping[str, JSONType]] = {
    "str": "string",
    "number": "number",
    "int": "int",
    "int8": "int",
    "int16": "int",
    "int32": "int",
    "int64": "int",
    "uint8": "int",
    "uint16": "int",
    "uint32": "int",
    "uint64": "int",
    "size": "int",
    "bool": "boolean",
    "any": "value",
    "null": "null",
}
