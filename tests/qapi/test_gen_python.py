"""``python -m qom_py.qapi gen-python``: typed modules that mypy --strict and pyright accept, and that build values."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

from qom_py.qapi import QAPISchema, load_schema, py_types
from qom_py.qapi._cli import main

REPO = Path(__file__).resolve().parents[2]
DATA = REPO / "tests" / "data"
QEMU_QAPI = REPO / ".." / "shared" / "conformance" / "qemu-7.2-qapi"
TOOL_TIMEOUT = 300  # mypy and pyright over some 1.7 MB of generated source, on a loaded machine

USER_SCHEMA = """
{ 'enum': 'Verdict', 'data': [ 'allow', 'deny', 'value', 'if' ] }
{ 'struct': 'Port', 'data': { 'number': 'uint16', '*label': 'str' } }
{ 'struct': 'FirewallRule', 'data': { 'match': 'str', 'verdict': 'Verdict', '*ports': ['Port'], '*extra': 'any' } }
{ 'struct': 'RuleBase', 'data': { 'verdict': 'Verdict' } }
{ 'union': 'RuleChoice', 'base': 'RuleBase', 'discriminator': 'verdict', 'data': { 'allow': 'Port' } }
{ 'alternate': 'PortOrName', 'data': { 'port': 'Port', 'name': 'str' } }
{ 'command': 'fw-add', 'data': { 'rule': 'FirewallRule', '*where': 'PortOrName' }, 'returns': ['FirewallRule'] }
{ 'command': 'fw-choose', 'data': 'RuleChoice', 'boxed': true }
{ 'event': 'FW_CHANGED', 'data': { 'rules': 'int' } }
"""

#: Code using a generated module: mypy must find exactly the errors marked ``# E``.
USAGE = """
from user_types import Commands, FirewallRule, Port, RuleChoice_allow, Verdict


async def use(qmp: Commands) -> None:
    rules = await qmp.fw_add(rule=FirewallRule(match="m", verdict=Verdict.deny))
    port: int = rules[0].ports[0].number if rules[0].ports else 0
    name: str = rules[0].match
    await qmp.fw_add(rule=FirewallRule(match=1, verdict=Verdict.deny))  # E
    await qmp.fw_add(rule=FirewallRule(match="m", verdict="deny"))  # E
    await qmp.fw_add(rul=FirewallRule(match="m", verdict=Verdict.deny))  # E
    bad: str = rules[0].ports  # E
    RuleChoice_allow(number=1, verdict=Verdict.allow)  # E
    await qmp.fw_choose(RuleChoice_allow(number=3))
    print(port, name, Port(number=1), Verdict.q_value, Verdict.q_if)
"""


def _generate(schema_file: Path, out: Path) -> None:
    assert main(["gen-python", str(schema_file), "-o", str(out)]) == 0


def _import(path: Path, monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    """Import a generated module; it stays in sys.modules for the test (annotations resolve in its globals)."""
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, path.stem, module)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("gen")
    user = out / "user.json"
    user.write_text(USER_SCHEMA, encoding="utf-8")
    modules = {"qompy_types": REPO / "schemas" / "qom-py.json", "user_types": user}
    if QEMU_QAPI.is_dir():
        modules["qemu_system_types"] = QEMU_QAPI / "qapi" / "qapi-schema.json"
        modules["qsd_types"] = QEMU_QAPI / "storage-daemon" / "qapi" / "qapi-schema.json"
    paths = {}
    for name, schema_file in modules.items():
        paths[name] = out / f"{name}.py"
        _generate(schema_file, paths[name])
    return paths


def test_modules_build_values(generated: dict[str, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    """The classes of a generated module are what the converter builds, and they give QEMU's JSON back."""
    user = _import(generated["user_types"], monkeypatch)
    schema = QAPISchema()
    schema.add(USER_SCHEMA)
    types = py_types(schema)
    types.adopt_module(user)
    raw = {"match": "m", "verdict": "value", "ports": [{"number": 22}], "extra": None}
    rule = types.from_json("FirewallRule", raw)
    assert type(rule) is user.FirewallRule and rule.verdict is user.Verdict.q_value
    assert types.to_json(rule) == raw
    choice = types.from_json("RuleChoice", {"verdict": "allow", "number": 1})
    assert type(choice) is user.RuleChoice_allow and choice == user.RuleChoice_allow(number=1)
    assert types.from_json("PortOrName", "eth0") == "eth0"
    assert user.EVENTS == {"FW_CHANGED": user.TYPES["q_obj_FW_CHANGED-arg"]}
    assert [i["name"] for i in user.SCHEMA_INFO if i["meta-type"] == "command"] == ["fw-add", "fw-choose"]

    ours = _import(generated["qompy_types"], monkeypatch)
    schema = load_schema()
    types = py_types(schema.copy())
    types.adopt_module(ours)
    recorded = json.loads((DATA / "qsd-7.2-query-qmp-schema.json").read_text(encoding="utf-8"))
    infos = types.from_json(["SchemaInfo"], recorded)
    assert type(infos[0]) is ours.SchemaInfo_command
    assert types.to_json(infos) == recorded


def test_mypy_strict_and_pyright_accept_the_modules(generated: dict[str, Path]) -> None:
    """One mypy --strict run over every generated module (QEMU 7.2's when here) and a use of one; one pyright run."""
    if not QEMU_QAPI.is_dir():
        print(f"QEMU 7.2's schema files are not here ({QEMU_QAPI}): checking qom-py's and a user's only")
    folder = next(iter(generated.values())).parent
    usage = folder / "usage.py"
    usage.write_text(USAGE, encoding="utf-8")
    env = {**os.environ, "MYPYPATH": str(REPO)}
    files = [str(p) for p in generated.values()]
    proc = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--cache-dir", str(folder / ".mypy_cache"), *files, str(usage)],
        capture_output=True, text=True, timeout=TOOL_TIMEOUT, env=env, cwd=folder, check=False,
    )  # fmt: skip
    errors = [line for line in proc.stdout.splitlines() if ": error:" in line]
    expected = [i + 1 for i, line in enumerate(USAGE.splitlines()) if line.endswith("# E")]
    assert sorted({int(line.split(":")[1]) for line in errors if line.startswith("usage.py")}) == expected, proc.stdout
    assert all(line.startswith("usage.py") for line in errors), proc.stdout

    pyright = Path(sys.executable).parent / "pyright"
    if not pyright.exists():
        pytest.skip(f"pyright is not installed next to {sys.executable} (the test extra brings it)")
    config = folder / "pyrightconfig.json"
    config.write_text(json.dumps({"extraPaths": [str(REPO)], "typeCheckingMode": "strict", "pythonVersion": "3.11"}))
    proc = subprocess.run(
        [str(pyright), "-p", str(config), *files],
        capture_output=True, text=True, timeout=TOOL_TIMEOUT, cwd=folder, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout
