"""
A structured property's value is checked once at creation (issue 17, item 3).

``object_add`` / QMP ``object-add`` / ``--object`` check the request against the
type's derived ``ObjectOptions`` branch; a value checked there as the property's
own QAPI type goes to the property's store without the setter checking it again.
A direct ``property_set`` (``qom-set``) still checks, and so does a declared
``check=``.
"""

from __future__ import annotations

from typing import Any

import pytest

import qom_py
from qom_py import Object, QOMError, prop, qom_type
from qom_py.qom._qapi_property import QAPIKind
from qom_py.testing import qmp_client

RULES = [{"match": "a", "policy": "allow"}, {"match": "b", "policy": "deny"}]


@pytest.fixture
def visits(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names the structured kinds' own checks are called for (patched before the type is declared)."""
    seen: list[str] = []
    original = QAPIKind.visit

    def counting(self: QAPIKind, visitor: Any, name: str, raw: object) -> Any:
        seen.append(name)
        return original(self, visitor, name, raw)

    monkeypatch.setattr(QAPIKind, "visit", counting)
    if "CheckOnceRule" not in qom_py.default_registry.qapi_schema:  # definitions outlive a test
        qom_py.qapi_load(
            """
            { 'enum': 'CheckOncePolicy', 'data': [ 'deny', 'allow' ] }
            { 'struct': 'CheckOnceRule', 'data': { 'match': 'str', 'policy': 'CheckOncePolicy' } }
            """
        )

    def no_wildcard(obj: Object, value: Any) -> None:
        if value is not None and value["match"] == "*":
            raise QOMError("no wildcard here")

    @qom_type("check-once", interfaces=[qom_py.TYPE_USER_CREATABLE])
    class CheckOnce(Object):
        rules = prop.QAPIList("CheckOnceRule")
        first = prop.QAPIStruct("CheckOnceRule", check=no_wildcard)

    return seen


def test_creation_checks_once(visits: list[str]) -> None:
    obj = qom_py.object_add("check-once", id="a", rules=RULES, first=RULES[0])
    assert (obj.property_get("rules"), obj.property_get("first")) == (RULES, RULES[0])
    qmp_client().execute("object-add", {"qom-type": "check-once", "id": "b", "rules": RULES})
    keyval = qom_py.object_option_parse(
        "check-once,id=c,rules.0.match=a,rules.0.policy=allow,first.match=x,first.policy=deny"
    )
    assert keyval is not None and keyval.property_get("first") == {"match": "x", "policy": "deny"}
    assert visits == []  # the schema's check was the only one


def test_values_stay_checked(visits: list[str]) -> None:
    with pytest.raises(QOMError, match="^Parameter 'policy' does not accept value 'maybe'$"):
        qom_py.object_add("check-once", id="a", rules=[RULES[0], {"match": "x", "policy": "maybe"}])
    with pytest.raises(QOMError, match="^no wildcard here$"):  # a declared check still runs at creation
        qom_py.object_add("check-once", id="a", first={"match": "*", "policy": "allow"})
    assert not list(qom_py.object_get_objects_root().children())
    obj = qom_py.object_add("check-once", id="a", rules=RULES)
    assert visits == []
    obj.property_set("rules", RULES[:1])  # qom-set: the setter checks
    assert visits == ["rules"] and obj.property_get("rules") == RULES[:1]
    with pytest.raises(QOMError, match=r"^Parameter 'rules\[0\]\.match' is missing$"):
        obj.property_set("rules", [{"policy": "deny"}])
    assert obj.property_get("rules") == RULES[:1]
