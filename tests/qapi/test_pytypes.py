"""Every QAPI type as a Python type: classes from QAPI text and QAPI definitions from Python classes."""

from __future__ import annotations

import enum
import gc
import json
import weakref
from pathlib import Path
from typing import Annotated, Any

import attrs
import pytest

import qom_py
from qom_py.errors import ParameterError, QAPISchemaError
from qom_py.qapi import QAPISchema, load_schema
from qom_py.qapi._pydefine import QAPIType
from qom_py.qapi._pynames import py_name, qapi_member_name
from qom_py.qapi._pytypes import PyTypes, py_types
from qom_py.qapi.introspect import schema_info

DATA = Path(__file__).resolve().parent.parent / "data"
QEMU_QAPI = Path(__file__).resolve().parents[2] / ".." / "shared" / "conformance" / "qemu-7.2-qapi"
needs_shared = pytest.mark.skipif(not QEMU_QAPI.is_dir(), reason=f"QEMU 7.2's schema files are not here ({QEMU_QAPI})")

SMALL = """
{ 'enum': 'Action', 'data': [ 'allow', 'deny', 'if' ] }
{ 'struct': 'Rule', 'data': { 'match': 'str', '*action': 'Action', '*poll-max-ns': 'uint64', 'next': ['Rule'] } }
{ 'struct': 'Base', 'data': { 'id': 'str', 'kind': 'Action' } }
{ 'struct': 'Extra', 'data': { 'x': 'int' } }
{ 'union': 'Choice', 'base': 'Base', 'discriminator': 'kind', 'data': { 'allow': 'Extra' } }
{ 'alternate': 'IntOrRule', 'data': { 'n': 'int', 'r': 'Rule' } }
{ 'struct': 'Holder', 'data': { 'choice': 'Choice', 'alt': 'IntOrRule', '*alts': ['IntOrRule'],
                                'blob': 'any', 'f': 'number' } }
"""


@pytest.fixture
def types() -> PyTypes:
    schema = QAPISchema()
    schema.add(SMALL)
    return py_types(schema)


def test_python_names_follow_c_name() -> None:
    assert py_name("poll-max-ns") == "poll_max_ns"
    assert py_name("if") == "q_if"  # a reserved word, as c_name protects C's
    assert py_name("3des") == "q_3des"
    assert py_name("__com.redhat_x") == "q___com_redhat_x"  # a class body would mangle it
    assert py_name("type") == "type"  # soft keywords are names
    assert qapi_member_name("poll_max_ns") == "poll-max-ns"
    assert qapi_member_name("q_if") == "if"


def test_struct_is_a_frozen_keyword_only_attrs_class(types: PyTypes) -> None:
    rule_cls = types.py_type("Rule")
    assert [a.name for a in attrs.fields(rule_cls)] == ["match", "action", "poll_max_ns", "next"]
    rule = rule_cls(match="a", next=())
    assert rule.action is None and rule.poll_max_ns is None  # optional members default to None
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        rule.match = "b"
    with pytest.raises(TypeError):
        rule_cls("a", ())  # keyword-only
    assert types.py_type("Rule") is rule_cls  # made once per schema
    assert py_types(types.schema) is types


def test_enum_values_are_the_qapi_strings(types: PyTypes) -> None:
    action = types.py_type("Action")
    assert issubclass(action, enum.Enum)
    assert [(m.name, m.value) for m in action] == [("allow", "allow"), ("deny", "deny"), ("q_if", "if")]


def test_from_json_checks_then_builds(types: PyTypes) -> None:
    raw = {"match": "a", "action": "deny", "next": [{"match": "b", "next": []}]}
    rule = types.from_json("Rule", raw)
    assert rule.action is types.py_type("Action").deny
    assert isinstance(rule.next, tuple) and rule.next[0].match == "b"
    assert types.to_json(rule) == raw
    assert list(types.to_json(rule)) == ["match", "action", "next"]  # QEMU's member order, absent left out
    with pytest.raises(ParameterError, match=r"^Invalid parameter type for 'match', expected: string$"):
        types.from_json("Rule", {"match": 1, "next": []})
    with pytest.raises(ParameterError, match=r"^Parameter 'next' is missing$"):
        types.from_json("Rule", {"match": "a"})


def test_union_has_a_class_per_branch_with_a_fixed_tag(types: PyTypes) -> None:
    choice = types.py_type("Choice")
    allow = types.from_json("Choice", {"id": "c", "kind": "allow", "x": 3})
    deny = types.from_json("Choice", {"id": "c", "kind": "deny"})
    assert type(allow).__name__ == "Choice_allow" and type(deny).__name__ == "Choice_deny"
    assert isinstance(allow, choice) and isinstance(allow, types.py_type("Base"))
    assert allow.kind is types.py_type("Action").allow and allow.x == 3
    assert [a.name for a in attrs.fields(type(allow))] == ["id", "kind", "x"]
    built = choice.__qapi_branches__["allow"](id="c", x=3)  # the tag is not an argument
    assert built == allow
    assert list(types.to_json(allow).items()) == [("id", "c"), ("kind", "allow"), ("x", 3)]


def test_alternate_any_number_and_lists(types: PyTypes) -> None:
    raw = {
        "choice": {"id": "c", "kind": "deny"},
        "alt": {"match": "q", "next": []},
        "alts": [1, {"match": "z", "next": []}],
        "blob": {"a": [1, None]},
        "f": 1,
    }
    holder = types.from_json("Holder", raw)
    assert holder.alt.match == "q" and holder.alts[0] == 1 and holder.alts[1].match == "z"
    assert holder.blob == {"a": [1, None]}  # any stays JSON
    assert holder.f == 1.0 and isinstance(holder.f, float)
    assert types.to_json(holder) == raw
    assert types.from_json("Holder", {**raw, "alt": 5}).alt == 5


def test_union_branches_added_later_get_classes() -> None:
    schema = QAPISchema()
    schema.add(SMALL)
    types = py_types(schema)
    assert set(types.py_type("Choice").__qapi_branches__) == {"allow", "deny", "if"}
    schema.add("{ 'enum': 'Kind', 'data': [ 'a' ] } { 'struct': 'KindBase', 'data': { 'kind': 'Kind' } }")
    schema.add("{ 'union': 'Open', 'base': 'KindBase', 'discriminator': 'kind', 'data': {} }")
    schema.add("{ 'struct': 'OpenA', 'data': { 'y': 'str' } }")
    schema.add_union_branches("Open", {"a": "OpenA"})
    assert types.from_json("Open", {"kind": "a", "y": "z"}).y == "z"


GROWING = """
{ 'enum': 'GrowKind', 'data': [ 'a' ] }
{ 'struct': 'GrowBase', 'data': { 'kind': 'GrowKind' } }
{ 'struct': 'GrowA', 'data': { 'x': 'int' } }
{ 'struct': 'GrowB', 'data': { 'y': 'str' } }
{ 'union': 'Grow', 'base': 'GrowBase', 'discriminator': 'kind', 'data': { 'a': 'GrowA' } }
{ 'struct': 'GrowBox', 'data': { 'grow': 'Grow' } }
"""


def test_union_branches_added_after_use_are_seen() -> None:
    """As registering a type adds a branch to ObjectOptions: the classes grow in place, the checks follow."""
    schema = QAPISchema()
    schema.add(GROWING)
    types = py_types(schema)
    grow, kind = types.py_type("Grow"), types.py_type("GrowKind")
    a = types.from_json("GrowBox", {"grow": {"kind": "a", "x": 1}}).grow
    with pytest.raises(ParameterError, match=r"^Parameter 'kind' does not accept value 'b'$"):
        types.from_json("GrowBox", {"grow": {"kind": "b", "y": "z"}})
    schema.add_union_branches("Grow", {"b": "GrowB"})
    assert types.py_type("Grow") is grow and types.py_type("GrowKind") is kind  # the very classes, grown
    assert [m.value for m in kind] == ["a", "b"] and kind("b") is kind.b and kind.a is a.kind
    b = types.from_json("Grow", {"kind": "b", "y": "z"})
    assert type(b) is grow.__qapi_branches__["b"] and b.kind is kind.b and b.y == "z"
    assert types.from_json("GrowBox", {"grow": {"kind": "b", "y": "z"}}).grow == b  # a compiled check made before
    assert types.from_json("GrowKind", "b") is kind.b
    assert types.to_json(b) == {"kind": "b", "y": "z"}
    assert types.from_json("Grow", {"kind": "a", "x": 2}) == attrs.evolve(a, x=2)


def test_python_types_live_as_long_as_their_schema() -> None:
    schema = QAPISchema()
    schema.add(SMALL)
    types = py_types(schema)
    assert types.from_json("Rule", {"match": "a", "next": []}).match == "a"
    assert py_types(schema) is types and py_types(schema.copy()) is not types
    alive = weakref.ref(schema)
    del schema, types
    gc.collect()
    assert alive() is None


def test_qapi_type_of_a_registry_schema() -> None:
    registry = qom_py.TypeRegistry()
    props = registry.qapi_type("IothreadProperties")
    assert props is qom_py.qapi_type("IothreadProperties", registry)
    assert props(poll_max_ns=0).poll_max_ns == 0
    assert qom_py.qapi_type(["str"], registry) == tuple[str, ...]


def test_schema_info_round_trip_keeps_qemus_json() -> None:
    """QEMU 7.2's query-qmp-schema answer, structured as ['SchemaInfo'] and back, is the same JSON."""
    recorded = json.loads((DATA / "qsd-7.2-query-qmp-schema.json").read_text(encoding="utf-8"))
    types = py_types(load_schema())
    infos = types.from_json(["SchemaInfo"], recorded)
    assert {type(i).__name__ for i in infos} >= {"SchemaInfo_command", "SchemaInfo_object", "SchemaInfo_enum"}
    assert types.to_json(infos) == recorded


@needs_shared
@pytest.mark.parametrize("root", ["qapi/qapi-schema.json", "storage-daemon/qapi/qapi-schema.json"])
def test_every_type_of_qemus_schemas(root: str) -> None:
    schema = QAPISchema.from_file(str(QEMU_QAPI / root))
    types = py_types(schema)
    for entity in schema.types():
        assert types.annotation(entity.name)
        types.py_type(entity.name)
    # The answer qom-py's own schema gives, structured with QEMU's SchemaInfo, is the same JSON.
    ours = json.loads(json.dumps(schema_info(load_schema())))
    assert types.to_json(types.from_json(["SchemaInfo"], ours)) == ours


# -- QAPI definitions from Python classes ----------------------------------------------


class Verdict(enum.Enum):
    ALLOW = "allow"
    DENY = "deny"


@attrs.frozen(kw_only=True)
class Port:
    number: Annotated[int, QAPIType("uint16")]


@attrs.frozen(kw_only=True)
class FirewallRule:
    match: str
    verdict: Verdict
    ports: tuple[Port, ...] | None = None
    weight: float | None = None
    q_if: bool | None = None
    note: str | None = attrs.field(default=None, metadata={"qapi": "x-note"})
    extra: Any = None


def test_python_classes_define_qapi_types() -> None:
    registry = qom_py.TypeRegistry()
    names = qom_py.qapi_define(FirewallRule, registry=registry)
    assert names == ["Verdict", "Port", "PortList", "FirewallRule"]
    assert registry.qapi_type("FirewallRule") is FirewallRule and registry.qapi_type("Verdict") is Verdict
    schema = registry.qapi_schema
    members = schema.object_type("FirewallRule").members
    assert [(m.name, m.type, m.optional) for m in members] == [
        ("match", "str", False),
        ("verdict", "Verdict", False),
        ("ports", "PortList", True),
        ("weight", "number", True),
        ("if", "bool", True),
        ("x-note", "str", True),
        ("extra", "any", False),
    ]
    types = qom_py._qapi_types.qapi_types(registry)
    raw = {"match": "m", "verdict": "deny", "ports": [{"number": 22}], "if": True, "x-note": "n", "extra": [1]}
    rule = types.from_json("FirewallRule", raw)
    assert rule == FirewallRule(
        match="m", verdict=Verdict.DENY, ports=(Port(number=22),), q_if=True, note="n", extra=[1]
    )
    assert types.to_json(rule) == raw
    with pytest.raises(ParameterError, match=r"^Parameter 'number' expects uint16_t$"):
        types.from_json("FirewallRule", {**raw, "ports": [{"number": 65536}]})
    assert qom_py.qapi_define(FirewallRule, registry=registry) == []  # defined once


def test_python_definitions_are_checked_as_qapi() -> None:
    registry = qom_py.TypeRegistry()

    @attrs.frozen
    class lowercase:  # QAPI's rule is the one that answers
        x: int

    with pytest.raises(QAPISchemaError, match="must use CamelCase"):
        qom_py.qapi_define(lowercase, registry=registry)
    assert "lowercase" not in registry.qapi_schema

    @attrs.frozen
    class Mixed:
        x: int | str

    with pytest.raises(TypeError, match=r"^Mixed\.x: int \| str has no QAPI type"):
        qom_py.qapi_define(Mixed, registry=registry)


def test_import_cost_is_unchanged() -> None:
    """``import qom_py`` (and naming qom_py.qapi_type) imports neither cattrs nor the class model."""
    import subprocess
    import sys

    code = (
        "import sys, qom_py; qom_py.qapi_type; qom_py.qapi_define\n"
        "print(sorted(m for m in sys.modules if m.startswith(('cattrs', 'qom_py.qapi._pytypes', 'qom_py.qapi._convert'))))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True).stdout
    assert out.strip() == "[]"
