"""
JSON Schema (draft 2020-12) of QAPI types, beside the introspection: what the checker accepts in JSON mode.

`json_type` gives the schema of one type's values; `request_schema` the one
of a request object (``object-add``'s arguments: fixed leading members, then a
struct's members), integer members narrowed to their declared ranges.  The
object layer (`qom_py.qom._object_schema.ObjectSchema.json_schema`) supplies
the struct and the ranges its properties declare; nothing is probed here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, Final

from ._entities import AlternateType, ArrayType  # a JSON Schema is made from the schema model
from ._visitors import INT_RANGES

if TYPE_CHECKING:
    from ._entities import Member
    from ._schema import QAPISchema

__all__ = ["DIALECT", "json_type", "request_schema"]

#: The ``$schema`` of every document made here.
DIALECT: Final = "https://json-schema.org/draft/2020-12/schema"


def json_type(schema: QAPISchema, type_name: str) -> dict[str, Any]:
    """The JSON Schema of values of the QAPI type *type_name* (what the checker accepts in JSON mode)."""
    if type_name == "str":
        return {"type": "string"}
    if type_name == "bool":
        return {"type": "boolean"}
    if type_name == "number":
        return {"type": "number"}
    if type_name == "null":
        return {"type": "null"}
    if type_name in ("int", "int64"):
        return {"type": "integer", "minimum": -(2**63), "maximum": 2**63 - 1}
    if type_name in ("size", "uint64"):
        # QEMU's JSON visitor also takes negative int64 values, modulo 2**64.
        return {"type": "integer", "minimum": -(2**63), "maximum": 2**64 - 1}
    for (bits, signed), (low, high, _) in INT_RANGES.items():
        if type_name == ("int" if signed else "uint") + str(bits):
            return {"type": "integer", "minimum": low, "maximum": high}
    typ = schema.lookup_type(type_name)
    if typ is None or type_name == "any":
        return {}
    if typ.meta == "enum":
        return {"enum": list(schema.enum_type(type_name).value_names)}
    if isinstance(typ, ArrayType):
        return {"type": "array", "items": json_type(schema, typ.element_type)}
    if isinstance(typ, AlternateType):
        return {"anyOf": [json_type(schema, v.type) for v in typ.variants.variants]}
    obj = schema.object_type(type_name)
    result: dict[str, Any] = {
        "type": "object",
        "properties": {m.name: json_type(schema, m.type) for m in obj.members},
        "required": [m.name for m in obj.members if not m.optional],
        "additionalProperties": False,
    }
    if obj.variants is not None:
        del result["additionalProperties"]
    return result


def request_schema(
    schema: QAPISchema,
    title: str,
    head: Mapping[str, dict[str, Any]],
    members: Iterable[Member],
    ranges: Callable[[list[str]], Iterable[tuple[str, tuple[int, int]]]] | None = None,
) -> dict[str, Any]:
    """
    The JSON Schema of a request object: the required *head* members first, then *members*.

    *ranges(names)*, given the integer members' names, yields the declared
    ``(name, (minimum, maximum))`` of those narrower than their QAPI type.
    """
    props: dict[str, Any] = dict(head)
    required = list(head)
    integers: list[str] = []
    for m in members:
        props[m.name] = value = json_type(schema, m.type)
        if "minimum" in value:
            integers.append(m.name)
        if not m.optional:
            required.append(m.name)
    if ranges is not None and integers:
        for name, (low, high) in ranges(integers):
            props[name]["minimum"], props[name]["maximum"] = low, high
    return {"title": title, "type": "object", "properties": props, "required": required, "additionalProperties": False}
