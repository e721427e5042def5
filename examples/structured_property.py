"""
A custom type with a structured property: a list of structs, defined in QAPI.

``firewall`` has ``rules``, a list of ``FirewallRule`` (``match``, ``action``,
optional ``port``), like QEMU's authz-list.  The definitions are loaded with
`qom_py.qapi_load`; the property is declared with ``prop.QAPIList``.  The
object is created from a keyval ``--object`` string and from JSON, and the
type is shown in the schema ``query-qmp-schema`` is built from
(`Dispatcher.schema`; the command itself comes with the introspection work)
and in the JSON Schema export.
"""

from __future__ import annotations

import json
from typing import Any

import qom_py
from qom_py import Object, prop, qom_type
from qom_py.qmp import Dispatcher, register_qom_commands

qom_py.qapi_load("""
{ 'enum': 'FirewallAction', 'data': [ 'accept', 'drop' ] }
{ 'struct': 'FirewallRule',
  'data': { 'match': 'str', 'action': 'FirewallAction', '*port': 'uint16' } }
""")


@qom_type("firewall", interfaces=["user-creatable"])
class Firewall(Object):
    rules = prop.QAPIList("FirewallRule", description="Rules, first match wins")

    def complete(self) -> None:
        print(f"complete: {self.canonical_path} with {len(self.rules)} rule(s)")


# keyval, as on the command line: --object firewall,id=fw0,rules.0.match=...
fw0 = qom_py.object_option_parse(
    "firewall,id=fw0,rules.0.match=10.0.0.*,rules.0.action=accept,rules.0.port=22,rules.1.match=*,rules.1.action=drop"
)
# JSON, as QMP object-add and JSON --object strings carry it
fw1 = qom_py.object_option_parse(
    json.dumps({"qom-type": "firewall", "id": "fw1", "rules": [{"match": "*", "action": "accept"}]})
)
assert isinstance(fw0, Firewall) and isinstance(fw1, Firewall)
print("fw0.rules:", json.dumps(fw0.rules))
print("fw1.rules:", json.dumps(fw1.rules))

for bad in ["firewall,id=fw2,rules.0.match=x", "firewall,id=fw2,rules.0.match=x,rules.0.action=reject"]:
    try:
        qom_py.object_option_parse(bad)
    except qom_py.QOMError as err:
        print("error:", err)
try:
    fw1.rules = [{"match": "x", "action": "drop", "port": 70000}]
except qom_py.QOMError as err:
    print("error:", err)

# The schema query-qmp-schema answers from: object-add's variant for firewall.
dispatcher = Dispatcher()
register_qom_commands(dispatcher)
schema = dispatcher.schema()
options = schema.object_type("ObjectOptions")
assert options.variants is not None
branch = schema.object_type(options.variants.as_dict()["firewall"])
print("object-add firewall members:", [(m.name, m.type) for m in branch.members])
print("FirewallRule members:", [(m.name, m.type, m.optional) for m in schema.object_type("FirewallRule").members])

json_schema: dict[str, Any] = qom_py.object_schema().json_schema("firewall")
print("JSON Schema of rules:", json.dumps(json_schema["properties"]["rules"]))
