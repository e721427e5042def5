"""
A custom type with a structured property: a list of structs, defined in QAPI.

``firewall`` has ``rules``, a list of ``FirewallRule`` (``match``, ``action``,
optional ``port``), like QEMU's authz-list.  The definitions are loaded with
`qom_py.qapi_load`; the property is declared with ``prop.QAPIList``.  The
object is created from a keyval ``--object`` string and from JSON, and the
type is shown in QMP ``query-qmp-schema`` (probed as libvirt probes it, and
unmasked) and in the JSON Schema export.
"""

from __future__ import annotations

import json
from typing import Any, cast

import qom_py
from qom_py import Object, prop, qom_type
from qom_py.qapi.introspect import SchemaInfo, schema_index, schema_info, schema_path_exists, schema_path_get
from qom_py.qmp import Dispatcher, register_qom_commands
from qom_py.testing import qmp_client

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
# The attribute reads typed values (frozen attrs instances, enums, tuples); property_get the JSON.
print("fw0.rules[0]:", fw0.rules[0])
print("fw0.rules:", json.dumps(fw0.property_get("rules")))
print("fw1.rules:", json.dumps(fw1.property_get("rules")))

# A missing member is named as each mode writes it: rules.0.action (keyval), rules[0].action (JSON).
for bad in [
    "firewall,id=fw2,rules.0.match=x",
    json.dumps({"qom-type": "firewall", "id": "fw2", "rules": [{"match": "x"}]}),
    "firewall,id=fw2,rules.0.match=x,rules.0.action=reject",
]:
    try:
        qom_py.object_option_parse(bad)
    except qom_py.QOMError as err:
        print("error:", err)
try:
    fw1.rules = [{"match": "x", "action": "drop", "port": 70000}]
except qom_py.QOMError as err:
    print("error:", err)

# query-qmp-schema, through an in-process QMP client: the type is an object-add
# branch at once.  Type names are masked as QEMU masks them, so probe by path.
answer = cast("list[SchemaInfo]", qmp_client().execute("query-qmp-schema"))
for path in [
    "object-add/arg-type/qom-type/^firewall",
    "object-add/arg-type/+firewall/rules",
    "object-add/arg-type/+firewall/rules/*port",
    "object-add/arg-type/+firewall/rules/action/^drop",
]:
    print(f"query-qmp-schema has {path}: {schema_path_exists(answer, path)}")

# The same answer with the real names (QEMU's --unmask-non-abi-names).
dispatcher = Dispatcher()
register_qom_commands(dispatcher)
unmasked = schema_info(dispatcher.schema(), unmask=True)
print("object-add firewall branch:", json.dumps(schema_path_get(unmasked, "object-add/arg-type/+firewall")[1]))
print("FirewallRule:", json.dumps(schema_index(unmasked)["FirewallRule"]))

# The JSON Schema export: what object-add and JSON --object strings accept.
json_schema: dict[str, Any] = qom_py.object_schema().json_schema("firewall")
print("JSON Schema of rules:", json.dumps(json_schema["properties"]["rules"]))
