"""
Any name QOM takes works (issue 17, item 1): type, property and enum-type names are free strings.

QEMU's ``qom/object.c`` checks no name against QAPI's rules: ``secret_keyring``
is a type, qdev properties use ``_``, and an enum type is named whatever the C
code passes.  A type using such names is creatable through every path
(keyval ``--object`` in-process and on the ``qom-py`` command line, JSON
``--object``, ``object_add``, QMP ``object-add``), and help, ``qom-list-properties``,
the JSON Schema and ``query-qmp-schema`` (masked and unmasked) keep working.
What cannot work -- a property keyval cannot address, an enum clashing with a
different QAPI definition -- is refused when declared, in one line.
"""

from __future__ import annotations

import io
import json
import os
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import qom_py
from qom_py import Object, QOMError, TypeInfo, prop, qom_type
from qom_py.qapi.introspect import schema_info
from qom_py.qmp import QMPError
from qom_py.testing import qmp_client
from tests.daemon import run, running

#: The types under test, as a plugin module's source (the daemon imports the same text).
TYPES = textwrap.dedent(
    """
    from qom_py import Object, TypeInfo, prop, qom_type, type_register

    def _store(name):
        return lambda obj, value: obj.__dict__.__setitem__(name, value)

    def _load(name, default):
        return lambda obj: obj.__dict__.get(name, default)

    def _class_init(klass, data):
        klass.property_add_str("node_name", _load("node_name", ""), _store("node_name"))
        klass.property_add_str("Foo_Bar", _load("Foo_Bar", ""), _store("Foo_Bar"))
        klass.property_add_enum("col", "color", ["red", "green"], _load("col", "red"), _store("col"))
        klass.property_add_enum("tint", "my-color", ["pale", "deep"], _load("tint", "pale"), _store("tint"))
        # QAPI reserves these (has_*, u, q_*, an enum named like a built-in); QOM does not
        klass.property_add_int("has-count", _load("has-count", 0), _store("has-count"))
        klass.property_add_bool("u", _load("u", False), _store("u"))
        klass.property_add_str("q-depth", _load("q-depth", ""), _store("q-depth"))
        klass.property_add_enum("switch", "bool", ["up", "down"], _load("switch", "up"), _store("switch"))

    type_register(TypeInfo("secret_keyring", interfaces=["user-creatable"], class_init=_class_init))

    @qom_type("names_widget", interfaces=["user-creatable"])
    class NamesWidget(Object):
        shade = prop.Enum("my-color", ["dark", "light"])  # the same name, other values, as secret_keyring's
        caps = prop.Str(name="Caps_Name")
        level = prop.Enum("Level", ["low", "high"])  # a valid QAPI name, defined nowhere else

        def complete(self):
            pass
    """
)

#: One value for every property of each type, as JSON carries it.
KEYRING: dict[str, Any] = {
    "node_name": "n0",
    "Foo_Bar": "fb",
    "col": "green",
    "tint": "deep",
    "has-count": 7,
    "u": True,
    "q-depth": "deep",
    "switch": "down",
}
WIDGET: dict[str, Any] = {"shade": "light", "Caps_Name": "C", "level": "high"}
#: The same as keyval text.
KEYRING_KEYVAL = "node_name=n0,Foo_Bar=fb,col=green,tint=deep,has-count=7,u=on,q-depth=deep,switch=down"
WIDGET_KEYVAL = "shade=light,Caps_Name=C,level=high"


@pytest.fixture
def types() -> None:
    """Register the types in this process (`qom_py.testing.reset` forgets them after the test)."""
    exec(compile(TYPES, "<names types>", "exec"), {})  # the test's own source


def values(obj: Object, expected: dict[str, Any]) -> dict[str, Any]:
    return {name: obj.property_get(name) for name in expected}


@pytest.mark.usefixtures("types")
class TestCreation:
    """Every creation path takes the names as given."""

    @pytest.mark.parametrize(
        ("typename", "keyval", "expected"),
        [("secret_keyring", KEYRING_KEYVAL, KEYRING), ("names_widget", WIDGET_KEYVAL, WIDGET)],
    )
    def test_keyval_object(self, typename: str, keyval: str, expected: dict[str, Any]) -> None:
        obj = qom_py.object_option_parse(f"{typename},id=k,{keyval}")
        assert obj is not None and values(obj, expected) == expected

    @pytest.mark.parametrize(("typename", "expected"), [("secret_keyring", KEYRING), ("names_widget", WIDGET)])
    def test_json_object(self, typename: str, expected: dict[str, Any]) -> None:
        obj = qom_py.object_option_parse(json.dumps({"qom-type": typename, "id": "j", **expected}))
        assert obj is not None and values(obj, expected) == expected

    @pytest.mark.parametrize(("typename", "expected"), [("secret_keyring", KEYRING), ("names_widget", WIDGET)])
    def test_object_add(self, typename: str, expected: dict[str, Any]) -> None:
        obj = qom_py.object_add(typename, id="a", props=expected)
        assert values(obj, expected) == expected

    @pytest.mark.parametrize(("typename", "expected"), [("secret_keyring", KEYRING), ("names_widget", WIDGET)])
    def test_qmp_object_add(self, typename: str, expected: dict[str, Any]) -> None:
        qmp = qmp_client()
        assert qmp.execute("object-add", {"qom-type": typename, "id": "q", **expected}) == {}
        got = {name: qmp.execute("qom-get", {"path": "/objects/q", "property": name}) for name in expected}
        assert got == expected

    def test_values_still_checked(self) -> None:
        """The enums check their own values, each under the name it was given."""
        with pytest.raises(QOMError, match="^Parameter 'tint' does not accept value 'light'$"):
            qom_py.object_option_parse("secret_keyring,id=k,tint=light")
        with pytest.raises(QOMError, match="^Parameter 'shade' does not accept value 'deep'$"):
            qom_py.object_add("names_widget", id="w", shade="deep")
        with pytest.raises(QMPError, match="Parameter 'switch' does not accept value 'true'"):
            qmp_client().execute("object-add", {"qom-type": "secret_keyring", "id": "q", "switch": "true"})
        with pytest.raises(QOMError, match="^Parameter 'node-name' is unexpected$"):
            qom_py.object_add("secret_keyring", id="w", node_name="x")  # a keyword means node-name
        assert not list(qom_py.object_get_objects_root().children())


@pytest.mark.usefixtures("types")
class TestShown:
    """What users see shows the names as given."""

    def test_qom_list_properties(self) -> None:
        qmp = qmp_client()
        found: Any = qmp.execute("qom-list-properties", {"typename": "secret_keyring"})
        listed = {p["name"]: p["type"] for p in found}
        assert {name: listed[name] for name in KEYRING} == {
            "node_name": "string",
            "Foo_Bar": "string",
            "col": "color",
            "tint": "my-color",
            "has-count": "int",
            "u": "bool",
            "q-depth": "string",
            "switch": "bool",
        }
        found = qmp.execute("qom-list-properties", {"typename": "names_widget"})
        listed = {p["name"]: p["type"] for p in found}
        assert {name: listed[name] for name in WIDGET} == {"shade": "my-color", "Caps_Name": "string", "level": "Level"}

    def test_help(self) -> None:
        out = io.StringIO()
        assert qom_py.object_option_parse("secret_keyring,help", out=out) is None
        text = out.getvalue()
        for line in ("node_name=<string>", "Foo_Bar=<string>", "col=<color>", "tint=<my-color>", "switch=<bool>"):
            assert f"  {line}" in text, text

    def test_json_schema(self) -> None:
        jsonschema = pytest.importorskip("jsonschema", reason="jsonschema is a test extra")
        schema = qom_py.object_schema().json_schema()
        titles = [branch["title"] for branch in schema["oneOf"]]
        assert titles[-2:] == ["secret_keyring", "names_widget"]
        keyring = schema["oneOf"][-2]["properties"]
        assert keyring["col"] == {"enum": ["red", "green"]}
        assert keyring["tint"] == {"enum": ["pale", "deep"]}
        assert keyring["switch"] == {"enum": ["up", "down"]}
        assert schema["oneOf"][-1]["properties"]["shade"] == {"enum": ["dark", "light"]}
        validator = jsonschema.Draft202012Validator(schema)
        validator.validate({"qom-type": "secret_keyring", "id": "k", **KEYRING})
        validator.validate({"qom-type": "names_widget", "id": "w", **WIDGET})
        assert not validator.is_valid({"qom-type": "names_widget", "id": "w", "shade": "deep"})

    def test_query_qmp_schema(self) -> None:
        """Masked: the branches and members are there, each enum with its own values."""
        infos: Any = qmp_client().execute("query-qmp-schema")
        assert isinstance(infos, list)
        by_name = {info["name"]: info for info in infos}
        add = by_name["object-add"]
        options = by_name[add["arg-type"]]
        cases = {v["case"]: v["type"] for v in options["variants"]}
        members = {m["name"]: m["type"] for m in by_name[cases["secret_keyring"]]["members"]}
        assert set(members) == set(KEYRING)
        assert by_name[members["tint"]]["values"] == ["pale", "deep"]
        assert by_name[members["switch"]]["values"] == ["up", "down"]
        assert by_name[members["u"]]["json-type"] == "boolean"
        members = {m["name"]: m["type"] for m in by_name[cases["names_widget"]]["members"]}
        assert by_name[members["shade"]]["values"] == ["dark", "light"]
        tag = next(m for m in by_name[options["members"][0]["type"]]["values"] if m == "secret_keyring")
        assert tag == "secret_keyring"

    def test_query_qmp_schema_unmasked(self) -> None:
        """Unmasked: the struct and member names as given; an enum under a QAPI name unless its own is one."""
        dispatcher = qom_py.qmp.Dispatcher()
        qom_py.qmp.register_qom_commands(dispatcher)
        infos: dict[str, Any] = {info["name"]: info for info in schema_info(dispatcher.schema(), unmask=True)}
        keyring = {m["name"]: m["type"] for m in infos["SecretKeyringProperties"]["members"]}
        assert keyring["node_name"] == "str" and keyring["Foo_Bar"] == "str" and keyring["u"] == "bool"
        # 'color', 'my-color' and 'bool' are no QAPI type names: mapped, each to its own enum
        mapped = {keyring["col"], keyring["tint"], keyring["switch"]}
        assert len(mapped) == 3 and not mapped & {"color", "my-color", "bool"}
        assert [infos[keyring[name]]["values"] for name in ("col", "tint", "switch")] == [
            ["red", "green"],
            ["pale", "deep"],
            ["up", "down"],
        ]
        widget = {m["name"]: m["type"] for m in infos["NamesWidgetProperties"]["members"]}
        assert widget["level"] == "Level" and infos["Level"]["values"] == ["low", "high"]
        assert widget["shade"] not in mapped and infos[widget["shade"]]["values"] == ["dark", "light"]


class TestRefusedAtDeclaration:
    """What cannot work is refused where it is declared, in one line naming the type and the property."""

    @pytest.mark.parametrize("name", ["a.b", "a,b", "a=b", "9p", "-x", "has space", "x" * 128])
    def test_unaddressable_property_name(self, name: str) -> None:
        with pytest.raises(QOMError) as info:

            @qom_type("names-bad", interfaces=["user-creatable"])
            class Bad(Object):
                value = prop.Str(name=name)

        assert str(info.value) == (
            f"Property {name!r} of type 'names-bad' cannot be set by --object: a property name must start"
            " with a letter and hold only letters, digits, '-' and '_'"
        )
        assert qom_py.object_class_by_name("names-bad") is None

    @pytest.mark.parametrize("name", ["x.y", ""])
    def test_unaddressable_property_in_class_init(self, name: str) -> None:
        """``property_add_*`` in ``class_init`` refuses it: the type is unusable, with that one line."""

        def class_init(klass: Any, data: Any) -> None:
            klass.property_add_str(name, lambda o: "", lambda o, v: None)

        qom_py.type_register(TypeInfo("names-bad-init", interfaces=("user-creatable",), class_init=class_init))
        message = (
            f"Property '{name}' of type 'names-bad-init' cannot be set by --object: a property name must start"
            " with a letter and hold only letters, digits, '-' and '_'"
        )
        with pytest.raises(QOMError) as info:
            qom_py.object_class_by_name("names-bad-init")
        assert str(info.value) == message
        with pytest.raises(QOMError) as info:
            qom_py.object_option_parse("names-bad-init,id=x")
        assert str(info.value) == message

    def test_read_only_property_may_use_any_name(self) -> None:
        """A read-only property is never set by keyval: its name is free."""

        @qom_type("names-read-only", interfaces=["user-creatable"])
        class ReadOnly(Object):
            value = prop.Str(name="odd.name", read_only=True)

        obj = qom_py.object_add("names-read-only", id="r")
        assert obj.property_get("odd.name") == ""

    def test_enum_clashing_with_loaded_definition(self) -> None:
        qom_py.qapi_load("{ 'enum': 'NamesShade', 'data': ['dark', 'light'] }")
        with pytest.raises(QOMError) as info:

            @qom_type("names-clash", interfaces=["user-creatable"])
            class Clash(Object):
                shade = prop.Enum("NamesShade", ["red", "blue"])

        assert str(info.value) == (
            "Enum 'NamesShade' of property 'shade' of type 'names-clash' clashes with the QAPI definition"
            " of enum type 'NamesShade' with values dark, light"
        )

        @qom_type("names-same", interfaces=["user-creatable"])
        class Same(Object):
            shade = prop.Enum("NamesShade", ["dark", "light"])  # the same definition: it is used

        assert qom_py.object_add("names-same", id="s", shade="light").property_get("shade") == "light"
        assert qom_py.object_schema().struct_for("names-same").members[0].type == "NamesShade"

    def test_enum_clashing_with_shipped_struct(self) -> None:
        def class_init(klass: Any, data: Any) -> None:
            klass.property_add_enum("x", "IothreadProperties", ["a"], lambda o: "a", lambda o, v: None)

        qom_py.type_register(TypeInfo("names-clash-init", interfaces=("user-creatable",), class_init=class_init))
        with pytest.raises(QOMError, match="^Enum 'IothreadProperties' of property 'x' of type 'names-clash-init'"):
            qom_py.object_add("names-clash-init", id="c")


@pytest.fixture
def plugin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The types as a plugin module on the daemon's ``PYTHONPATH``."""
    (tmp_path / "names_plugin.py").write_text(TYPES)
    old = os.environ.get("PYTHONPATH", "")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(tmp_path), old])))
    yield "names_plugin"


def test_command_line(plugin: str) -> None:
    """``qom-py --object`` (keyval and JSON) creates them; QMP then reads the values back."""
    argv = [
        "--plugin",
        plugin,
        "--object",
        f"secret_keyring,id=k,{KEYRING_KEYVAL}",
        "--object",
        json.dumps({"qom-type": "names_widget", "id": "w", **WIDGET}),
    ]
    with running(argv) as daemon:
        with daemon.connect() as qmp:
            for path, expected in (("/objects/k", KEYRING), ("/objects/w", WIDGET)):
                got = {name: qmp.command("qom-get", path=path, property=name) for name in expected}
                assert got == expected
        assert daemon.stderr() == ""


def test_print_schema(plugin: str) -> None:
    """``qom-py --print-schema`` exports them."""
    result = run(["--plugin", plugin, "--print-schema"])
    assert result.returncode == 0, result
    branches = {branch["title"]: branch for branch in json.loads(result.stdout)["oneOf"]}
    assert branches["secret_keyring"]["properties"]["tint"] == {"enum": ["pale", "deep"]}
    assert branches["names_widget"]["properties"]["Caps_Name"] == {"type": "string"}
