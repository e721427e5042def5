"""The shipped schema (schemas/qom-py.json and its includes) against QEMU 7.2's recorded introspection."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path
from typing import Any

import pytest

from qom_py.qapi import (
    EMPTY_OBJECT,
    ROOT_SCHEMA,
    AlternateType,
    ArrayType,
    BuiltinType,
    EnumType,
    ObjectType,
    QAPISchema,
    load_schema,
)

ROOT = Path(__file__).resolve().parent.parent.parent
DATA = ROOT / "tests" / "data"

#: Every command qom-py serves, and every event it sends.
SERVED_COMMANDS = [
    "qmp_capabilities", "query-version", "query-commands", "quit", "query-qmp-schema", "qom-list", "qom-list-get",
    "qom-get", "qom-set", "qom-list-types", "qom-list-properties", "object-add", "object-del", "query-iothreads",
    "query-thread-pools",
]  # fmt: skip
SERVED_EVENTS = ["SHUTDOWN"]

Shape = Any


def _ours(schema: QAPISchema, name: str) -> Shape:
    """A structural view of type *name*: names of non-builtin types do not matter."""
    typ = schema.lookup_type(name)
    assert typ is not None, name
    if isinstance(typ, BuiltinType):
        # QEMU's introspection shows every integer type as "int".
        return ("builtin", "int" if typ.json_type == "int" else typ.name)
    if isinstance(typ, EnumType):
        return ("enum", tuple((v.name, v.feature_names) for v in typ.values))
    if isinstance(typ, ArrayType):
        return ("array", _ours(schema, typ.element_type))
    if isinstance(typ, AlternateType):
        return ("alternate", tuple(_ours(schema, v.type) for v in typ.variants.variants))
    assert isinstance(typ, ObjectType)
    members = tuple((m.name, m.optional, _ours(schema, m.type), m.feature_names) for m in typ.members)
    if typ.variants is None:
        return ("object", members, None, ())
    variants = tuple((v.case, _ours(schema, v.type)) for v in typ.variants.variants)
    return ("object", members, typ.variants.tag, variants)


def _theirs(by_name: dict[str, dict[str, Any]], name: str) -> Shape:
    entity = by_name[name]
    meta = entity["meta-type"]
    if meta == "builtin":
        return ("builtin", name)
    if meta == "enum":
        return ("enum", tuple((m["name"], tuple(m.get("features", ()))) for m in entity["members"]))
    if meta == "array":
        return ("array", _theirs(by_name, entity["element-type"]))
    if meta == "alternate":
        return ("alternate", tuple(_theirs(by_name, m["type"]) for m in entity["members"]))
    members = tuple(
        (m["name"], "default" in m, _theirs(by_name, m["type"]), tuple(m.get("features", ())))
        for m in entity["members"]
    )
    variants = tuple((v["case"], _theirs(by_name, v["type"])) for v in entity.get("variants", ()))
    return ("object", members, entity.get("tag"), variants)


def _recorded(name: str) -> dict[str, dict[str, Any]]:
    return {e["name"]: e for e in json.loads((DATA / name).read_text(encoding="utf-8"))}


QSD: dict[str, dict[str, Any]] = _recorded("qsd-7.2-query-qmp-schema.json")
SYSTEM: dict[str, dict[str, Any]] = _recorded("qemu-system-7.2-query-iothreads-schema.json")


def test_loads_every_file() -> None:
    """The root includes every file of schemas/; nothing in schemas/ is left out."""
    schema = load_schema()
    assert schema.files[0] == ROOT_SCHEMA
    assert sorted(schema.files) == sorted(p.name for p in (ROOT / "schemas").glob("*.json"))
    assert [c.name for c in schema.commands()] == SERVED_COMMANDS  # definition order
    assert sorted(c.name for c in schema.commands()) == sorted(SERVED_COMMANDS)
    assert [e.name for e in schema.events()] == SERVED_EVENTS


def test_load_schema_copies() -> None:
    """Each call returns a schema of its own; the files are read once."""
    first, second = load_schema(), load_schema()
    first.add("{ 'struct': 'Mine', 'data': {} }", "<test>")
    assert "Mine" not in second
    assert first.object_type("ObjectOptions") is second.object_type("ObjectOptions")


def test_source_tree_matches(tmp_path: Path) -> None:
    """Reading schemas/ from the file system gives the same entities as the shipped copy."""
    on_disk = QAPISchema.from_file(str(ROOT / "schemas" / ROOT_SCHEMA))
    assert [e.name for e in on_disk] == [e.name for e in load_schema()]


def test_qom_json_is_unchanged_for_the_object_layer() -> None:
    """qom.json still holds the object types only (qom_py.qom._object_schema reads it alone)."""
    schema = QAPISchema.from_file(str(ROOT / "schemas" / "qom.json"))
    assert [e.name for e in schema if e.info is not None and not e.is_implicit] == [
        "EventLoopBaseProperties", "IothreadProperties", "MainLoopProperties", "ObjectType", "ObjectOptions",
    ]  # fmt: skip


def _command_shape(schema: QAPISchema, name: str) -> Shape:
    command = schema.command(name)
    assert command is not None
    arg = _ours(schema, command.arg_type or EMPTY_OBJECT)
    ret = _ours(schema, command.ret_type or EMPTY_OBJECT)
    return (arg, ret, command.allow_oob, command.feature_names)


def _recorded_command_shape(by_name: dict[str, dict[str, Any]], name: str) -> Shape:
    entity = by_name[name]
    arg, ret = _theirs(by_name, entity["arg-type"]), _theirs(by_name, entity["ret-type"])
    return (arg, ret, entity.get("allow-oob", False), tuple(entity.get("features", ())))


@pytest.mark.parametrize("name", [c for c in SERVED_COMMANDS if c in QSD and c != "object-add"] + ["query-iothreads"])
def test_commands_match_qemu(name: str) -> None:
    """Each command's arguments and result have QEMU 7.2's structure (qsd's; qemu-system's for query-iothreads)."""
    recorded = QSD if name in QSD else SYSTEM
    assert _command_shape(load_schema(), name) == _recorded_command_shape(recorded, name)


def test_shutdown_matches_qemu_system() -> None:
    """SHUTDOWN's data has qemu-system 7.2's structure."""
    schema = load_schema()
    event = schema.event("SHUTDOWN")
    assert event is not None and event.arg_type is not None
    assert _ours(schema, event.arg_type) == _theirs(SYSTEM, SYSTEM["SHUTDOWN"]["arg-type"])


def test_object_add_matches_qemu_for_hosted_types() -> None:
    """object-add: boxed ObjectOptions; base members and each hosted type's branch as qsd 7.2 has them."""
    schema = load_schema()
    command = schema.command("object-add")
    assert command is not None and command.boxed and command.arg_type == "ObjectOptions"
    ours = _ours(schema, "ObjectOptions")
    theirs = _theirs(QSD, QSD["object-add"]["arg-type"])
    assert [m[0] for m in ours[1]] == [m[0] for m in theirs[1]] == ["qom-type", "id"]
    assert ours[2] == theirs[2] == "qom-type"
    assert {v[0] for v in ours[3]} == set(schema.enum_type("ObjectType").value_names) == {"iothread", "main-loop"}
    recorded_variants = dict(theirs[3])
    for case, shape in ours[3]:
        assert shape == recorded_variants[case], case
    assert set(schema.enum_type("ObjectType").value_names) <= {m[0] for m in theirs[1][0][2][1]}


def test_qom_list_get_is_qemu_10_1() -> None:
    """qom-list-get (QEMU 10.1): paths in, a list of {properties: [{name, type, value?}]} out."""
    schema = load_schema()
    arg, ret, oob, features = _command_shape(schema, "qom-list-get")
    str_ = ("builtin", "str")
    assert arg == ("object", (("paths", False, ("array", str_), ()),), None, ())
    value = (
        "object",
        (("name", False, str_, ()), ("type", False, str_, ()), ("value", True, ("builtin", "any"), ())),
        None,
        (),
    )
    assert ret == ("array", ("object", (("properties", False, ("array", value), ()),), None, ()))


def test_query_thread_pools_matches_the_handler() -> None:
    """query-thread-pools returns what qmp/_commands.py's handler builds: eight members, all required."""
    from qom_py.qmp._commands import _pool_entry

    class _Stats:
        min_threads = max_threads = threads = idle_threads = queued = spawned = completed = 0

    class _Pool:
        def statistics(self) -> _Stats:
            return _Stats()

    entry = _pool_entry("main-loop", _Pool())  # type: ignore[arg-type]
    schema = load_schema()
    info = schema.object_type("ThreadPoolInfo")
    assert list(entry) == list(info.member_names)
    assert not any(m.optional for m in info.members)


def test_parse_time() -> None:
    """Reading and checking the shipped files takes milliseconds (measured: about 8 ms on the CI machine)."""
    start = time.perf_counter()
    for _ in range(5):
        QAPISchema.from_file(str(ROOT / "schemas" / ROOT_SCHEMA))
    per_run = (time.perf_counter() - start) / 5
    assert per_run < 0.25  # generous: a shared 2-core machine


def _can_build_wheels() -> bool:
    from importlib.metadata import PackageNotFoundError, version

    try:
        major, minor = (int(x) for x in version("setuptools").split(".")[:2])
    except (PackageNotFoundError, ValueError):
        return False
    return (major, minor) >= (70, 1)  # setuptools ships bdist_wheel itself from 70.1 on


@pytest.mark.skipif(not _can_build_wheels(), reason="needs setuptools>=70.1 in this environment")
def test_wheel_ships_every_schema_file(tmp_path: Path) -> None:
    """The built wheel holds qom_py/qapi and every schemas/*.json, and the root schema loads from it."""
    src = tmp_path / "src"
    shutil.copytree(
        ROOT, src,
        ignore=shutil.ignore_patterns(".git", ".venv", "build", "dist", "*.egg-info", "__pycache__", ".*_cache", ".hypothesis"),
    )  # fmt: skip
    out = tmp_path / "wheels"
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(out), str(src)],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    (wheel,) = out.glob("qom_py-*.whl")
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
        for path in (ROOT / "schemas").glob("*.json"):
            assert zf.read(f"qom_py/schemas/{path.name}") == path.read_bytes()
        assert "qom_py/qapi/__init__.py" in names
        zf.extractall(tmp_path / "site")

    def read(name: str) -> str:
        return (tmp_path / "site" / "qom_py" / "schemas" / name).read_text(encoding="utf-8")

    schema = QAPISchema.from_file(ROOT_SCHEMA, read)
    assert sorted(c.name for c in schema.commands()) == sorted(SERVED_COMMANDS)
