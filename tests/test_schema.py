"""
The QAPI-style schema of creatable objects: ``schemas/qom.json``, validation, derived
entries for run-time types, the JSON Schema export, and packaging.

Messages are QEMU 7.2's (``qemu-storage-daemon --object`` for keyval, QMP
``object-add`` for JSON).  When ``qemu-storage-daemon`` is installed, one test also
compares the static structs with QEMU's own ``query-qmp-schema``.
"""

from __future__ import annotations

import email
import importlib
import importlib.util
import io
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Any, ClassVar

import pytest

import qom_py
import qom_py.loop._event_loop_base  # registers event-loop-base and main-loop
import qom_py.loop._iothread  # registers iothread
import qom_py.testing
from qom_py import Object, TypeInfo, TypeRegistry, default_registry, prop, qom_type
from qom_py.errors import QOMError
from qom_py.qapi import load_schema
from qom_py.qapi._visitors import JSON_VISITOR, KEYVAL_VISITOR, InputVisitor
from qom_py.qom._object_schema import ObjectSchema, object_schema
from qom_py.qom._user_creatable import TYPE_USER_CREATABLE, user_creatable_add_qapi

ROOT = Path(__file__).resolve().parents[1]
EVENT_LOOP_MEMBERS = ("aio-max-batch", "thread-pool-min", "thread-pool-max")
IOTHREAD_MEMBERS = ("poll-max-ns", "poll-grow", "poll-shrink")
TYPE_WIDGET = "test-widget"


@pytest.fixture
def widget() -> type[Object]:
    """A run-time user-creatable type with one property of each kind."""

    @qom_type(TYPE_WIDGET, interfaces=[TYPE_USER_CREATABLE])
    class Widget(Object):
        flag = prop.Bool()
        label = prop.Str()
        colour = prop.Enum("WidgetColour", ["red", "green", "blue"])
        i8 = prop.Int(8)
        u16 = prop.UInt(16)
        i64 = prop.Int()
        u64 = prop.UInt()
        size = prop.Size()
        peer = prop.Link(TYPE_WIDGET)

    return Widget


# --- the file -----------------------------------------------------------------------


class TestSchemaFile:
    """``schemas/qom.json`` says what QEMU 7.2's ``qapi/qom.json`` says for these types."""

    def test_parses(self) -> None:
        """The file is valid QAPI: its enums, structs and one union, as the engine reads them."""
        schema = load_schema()
        names = {e.name for e in schema if e.info is not None and e.info.file.endswith("qom.json")}
        assert {
            "ObjectType",
            "EventLoopBaseProperties",
            "IothreadProperties",
            "MainLoopProperties",
            "ObjectOptions",
        } <= names

    def test_event_loop_base_properties(self) -> None:
        """``EventLoopBaseProperties``: three optional ``int`` members, no base."""
        struct = load_schema().object_type("EventLoopBaseProperties")
        assert struct.base is None
        assert [(m.name, m.type, m.optional) for m in struct.members] == [(n, "int", True) for n in EVENT_LOOP_MEMBERS]

    def test_iothread_properties(self) -> None:
        """``IothreadProperties``: base ``EventLoopBaseProperties`` plus the poll members."""
        struct = load_schema().object_type("IothreadProperties")
        assert struct.base == "EventLoopBaseProperties"
        assert [(m.name, m.type, m.optional) for m in struct.local_members] == [
            (n, "int", True) for n in IOTHREAD_MEMBERS
        ]
        assert struct.member_names == (*EVENT_LOOP_MEMBERS, *IOTHREAD_MEMBERS)

    def test_main_loop_properties(self) -> None:
        """``MainLoopProperties``: the base and nothing else."""
        struct = load_schema().object_type("MainLoopProperties")
        assert struct.base == "EventLoopBaseProperties"
        assert struct.local_members == ()
        assert struct.member_names == EVENT_LOOP_MEMBERS

    def test_object_options(self) -> None:
        """``ObjectOptions``: base ``qom-type``/``id``, discriminated by ``qom-type``."""
        schema = load_schema()
        assert schema.enum_type("ObjectType").value_names == ("iothread", "main-loop")
        union = schema.object_type("ObjectOptions")
        assert [(m.name, m.type) for m in union.members] == [("qom-type", "ObjectType"), ("id", "str")]
        assert union.variants is not None and union.variants.tag == "qom-type"
        assert union.variants.as_dict() == {"iothread": "IothreadProperties", "main-loop": "MainLoopProperties"}

    @pytest.mark.parametrize(
        ("typename", "classes", "structs"),
        [
            ("iothread", ["event-loop-base", "iothread"], ["EventLoopBaseProperties", "IothreadProperties"]),
            ("main-loop", ["event-loop-base", "main-loop"], ["EventLoopBaseProperties", "MainLoopProperties"]),
        ],
    )
    def test_agrees_with_declared_properties(self, typename: str, classes: list[str], structs: list[str]) -> None:
        """Each class's writable class properties are its struct's members: same names, ``int``, base first."""
        qapi = load_schema()
        klass = default_registry.get_class(typename)
        chain = [k for k in reversed(list(klass.ancestors())) if k.type_name != "object"]
        assert [k.type_name for k in chain] == classes
        for k, struct in zip(chain, structs, strict=True):
            declared = {p.name: p.type for p in k.own_properties() if p.set is not None}
            members = {m.name: m.type for m in qapi.object_type(struct).local_members}
            assert declared == members
        flat = [p.name for k in chain for p in k.own_properties() if p.set is not None]
        assert sorted(flat) == sorted(m.name for m in object_schema().struct_for(typename).members)
        read_only = [p.name for p in klass.properties() if p.set is None]
        assert read_only == ["type"]

    @pytest.mark.skipif(shutil.which("qemu-storage-daemon") is None, reason="qemu-storage-daemon is not installed")
    def test_matches_qemu_introspection(self) -> None:
        """QEMU's ``query-qmp-schema`` has the same ``object-add`` members for these types."""
        entities = {e["name"]: e for e in _qemu_schema()}
        command = next(e for e in entities.values() if e["meta-type"] == "command" and e["name"] == "object-add")
        args = entities[command["arg-type"]]
        assert args["tag"] == "qom-type"
        assert [(m["name"], m.get("type")) for m in args["members"]][1:] == [("id", "str")]
        enum = entities[args["members"][0]["type"]]
        qemu_types = [m["name"] for m in enum["members"]]
        variants = {v["case"]: entities[v["type"]] for v in args["variants"]}
        for typename in ("iothread", "main-loop"):
            assert typename in qemu_types
            theirs = [(m["name"], m["type"], "default" in m) for m in variants[typename]["members"]]
            ours = [(m.name, m.type, m.optional) for m in object_schema().struct_for(typename).members]
            assert ours == theirs


def _qemu_schema() -> list[dict[str, Any]]:
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "qmp.sock")
        proc = subprocess.Popen(
            ["qemu-storage-daemon", "--chardev", f"socket,id=m,path={path},server=on,wait=off", "--monitor", "m"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            deadline = time.monotonic() + 10
            while not os.path.exists(path):
                if time.monotonic() > deadline or proc.poll() is not None:
                    pytest.fail("qemu-storage-daemon did not start")
                time.sleep(0.02)
            with socket.socket(socket.AF_UNIX) as sock:
                sock.settimeout(10)
                sock.connect(path)
                stream = sock.makefile("rwb")
                json.loads(stream.readline())  # greeting
                for command in ("qmp_capabilities", "query-qmp-schema"):
                    stream.write(json.dumps({"execute": command}).encode())
                    stream.flush()
                    reply = json.loads(stream.readline())
            result: list[dict[str, Any]] = reply["return"]
            return result
        finally:
            proc.terminate()
            proc.wait(10)


# --- run-time types -----------------------------------------------------------------


class TestDerivedTypes:
    """Types registered at run time join ``ObjectType`` with a struct from their properties."""

    def test_joins_and_leaves(self, widget: type[Object]) -> None:
        """A new user-creatable type is accepted until `qom_py.testing.reset` forgets it."""
        schema = object_schema()
        assert schema.object_types() == ("iothread", "main-loop", TYPE_WIDGET)
        assert schema.validate({"qom-type": TYPE_WIDGET, "id": "w"}, JSON_VISITOR) == (TYPE_WIDGET, "w", {})
        qom_py.testing.reset()
        assert schema.object_types() == ("iothread", "main-loop")
        with pytest.raises(QOMError, match="^Parameter 'qom-type' does not accept value 'test-widget'$"):
            schema.validate({"qom-type": TYPE_WIDGET, "id": "w"}, JSON_VISITOR)

    def test_derived_struct(self, widget: type[Object]) -> None:
        """The derived struct lists every writable property, optional, typed by its kind."""
        members = object_schema().struct_for(TYPE_WIDGET).members
        assert [(m.name, m.type, m.optional) for m in members] == [
            ("flag", "bool", True),
            ("label", "str", True),
            ("colour", "WidgetColour", True),
            ("i8", "int8", True),
            ("u16", "uint16", True),
            ("i64", "int", True),
            ("u64", "uint64", True),
            ("size", "size", True),
            ("peer", "str", True),
        ]

    def test_derived_struct_of_subtype(self, widget: type[Object]) -> None:
        """A subtype's struct has its parent's class properties first, instance properties last."""

        @qom_type("test-subwidget", parent=TYPE_WIDGET)
        class SubWidget(widget):  # type: ignore[misc, valid-type]  # a fixture-made class
            extra = prop.Bool()

        names = [m.name for m in object_schema().struct_for("test-subwidget").members]
        parent = [m.name for m in object_schema().struct_for(TYPE_WIDGET).members]
        # class properties root first, then the instance properties (the link) last
        assert names == [*parent[:-1], "extra", "peer"]

    def test_not_creatable_types_stay_out(self) -> None:
        """Types that are abstract or do not implement user-creatable do not join."""

        @qom_type("test-plain")
        class Plain(Object):
            flag = prop.Bool()

        @qom_type("test-abstract", abstract=True, interfaces=[TYPE_USER_CREATABLE])
        class Abstract(Object):
            flag = prop.Bool()

        assert object_schema().object_types() == ("iothread", "main-loop")
        for name in ("test-plain", "test-abstract", "container"):
            with pytest.raises(QOMError, match=f"^Parameter 'qom-type' does not accept value '{name}'$"):
                qom_py.object_add(name, "x")

    def test_failing_instance_init_stays_local(self) -> None:
        """A type whose ``instance_init`` fails breaks only its own creation, not the others'."""

        def instance_init(obj: Object) -> None:
            raise QOMError("Failed to initialize event notifier")  # QEMU's aio_context_new wording

        qom_py.type_register(TypeInfo("test-broken", interfaces=(TYPE_USER_CREATABLE,), instance_init=instance_init))
        assert "test-broken" in object_schema().object_types()
        assert qom_py.object_option_parse("iothread,id=io0") is not None
        assert qom_py.object_option_parse("test-broken,help", out=io.StringIO()) is None
        with pytest.raises(QOMError, match="^Failed to initialize event notifier$"):
            qom_py.object_option_parse("test-broken,id=b")
        assert [name for name, _ in default_registry.objects_root.children()] == ["io0"]

    def test_derived_validation(self, widget: type[Object]) -> None:
        """Derived members are read through their kinds, in both modes."""
        schema = object_schema()
        keyval = {"qom-type": TYPE_WIDGET, "id": "w", "size": "1M", "flag": "on", "i8": "-0x10", "u64": "-1"}
        assert schema.validate(keyval, KEYVAL_VISITOR)[2] == {
            "flag": True,
            "i8": -16,
            "u64": 2**64 - 1,
            "size": 1 << 20,
        }
        with pytest.raises(QOMError, match=r"^Parameter 'u16' expects uint16_t$"):
            schema.validate({"qom-type": TYPE_WIDGET, "id": "w", "u16": 65536}, JSON_VISITOR)
        # QEMU's JSON visitor takes negative integers for uint64 and size, modulo 2**64
        json_data = {"qom-type": TYPE_WIDGET, "id": "w", "u64": -1, "size": -2}
        assert schema.validate(json_data, JSON_VISITOR)[2] == {"u64": 2**64 - 1, "size": 2**64 - 2}


# --- validation -----------------------------------------------------------------------


class TestValidate:
    """`ObjectSchema.validate` in keyval and JSON modes, with QEMU's messages."""

    def test_keyval_types_strings(self) -> None:
        """Keyval strings become typed values, returned in schema member order."""
        data = {"poll-shrink": "2", "id": "x", "qom-type": "iothread", "poll-max-ns": "0x10", "aio-max-batch": "010"}
        assert object_schema().validate(data, KEYVAL_VISITOR) == (
            "iothread",
            "x",
            {"aio-max-batch": 8, "poll-max-ns": 16, "poll-shrink": 2},
        )

    def test_json_keeps_values(self) -> None:
        """JSON values pass through when they have the right JSON type."""
        data = {"qom-type": "main-loop", "id": "m", "thread-pool-max": 4, "thread-pool-min": 2}
        assert object_schema().validate(data, JSON_VISITOR) == (
            "main-loop",
            "m",
            {"thread-pool-min": 2, "thread-pool-max": 4},
        )

    @pytest.mark.parametrize(
        ("visitor", "data", "message"),
        [
            (KEYVAL_VISITOR, {"id": "x"}, "Parameter 'qom-type' is missing"),
            (KEYVAL_VISITOR, {"qom-type": "nosuch", "id": "x"}, "Parameter 'qom-type' does not accept value 'nosuch'"),
            (KEYVAL_VISITOR, {"qom-type": {"a": "1"}, "id": "x"}, "Parameters 'qom-type.*' are unexpected"),
            (KEYVAL_VISITOR, {"qom-type": "iothread"}, "Parameter 'id' is missing"),
            (KEYVAL_VISITOR, {"qom-type": "iothread", "id": {"x": "1"}}, "Parameters 'id.*' are unexpected"),
            (KEYVAL_VISITOR, {"qom-type": "iothread", "id": ["a"]}, "Parameters 'id.*' are unexpected"),
            (
                KEYVAL_VISITOR,
                {"qom-type": "iothread", "id": "x", "poll-max-ns": "abc"},
                "Parameter 'poll-max-ns' expects integer",
            ),
            (
                KEYVAL_VISITOR,
                {"qom-type": "iothread", "id": "x", "aio-max-batch": {"a": "1"}},
                "Parameters 'aio-max-batch.*' are unexpected",
            ),
            (KEYVAL_VISITOR, {"qom-type": "iothread", "id": "x", "foo": "1"}, "Parameter 'foo' is unexpected"),
            (
                KEYVAL_VISITOR,
                {"qom-type": "main-loop", "id": "x", "poll-max-ns": "1"},
                "Parameter 'poll-max-ns' is unexpected",
            ),
            (JSON_VISITOR, {"id": "x"}, "Parameter 'qom-type' is missing"),
            (
                JSON_VISITOR,
                {"qom-type": ["iothread"], "id": "x"},
                "Invalid parameter type for 'qom-type', expected: string",
            ),
            (
                JSON_VISITOR,
                {"qom-type": "event-loop-base", "id": "x"},
                "Parameter 'qom-type' does not accept value 'event-loop-base'",
            ),
            (JSON_VISITOR, {"qom-type": "iothread"}, "Parameter 'id' is missing"),
            (
                JSON_VISITOR,
                {"qom-type": "iothread", "id": {"a": 1}},
                "Invalid parameter type for 'id', expected: string",
            ),
            (
                JSON_VISITOR,
                {"qom-type": "iothread", "id": "x", "poll-max-ns": "1"},
                "Invalid parameter type for 'poll-max-ns', expected: integer",
            ),
            (
                JSON_VISITOR,
                {"qom-type": "iothread", "id": "x", "poll-max-ns": 1, "bogus": True},
                "Parameter 'bogus' is unexpected",
            ),
            (JSON_VISITOR, {"qom-type": "iothread", "id": "x", "props": {}}, "Parameter 'props' is unexpected"),
            (
                JSON_VISITOR,
                {"qom-type": "main-loop", "id": "x", "poll-max-ns": 1},
                "Parameter 'poll-max-ns' is unexpected",
            ),
        ],
        ids=[
            "kv-type-missing",
            "kv-type-unknown",
            "kv-type-dict",
            "kv-id-missing",
            "kv-id-dict",
            "kv-id-list",
            "kv-bad-int",
            "kv-int-dict",
            "kv-unexpected",
            "kv-main-loop-poll",
            "json-type-missing",
            "json-type-list",
            "json-abstract",
            "json-id-missing",
            "json-id-dict",
            "json-int-str",
            "json-unexpected",
            "json-props",
            "json-main-loop-poll",
        ],
    )
    def test_messages(self, visitor: InputVisitor, data: dict[str, Any], message: str) -> None:
        """Each bad request gets QEMU's message for that mode."""
        with pytest.raises(QOMError) as info:
            object_schema().validate(data, visitor)
        assert str(info.value) == message

    def test_not_a_dict(self) -> None:
        """A JSON request that is not an object is refused."""
        with pytest.raises(QOMError):
            object_schema().validate([], JSON_VISITOR)  # type: ignore[arg-type]  # the point of the test


# --- JSON Schema export -----------------------------------------------------------------

#: The ``jsonschema`` package when installed (it is not a declared test dependency).
jsonschema: Any = importlib.import_module("jsonschema") if importlib.util.find_spec("jsonschema") else None

needs_jsonschema = pytest.mark.skipif(jsonschema is None, reason="jsonschema is not installed (pip install jsonschema)")

GOOD = [
    {"qom-type": "iothread", "id": "io0"},
    {
        "qom-type": "iothread",
        "id": "io0",
        "poll-max-ns": 0,
        "poll-grow": 2,
        "poll-shrink": 2,
        "aio-max-batch": 9223372036854775807,
    },
    {"qom-type": "main-loop", "id": "ml", "thread-pool-min": 1, "thread-pool-max": 1},
]
BAD = [
    {"qom-type": "iothread"},
    {"id": "io0"},
    {"qom-type": "iothread", "id": "1x"},
    {"qom-type": "iothread", "id": 5},
    {"qom-type": "iothread", "id": "io0", "poll-max-ns": "5"},
    {"qom-type": "iothread", "id": "io0", "poll-max-ns": 1.5},
    {"qom-type": "iothread", "id": "io0", "poll-max-ns": True},
    {"qom-type": "iothread", "id": "io0", "poll-max-ns": 2**63},
    {"qom-type": "iothread", "id": "io0", "bogus": 1},
    {"qom-type": "main-loop", "id": "ml", "poll-max-ns": 1},
    {"qom-type": "event-loop-base", "id": "e"},
    {"qom-type": "nosuch", "id": "e"},
    # the properties' own checks: value must be in range [0, 9223372036854775807]
    {"qom-type": "main-loop", "id": "ml", "thread-pool-min": -2},
    {"qom-type": "iothread", "id": "io0", "thread-pool-max": -1},
    {"qom-type": "iothread", "id": "io0", "poll-grow": -1},
]


@needs_jsonschema
class TestJSONSchema:
    """`ObjectSchema.json_schema` accepts what creation accepts and rejects what the schema rejects."""

    def test_is_a_valid_schema(self) -> None:
        """The export is a valid draft 2020-12 schema."""
        schema = object_schema().json_schema()
        jsonschema.Draft202012Validator.check_schema(schema)
        assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"

    @pytest.mark.parametrize("request_", GOOD, ids=lambda r: ",".join(map(str, r.values())))
    def test_accepts(self, request_: dict[str, Any]) -> None:
        """Good requests validate, and `ObjectSchema.validate` agrees."""
        jsonschema.Draft202012Validator(object_schema().json_schema()).validate(request_)
        object_schema().validate(request_, JSON_VISITOR)

    @pytest.mark.parametrize("request_", BAD, ids=lambda r: ",".join(map(str, r.values())))
    def test_rejects(self, request_: dict[str, Any]) -> None:
        """Bad requests fail validation (and creation)."""
        assert not jsonschema.Draft202012Validator(object_schema().json_schema()).is_valid(request_)
        with pytest.raises(QOMError):
            user_creatable_add_qapi(request_)
        assert list(default_registry.objects_root.children()) == []

    def test_per_type(self) -> None:
        """The schema of one type pins ``qom-type`` and lists that type's members."""
        schema = object_schema().json_schema("main-loop")
        assert schema["properties"]["qom-type"] == {"const": "main-loop"}
        assert set(schema["properties"]) == {"qom-type", "id", *EVENT_LOOP_MEMBERS}
        assert schema["required"] == ["qom-type", "id"] and schema["additionalProperties"] is False

    def test_derived_type(self, widget: type[Object]) -> None:
        """A run-time type's schema bounds its integers and lists its enum values."""
        schema = object_schema().json_schema(TYPE_WIDGET)
        validator = jsonschema.Draft202012Validator(schema)
        good = {
            "qom-type": TYPE_WIDGET,
            "id": "w",
            "flag": True,
            "label": "x",
            "colour": "blue",
            "i8": -128,
            "u16": 65535,
            "i64": -(2**63),
            "u64": 2**64 - 1,
            "size": 0,
            "peer": "",
        }
        validator.validate(good)
        object_schema().validate(good, JSON_VISITOR)
        for key, value in [("i8", 128), ("u16", -1), ("u16", 65536), ("colour", "pink"), ("flag", "on"), ("label", 1)]:
            assert not validator.is_valid({**good, key: value}), key
            with pytest.raises(QOMError):
                object_schema().validate({**good, key: value}, JSON_VISITOR)
        everything = jsonschema.Draft202012Validator(object_schema().json_schema())
        assert everything.is_valid(good)


# --- packaging ----------------------------------------------------------------------------


def _can_build_wheels() -> bool:
    try:
        from importlib.metadata import version

        major, minor = (int(x) for x in version("setuptools").split(".")[:2])
    except Exception:  # noqa: BLE001 - any doubt means "cannot"
        return False
    # setuptools ships bdist_wheel itself from 70.1 on; the SPDX `license` needs 77.
    return (major, minor) >= (77, 0)


@pytest.mark.skipif(not _can_build_wheels(), reason="needs setuptools>=77 in this environment")
def test_wheel_ships_schema(tmp_path: Path) -> None:
    """The built wheel contains ``qom_py/schemas/qom.json``, identical to ``schemas/qom.json``."""
    src = tmp_path / "src"  # a copy, so the build leaves nothing in the work tree
    shutil.copytree(
        ROOT,
        src,
        ignore=shutil.ignore_patterns(
            ".git", ".venv", "build", "dist", "*.egg-info", "__pycache__", ".*_cache", ".hypothesis"
        ),
    )
    out = tmp_path / "wheels"
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(out), str(src)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    (wheel,) = out.glob("qom_py-*.whl")
    with zipfile.ZipFile(wheel) as zf:
        assert zf.read("qom_py/schemas/qom.json") == (ROOT / "schemas" / "qom.json").read_bytes()
        assert "qom_py/py.typed" in zf.namelist()
        (metadata_name,) = [n for n in zf.namelist() if n.endswith(".dist-info/METADATA")]
        metadata = email.message_from_bytes(zf.read(metadata_name))
        (entry_points_name,) = [n for n in zf.namelist() if n.endswith(".dist-info/entry_points.txt")]
        entry_points = zf.read(entry_points_name).decode()
        licenses = [n for n in zf.namelist() if n.endswith(".dist-info/licenses/LICENSE")]
    assert metadata["Version"] == qom_py.__version__
    assert metadata["License-Expression"] == "MIT"
    assert metadata.get_all("License-File") == ["LICENSE"]
    assert len(licenses) == 1
    classifiers = metadata.get_all("Classifier")
    for expected in ("Typing :: Typed", "Programming Language :: Python :: 3.11", "Operating System :: POSIX :: Linux"):
        assert expected in classifiers
    assert metadata["Author"] == "qom_py developers"
    assert "qom-py = qom_py.daemon.cli:main" in entry_points


class TestTableOrModel:
    """`ObjectSchema` checks from the shipped table until the model is needed, then from the model."""

    REQUEST: ClassVar[dict[str, Any]] = {"qom-type": "iothread", "id": "io0", "poll-max-ns": 5, "aio-max-batch": 2}
    CHECKED: ClassVar[tuple[str, str, dict[str, Any]]] = ("iothread", "io0", {"aio-max-batch": 2, "poll-max-ns": 5})

    def test_table_then_qapi_load(self) -> None:
        """A fresh registry's checks need no model; its qapi_load (a revision) moves them to the model."""
        registry = TypeRegistry()
        schema = ObjectSchema.of(registry)
        assert schema.validate(self.REQUEST, JSON_VISITOR) == self.CHECKED
        assert list(schema.validate(self.REQUEST, JSON_VISITOR)[2]) == ["aio-max-batch", "poll-max-ns"]
        assert schema.checker.schema is None and registry.qapi_table() is not None
        assert schema.object_types() == ("iothread", "main-loop")
        registry.qapi_load("{ 'enum': 'Colour', 'data': ['red'] }")
        assert schema.checker.schema is not None
        assert schema.validate(self.REQUEST, JSON_VISITOR) == self.CHECKED
        with pytest.raises(QOMError, match=r"^Parameter 'qom-type' does not accept value 'nope'$"):
            schema.validate({"qom-type": "nope", "id": "x"}, KEYVAL_VISITOR)

    def test_current_loads_the_model(self) -> None:
        """`ObjectSchema.current` needs the model: loaded then, and the checks use it from then on."""
        registry = TypeRegistry()
        schema = ObjectSchema.of(registry)
        assert schema.validate(self.REQUEST, JSON_VISITOR) == self.CHECKED
        assert "IothreadProperties" in schema.current()
        assert registry.qapi_table() is None and schema.checker.schema is not None
        assert schema.validate(self.REQUEST, JSON_VISITOR) == self.CHECKED
        assert "thread-pool-min" in [m.name for m in schema.struct_for("main-loop").members]

    def test_run_time_type_needs_the_model(self) -> None:
        """A user-creatable type not in the static enum gets a derived branch: the model is loaded for it."""
        qom_py.type_register(
            TypeInfo("test-table-widget", interfaces=(TYPE_USER_CREATABLE,), class_init=_flag_property)
        )
        assert "test-table-widget" in object_schema().object_types()
        assert object_schema().checker.schema is not None
        checked = object_schema().validate({"qom-type": "test-table-widget", "id": "t", "flag": "on"}, KEYVAL_VISITOR)
        assert checked == ("test-table-widget", "t", {"flag": True})

    @pytest.mark.parametrize("visitor", [JSON_VISITOR, KEYVAL_VISITOR], ids=["json", "keyval"])
    def test_validate_agrees_with_model(self, visitor: InputVisitor) -> None:
        """Every shipped object type, each member with good and bad values: the table answers as the model."""
        from_table, from_model = TypeRegistry(), TypeRegistry()
        from_model.qapi_schema  # noqa: B018 - loaded: this one checks from the model
        table, model = ObjectSchema.of(from_table), ObjectSchema.of(from_model)
        assert table.checker.schema is None and model.checker.schema is not None
        assert table.object_types() == model.object_types()
        values: list[Any] = (
            ["1", "-1", "x", "on", "", "1G", "99999999999999999999"]
            if visitor.mode == "keyval"
            else [1, -1, 2**70, "x", True, None, 1.5, [], {}]
        )
        compared = 0
        for typename in [*model.object_types(), "nope", 5]:
            base: dict[str, Any] = {"qom-type": typename, "id": "x"}
            requests: list[Any] = [base, {"qom-type": typename}, {**base, "zz": "1"}, [base]]
            if typename in model.object_types():
                for member in model.struct_for(typename).members:
                    requests += [{**base, member.name: value} for value in values]
            for request in requests:
                assert _validated(table, request, visitor) == _validated(model, request, visitor), request
                compared += 1
        assert compared > 50


def _validated(schema: ObjectSchema, request: Any, visitor: InputVisitor) -> tuple[Any, ...]:
    """`ObjectSchema.validate`'s answer (properties as an item list: order counts), or its message."""
    try:
        typename, id_, props = schema.validate(request, visitor)
    except QOMError as exc:
        return (type(exc).__name__, str(exc))
    return (typename, id_, list(props.items()))


def _flag_property(klass: Any, data: object) -> None:
    klass.property_add_bool("flag", lambda obj: False, lambda obj, value: None)
