"""The check table as JSON (`qom_py.qapi._table_json`): a round trip, and every malformed table refused."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest

from qom_py.qapi import Checker, QAPISchema, load_schema
from qom_py.qapi._builtin_types import BUILTIN_JSON_TYPES
from qom_py.qapi._table import check_table
from qom_py.qapi._table_json import BUILTIN_TYPES, table_from_json, table_to_json
from tests.qapi.test_checker import AUTHZ, REF


@pytest.fixture(scope="module")
def schema() -> QAPISchema:
    schema = load_schema()
    schema.add(AUTHZ, "authz.json")
    schema.add(REF, "ref.json")
    return schema


def test_round_trip(schema: QAPISchema) -> None:
    """A table written as JSON reads back equal (tuples and all), for the shipped schema and the tests' types."""
    table = check_table(schema)
    text = table_to_json(table)
    assert text.isascii()
    assert table_from_json(text) == table
    shipped = check_table(load_schema())
    assert table_from_json(table_to_json(shipped)) == shipped


def test_builtin_types_are_the_schemas() -> None:
    """The validator's built-in types are the schema's: one table, outside the entity model."""
    assert BUILTIN_TYPES is BUILTIN_JSON_TYPES


def _data(schema: QAPISchema) -> Any:
    return json.loads(table_to_json(check_table(schema)))


def _first(data: Any, kind: str, pred: Callable[[list[Any]], bool] = lambda entry: True) -> str:
    return str(next(n for n, e in data["types"].items() if e[0] == kind and pred(e)))


def _union(data: Any) -> str:
    return _first(data, "object", lambda e: e[2] is not None)


def _struct_with_members(data: Any) -> str:
    return _first(data, "object", lambda e: len(e[1]) > 0)


#: Edits of a good table's JSON data that make it no table the checker can use.
BREAKAGES: dict[str, Callable[[Any], None]] = {
    "not-a-dict": lambda d: d.clear() or d.update({"x": 1}),
    "extra-key": lambda d: d.update({"extra": {}}),
    "types-a-list": lambda d: d.update({"types": []}),
    "commands-a-list": lambda d: d.update({"commands": []}),
    "command-undefined-type": lambda d: d["commands"].update({"qmp_capabilities": "NoSuchType"}),
    "command-non-object": lambda d: d["commands"].update({"qmp_capabilities": "str"}),
    "command-arg-int": lambda d: d["commands"].update({"qmp_capabilities": 3}),
    "entry-empty": lambda d: d["types"].update({"Empty": []}),
    "entry-a-string": lambda d: d["types"].update({"S": "object"}),
    "unknown-kind": lambda d: d["types"].update({"K": ["class", "os.system"]}),
    "builtin-unknown": lambda d: d["types"].update({"int128": ["builtin", "int"]}),
    "builtin-wrong-json-type": lambda d: d["types"].update({"int": ["builtin", "string"]}),
    "builtin-shadowed": lambda d: d["types"].update({"str": ["enum", ["a"]]}),
    "enum-values-not-strings": lambda d: d["types"].update({"E": ["enum", [1, 2]]}),
    "enum-duplicates": lambda d: d["types"].update({"E": ["enum", ["a", "a"]]}),
    "array-undefined": lambda d: d["types"].update({"XList": ["array", "X"]}),
    "array-extra-field": lambda d: d["types"].update({"strList2": ["array", "str", 1]}),
    "member-undefined-type": lambda d: d["types"][_struct_with_members(d)][1][0].__setitem__(2, "Nope"),
    "member-optional-not-bool": lambda d: d["types"][_struct_with_members(d)][1][0].__setitem__(1, 1),
    "member-short": lambda d: d["types"][_struct_with_members(d)][1][0].pop(),
    "member-duplicate": lambda d: d["types"][_struct_with_members(d)][1].append(
        d["types"][_struct_with_members(d)][1][0]
    ),
    "base-undefined": lambda d: d["types"][_struct_with_members(d)].__setitem__(3, "Nope"),
    "base-not-object": lambda d: d["types"][_struct_with_members(d)].__setitem__(3, "str"),
    "variants-not-pair": lambda d: d["types"][_union(d)].__setitem__(2, ["qom-type"]),
    "variant-undefined": lambda d: d["types"][_union(d)][2][1].append(["new-case", "Nope"]),
    "variant-not-object": lambda d: d["types"][_union(d)][2][1].append(["new-case", "str"]),
    "tag-not-member": lambda d: d["types"][_union(d)][2].__setitem__(0, "no-such-member"),
    "alternate-bad-qtype": lambda d: d["types"].update({"A": ["alternate", [["qfloat", "str"]]]}),
    "alternate-undefined": lambda d: d["types"].update({"A": ["alternate", [["qstring", "Nope"]]]}),
    "object-short": lambda d: d["types"][_struct_with_members(d)].pop(),
}


@pytest.mark.parametrize("name", list(BREAKAGES))
def test_malformed_tables_are_refused(schema: QAPISchema, name: str) -> None:
    """Each shape or consistency fault is refused, not passed to the checker."""
    data = _data(schema)
    good = copy.deepcopy(data)
    BREAKAGES[name](data)
    assert data != good, "the edit changed nothing"
    assert table_from_json(json.dumps(data).encode()) is None


@pytest.mark.parametrize(
    "text",
    [b"", b"{", b"\xff\xfe", b"[" * 100_000 + b"]" * 100_000, b"null", b'"types"', b"NaN"],
    ids=["empty", "unclosed", "not-utf8", "deep", "null", "string", "nan"],
)
def test_not_json_or_not_a_table(text: bytes) -> None:
    """Text that is no JSON, or JSON too deep to read, is refused without an error."""
    assert table_from_json(text) is None


def test_a_valid_table_checks(schema: QAPISchema) -> None:
    """The table read back serves the checker as the derived one does (same messages)."""
    table = table_from_json(table_to_json(check_table(schema)))
    assert table is not None
    checker = Checker.from_table(table)
    assert checker.check("int8", 5) == 5
    with pytest.raises(Exception, match="Parameter") as from_json:
        checker.check("uint8", -1, name="n")
    with pytest.raises(Exception, match="Parameter") as derived:
        Checker.from_table(check_table(schema)).check("uint8", -1, name="n")
    assert str(from_json.value) == str(derived.value)
