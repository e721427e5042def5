"""
Declarative structured properties read typed values (issue 19).

``prop.QAPIList(FwRule)`` (a class: generated, or defined with
`qom_py.qapi_define`; or its QAPI name) reads as a tuple of frozen instances,
a struct as an instance, an enum as an `enum.Enum`; writing the attribute takes
typed values or JSON, both checked by the QAPI checker with QEMU's messages.
The stored form stays JSON: ``property_get``, ``qom-get`` and the callbacks see
QEMU's shape and member order.
"""

from __future__ import annotations

import enum
import json
from typing import Annotated, Any

import attrs
import pytest

import qom_py
from qom_py import Object, QOMError, prop, qom_type
from qom_py.errors import TypeRegistrationError
from qom_py.qapi._pydefine import QAPIType
from qom_py.testing import qmp_client


class TpVerdict(enum.Enum):
    ALLOW = "allow"
    DENY = "deny"


@attrs.frozen(kw_only=True)
class TpRule:
    match: str
    verdict: TpVerdict
    port: Annotated[int, QAPIType("uint16")] | None = None


SCHEMA = """
{ 'enum': 'TpShape', 'data': [ 'dot', 'line' ] }
{ 'struct': 'TpBase', 'data': { 'shape': 'TpShape', '*label': 'str' } }
{ 'struct': 'TpLine', 'data': { 'length': 'uint8' } }
{ 'union': 'TpFigure', 'base': 'TpBase', 'discriminator': 'shape', 'data': { 'line': 'TpLine' } }
{ 'struct': 'TpNamed', 'data': { 'name': 'str', '*extra': 'any' } }
"""

RULES = [{"match": "10.0.0.*", "verdict": "allow", "port": 22}, {"match": "*", "verdict": "deny"}]


@pytest.fixture
def firewall() -> type[Object]:
    """A declarative type with typed structured properties (classes and QAPI names)."""
    if qom_py.default_registry.qapi_schema.lookup("TpFigure") is None:
        qom_py.qapi_load(SCHEMA)
    qom_py.qapi_define(TpRule)  # once per schema: [] when already defined
    seen: list[Any] = []

    @qom_type("tp-firewall", interfaces=["user-creatable"])
    class Firewall(Object):
        rules = prop.QAPIList(TpRule, check=lambda obj, value: seen.append(value))
        first = prop.QAPIStruct(TpRule)
        verdict = prop.QAPI(TpVerdict)
        figure = prop.QAPIStruct("TpFigure")
        named = prop.QAPIList("TpNamed")
        ports = prop.QAPIList("uint16")

    Firewall.seen = seen  # type: ignore[attr-defined]  # what the check callback received
    return Firewall


def test_attribute_reads_typed_values(firewall: type[Object]) -> None:
    fw: Any = qom_py.object_add(firewall, id="f0", rules=RULES, verdict="deny", ports=[1, 2])
    assert fw.rules == (
        TpRule(match="10.0.0.*", verdict=TpVerdict.ALLOW, port=22),
        TpRule(match="*", verdict=TpVerdict.DENY),
    )
    assert type(fw.rules) is tuple and all(type(rule) is TpRule for rule in fw.rules)
    assert fw.rules[1].port is None
    assert fw.verdict is TpVerdict.DENY
    assert fw.ports == (1, 2)
    # Never set: an empty tuple for a list, None for a struct or an enum.
    assert (fw.named, fw.first, fw.figure) == ((), None, None)
    assert fw.rules is fw.rules  # built once per stored value


def test_generated_classes_unions_and_any(firewall: type[Object]) -> None:
    fw: Any = qom_py.object_add(
        firewall, id="f0", figure={"shape": "line", "length": 3}, named=[{"name": "a", "extra": {"x": [1]}}]
    )
    figure_class = qom_py.qapi_type("TpFigure")
    assert isinstance(fw.figure, figure_class) and fw.figure.length == 3
    assert fw.figure.shape is qom_py.qapi_type("TpShape").line
    assert fw.named[0] == qom_py.qapi_type("TpNamed")(name="a", extra={"x": [1]})
    with pytest.raises(TypeError):
        fw.named[0].extra["x"].append(2)  # 'any' stays JSON, frozen as ever


def test_equality_between_objects(firewall: type[Object]) -> None:
    one: Any = qom_py.object_add(firewall, id="f0", rules=RULES)
    two: Any = qom_py.object_add(firewall, id="f1", rules=json.loads(json.dumps(RULES)))
    assert one.rules == two.rules and one.rules is not two.rules
    two.rules = RULES[:1]
    assert one.rules != two.rules and one.rules[0] == two.rules[0]


def test_typed_values_are_immutable(firewall: type[Object]) -> None:
    fw: Any = qom_py.object_add(firewall, id="f0", rules=RULES)
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        fw.rules[0].match = "x"
    with pytest.raises(AttributeError):
        fw.rules.append(TpRule(match="x", verdict=TpVerdict.ALLOW))
    assert fw.property_get("rules") == RULES


def test_set_from_instances_and_json(firewall: type[Object]) -> None:
    fw: Any = qom_py.object_add(firewall, id="f0", rules=RULES)
    added = TpRule(match="192.168.*", verdict=TpVerdict.DENY, port=8080)
    fw.rules = [*fw.rules, added]  # typed values and the tuple read back
    assert fw.rules[-1] == added and len(fw.rules) == 3
    assert fw.property_get("rules") == [*RULES, {"match": "192.168.*", "verdict": "deny", "port": 8080}]
    fw.rules = (added, {"match": "x", "verdict": "allow"})  # mixed
    assert fw.rules == (added, TpRule(match="x", verdict=TpVerdict.ALLOW))
    fw.rules = RULES  # plain JSON
    assert fw.property_get("rules") == RULES and fw.rules[0].port == 22
    fw.first = added
    fw.verdict = TpVerdict.ALLOW
    assert (fw.first, fw.verdict) == (added, TpVerdict.ALLOW)
    assert (fw.property_get("first"), fw.property_get("verdict")) == (
        {"match": "192.168.*", "verdict": "deny", "port": 8080},
        "allow",
    )
    # The user's check= callback sees JSON whatever the attribute was given.
    assert all(isinstance(value, list) and isinstance(value[0], dict) for value in firewall.seen)  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ([TpRule(match="x", verdict=TpVerdict.DENY, port=70000)], "Parameter 'port' expects uint16_t"),
        ([TpRule(match=5, verdict=TpVerdict.DENY)], "Invalid parameter type for 'rules[0].match', expected: string"),  # type: ignore[arg-type]
        ([object()], "Invalid parameter type for 'rules[0]', expected: object"),
        (TpRule(match="x", verdict=TpVerdict.DENY), "Invalid parameter type for 'rules', expected: array"),
        (TpVerdict.DENY, "Invalid parameter type for 'rules', expected: array"),
        ([{"match": "x"}], "Parameter 'rules[0].verdict' is missing"),
    ],
)
def test_bad_values_are_refused_with_qemus_message(firewall: type[Object], value: object, message: str) -> None:
    fw: Any = qom_py.object_add(firewall, id="f0", rules=RULES)
    before = fw.rules
    with pytest.raises(QOMError) as caught:
        fw.rules = value
    assert str(caught.value) == message
    assert fw.rules is before and fw.property_get("rules") == RULES


def test_bad_enum_instance_is_refused(firewall: type[Object]) -> None:
    fw: Any = qom_py.object_add(firewall, id="f0", verdict="deny")
    with pytest.raises(QOMError, match=r"^Parameter 'verdict' does not accept value 'dot'$"):
        fw.verdict = qom_py.qapi_type("TpShape").dot  # another enum's member: its JSON is checked
    assert fw.verdict is TpVerdict.DENY


def test_json_outputs_keep_qemus_shape_and_order(firewall: type[Object]) -> None:
    fw: Any = qom_py.object_add(firewall, id="f0")
    fw.rules = [TpRule(port=22, verdict=TpVerdict.ALLOW, match="a")]  # keywords in another order
    fw.figure = {"length": 3, "shape": "line"}
    got = fw.property_get("rules")
    assert got == [{"match": "a", "verdict": "allow", "port": 22}]
    assert list(got[0]) == ["match", "verdict", "port"]
    assert list(fw.property_get("figure")) == ["shape", "length"]  # the base's members first
    qmp = qmp_client()  # its replies order a dict's keys as QEMU's QDict does
    assert qmp.execute("qom-get", {"path": "/objects/f0", "property": "rules"}) == got
    assert qmp.execute("qom-get", {"path": "/objects/f0", "property": "figure"}) == {"shape": "line", "length": 3}
    assert json.loads(fw.property_print("rules")) == got


def test_a_class_that_is_not_the_qapi_types_class_is_refused() -> None:
    if qom_py.default_registry.qapi_schema.lookup("TpNamed") is None:
        qom_py.qapi_load(SCHEMA)

    @attrs.frozen
    class TpNamed:  # the name of a generated type, but another class
        name: str

    @qom_type("tp-impostor")
    class Impostor(Object):
        named = prop.QAPIList(TpNamed)

    with pytest.raises(TypeRegistrationError, match=r"TpNamed is not the Python type of QAPI type 'TpNamed'"):
        qom_py.object_new("tp-impostor")


def test_observed_property_takes_typed_values_too(firewall: type[Object]) -> None:
    """With an observer the attribute goes through ``property_set``: typed values work, observers see JSON."""
    fw: Any = qom_py.object_add(firewall, id="f0", rules=RULES)
    observed: list[Any] = []
    unobserve = fw.observe("rules", lambda obj, name, value: observed.append(value))
    try:
        fw.rules = fw.rules[:1]
        assert observed == [RULES[:1]] and fw.rules == (TpRule(match="10.0.0.*", verdict=TpVerdict.ALLOW, port=22),)
        with pytest.raises(QOMError, match=r"^Parameter 'port' expects uint16_t$"):
            fw.rules = [TpRule(match="x", verdict=TpVerdict.DENY, port=1 << 16)]
        assert len(observed) == 1 and fw.property_get("rules") == RULES[:1]
    finally:
        unobserve()
