"""Every ``examples/*.py`` runs to completion in a fresh interpreter and prints what it promises."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"

#: Lines each example must print (in this order, among others).  An example missing
#: here is still run and must exit 0.
EXPECTED: dict[str, list[str]] = {
    "custom_type_declarative.py": [
        "demo-sensor options:",
        "  buffer-size=<size>     - Bytes of sample buffer (default: 4096)",
        '  unit=<SensorUnit>      -  (default: "celsius")',
        "complete: /objects/s1 (Kitchen,north, 1048576 bytes)",
        "complete: /objects/s2 (Cellar, 65536 bytes)",
        "complete: /objects/s3 (Attic, 8192 bytes)",
        (
            '/objects/s1: {"enabled": false, "label": "Kitchen,north", "unit": "kelvin", "offset": -3, "channel": 127, '
            '"samples": 64, "serial": -9000000000, "gain": 200, "port": 8080, "rate": 4000000000, '
            '"counter": 18446744073709551615, "buffer-size": 1048576, "peer": ""}'
        ),
        (
            '/objects/s2: {"enabled": true, "label": "Cellar", "unit": "celsius", "offset": 2, "channel": 0, '
            '"samples": 16, "serial": 0, "gain": 0, "port": 0, "rate": 0, "counter": 0, "buffer-size": 65536, '
            '"peer": "/objects/s1"}'
        ),
        "s3.peer is s2: True",
        "error: Parameter 'gain' expects uint8_t",
        "error: Parameter 'unit' does not accept value 'rankine'",
        "error: attempt to add duplicate property 's1' to object (type 'container')",
        "error: Invalid parameter type for 'samples', expected: integer",
        "deleted: s1",
        "left under /objects: []",
    ],
    "readme.py": ["32", "2", "GenericError Parameter 'count' expects uint16_t"],
    "structured_property.py": [
        "complete: /objects/fw0 with 2 rule(s)",
        "complete: /objects/fw1 with 1 rule(s)",
        "fw0.rules[0]: FirewallRule(match='10.0.0.*', action=<FirewallAction.accept: 'accept'>, port=22)",
        'fw0.rules: [{"match": "10.0.0.*", "action": "accept", "port": 22}, {"match": "*", "action": "drop"}]',
        'fw1.rules: [{"match": "*", "action": "accept"}]',
        "error: Parameter 'rules.0.action' is missing",
        "error: Parameter 'rules[0].action' is missing",
        "error: Parameter 'action' does not accept value 'reject'",
        "error: Parameter 'port' expects uint16_t",
        "query-qmp-schema has object-add/arg-type/qom-type/^firewall: True",
        "query-qmp-schema has object-add/arg-type/+firewall/rules: True",
        "query-qmp-schema has object-add/arg-type/+firewall/rules/*port: True",
        "query-qmp-schema has object-add/arg-type/+firewall/rules/action/^drop: True",
        (
            'object-add firewall branch: {"name": "FirewallProperties", "meta-type": "object", "members": '
            '[{"name": "rules", "type": "[FirewallRule]", "default": null}]}'
        ),
        (
            'FirewallRule: {"name": "FirewallRule", "meta-type": "object", "members": [{"name": "match", "type": '
            '"str"}, {"name": "action", "type": "FirewallAction"}, {"name": "port", "type": "int", "default": null}]}'
        ),
        (
            'JSON Schema of rules: {"type": "array", "items": {"type": "object", "properties": {"match": {"type": '
            '"string"}, "action": {"enum": ["accept", "drop"]}, "port": {"type": "integer", "minimum": 0, "maximum": '
            '65535}}, "required": ["match", "action"], "additionalProperties": false}}'
        ),
    ],
    "custom_type_typeinfo.py": [
        "complete: /objects/p1 (mode boost)",
        "complete: /objects/p2 (mode eco)",
        "complete: /objects/p3 (mode off)",
        (
            '/objects/p1: {"enabled": true, "label": "Well", "mode": "boost", "offset": -128, "channel": -1, '
            '"samples": 2147483647, "serial": 16, "gain": 255, "port": 65535, "rate": 0, '
            '"counter": 18446744073709551615, "buffer-size": 2048, "peer": ""}'
        ),
        (
            '/objects/p3: {"enabled": true, "label": "", "mode": "off", "offset": 0, "channel": 0, "samples": 0, '
            '"serial": 0, "gain": 0, "port": 0, "rate": 0, "counter": 0, "buffer-size": 1073741824, '
            '"peer": "/objects/p2"}'
        ),
        "error: Parameter 'offset' expects int8_t",
        "error: object 'p3' is in use, can not be deleted",
        "finalize: 'Pond'",
        "deleted: p2",
        "finalize: 'Well'",
        "deleted: p1",
    ],
}


@pytest.mark.parametrize("example", sorted(p.name for p in EXAMPLES.glob("*.py")))
def test_example_runs(example: str) -> None:
    """The example exits 0, writes nothing to stderr, and prints its key lines in order."""
    proc = subprocess.run(
        [sys.executable, str(EXAMPLES / example)],
        capture_output=True,
        text=True,
        timeout=60,
        env=dict(os.environ),
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    lines = proc.stdout.splitlines()
    position = 0
    for expected in EXPECTED.get(example, []):
        assert expected in lines[position:], f"{example} did not print (in order): {expected!r}"
        position = lines.index(expected, position) + 1


def test_expected_examples_exist() -> None:
    """Every example named in EXPECTED exists (no stale expectations)."""
    assert set(EXPECTED) <= {p.name for p in EXAMPLES.glob("*.py")}


def test_readme_example_is_examples_readme() -> None:
    """The README's first example is examples/readme.py, line for line (so it is tested)."""
    readme = (EXAMPLES.parent / "README.md").read_text(encoding="utf-8")
    code = readme.split("```python\n", 1)[1].split("```", 1)[0]
    example = (EXAMPLES / "readme.py").read_text(encoding="utf-8")
    assert code.strip() in example
