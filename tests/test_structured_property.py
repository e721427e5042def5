"""
Structured property types: ``property_add_qapi``, ``prop.QAPI*``, `qom_py.qapi_load`.

The reference is qsd 7.2's authz-list (``rules``: a list of ``QAuthZListRule``):
its messages, its ``qom-list`` / help type string.  Live qsd checks are in
tests/qapi/test_checker.py (messages) and here (type string).
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from typing import Any

import pytest

import qom_py
import qom_py.testing
from qom_py import Object, ObjectClass, TypeInfo, TypeRegistry, prop, qom_type
from qom_py.errors import ParameterError, QAPISchemaError, QAPITypeNotFoundError, QOMError
from qom_py.qmp import QMPError
from qom_py.qom._user_creatable import TYPE_USER_CREATABLE
from tests.daemon import QSD, connect_unix, running

AUTHZ = """
{ 'enum': 'TestPolicy', 'data': ['deny', 'allow'] }
{ 'enum': 'TestFormat', 'data': ['exact', 'glob'] }
{ 'struct': 'TestRule', 'data': { 'match': 'str', 'policy': 'TestPolicy', '*format': 'TestFormat' } }
"""
TYPE = "test-authz"


@pytest.fixture(scope="module", autouse=True)
def _definitions() -> None:
    if qom_py.default_registry.qapi_schema.lookup("TestRule") is None:
        qom_py.qapi_load(AUTHZ)


@pytest.fixture
def authz() -> Iterator[str]:
    """A class-init type with ``rules`` (list of structs) and ``nodes`` (list of uint16)."""

    def class_init(klass: ObjectClass, data: object) -> None:
        klass.property_add_qapi(
            "rules",
            ["TestRule"],
            lambda o: o.__dict__.get("rules", []),
            lambda o, v: o.__dict__.__setitem__("rules", v),
        )
        klass.property_add_qapi(
            "nodes", ["uint16"], lambda o: o.__dict__.get("nodes", []), lambda o, v: o.__dict__.__setitem__("nodes", v)
        )

    qom_py.type_register(TypeInfo(TYPE, interfaces=(TYPE_USER_CREATABLE,), class_init=class_init))
    yield TYPE


RULES = [{"match": "x", "policy": "allow"}, {"match": "y", "policy": "deny", "format": "glob"}]


def test_keyval_and_json(authz: str) -> None:
    obj = qom_py.object_option_parse(
        f"{authz},id=a,rules.0.match=x,rules.0.policy=allow,"
        "rules.1.match=y,rules.1.policy=deny,rules.1.format=glob,nodes.0=1,nodes.1=3"
    )
    assert obj is not None
    assert obj.property_get("rules") == RULES
    assert obj.property_get("nodes") == [1, 3]
    other = qom_py.object_option_parse(json.dumps({"qom-type": authz, "id": "b", "rules": RULES, "nodes": [7]}))
    assert other is not None and other.property_get("rules") == RULES and other.property_get("nodes") == [7]
    third = qom_py.object_add(authz, id="c", rules=RULES)
    assert third.property_get("rules") == RULES


@pytest.mark.parametrize(
    ("option", "message"),
    [
        ("rules.0.match=x", "Parameter 'rules.0.policy' is missing"),
        ("rules.0.match=x,rules.0.policy=maybe", "Parameter 'policy' does not accept value 'maybe'"),
        ("rules=x", "Invalid parameter type for 'rules', expected: array"),
        ("rules.1.match=x,rules.1.policy=allow", "Parameter 'rules.0' missing"),
        ("nodes.0=1,nodes.1=65536", "Parameter 'null' expects uint16_t"),
        (
            '{"qom-type": "test-authz", "id": "a", "rules": [{"policy": "allow"}]}',
            "Parameter 'rules[0].match' is missing",
        ),
        ('{"qom-type": "test-authz", "id": "a", "rules": {}}', "Invalid parameter type for 'rules', expected: array"),
    ],
)
def test_creation_messages(authz: str, option: str, message: str) -> None:
    text = option if option.startswith("{") else f"{authz},id=a,{option}"
    with pytest.raises(ParameterError) as info:
        qom_py.object_option_parse(text)
    assert str(info.value) == message
    assert list(qom_py.default_registry.objects_root.children()) == []  # nothing left behind


def test_set_checks_and_changes_nothing_on_failure(authz: str) -> None:
    obj = qom_py.object_add(authz, id="a", rules=RULES)
    with pytest.raises(ParameterError, match=r"^Invalid parameter type for 'rules\[1\]\.match', expected: string$"):
        obj.property_set("rules", [{"match": "z", "policy": "allow"}, {"match": 1, "policy": "deny"}])
    assert obj.property_get("rules") == RULES
    obj.property_set("rules", [{"policy": "allow", "match": "z"}])
    assert obj.property_get("rules") == [{"match": "z", "policy": "allow"}]  # members in schema order
    obj.property_set_keyval("nodes", ["4", "5"])
    assert obj.property_get("nodes") == [4, 5]


def test_string_visitor_refuses_structures(authz: str) -> None:
    obj = qom_py.object_add(authz, id="a")
    with pytest.raises(ParameterError, match=r"^Invalid parameter type for 'rules', expected: array$"):
        obj.property_parse("rules", "x")


def test_qmp(authz: str) -> None:
    qom_py.object_add(authz, id="a")
    with qom_py.testing.qmp_client() as qmp:
        qmp.execute("qom-set", {"path": "/objects/a", "property": "rules", "value": RULES})
        assert qmp.execute("qom-get", {"path": "/objects/a", "property": "rules"}) == RULES
        with pytest.raises(QMPError, match=r"^Parameter 'policy' does not accept value 'maybe'$"):
            qmp.execute(
                "qom-set", {"path": "/objects/a", "property": "rules", "value": [{"match": "x", "policy": "maybe"}]}
            )
        listed: Any = qmp.execute("qom-list", {"path": "/objects/a"})
        assert {"name": "rules", "type": "TestRule"} in listed and {"name": "nodes", "type": "uint16"} in listed
        props: Any = qmp.execute("qom-list-properties", {"typename": authz})
        assert {"name": "rules", "type": "TestRule"} in props
        qmp.execute("object-add", {"qom-type": authz, "id": "b", "rules": RULES[:1]})
        with pytest.raises(QMPError, match=r"^Parameter 'rules\[0\]\.policy' is missing$"):
            qmp.execute("object-add", {"qom-type": authz, "id": "c", "rules": [{"match": "x"}]})


def test_help(authz: str) -> None:
    out = io.StringIO()
    qom_py.object_option_parse(f"{authz},help", out=out)
    assert out.getvalue() == f"{authz} options:\n  nodes=<uint16>\n  rules=<TestRule>\n"


def test_schema_and_json_schema(authz: str) -> None:
    schema = qom_py.object_schema().current()
    union = schema.object_type("ObjectOptions")
    assert union.variants is not None
    branch = schema.object_type(union.variants.as_dict()[authz])
    assert [(m.name, m.type) for m in branch.members] == [("rules", "TestRuleList"), ("nodes", "uint16List")]
    exported = qom_py.object_schema().json_schema(authz)["properties"]
    assert exported["rules"] == {
        "type": "array",
        "items": {
            "type": "object",
            "properties": {
                "match": {"type": "string"},
                "policy": {"enum": ["deny", "allow"]},
                "format": {"enum": ["exact", "glob"]},
            },
            "required": ["match", "policy"],
            "additionalProperties": False,
        },
    }
    assert exported["nodes"] == {"type": "array", "items": {"type": "integer", "minimum": 0, "maximum": 65535}}


def test_type_name_and_instance_properties() -> None:
    def instance_init(obj: Object) -> None:
        obj.property_add_qapi("rule", "TestRule", lambda o: {"match": "m", "policy": "deny"}, None, type_name="rule")

    qom_py.type_register(TypeInfo("test-one-rule", interfaces=(TYPE_USER_CREATABLE,), instance_init=instance_init))
    obj = qom_py.object_new("test-one-rule")
    try:
        assert obj.property("rule").type == "rule"
        assert obj.property_get("rule") == {"match": "m", "policy": "deny"}
    finally:
        obj.unref()


def test_undefined_type() -> None:
    obj = qom_py.object_new("container")
    try:
        with pytest.raises(QAPITypeNotFoundError):
            obj.property_add_qapi("x", "NoSuchType", None, None)
        with pytest.raises(QAPITypeNotFoundError):
            obj.property_add_qapi("x", ["NoSuchType"], None, None)
    finally:
        obj.unref()


def test_qapi_load_is_atomic_and_per_registry(tmp_path: Any) -> None:
    registry = TypeRegistry()
    with pytest.raises(QAPISchemaError):
        registry.qapi_load("{ 'struct': 'Good', 'data': {} }\n{ 'struct': 'Bad', 'data': { 'x': 'Nope' } }")
    assert registry.qapi_schema.lookup("Good") is None
    path = tmp_path / "more.json"
    path.write_text("{ 'struct': 'FromFile', 'data': { 'a': 'int' } }\n")
    assert qom_py.qapi_load(path, registry) == ["FromFile"]
    assert registry.qapi_schema.lookup("FromFile") is not None
    assert qom_py.default_registry.qapi_schema.lookup("FromFile") is None


def test_declarative() -> None:
    @qom_type("test-decl-authz", interfaces=[TYPE_USER_CREATABLE])
    class DeclAuthz(Object):
        rules = prop.QAPIList("TestRule")
        nodes = prop.QAPIList("uint16")
        one = prop.QAPIStruct("TestRule")

    obj = qom_py.object_option_parse(
        "test-decl-authz,id=d,rules.0.match=x,rules.0.policy=allow,one.match=a,one.policy=deny"
    )
    assert isinstance(obj, DeclAuthz)
    rules: list[Any] = obj.property_get("rules")  # JSON; the attribute reads typed values
    assert rules == [{"match": "x", "policy": "allow"}]
    assert obj.nodes == ()
    assert obj.property_get("nodes") == []
    assert obj.property_get("one") == {"match": "a", "policy": "deny"}
    obj.nodes = [1, 2]
    assert obj.property_get("nodes") == [1, 2]
    with pytest.raises(QOMError, match=r"^Parameter 'null' expects uint16_t$"):
        obj.nodes = [1, 1 << 16]
    assert obj.nodes == (1, 2)


@pytest.mark.skipif(QSD is None, reason="qemu-storage-daemon is not installed")
def test_qsd_type_strings() -> None:
    """QEMU's convention the default type_name follows: authz-list's rules show as the element type."""
    assert QSD is not None
    with running(["--object", "authz-list,id=a,rules.0.match=x,rules.0.policy=allow"], program=[QSD]) as daemon:
        with connect_unix(daemon.socket_path) as conn:
            conn.negotiate()
            listed = conn.command("qom-list", path="/objects/a")
        assert {"name": "rules", "type": "QAuthZListRule"} in listed


#: qom-set of a list-of-structs property: (value, qsd 7.2's message on its authz-list's rules).
QOM_SET_CASES = [
    ([{"match": "y", "policy": "maybe"}], "Parameter 'policy' does not accept value 'maybe'"),
    ([{"policy": "deny"}], "Parameter 'rules[0].match' is missing"),
    ([{"match": "y", "policy": "deny", "zz": 1, "aa": 2}], "Parameter 'rules[0].aa' is unexpected"),
    ({}, "Invalid parameter type for 'rules', expected: array"),
]


@pytest.mark.parametrize(("value", "message"), QOM_SET_CASES)
def test_qom_set_messages(authz: str, value: Any, message: str) -> None:
    qom_py.object_add(authz, id="a", rules=RULES)
    with qom_py.testing.qmp_client() as qmp, pytest.raises(QMPError) as info:
        qmp.execute("qom-set", {"path": "/objects/a", "property": "rules", "value": value})
    assert info.value.desc == message
    assert qom_py.object_resolve_path("/objects/a").property_get("rules") == RULES  # unchanged


@pytest.mark.skipif(QSD is None, reason="qemu-storage-daemon is not installed")
def test_qsd_qom_set_messages() -> None:
    assert QSD is not None
    with running(["--object", "authz-list,id=a,rules.0.match=x,rules.0.policy=allow"], program=[QSD]) as daemon:
        with connect_unix(daemon.socket_path) as conn:
            conn.negotiate()
            props = conn.command("qom-list-properties", typename="authz-list")
            for value, message in QOM_SET_CASES:
                reply = conn.request("qom-set", {"path": "/objects/a", "property": "rules", "value": value})
                assert reply == {"error": {"class": "GenericError", "desc": message}}
    assert {"name": "rules", "type": "QAuthZListRule"} in props
