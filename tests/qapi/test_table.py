"""
The check table (`qom_py.qapi._table`) and the checker made from it: it agrees with the model.

The table is derived from the schema, so these tests are differential: a table-backed
`Checker` gives what a model-backed one gives (value or message), for every type of the
shipped schema and of the checker tests' definitions, in every mode.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from qom_py.errors import ParameterError, QAPITypeNotFoundError
from qom_py.qapi import Checker, Mode, QAPISchema, TypeExpr, load_schema
from qom_py.qapi._table import check_table
from tests.qapi.test_checker import AUTHZ, REF

MODES: list[Mode] = ["json", "keyval", "string"]
#: Raw values every type is tried with (JSON shapes and keyval strings).
SCALARS: list[Any] = [None, True, 0, -1, 7, 2**64, 1.5, "", "x", "7", "-1", "on", "1G", [], ["x"], {}, {"a": "b"}]


@pytest.fixture(scope="module")
def schema() -> QAPISchema:
    schema = load_schema()
    schema.add(AUTHZ, "authz.json")
    schema.add(REF, "ref.json")
    return schema


def outcome(checker: Checker, type_name: TypeExpr, raw: Any, mode: Mode, name: str | None) -> tuple[Any, ...]:
    """What a check gives: ``("ok", value)`` (dicts as item lists: order counts), or the error's class and message."""
    try:
        return ("ok", ordered(checker.check(type_name, raw, mode, name)))
    except (ParameterError, QAPITypeNotFoundError) as exc:
        return (type(exc).__name__, str(exc))


def ordered(value: Any) -> Any:
    """*value* with every dict as its list of items, so that comparisons see the members' order."""
    if isinstance(value, dict):
        return [(k, ordered(v)) for k, v in value.items()]
    if isinstance(value, list):
        return [ordered(v) for v in value]
    return value


def sample(schema: QAPISchema, type_name: str, mode: Mode, depth: int = 0) -> Any:
    """A value of *type_name* the checker accepts (as far as the types allow), built from the model."""
    typ = schema.resolve_type(type_name)
    keyval = mode == "keyval"
    if typ.meta == "built-in":
        values = {"str": "s", "bool": True, "number": 1.5, "null": None, "any": {"a": 1}}
        value = values.get(typ.name, 3)
        return ("on" if value is True else "" if value is None else str(value)) if keyval else value
    if typ.meta == "enum":
        return schema.enum_type(type_name).value_names[-1]
    if typ.meta == "array":
        return [] if depth > 2 else [sample(schema, typ.element_type, mode, depth + 1)]  # type: ignore[attr-defined]
    if typ.meta == "alternate":
        return sample(schema, typ.variants.variants[0].type, mode, depth + 1)  # type: ignore[attr-defined]
    obj = schema.object_type(type_name)
    members = obj.members
    if obj.variants is not None:
        tag = obj.member(obj.variants.tag)
        assert tag is not None
        case = schema.enum_type(tag.type).value_names[0]
        found = schema.branch_members(obj, case)
        assert found is not None
        members = found
    value = {m.name: sample(schema, m.type, mode, depth + 1) for m in members if depth < 3 or not m.optional}
    if obj.variants is not None:
        value[obj.variants.tag] = case
    return value


def values_of(schema: QAPISchema, type_name: str, mode: Mode) -> Iterator[Any]:
    """Good and bad values of *type_name*: the scalars, a sample, the sample with each member spoiled or dropped."""
    yield from SCALARS
    if mode == "string":
        return
    good = sample(schema, type_name, mode)
    yield good
    yield [good, SCALARS[3]]
    if isinstance(good, dict):
        yield {**good, "zz-unexpected": "1", "aa-unexpected": "2"}
        yield dict(reversed(good.items()))
        yield dict.fromkeys(good, ["x"])  # every member wrong: the first checked is named
        for key in good:
            yield {k: v for k, v in good.items() if k != key}
            for bad in (None, "x", ["x"], {"y": "z"}):
                yield {**good, key: bad}


def test_table_checks_agree_with_model(schema: QAPISchema) -> None:
    """Every type, many values, every mode: the table-backed checker answers as the model-backed one."""
    model, table = Checker(schema), Checker.from_table(check_table(schema))
    compared = 0
    for typ in schema.types():
        for mode in MODES:
            for raw in values_of(schema, typ.name, mode):
                for name in (None, "prop"):
                    assert outcome(table, typ.name, raw, mode, name) == outcome(model, typ.name, raw, mode, name), (
                        typ.name,
                        mode,
                        raw,
                        name,
                    )
                    compared += 1
    assert compared > 10_000


def test_members_and_entries_agree(schema: QAPISchema) -> None:
    """The members-only checks agree too, and a table's entries are those a schema's checker derives."""
    table = check_table(schema)
    model, from_table = Checker(schema), Checker.from_table(table)
    for name, entry in table["types"].items():
        assert model.entry(name) == entry
        if entry[0] == "object":
            good = sample(schema, name, "json")
            ours = from_table.members(name, "json")(good, "")
            assert ordered(model.members(name, "json")(good, "")) == ordered(ours)


def test_type_expressions(schema: QAPISchema) -> None:
    """Without a schema, a list expression still names its array type; unknown names are refused alike."""
    model, table = Checker(schema), Checker.from_table(check_table(schema))
    rule = {"match": "m", "policy": "deny"}
    for expr, raw in [(["QAuthZListRule"], [rule]), (["uint8"], [1, 256]), (["RefNode"], [{}]), ("nosuch", 1)]:
        assert outcome(table, expr, raw, "json", "r") == outcome(model, expr, raw, "json", "r")
    for bad in [["strList"], ["str", "int"], ["nosuch"]]:
        with pytest.raises(QAPITypeNotFoundError):
            table.check(bad, [])
        with pytest.raises(QAPITypeNotFoundError):
            model.check(bad, [])
    with pytest.raises(QAPITypeNotFoundError):
        table.members("str", "json")


def test_commands(schema: QAPISchema) -> None:
    """Each command's entry is its argument type (None without ``data``)."""
    commands = check_table(schema)["commands"]
    assert commands == {c.name: c.arg_type for c in schema.commands()}
    assert commands["qom-get"] == "q_obj_qom-get-arg"
    assert commands["quit"] is None
