"""`qom_py.qapi.json_schema`: JSON Schema generated from QAPI types and declared ranges, without the object layer."""

from __future__ import annotations

import pytest

from qom_py.qapi import load_schema
from qom_py.qapi._entities import Member
from qom_py.qapi.json_schema import DIALECT, json_type, request_schema

jsonschema = pytest.importorskip("jsonschema", reason="the jsonschema package validates the documents")


def test_value_schemas_of_shipped_types() -> None:
    schema = load_schema()
    assert json_type(schema, "uint8") == {"type": "integer", "minimum": 0, "maximum": 255}
    assert json_type(schema, "any") == {}
    struct = json_type(schema, "IothreadProperties")
    assert struct["type"] == "object" and struct["additionalProperties"] is False
    assert struct["properties"]["poll-max-ns"] == {"type": "integer", "minimum": -(2**63), "maximum": 2**63 - 1}
    assert struct["required"] == []


def test_request_schema_with_declared_ranges() -> None:
    schema = load_schema()
    members = [Member(name="n", type="int"), Member(name="s", type="str", optional=True)]
    asked: list[list[str]] = []

    def ranges(names: list[str]) -> list[tuple[str, tuple[int, int]]]:
        asked.append(names)
        return [("n", (1, 5))]

    document = {"$schema": DIALECT, **request_schema(schema, "t", {"k": {"const": "t"}}, members, ranges)}
    assert asked == [["n"]]  # only integer members are asked about
    assert document["required"] == ["k", "n"]
    assert document["properties"]["n"] == {"type": "integer", "minimum": 1, "maximum": 5}
    validator = jsonschema.Draft202012Validator(document)
    assert validator.is_valid({"k": "t", "n": 5, "s": "x"})
    assert not validator.is_valid({"k": "t", "n": 6})
    assert not validator.is_valid({"k": "t", "n": 1, "extra": 0})
