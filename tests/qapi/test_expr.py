"""Malformed definitions give QEMU's scripts/qapi/expr.py messages at FILE:LINE."""

from __future__ import annotations

import re

import pytest

from qom_py.errors import QAPISchemaError
from qom_py.qapi import QAPISchema

#: (definition, problem): each definition is written on line 3 of ``bad.json``.
CASES: list[tuple[str, str]] = [
    ("{ 'nope': 'X' }", "expression must have exactly one key 'enum', 'struct', 'union', 'alternate', 'command', 'event'"),
    ("{ 'struct': [ 'X' ], 'data': {} }", "'struct' requires a string name"),
    ("{ 'struct': 'foo', 'data': {} }", "name of struct must use CamelCase"),
    ("{ 'struct': 'Foo!', 'data': {} }", "struct has an invalid name"),
    ("{ 'struct': 'q_Foo', 'data': {} }", "struct has an invalid name"),
    ("{ 'struct': 'FooList', 'data': {} }", "struct name should not end in 'List'"),
    ("{ 'command': 'Do-It' }", "name of command must not use uppercase or '_'"),
    ("{ 'command': 'do_it' }", "name of command must not use uppercase or '_'"),
    ("{ 'event': 'done' }", "name of event must not use lowercase or '-'"),
    ("{ 'struct': 'Foo' }", "struct misses key 'data'"),
    ("{ 'union': 'Foo', 'data': {} }", "union misses keys 'base', 'discriminator'"),
    ("{ 'struct': 'Foo', 'data': {}, 'bogus': true }", "struct has unknown key 'bogus'"),
    ("{ 'struct': 'Foo', 'data': { 'Bar': 'int' } }", "name of 'data' member 'Bar' must not use uppercase or '_'"),
    ("{ 'struct': 'Foo', 'data': { 'has-x': 'int' } }", "'data' member 'has-x' uses reserved name"),
    ("{ 'struct': 'Foo', 'data': { 'a': { 'typ': 'int' } } }", "'data' member 'a' misses key 'type'"),
    ("{ 'struct': 'Foo', 'data': { 'a': [ 'int', 'str' ] } }", "'data' member 'a': array type must contain single type name"),
    ("{ 'struct': 'Foo', 'data': { 'a': { 'type': 'int', 'if': 'lower' } } }",
     "'if' condition 'lower' of 'data' member 'a' is not a valid identifier"),
    ("{ 'struct': 'Foo', 'data': {}, 'if': { 'all': [] } }", "'if' condition [] of struct is useless"),
    ("{ 'struct': 'Foo', 'data': {}, 'if': { 'all': ['A'], 'any': ['B'] } }",
     "'if' condition of struct has conflicting keys"),
    ("{ 'struct': 'Foo', 'data': {}, 'if': { 'xor': ['A'] } }", "'if' condition of struct has unknown key 'xor'"),
    ("{ 'struct': 'Foo', 'data': {}, 'if': [ 'A' ] }", "'if' condition of struct must be a string or an object"),
    ("{ 'struct': 'Foo', 'data': {}, 'features': 'deprecated' }", "'features' must be an array"),
    ("{ 'struct': 'Foo', 'data': {}, 'features': [ 'Bad_Name' ] }",
     "name of 'features' member 'Bad_Name' must not use uppercase or '_'"),
    ("{ 'struct': 'Foo', 'base': { 'a': 'int' }, 'data': {} }", "'base' should be a type name"),
    ("{ 'struct': 'Foo', 'data': 'Bar' }", "'data' must be an object"),
    ("{ 'enum': 'Foo', 'data': 'a' }", "'data' must be an array"),
    ("{ 'enum': 'Foo', 'data': [ 'a' ], 'prefix': true }", "'prefix' must be a string"),
    ("{ 'enum': 'Foo', 'data': [ 'a b' ] }", "'data' member 'a b' has an invalid name"),
    ("{ 'enum': 'Foo', 'data': [ { 'nam': 'a' } ] }", "'data' member misses key 'name'"),
    ("{ 'union': 'Foo', 'base': 'B', 'discriminator': [], 'data': {} }", "'discriminator' requires a string name"),
    ("{ 'union': 'Foo', 'base': 'B', 'discriminator': 'k', 'data': { 'a': ['X'] } }", "'data' member 'a' cannot be an array"),
    ("{ 'alternate': 'Foo', 'data': {} }", "'data' must not be empty"),
    ("{ 'command': 'do', 'boxed': true }", "'boxed': true requires 'data'"),
    ("{ 'command': 'do', 'data': 'X', 'boxed': false }", "flag 'boxed' may only use true value"),
    ("{ 'command': 'do', 'gen': true }", "flag 'gen' may only use false value"),
    ("{ 'command': 'do', 'allow-oob': true, 'coroutine': true }", "flags 'allow-oob' and 'coroutine' are incompatible"),
    ("{ 'command': 'do', 'data': [ 'X' ] }", "'data' cannot be an array"),
    ("{ 'command': 'do', 'data': { 'a': 'int' }, 'boxed': true }", "'data' should be a type name"),
    ("{ 'command': 'do', 'returns': [ 'X', 'Y' ] }", "'returns': array type must contain single type name"),
    ("{ 'event': 'DONE', 'data': true }", "'data' should be an object or type name"),
]  # fmt: skip


@pytest.mark.parametrize(("definition", "problem"), CASES, ids=[p for _, p in CASES])
def test_malformed(definition: str, problem: str) -> None:
    """The error names the file and the definition's line, with QEMU's words."""
    text = "# a comment\n{ 'enum': 'Good', 'data': [ 'x' ] }\n" + definition + "\n"
    schema = QAPISchema()
    before = list(schema)
    with pytest.raises(QAPISchemaError, match=re.escape(f"bad.json:3: {problem}")) as info:
        schema.add(text, "bad.json")
    assert str(info.value) == f"bad.json:3: {problem}"
    assert (info.value.file, info.value.line, info.value.problem, info.value.col) == ("bad.json", 3, problem, None)
    assert list(schema) == before  # nothing was added, not even Good


def test_unknown_key_hint() -> None:
    """QEMU's second line, the valid keys, is the error's hint."""
    with pytest.raises(QAPISchemaError) as info:
        QAPISchema().add("{ 'event': 'DONE', 'dat': {} }", "bad.json")
    assert info.value.hint == "Valid keys are 'boxed', 'data', 'event', 'features', 'if'."


def test_permitted_exceptions() -> None:
    """Pragmas permit '_' in command names and upper case in member names of the listed types."""
    text = """
    { 'pragma': { 'command-name-exceptions': [ 'do_it' ], 'member-name-exceptions': [ 'Odd' ] } }
    { 'command': 'do_it' }
    { 'struct': 'Odd', 'data': { 'CamelCase': 'int', 'under_score': 'int' } }
    { 'enum': 'Digits', 'data': [ '1st', 'x-experimental', '__org.example_thing' ] }
    """
    schema = QAPISchema()
    schema.add(text, "ok.json")
    assert schema.object_type("Odd").member_names == ("CamelCase", "under_score")
    assert schema.enum_type("Digits").value_names == ("1st", "x-experimental", "__org.example_thing")
