"""
A schema model rebuilt from ``query-qmp-schema``: SchemaInfo -> the entities of `qom_py.qapi`.

QEMU masks the names of most types (``"0"``, ``"[12]"``); the structure is
all there, so the model keeps those names and builds each entity from its
SchemaInfo: object types with their members (flattened, as introspection
gives them) and union variants, enums, arrays, alternates (a branch per
type, named by the type), commands and events.  What introspection does not
say is not checked: QEMU lists every integer type as ``int``, so a width
(``uint16``) is the server's to check.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ..qapi import (
    AlternateType,
    ArrayType,
    Command,
    EnumType,
    EnumValue,
    Event,
    Member,
    ObjectType,
    QAPISchema,
    SchemaEntity,
    Variant,
    Variants,
)

__all__ = ["schema_from_info"]


def _members(info: Mapping[str, Any]) -> list[Member]:
    return [
        Member(name=m["name"], type=m["type"], optional="default" in m, defined_in=info["name"])
        for m in info.get("members", ())
    ]


def _entity(info: Mapping[str, Any]) -> SchemaEntity | None:
    meta, name = info["meta-type"], info["name"]
    if meta == "builtin":
        return None  # a new schema has them all
    if meta == "enum":
        return EnumType(name=name, values=[EnumValue(name=v) for v in info["values"]])
    if meta == "array":
        return ArrayType(name=name, element_type=info["element-type"])
    if meta == "object":
        variants = None
        if "tag" in info:
            variants = Variants(info["tag"], [Variant(case=v["case"], type=v["type"]) for v in info["variants"]])
        members = _members(info)
        return ObjectType(name=name, local_members=members, members=members, variants=variants)
    if meta == "alternate":
        return AlternateType(
            name=name, variants=Variants("type", [Variant(case=m["type"], type=m["type"]) for m in info["members"]])
        )
    if meta == "command":
        ret = info["ret-type"]
        return Command(name=name, arg_type=info["arg-type"], ret_type=ret)
    if meta == "event":
        return Event(name=name, arg_type=info["arg-type"])
    return None  # a meta-type of a later QEMU: nothing to check it with


def schema_from_info(infos: Iterable[Mapping[str, Any]]) -> QAPISchema:
    """The schema a server's ``query-qmp-schema`` answer (or a generated module's ``SCHEMA_INFO``) describes."""
    schema = QAPISchema()
    entities = schema._entities  # noqa: SLF001 - built whole here, without the definition checks
    for info in infos:
        entity = _entity(info)
        if entity is not None:
            entities[entity.name] = entity
    return schema
