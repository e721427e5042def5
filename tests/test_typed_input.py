"""
Typed values as input everywhere Python gives a property value (issue 19).

Instances of the classes of `qom_py.qapi_type` (and of `qom_py.qapi_define`),
enum members and tuples -- alone, or nested anywhere inside lists and dicts --
are accepted by the declarative constructor, ``object_add`` (by name and by
class), ``object_new_with_props``, ``user_creatable_add_type``,
``user_creatable_add_qapi``, ``property_set``, ``set_props``, the attribute and
the typed client's arguments.  They are checked as their JSON: a bad value
inside an instance (attrs classes take any value) gets QEMU's message, the one
the same JSON gets, and a failed create or set changes nothing.  Every output
stays QEMU's JSON, in QEMU's member order.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from typing import Annotated, Any

import attrs
import pytest

import qom_py
from qom_py import Object, QOMError, TypeRegistry, prop, qom_type
from qom_py.client import Client
from qom_py.qapi import py_types
from qom_py.qapi._pydefine import QAPIType
from qom_py.qapi._typed_json import ABSENT, typed_json
from qom_py.qmp import QMPError
from qom_py.qom._user_creatable import user_creatable_add_qapi, user_creatable_add_type

SCHEMA = """
{ 'enum': 'TiPolicy', 'data': [ 'deny', 'allow' ] }
{ 'struct': 'TiRule', 'data': { 'match': 'str', 'policy': 'TiPolicy', '*port': 'uint16' } }
{ 'struct': 'TiBase', 'data': { 'shape': 'TiShape', '*label': 'str' } }
{ 'enum': 'TiShape', 'data': [ 'dot', 'line' ] }
{ 'struct': 'TiLine', 'data': { 'length': 'uint8', '*rules': ['TiRule'] } }
{ 'union': 'TiFigure', 'base': 'TiBase', 'discriminator': 'shape', 'data': { 'line': 'TiLine' } }
{ 'struct': 'TiNullable', 'data': { '*extra': 'any' } }
"""

RULES_JSON = [{"match": "10.0.0.*", "policy": "allow", "port": 22}, {"match": "*", "policy": "deny"}]


class TiVerdict(enum.Enum):
    ALLOW = "allow"
    DENY = "deny"


@attrs.frozen(kw_only=True)
class TiHandRule:
    """A hand-written class, defined as a QAPI type by `qom_py.qapi_define`."""

    match: str
    verdict: TiVerdict
    port: Annotated[int, QAPIType("uint16")] | None = None


@attrs.frozen
class Types:
    """The registry of a test, its firewall class and the typed classes of its schema."""

    registry: TypeRegistry
    firewall: type[Object]
    rule: Any
    policy: Any
    figure: Any
    shape: Any

    def rules(self) -> tuple[Any, ...]:
        """`RULES_JSON` as instances."""
        return (
            self.rule(match="10.0.0.*", policy=self.policy.allow, port=22),
            self.rule(match="*", policy=self.policy.deny),
        )


@pytest.fixture
def types(registry: TypeRegistry) -> Types:
    qom_py.install_builtin_types(registry)  # user-creatable, and the QMP commands' iothread
    qom_py.qapi_load(SCHEMA, registry)
    qom_py.qapi_define(TiHandRule, registry=registry)
    seen: list[Any] = []

    @qom_type("ti-firewall", interfaces=["user-creatable"], registry=registry)
    class Firewall(Object):
        rules = prop.QAPIList("TiRule", check=lambda obj, value: seen.append(value))
        first = prop.QAPIStruct("TiRule")
        policy = prop.QAPI("TiPolicy")
        kind = prop.Enum("TiPolicy", ["deny", "allow"])  # a plain enum property
        figure = prop.QAPIStruct("TiFigure")
        hand = prop.QAPI([TiHandRule])
        extra = prop.QAPI("any")
        ports = prop.QAPIList("uint16")

    Firewall.seen = seen  # type: ignore[attr-defined]  # what the check callback received
    typed = registry.qapi_type
    return Types(registry, Firewall, typed("TiRule"), typed("TiPolicy"), typed("TiFigure"), typed("TiShape"))


def _objects(registry: TypeRegistry) -> list[str]:
    return [name for name, _ in registry.objects_root.children()]


# -- the walk ---------------------------------------------------------------------


def test_typed_json_gives_qemus_json_and_leaves_plain_json_alone(types: Types) -> None:
    assert typed_json(types.rules()) == RULES_JSON
    assert list(typed_json(types.rules()[0])) == ["match", "policy", "port"]  # QEMU's member order
    plain: dict[str, Any] = {"rules": RULES_JSON, "n": 1}
    assert typed_json(plain) is plain  # nothing typed: the very value, no copy
    mixed = {"a": [RULES_JSON[0], types.rules()[1]], "b": "x"}
    got = typed_json(mixed)
    assert got == {"a": RULES_JSON, "b": "x"} and got["a"][0] is RULES_JSON[0]
    assert typed_json(types.policy.deny) == "deny" and typed_json(TiVerdict.ALLOW) == "allow"
    assert typed_json((1, (2, 3))) == [1, [2, 3]]
    unknown = object()
    assert typed_json(unknown) is unknown and typed_json([unknown])[0] is unknown


def test_null_and_absent_members(types: Types) -> None:
    nullable = types.registry.qapi_type("TiNullable")
    assert typed_json(nullable()) == {} and nullable().extra is ABSENT
    assert typed_json(nullable(extra=None)) == {"extra": None}  # None is a value of 'any'
    figure = types.figure.__qapi_branches__["line"](length=3)
    assert typed_json(figure) == {"shape": "line", "length": 3}  # the tag from the branch class, base first


# -- every entry point ----------------------------------------------------------------

#: (name, create(types, **props) -> object): every way Python creates an object with property values.
CREATORS: list[tuple[str, Callable[..., Object]]] = [
    ("constructor", lambda t, **kw: t.firewall(**kw)),
    ("object_add(name)", lambda t, **kw: qom_py.object_add("ti-firewall", id="f", registry=t.registry, **kw)),
    ("object_add(class)", lambda t, **kw: qom_py.object_add(t.firewall, id="f", registry=t.registry, **kw)),
    ("object_add(props=)", lambda t, **kw: qom_py.object_add("ti-firewall", "f", kw, registry=t.registry)),
    (
        "object_new_with_props",
        lambda t, **kw: qom_py.object_new_with_props(
            "ti-firewall", kw, parent=t.registry.objects_root, id="f", registry=t.registry
        ),
    ),
    (
        "user_creatable_add_type",
        lambda t, **kw: user_creatable_add_type("ti-firewall", "f", kw, registry=t.registry),
    ),
    (
        "user_creatable_add_qapi",
        lambda t, **kw: user_creatable_add_qapi({"qom-type": "ti-firewall", "id": "f", **kw}, registry=t.registry),
    ),
]

#: (name, set(obj, name, value)): every way Python sets a property.
SETTERS: list[tuple[str, Callable[[Object, str, Any], None]]] = [
    ("property_set", lambda obj, name, value: obj.property_set(name, value)),
    ("set_props", lambda obj, name, value: obj.set_props({name: value})),
    ("object_set_props", lambda obj, name, value: qom_py.object_set_props(obj, {name: value})),
    ("attribute", lambda obj, name, value: setattr(obj, name, value)),
]


def _props(types: Types) -> dict[str, Any]:
    """A typed value for each property: instances, enum members, tuples, nested in JSON."""
    line = types.figure.__qapi_branches__["line"]
    return {
        "rules": types.rules(),  # a tuple of instances
        "first": types.rules()[0],
        "policy": types.policy.allow,
        "kind": types.policy.deny,  # a QAPI enum's member for a plain enum property
        "figure": line(length=3, label="l", rules=[{"match": "m", "policy": types.policy.deny}]),
        "hand": [TiHandRule(match="h", verdict=TiVerdict.DENY), {"match": "j", "verdict": TiVerdict.ALLOW}],
        "ports": (1, 2),
    }


#: The JSON `_props` stands for, in QEMU's shape and member order.
PROPS_JSON: dict[str, Any] = {
    "rules": RULES_JSON,
    "first": RULES_JSON[0],
    "policy": "allow",
    "kind": "deny",
    "figure": {"shape": "line", "label": "l", "length": 3, "rules": [{"match": "m", "policy": "deny"}]},
    "hand": [{"match": "h", "verdict": "deny"}, {"match": "j", "verdict": "allow"}],
    "ports": [1, 2],
}


def _assert_json(obj: Object, expected: dict[str, Any]) -> None:
    for name, value in expected.items():
        got = obj.property_get(name)
        assert got == value, name
        if isinstance(value, dict):
            assert list(got) == list(value), name  # QEMU's member order


@pytest.mark.parametrize(("how", "create"), CREATORS, ids=[name for name, _ in CREATORS])
def test_creation_takes_typed_values(types: Types, how: str, create: Callable[..., Object]) -> None:
    obj: Any = create(types, **_props(types))
    _assert_json(obj, PROPS_JSON)
    assert obj.rules == types.rules() and obj.policy is types.policy.allow and obj.kind == "deny"
    assert obj.figure.rules == (types.rule(match="m", policy=types.policy.deny),)
    assert obj.hand[1] == TiHandRule(match="j", verdict=TiVerdict.ALLOW)
    # The user's check= callback sees the JSON, whatever it was given.
    assert types.firewall.seen == [RULES_JSON]  # type: ignore[attr-defined]


@pytest.mark.parametrize(("how", "set_"), SETTERS, ids=[name for name, _ in SETTERS])
def test_sets_take_typed_values(types: Types, how: str, set_: Callable[[Object, str, Any], None]) -> None:
    obj: Any = types.firewall()
    for name, value in _props(types).items():
        set_(obj, name, value)
    _assert_json(obj, PROPS_JSON)
    assert obj.first == types.rules()[0]


def test_typed_client_arguments(types: Types) -> None:
    schema = types.registry.qapi_schema
    client = Client(None, schema, py_types(schema))  # type: ignore[arg-type]  # arguments() needs no connection
    qom_set = schema.command("qom-set")
    assert qom_set is not None
    got = client.arguments(qom_set, (), {"path": "/objects/f", "property": "rules", "value": types.rules()})
    assert got == {"path": "/objects/f", "property": "rules", "value": RULES_JSON}
    object_add = schema.command("object-add")
    assert object_add is not None
    iothread = py_types(schema).py_type("ObjectOptions").__qapi_branches__["iothread"]
    assert client.arguments(object_add, (iothread(id="io", poll_max_ns=0),), {}) == {
        "qom-type": "iothread",
        "id": "io",
        "poll-max-ns": 0,
    }
    with pytest.raises(QMPError, match=r"^Invalid parameter type for 'id', expected: string$"):
        client.arguments(object_add, (iothread(id=5),), {})  # a bad value inside: the checker's message


# -- bad values inside instances ---------------------------------------------------------

#: (typed value of 'rules', the same value as JSON).  attrs classes take any value: the check names it.
BAD_RULES: list[tuple[str, Callable[[Types], Any], list[Any] | dict[str, Any]]] = [
    (
        "port-range",
        lambda t: (t.rule(match="x", policy=t.policy.deny, port=70000),),
        [{"match": "x", "policy": "deny", "port": 70000}],
    ),
    ("bad-enum", lambda t: [t.rule(match="x", policy="bogus")], [{"match": "x", "policy": "bogus"}]),
    ("bad-type", lambda t: (t.rule(match=5, policy=t.policy.deny),), [{"match": 5, "policy": "deny"}]),
    ("missing", lambda t: [t.rule(match="x", policy=ABSENT)], [{"match": "x"}]),
    ("other-enum", lambda t: [{"match": "x", "policy": t.shape.dot}], [{"match": "x", "policy": "dot"}]),
    ("not-a-list", lambda t: t.rules()[0], RULES_JSON[0]),
    (
        "second",
        lambda t: (t.rules()[0], t.rule(match="y", policy=None)),
        [RULES_JSON[0], {"match": "y", "policy": None}],
    ),
]
EXPECTED = {
    "port-range": "Parameter 'port' expects uint16_t",
    "bad-enum": "Parameter 'policy' does not accept value 'bogus'",
    "bad-type": "Invalid parameter type for 'rules[0].match', expected: string",
    "missing": "Parameter 'rules[0].policy' is missing",
    "other-enum": "Parameter 'policy' does not accept value 'dot'",
    "not-a-list": "Invalid parameter type for 'rules', expected: array",
    "second": "Invalid parameter type for 'rules[1].policy', expected: string",
}


def _message(action: Callable[[], object]) -> str:
    with pytest.raises(QOMError) as caught:
        action()
    return str(caught.value)


@pytest.mark.parametrize(("how", "create"), CREATORS, ids=[name for name, _ in CREATORS])
@pytest.mark.parametrize(("case", "typed", "as_json"), BAD_RULES, ids=[case for case, _, _ in BAD_RULES])
def test_a_bad_value_inside_an_instance_fails_the_create_with_qemus_message(
    types: Types, how: str, create: Callable[..., Object], case: str, typed: Callable[[Types], Any], as_json: Any
) -> None:
    message = _message(lambda: create(types, rules=typed(types)))
    assert message == EXPECTED[case]
    assert message == _message(lambda: create(types, rules=as_json))  # the same JSON's message
    assert _objects(types.registry) == []


@pytest.mark.parametrize(("how", "set_"), SETTERS, ids=[name for name, _ in SETTERS])
@pytest.mark.parametrize(("case", "typed", "as_json"), BAD_RULES, ids=[case for case, _, _ in BAD_RULES])
def test_a_bad_value_inside_an_instance_fails_the_set_and_keeps_the_old_value(
    types: Types,
    how: str,
    set_: Callable[[Object, str, Any], None],
    case: str,
    typed: Callable[[Types], Any],
    as_json: Any,
) -> None:
    obj: Any = types.firewall(rules=RULES_JSON)
    before = obj.rules
    message = _message(lambda: set_(obj, "rules", typed(types)))
    assert message == EXPECTED[case]
    assert message == _message(lambda: set_(obj, "rules", as_json))
    assert obj.rules is before and obj.property_get("rules") == RULES_JSON


def test_values_of_no_qapi_type_keep_the_message_for_the_value_given(types: Types) -> None:
    obj: Any = types.firewall()

    @attrs.frozen
    class NotQAPI:
        match: str = "x"

    for value, message in [
        ([NotQAPI()], "Invalid parameter type for 'rules[0]', expected: object"),
        ([object()], "Invalid parameter type for 'rules[0]', expected: object"),
        ({1, 2}, "Invalid parameter type for 'rules', expected: array"),
        ("text", "Invalid parameter type for 'rules', expected: array"),
    ]:
        assert _message(lambda: obj.property_set("rules", value)) == message  # noqa: B023 - used at once
    assert (
        _message(lambda: obj.property_set("kind", TiVerdict)) == "Invalid parameter type for 'kind', expected: string"
    )
    assert obj.property_get("rules") == []
