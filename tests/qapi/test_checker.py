"""The checker (`qom_py.qapi.Checker`): QEMU 7.2's order of checks and messages, JSON and keyval modes."""

from __future__ import annotations

import json
from typing import Any

import pytest

from qom_py import keyval_parse
from qom_py.errors import ParameterError
from qom_py.qapi import Checker, Mode, QAPISchema, load_schema
from tests.daemon import QSD, connect_unix, run, running

#: QEMU 7.2's authz-list definitions (qapi/authz.json), the reference for structured values.
AUTHZ = """\
{ 'enum': 'QAuthZListPolicy', 'prefix': 'QAUTHZ_LIST_POLICY', 'data': ['deny', 'allow'] }
{ 'enum': 'QAuthZListFormat', 'prefix': 'QAUTHZ_LIST_FORMAT', 'data': ['exact', 'glob'] }
{ 'struct': 'QAuthZListRule',
  'data': { 'match': 'str', 'policy': 'QAuthZListPolicy', '*format': 'QAuthZListFormat' } }
{ 'struct': 'AuthZListProperties',
  'data': { '*policy': 'QAuthZListPolicy', '*rules': ['QAuthZListRule'] } }
{ 'alternate': 'IntOrRule', 'data': { 'i': 'int', 'r': 'QAuthZListRule' } }
{ 'struct': 'Wide', 'base': 'AuthZListProperties', 'data': { '*nodes': ['uint16'], '*n8': 'uint8', '*any': 'any' } }
"""


@pytest.fixture(scope="module")
def schema() -> QAPISchema:
    schema = load_schema()
    schema.add(AUTHZ, "authz.json")
    return schema


@pytest.fixture(scope="module")
def checker(schema: QAPISchema) -> Checker:
    return Checker(schema)


def fails(checker: Checker, typ: Any, raw: Any, mode: Mode = "json", name: str | None = None) -> str:
    with pytest.raises(ParameterError) as info:
        checker.check(typ, raw, mode, name)
    return str(info.value)


def keyval(text: str) -> dict[str, Any]:
    return dict(keyval_parse(text))


# Messages for authz-list, as qsd 7.2 prints them (verified: see test_qsd_agrees).
KEYVAL_CASES = [
    ("rules.0.match=x", "Parameter 'rules.0.policy' is missing"),
    ("rules.0.match=x,rules.0.policy=maybe", "Parameter 'policy' does not accept value 'maybe'"),
    ("rules=x", "Invalid parameter type for 'rules', expected: array"),
    ("rules.0=x", "Invalid parameter type for 'rules.0', expected: object"),
    ("rules.0.match.x=1,rules.0.policy=allow", "Parameters 'rules.0.match.*' are unexpected"),
    ("rules.0.match=x,rules.0.policy=allow,rules.0.format=zz", "Parameter 'format' does not accept value 'zz'"),
    ("rules.0.match=x,rules.0.policy=allow,rules.0.zzz=1,rules.0.aaa=2", "Parameter 'rules.0.zzz' is unexpected"),
    ("policy=maybe", "Parameter 'policy' does not accept value 'maybe'"),
]
JSON_CASES = [
    ({"rules": [{"policy": "allow"}]}, "Parameter 'rules[0].match' is missing"),
    ({"rules": [{"match": "x", "policy": "maybe"}]}, "Parameter 'policy' does not accept value 'maybe'"),
    ({"rules": {}}, "Invalid parameter type for 'rules', expected: array"),
    ({"rules": [5]}, "Invalid parameter type for 'rules[0]', expected: object"),
    ({"rules": [{"match": 1, "policy": "allow"}]}, "Invalid parameter type for 'rules[0].match', expected: string"),
]


@pytest.mark.parametrize(("text", "message"), KEYVAL_CASES)
def test_keyval_messages(checker: Checker, text: str, message: str) -> None:
    assert fails(checker, "AuthZListProperties", keyval(text), "keyval") == message


@pytest.mark.parametrize(("value", "message"), JSON_CASES)
def test_json_messages(checker: Checker, value: dict[str, Any], message: str) -> None:
    assert fails(checker, "AuthZListProperties", value) == message


def test_gap_in_a_keyval_list() -> None:
    """The gap is keyval_parse's to find, before any check."""
    with pytest.raises(ParameterError, match=r"^Parameter 'rules\.0' missing$"):
        keyval_parse("rules.1.match=x,rules.1.policy=allow")


def test_values_come_back_in_json_shape(checker: Checker) -> None:
    text = "rules.0.match=x,rules.0.policy=allow,rules.1.policy=deny,rules.1.format=glob,rules.1.match=y,n8=7"
    assert checker.check("Wide", keyval(text), "keyval") == {
        "rules": [{"match": "x", "policy": "allow"}, {"match": "y", "policy": "deny", "format": "glob"}],
        "n8": 7,
    }
    assert checker.check("Wide", keyval("nodes.0=1,nodes.1=3"), "keyval") == {"nodes": [1, 3]}
    assert checker.check(["uint16"], [1, 3], name="nodes") == [1, 3]
    assert checker.check("number", 1) == 1.0


def test_ranges_name_the_plain_member(checker: Checker) -> None:
    """visit_type_uintN() names the member, not its path; a list element is 'null'."""
    assert fails(checker, "Wide", {"n8": 256}) == "Parameter 'n8' expects uint8_t"
    assert fails(checker, "Wide", {"nodes": [1, 65536]}) == "Parameter 'null' expects uint16_t"
    assert fails(checker, "Wide", keyval("nodes.0=x"), "keyval") == "Parameter 'nodes.0' expects integer"


def test_base_members_first_then_leftovers(checker: Checker) -> None:
    assert fails(checker, "Wide", {"zzz": 1, "policy": "maybe"}) == "Parameter 'policy' does not accept value 'maybe'"
    assert fails(checker, "Wide", {"zzz": 1, "policy": "deny"}) == "Parameter 'zzz' is unexpected"


@pytest.mark.parametrize(
    ("extra", "named"),
    [({"aaa": 1, "zzz": 2}, "zzz"), ({"zzz": 1, "aaa": 2}, "zzz"), ({"b": 1, "a": 2, "c": 3}, "b")],
)
@pytest.mark.parametrize("mode", ["json", "keyval"])
def test_unexpected_is_the_one_qemu_names(checker: Checker, extra: dict[str, int], named: str, mode: Mode) -> None:
    request: dict[str, Any] = {"qom-type": "iothread", "id": "io0"}
    request.update({k: str(v) if mode == "keyval" else v for k, v in extra.items()})
    assert fails(checker, "ObjectOptions", request, mode) == f"Parameter '{named}' is unexpected"


def test_union(checker: Checker) -> None:
    assert fails(checker, "ObjectOptions", {"id": "x"}) == "Parameter 'qom-type' is missing"
    assert fails(checker, "ObjectOptions", {"qom-type": "yeti"}) == "Parameter 'qom-type' does not accept value 'yeti'"
    assert fails(checker, "ObjectOptions", {"qom-type": "iothread"}) == "Parameter 'id' is missing"
    got = checker.check("ObjectOptions", keyval("qom-type=iothread,id=io0,poll-max-ns=5"), "keyval")
    assert got == {"qom-type": "iothread", "id": "io0", "poll-max-ns": 5}
    assert fails(checker, "ObjectOptions", [1]) == "Invalid parameter type for '<anonymous>', expected: object"


@pytest.mark.parametrize(
    ("typ", "raw", "mode", "message"),
    [
        ("int", "x", "json", "Invalid parameter type for '<anonymous>', expected: integer"),
        ("bool", 1, "json", "Invalid parameter type for '<anonymous>', expected: boolean"),
        ("null", 1, "json", "Invalid parameter type for '<anonymous>', expected: null"),
        ("QAuthZListPolicy", 1, "json", "Invalid parameter type for '<anonymous>', expected: string"),
        ("int", "x", "keyval", "Parameter '<anonymous>' expects integer"),
        ("size", "x", "keyval", "Parameter '<anonymous>' expects size"),
        ("int", 5, "keyval", "Internal error: parameter <anonymous> invalid"),
        ("str", {"a": "1"}, "keyval", "Parameters '<anonymous>.*' are unexpected"),
        ("int", "x", "string", "Parameter 'null' expects int64"),  # string-input-visitor.c: name ?: "null"
        ("uint8", 300, "json", "Parameter 'null' expects uint8_t"),  # visit_type_uintN(): name ?: "null"
        (["QAuthZListRule"], [{"match": "x", "policy": "allow"}, {"match": 1}], "json",
         "Invalid parameter type for '[1].match', expected: string"),
        (["QAuthZListRule"], [{"match": "x", "policy": "allow"}, {"match": "y"}], "keyval",
         "Parameter '1.policy' is missing"),
        (["int"], ["1", "x"], "keyval", "Parameter '1' expects integer"),
        (["QAuthZListRule"], ["x"], "keyval", "Invalid parameter type for '0', expected: object"),
    ],
)  # fmt: skip
def test_unnamed_root_values(checker: Checker, typ: Any, raw: Any, mode: Mode, message: str) -> None:
    """A value with no name is named as QEMU's full_name() names it: '<anonymous>', a root list's elements 0, 1, ..."""
    assert fails(checker, typ, raw, mode) == message


def test_alternate(checker: Checker) -> None:
    assert checker.check("IntOrRule", 5, name="x") == 5
    assert checker.check("IntOrRule", {"match": "m", "policy": "deny"}, name="x") == {"match": "m", "policy": "deny"}
    assert fails(checker, "IntOrRule", True, name="x") == "Invalid parameter type for 'x', expected: IntOrRule"
    assert fails(checker, "IntOrRule", {"match": "m"}, name="x") == "Parameter 'x.policy' is missing"
    # keyval: a scalar is a string, and this alternate has no string branch.
    assert fails(checker, "IntOrRule", "5", "keyval", "x") == "Invalid parameter type for 'x', expected: IntOrRule"


def test_null_and_any(checker: Checker) -> None:
    assert checker.check("null", None, name="n") is None
    assert fails(checker, "null", 0, name="n") == "Invalid parameter type for 'n', expected: null"
    assert checker.check("Wide", {"any": [1, {"a": None}]}) == {"any": [1, {"a": None}]}


@pytest.mark.skipif(QSD is None, reason="qemu-storage-daemon is not installed")
@pytest.mark.parametrize(
    ("option", "message"),
    [(f"authz-list,id=a,{text}", message) for text, message in KEYVAL_CASES]
    + [(json.dumps({"qom-type": "authz-list", "id": "a", **value}), message) for value, message in JSON_CASES]
    + [("authz-list,id=a,rules.1.match=x,rules.1.policy=allow", "Parameter 'rules.0' missing")],
)
def test_qsd_agrees(option: str, message: str) -> None:
    """The expected texts above are qsd 7.2's own."""
    assert QSD is not None
    finished = run(["--object", option], program=[QSD])
    assert finished.returncode == 1
    assert finished.stderr == f"qemu-storage-daemon: --object {option}: {message}\n"


#: An alternate shaped as QEMU's BlockdevRef (a definition or a node name).
REF = """\
{ 'struct': 'RefNode', 'data': { 'driver': 'str', '*file': 'Ref' } }
{ 'alternate': 'Ref', 'data': { 'definition': 'RefNode', 'reference': 'str' } }
{ 'struct': 'RefHolder', 'data': { '*file': 'Ref', '*children': ['Ref'] } }
"""

# (blockdev-add arguments on qsd 7.2, the same shape here, the message both give)
ALTERNATE_CASES = [
    (
        {"driver": "raw", "node-name": "n", "file": 5},
        {"file": 5},
        "Invalid parameter type for 'file', expected: BlockdevRef",
    ),
    (
        {"driver": "qcow2", "node-name": "n", "file": {"driver": "raw", "node-name": "m", "file": True}},
        {"file": {"driver": "raw", "file": True}},
        "Invalid parameter type for 'file', expected: BlockdevRef",
    ),
    (
        {"driver": "quorum", "node-name": "n", "vote-threshold": 1, "children": [True]},
        {"children": [True]},
        "Invalid parameter type for 'null', expected: BlockdevRef",
    ),
    (
        {"driver": "raw", "node-name": "n", "file": None},
        {"file": None},
        "Invalid parameter type for 'file', expected: BlockdevRef",
    ),
]


@pytest.mark.parametrize(("theirs", "ours", "message"), ALTERNATE_CASES)
def test_alternate_names_the_plain_member(theirs: dict[str, Any], ours: dict[str, Any], message: str) -> None:
    """No branch for the value's JSON type: the message names the member plainly (a list element: 'null')."""
    schema = load_schema()
    schema.add(REF, "ref.json")
    got = fails(Checker(schema), "RefHolder", ours)
    assert got == message.replace("BlockdevRef", "Ref")


def test_alternate_keyval_takes_the_string_branch() -> None:
    schema = load_schema()
    schema.add(REF, "ref.json")
    checker = Checker(schema)
    assert checker.check("RefHolder", keyval("children.0=5,file.driver=raw"), "keyval") == {
        "file": {"driver": "raw"},
        "children": ["5"],
    }


@pytest.mark.skipif(QSD is None, reason="qemu-storage-daemon is not installed")
def test_qsd_alternates() -> None:
    """qsd's own alternate (BlockdevRef, through blockdev-add) gives the messages above."""
    assert QSD is not None
    with running([], program=[QSD]) as daemon, connect_unix(daemon.socket_path) as conn:
        conn.negotiate()
        for theirs, _, message in ALTERNATE_CASES:
            assert conn.request("blockdev-add", theirs) == {"error": {"class": "GenericError", "desc": message}}
