"""
Benchmark: a typed QAPI struct built from JSON (check + structure) against pydantic's ``model_validate``.

The model: a firewall with a name, an optional flag and a list of rules, each
a string, an enum and a uint16 port; the same model in pydantic (strict: the
JSON input visitor converts nothing either).  qom_py checks the JSON with the
QAPI checker (QEMU's messages) and then structures it into the frozen attrs
classes of `qom_py.qapi.py_types` with cattrs (`PyTypes.from_json`); pydantic
validates and builds in one step.  Also shown: the check alone and the
structuring alone, and unstructuring back to JSON against ``model_dump``.

Target (issue 19): qom_py / pydantic <= 2.0 for check + structure.  Run:
``python bench/typed_values.py``.
"""

from __future__ import annotations

import platform
import sys
from importlib.metadata import version
from pathlib import Path
from typing import Annotated, Any, Literal

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import pydantic  # noqa: E402 - after the path tweak
from _timing import interleaved, per_call, refuses  # noqa: E402

import qom_py  # noqa: E402
from qom_py.qapi import QAPISchema, py_types  # noqa: E402

#: Operations per round, rounds.
LOOPS, RUNS = 2000, 15
TARGET = 2.0

SCHEMA = """
{ 'enum': 'BenchPolicy', 'data': [ 'deny', 'allow' ] }
{ 'struct': 'BenchRule', 'data': { 'match': 'str', 'policy': 'BenchPolicy', 'port': 'uint16' } }
{ 'struct': 'BenchFirewall', 'data': { 'name': 'str', '*enabled': 'bool', 'rules': ['BenchRule'] } }
"""

FIREWALL: dict[str, Any] = {
    "name": "fw0",
    "enabled": True,
    "rules": [{"match": f"host{i}", "policy": "deny" if i % 2 else "allow", "port": 1000 + i} for i in range(8)],
}


class PydanticRule(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(strict=True, frozen=True)
    match: str
    policy: Literal["deny", "allow"]
    port: Annotated[int, pydantic.Field(ge=0, le=65535)]


class PydanticFirewall(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(strict=True, frozen=True)
    name: str
    enabled: bool | None = None
    rules: Annotated[tuple[PydanticRule, ...], pydantic.Field(strict=False)]  # a JSON array in, a tuple out


def main() -> None:
    schema = QAPISchema()
    schema.add(SCHEMA)
    types = py_types(schema)
    firewall_cls = types.py_type("BenchFirewall")
    checked = types.checker.check("BenchFirewall", FIREWALL)
    built = types.from_json("BenchFirewall", FIREWALL)
    model = PydanticFirewall.model_validate(FIREWALL)
    # Sanity: both build the same thing, refuse a bad port, give the same JSON back.
    assert isinstance(built, firewall_cls) and built.rules[3].port == model.rules[3].port == 1003
    bad = {**FIREWALL, "rules": [{"match": "x", "policy": "deny", "port": 70000}]}
    assert refuses(lambda: types.from_json("BenchFirewall", bad))
    assert refuses(lambda: PydanticFirewall.model_validate(bad))
    assert types.to_json(built) == FIREWALL == model.model_dump(mode="json", exclude_none=True)

    def structure_only() -> object:
        return types.structure(checked, "BenchFirewall")

    print(f"Python {platform.python_version()}; qom_py {qom_py.__version__}, pydantic {pydantic.__version__}, "
          f"cattrs {version('cattrs')}, attrs {version('attrs')}")  # fmt: skip
    results = interleaved(
        [
            ("qom_py check + structure (from_json)", per_call(lambda: types.from_json("BenchFirewall", FIREWALL))),
            ("pydantic model_validate (strict)", per_call(lambda: PydanticFirewall.model_validate(FIREWALL))),
            ("qom_py check alone", per_call(lambda: types.checker.check("BenchFirewall", FIREWALL))),
            ("qom_py structure alone (cattrs)", per_call(structure_only)),
            ("qom_py to_json (cattrs unstructure)", per_call(lambda: types.to_json(built))),
            (
                "pydantic model_dump (json, exclude_none)",
                per_call(lambda: model.model_dump(mode="json", exclude_none=True)),
            ),
        ],
        LOOPS,
        RUNS,
    )
    print(f"\nA struct of 8 rules from JSON  (median of {RUNS} interleaved rounds x {LOOPS} operations)")
    for label, seconds in results:
        print(f"  {label:<44} {seconds * 1e6:>9.2f} us/op")
    ratio = results[0][1] / results[1][1]
    dump_ratio = results[4][1] / results[5][1]
    verdict = "met" if ratio <= TARGET else "NOT met"
    print(f"\ncheck + structure / pydantic model_validate: {ratio:.2f}x  (target <= {TARGET}x: {verdict})")
    print(f"to_json / pydantic model_dump: {dump_ratio:.2f}x")


if __name__ == "__main__":
    main()
