"""
QEMU 7.2's own QAPI schema test suite (tests/qapi-schema), every case of its ``TESTS`` list.

A negative case must be rejected with exactly the ``.err`` text (paths relative
to the suite's folder, as QEMU's test-qapi.py prints them); a positive case must
load, and its entities and doc comments, printed as test-qapi.py prints them
(`print_schema`), must equal the ``.out``.  The suite is QEMU's data, read from
``../shared/conformance/qemu-qapi-schema/`` next to the repository; the tests
skip when it is absent.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from qom_py.errors import QAPISchemaError
from qom_py.qapi import (
    AlternateType,
    ArrayType,
    Command,
    EnumType,
    Event,
    ObjectType,
    QAPISchema,
    SchemaEntity,
    SchemaReader,
    Variants,
)
from qom_py.qapi._entities import Feature

SUITE = Path(__file__).resolve().parents[2] / ".." / "shared" / "conformance" / "qemu-qapi-schema"


def _cases() -> list[str]:
    tests = SUITE / "TESTS"
    if not tests.is_file():
        return []
    lines = tests.read_text(encoding="utf-8").splitlines()
    return [line.removesuffix(".json") for line in lines if line.strip() and not line.startswith("#")]


CASES = _cases()

pytestmark = pytest.mark.skipif(not CASES, reason=f"QEMU's QAPI test suite is not at {SUITE}")

# -- the printer: QEMU's QAPISchemaTestVisitor and test_frontend() -------------------------------

_IF_TOKEN = re.compile(r"\(|\)|not |[A-Za-z0-9_]+| and | or ")


def _ifcond_value(text: str) -> object:
    """Turn an ``if`` condition's text (``(A and not B)``) back into QEMU's form (``{'all': ['A', {'not': 'B'}]}``)."""
    tokens = _IF_TOKEN.findall(text)
    assert "".join(tokens) == text, text
    pos = 0

    def parse() -> object:
        nonlocal pos
        token = tokens[pos]
        pos += 1
        if token == "not ":
            return {"not": parse()}
        if token != "(":
            return token
        operands = [parse()]
        operator = ""
        while tokens[pos] != ")":
            operator = "all" if tokens[pos] == " and " else "any"
            pos += 1
            operands.append(parse())
        pos += 1
        return {operator: operands}

    value = parse()
    assert pos == len(tokens), text
    return value


class _Printer:
    """Prints a schema as QEMU's tests/qapi-schema/test-qapi.py prints it."""

    def __init__(self, schema: QAPISchema) -> None:
        self.schema = schema
        self.lines: list[str] = []

    def out(self, line: str) -> None:
        self.lines.append(line)

    def ifcond(self, cond: str | None, indent: int = 4) -> None:
        if cond is not None:
            self.out(f"{' ' * indent}if {_ifcond_value(cond)}")

    def features(self, features: tuple[Feature, ...], indent: int = 4) -> None:
        for f in features:
            self.out(f"{' ' * indent}feature {f.name}")
            self.ifcond(f.ifcond, indent + 4)

    def variants(self, variants: Variants | None) -> None:
        if variants is None:
            return
        self.out(f"    tag {variants.tag}")
        for v in variants.variants:
            self.out(f"    case {v.case}: {v.type}")
            self.ifcond(v.ifcond, 8)

    def entity(self, entity: SchemaEntity) -> None:
        if isinstance(entity, EnumType):
            self.out(f"enum {entity.name}")
            if entity.prefix:
                self.out(f"    prefix {entity.prefix}")
            for value in entity.values:
                self.out(f"    member {value.name}")
                self.ifcond(value.ifcond, 8)
                self.features(value.features, 8)
        elif isinstance(entity, ArrayType):
            if entity.info is None:
                return  # test-qapi.py suppresses built-in arrays
            self.out(f"array {entity.name} {entity.element_type}")
        elif isinstance(entity, ObjectType):
            self.out(f"object {entity.name}")
            if entity.base:
                self.out(f"    base {entity.base}")
            for m in entity.local_members:  # the visitor gets the local members only
                self.out(f"    member {m.name}: {m.type} optional={m.optional}")
                self.ifcond(m.ifcond, 8)
                self.features(m.features, 8)
            self.variants(entity.variants)
        elif isinstance(entity, AlternateType):
            self.out(f"alternate {entity.name}")
            self.variants(entity.variants)
        elif isinstance(entity, Command):
            self.out(f"command {entity.name} {entity.arg_type} -> {entity.ret_type}")
            coroutine = " coroutine=True" if entity.coroutine else ""
            self.out(
                f"    gen={entity.gen} success_response={entity.success_response} boxed={entity.boxed}"
                f" oob={entity.allow_oob} preconfig={entity.allow_preconfig}{coroutine}"
            )
        elif isinstance(entity, Event):
            self.out(f"event {entity.name} {entity.arg_type}")
            self.out(f"    boxed={entity.boxed}")
        else:
            return  # built-in types: test-qapi.py has no visit_builtin_type
        self.ifcond(entity.ifcond)
        if not isinstance(entity, ArrayType):
            self.features(entity.features)

    def docs(self) -> None:
        for doc in self.schema.docs:
            self.out(f"doc symbol={doc.symbol}" if doc.symbol else "doc freeform")
            self.out(f"    body=\n{doc.body.text}")
            for name, section in doc.args.items():
                self.out(f"    arg={name}\n{section.text}")
            for name, section in doc.features.items():
                self.out(f"    feature={name}\n{section.text}")
            for section in doc.sections:
                self.out(f"    section={section.name}\n{section.text}")


def print_schema(schema: QAPISchema, root: str) -> str:
    """
    The schema read from *root* as test-qapi.py prints it: module by module, then the docs.

    Modules come in the order their files were first read (the built-in module
    ``./builtin`` first, then the root), each with its entities in definition
    order and its ``include`` directives among them (QEMU's
    ``QAPISchemaInclude`` entities).  An array type belongs to its element
    type's module, as QEMU's ``set_module`` has it.
    """
    schema_dir = os.path.dirname(root)

    def module_of(file: str) -> str:
        return os.path.relpath(os.path.normpath(file), schema_dir)

    # Where each definition and include directive comes in the whole source (QEMU's expression order).
    reader = SchemaReader()
    reader.read_root(root)
    order: dict[tuple[str, int], int] = {}
    modules: dict[str, list[tuple[int, int, SchemaEntity | str]]] = {"./builtin": []}
    for file in schema.files:
        modules.setdefault(module_of(file), [])
    for k, parsed in enumerate(reader.exprs):
        order.setdefault((parsed.info.file, parsed.info.line), k)
        if "include" in parsed.expr:
            modules[module_of(parsed.info.file)].append((k, 0, module_of(parsed.expr["include"])))
    for index, entity in enumerate(schema, 1):
        if entity.info is None:
            modules["./builtin"].append((-1, index, entity))
            continue
        k = order[entity.info.file, entity.info.line]
        where = entity.info
        if isinstance(entity, ArrayType):
            element = schema.element_type(entity)
            where = element.info or where
        modules[module_of(where.file)].append((k, index, entity))
    printer = _Printer(schema)
    for module, items in modules.items():
        printer.out(f"module {module}")
        for _, _, item in sorted(items, key=lambda item: item[:2]):
            if isinstance(item, str):
                printer.out(f"include {item}")
            else:
                printer.entity(item)
    printer.docs()
    return "".join(line + "\n" for line in printer.lines)


def run_case(name: str) -> tuple[str, str]:
    """Run one case as test-qapi.py does: (what it prints on stdout, what on stderr)."""
    root = os.path.join(str(SUITE), name + ".json")
    try:
        schema = QAPISchema.from_file(root)
    except QAPISchemaError as err:
        return "", (err.full_message + "\n").replace(str(SUITE) + "/", "")
    return print_schema(schema, root), ""


def _expected(name: str, suffix: str) -> str:
    return (SUITE / (name + suffix)).read_text(encoding="utf-8")


@pytest.mark.parametrize("name", CASES)
def test_case(name: str) -> None:
    """The case's verdict, its error text and its printed schema are QEMU's."""
    out, err = run_case(name)
    assert err == _expected(name, ".err")
    assert out == _expected(name, ".out")


def test_the_list_is_qemus() -> None:
    """Every case of QEMU 7.2's list is here (198 of them, missing-schema.json included)."""
    assert len(CASES) == 198
    assert "missing-schema" in CASES
    assert not (SUITE / "missing-schema.json").exists()


@pytest.mark.parametrize("name", [n for n in CASES if SUITE.is_dir() and (SUITE / (n + ".err")).stat().st_size])
def test_check_command_prints_the_err(
    name: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """``python -m qom_py.qapi check CASE.json``, run in the tests folder as QEMU runs it, prints the .err, exit 1."""
    from qom_py.qapi._cli import main

    monkeypatch.chdir(SUITE)
    assert main(["check", name + ".json"]) == 1
    assert capsys.readouterr().err == _expected(name, ".err")
