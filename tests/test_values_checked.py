"""
Values stay checked (issue 17, item 4; issue 21, item 4).

- A structured value handed out as JSON (``property_get``, ``qom-get``) cannot be
  changed behind the checks: only a set changes it.  (The attribute reads typed,
  immutable values built from it: tests/test_typed_properties.py.)
- A user's getter, setter or ``check=`` raising something that is not a `QOMError`
  is one line naming the type, the property and the exception, on the command
  line and over QMP (where it is logged with the command), and nothing changes.
"""

from __future__ import annotations

import copy
import json
import logging
import os
import pickle
import textwrap
from pathlib import Path
from typing import Any

import pytest

import qom_py
from qom_py import Object, ObjectClass, QOMError, TypeInfo, prop, qom_type, type_register
from qom_py.errors import PropertyCallbackError
from qom_py.qapi._frozen import FrozenDict, FrozenList
from qom_py.qmp import QMPError
from qom_py.qmp._protocol import to_json
from qom_py.testing import qmp_client
from tests.daemon import run, running

SCHEMA = """
{ 'enum': 'VcDay', 'data': [ 'mon', 'tue' ] }
{ 'struct': 'VcSlot', 'data': { 'day': 'VcDay', 'hour': 'uint8', '*note': 'str' } }
{ 'struct': 'VcWeek', 'data': { 'slots': ['VcSlot'], 'label': 'str' } }
{ 'struct': 'VcBase', 'data': { 'kind': 'VcDay', 'tags': ['str'] } }
{ 'struct': 'VcMon', 'data': { 'hours': ['uint8'] } }
{ 'struct': 'VcTue', 'data': { 'hour': 'uint8' } }
{ 'union': 'VcDayPlan', 'base': 'VcBase', 'discriminator': 'kind', 'data': { 'mon': 'VcMon', 'tue': 'VcTue' } }
{ 'struct': 'VcTree', 'data': { 'kids': ['VcTree'], '*extra': 'any' } }
{ 'alternate': 'VcHourOrMon', 'data': { 'n': 'int', 'mon': 'VcMon' } }
"""

SCHEDULE = [{"day": "mon", "hour": 9, "note": "standup"}, {"day": "tue", "hour": 14}]


@pytest.fixture(scope="module", autouse=True)
def _definitions() -> None:
    if qom_py.default_registry.qapi_schema.lookup("VcWeek") is None:
        qom_py.qapi_load(SCHEMA)


@pytest.fixture
def planner() -> type[Object]:
    """A declarative type with a list of scalars, a list of structs and a nested struct."""

    @qom_type("vc-planner", interfaces=["user-creatable"])
    class Planner(Object):
        ports = prop.QAPIList("uint16")
        schedule = prop.QAPIList("VcSlot")
        week = prop.QAPIStruct("VcWeek")
        blob = prop.QAPI("any")

    return Planner


# --- structured values are handed out frozen -------------------------------------------------


def test_list_of_scalars_cannot_change_behind_the_checks(planner: type[Object]) -> None:
    """``o.ports.append(99999)`` is refused; the stored value and qom-get are unchanged."""
    obj: Any = qom_py.object_add(planner, id="p0", ports=[22, 80])
    for change in (
        lambda: obj.property_get("ports").append(99999),
        lambda: obj.property_get("ports").extend([1]),
        lambda: obj.property_get("ports").insert(0, 1),
        lambda: obj.property_get("ports").__setitem__(0, 99999),
        lambda: obj.property_get("ports").__delitem__(0),
        lambda: obj.property_get("ports").sort(),
        lambda: obj.property_get("ports").pop(),
        lambda: obj.property_get("ports").clear(),
    ):
        with pytest.raises(TypeError, match="set the property to a new value"):
            change()
    with pytest.raises(TypeError):
        obj.property_get("ports").append(99999)
    assert obj.property_get("ports") == [22, 80]
    assert qmp_client().execute("qom-get", {"path": "/objects/p0", "property": "ports"}) == [22, 80]


def test_struct_members_cannot_change_behind_the_checks(planner: type[Object]) -> None:
    """``o.schedule[0]["bogus"] = "x"`` is refused, at any depth."""
    obj: Any = qom_py.object_add(planner, id="p0", schedule=SCHEDULE)
    week = {"slots": SCHEDULE, "label": "w1"}
    obj.week = week
    for change in (
        lambda: obj.property_get("schedule")[0].__setitem__("bogus", "x"),
        lambda: obj.property_get("schedule")[0].update(hour=99),
        lambda: obj.property_get("schedule")[0].pop("day"),
        lambda: obj.property_get("schedule")[1].setdefault("note", "x"),
        lambda: obj.property_get("week").__setitem__("label", 1),
        lambda: obj.property_get("week")["slots"].append({}),
        lambda: obj.property_get("week")["slots"][0].__delitem__("day"),
    ):
        with pytest.raises(TypeError):
            change()
    assert obj.property_get("schedule") == SCHEDULE
    assert obj.property_get("week") == week
    qmp = qmp_client()
    assert qmp.execute("qom-get", {"path": "/objects/p0", "property": "schedule"}) == SCHEDULE
    assert qmp.execute("qom-get", {"path": "/objects/p0", "property": "week"}) == week


def test_the_setters_input_is_not_shared(planner: type[Object]) -> None:
    """Changing the list given to a set later changes nothing stored (nor does an ``any`` value)."""
    obj: Any = qom_py.object_add(planner, id="p0")
    ports, rules, blob = [1, 2], [dict(SCHEDULE[0])], {"a": [1, {"b": 2}]}
    obj.ports, obj.schedule, obj.blob = ports, rules, blob  # JSON in; read back as JSON below
    ports.append(3)
    rules[0]["hour"] = 99
    blob["a"][1]["b"] = 3  # type: ignore[index]
    assert (obj.property_get("ports"), obj.property_get("schedule"), obj.property_get("blob")) == (
        [1, 2],
        SCHEDULE[:1],
        {"a": [1, {"b": 2}]},
    )
    with pytest.raises(TypeError):
        obj.property_get("blob")["a"][1]["c"] = 1


def test_unset_list_is_frozen_too(planner: type[Object]) -> None:
    """A list property never set reads as an empty list that refuses changes."""
    obj: Any = qom_py.object_add(planner, id="p0")
    assert obj.property_get("ports") == []
    with pytest.raises(TypeError):
        obj.property_get("ports").append(1)
    assert obj.property_get("ports") == []


def test_frozen_values_set_again(planner: type[Object]) -> None:
    """Values read back are accepted as input (the same checks), and plain copies are mutable."""
    first: Any = qom_py.object_add(planner, id="p0", ports=[1], schedule=SCHEDULE)
    second: Any = qom_py.object_add(
        planner, id="p1", ports=first.property_get("ports"), schedule=first.property_get("schedule")
    )
    second.week = {"slots": first.property_get("schedule"), "label": "copy"}
    second.ports = first.property_get("ports") + [2]
    assert (second.property_get("ports"), second.property_get("schedule"), second.property_get("week")["slots"]) == (
        [1, 2],
        SCHEDULE,
        SCHEDULE,
    )
    with pytest.raises(QOMError, match="Parameter 'null' expects uint16_t"):
        second.ports = [*first.property_get("ports"), 70000]
    mutable = first.property_get("ports").copy()
    mutable.append(5)
    assert first.property_get("ports") == [1]


def test_frozen_values_are_plain_json_for_every_output(planner: type[Object]) -> None:
    """Equality, isinstance, JSON (QEMU's writer and the stdlib's), pickling and copies all see a list/dict."""
    obj: Any = qom_py.object_add(planner, id="p0", schedule=SCHEDULE)
    value = obj.property_get("schedule")
    assert isinstance(value, list) and isinstance(value[0], dict)
    assert to_json(value) == to_json(SCHEDULE)
    assert json.dumps(value) == json.dumps(SCHEDULE)
    assert repr(value) == repr(SCHEDULE)
    for again in (pickle.loads(pickle.dumps(value)), copy.copy(value), copy.deepcopy(value)):
        assert again == SCHEDULE
        with pytest.raises(TypeError):
            again[0]["x"] = 1
    text = obj.property_print("schedule")
    assert json.loads(text) == SCHEDULE


def test_property_add_qapi_class_and_instance() -> None:
    """``property_add_qapi`` (class and instance): the setter receives a frozen value, the getter hands one out."""
    received: list[Any] = []

    def store(obj: Any, value: Any) -> None:
        received.append(value)
        obj.slots = value

    def class_init(klass: ObjectClass, data: Any) -> None:
        klass.property_add_qapi("slots", ["VcSlot"], lambda obj: obj.slots, store)

    def instance_init(obj: Any) -> None:
        obj.slots = []  # the type's own mutable list: the getter still hands out a frozen copy
        obj.hours = [8]
        obj.property_add_qapi("hours", ["uint8"], lambda o: o.hours, lambda o, v: setattr(o, "hours", v))

    type_register(
        TypeInfo("vc-typed", interfaces=["user-creatable"], class_init=class_init, instance_init=instance_init)
    )
    obj: Any = qom_py.object_add("vc-typed", id="t0")
    got = obj.property_get("slots")
    with pytest.raises(TypeError):
        got.append({})
    assert obj.slots == []
    with pytest.raises(TypeError):
        obj.property_get("hours").append(9)
    obj.property_set("slots", SCHEDULE)
    with pytest.raises(TypeError):
        received[-1][0]["hour"] = 1
    obj.property_set("hours", [1, 2])
    with pytest.raises(TypeError):
        obj.hours.append(3)
    qmp = qmp_client()
    assert qmp.execute("qom-get", {"path": "/objects/t0", "property": "slots"}) == SCHEDULE
    assert qmp.execute("qom-get", {"path": "/objects/t0", "property": "hours"}) == [1, 2]


def _assert_frozen(value: Any) -> None:
    if isinstance(value, list):
        assert type(value) is FrozenList, value
        for item in value:
            _assert_frozen(item)
    elif isinstance(value, dict):
        assert type(value) is FrozenDict, value
        for item in value.values():
            _assert_frozen(item)


def test_every_kind_of_type_is_frozen_deeply() -> None:
    """Unions (each branch), recursive structs, alternates and ``any``: every list and dict inside is frozen."""

    @qom_type("vc-shapes")
    class Shapes(Object):
        plan = prop.QAPIStruct("VcDayPlan")
        tree = prop.QAPIStruct("VcTree")
        either = prop.QAPI("VcHourOrMon")
        plans = prop.QAPIList("VcDayPlan")

    obj: Any = qom_py.object_new("vc-shapes")
    values = {
        "plan": {"kind": "mon", "tags": ["a"], "hours": [1, 2]},
        "tree": {"kids": [{"kids": [{"kids": []}], "extra": {"x": [1, {"y": []}]}}]},
        "either": {"hours": [3]},
        "plans": [{"kind": "tue", "tags": [], "hour": 4}, {"kind": "mon", "tags": ["b"], "hours": []}],
    }
    for name, value in values.items():
        obj.property_set(name, value)
        assert obj.property_get(name) == value
        _assert_frozen(obj.property_get(name))
    obj.either = 7
    assert obj.property_get("either") == 7
    # An 'any' inside is the caller's object as the checker passes it on: frozen (copied) at the set.
    extra: dict[str, Any] = {"x": [1]}
    obj.tree = {"kids": [], "extra": extra}
    extra["x"].append(2)
    assert obj.property_get("tree") == {"kids": [], "extra": {"x": [1]}}


# --- a user's exception is one line naming the property ---------------------------------------


def _too_bright(obj: Any, value: int) -> None:
    if value > 100:
        raise ValueError("too bright")


@pytest.fixture
def lamp() -> type[Object]:
    """``lamp``: ``watts`` refuses > 100 with a ValueError; ``colour``'s getter fails when it is "bad"."""

    def colour(obj: Any) -> str:
        if obj.hue == "bad":
            raise KeyError("no such colour")
        return str(obj.hue)

    def set_volts(obj: Any, v: int) -> None:
        if v == 0:
            raise ZeroDivisionError("division by zero\nsecond line")
        obj.volts = v

    @qom_type("lamp", interfaces=["user-creatable"])
    class Lamp(Object):
        watts = prop.Int(check=_too_bright)

        @staticmethod
        def class_init(klass: ObjectClass, data: Any) -> None:
            klass.property_add_str("colour", colour, lambda obj, v: setattr(obj, "hue", v))
            klass.property_add_int("volts", lambda obj: obj.volts, set_volts)

        def instance_init(self) -> None:
            self.hue = "white"
            self.volts = 1

    return Lamp


def test_check_raising_is_one_error_naming_the_property(lamp: type[Object]) -> None:
    """A ``check=`` raising ValueError: `PropertyCallbackError` with the type, property and exception; nothing set."""
    obj: Any = qom_py.object_add(lamp, id="l0", watts=5)
    with pytest.raises(PropertyCallbackError) as caught:
        obj.watts = 500
    assert str(caught.value) == "Property 'lamp.watts' raised ValueError: too bright"
    assert isinstance(caught.value.__cause__, ValueError)
    assert (caught.value.typename, caught.value.name) == ("lamp", "watts")
    assert obj.watts == 5
    with pytest.raises(
        PropertyCallbackError, match="^Property 'lamp.volts' raised ZeroDivisionError: division by zero$"
    ):
        obj.set_props({"watts": 6, "volts": 0})
    assert obj.volts == 1


def test_failed_creation_leaves_nothing(lamp: type[Object]) -> None:
    """object_add (schema fast path), object_new_with_props and --object-style keyval: error, no object."""
    attempts = [
        lambda: qom_py.object_add("lamp", id="l1", watts=500),
        lambda: qom_py.object_add("lamp", id="l1", volts=0),
        lambda: qom_py.object_new_with_props("lamp", {"watts": 500}),
        lambda: qom_py.object_option_parse("lamp,id=l1,watts=500"),
        lambda: qom_py.object_option_parse('{"qom-type": "lamp", "id": "l1", "volts": 0}'),
    ]
    for attempt in attempts:
        with pytest.raises(PropertyCallbackError, match=r"^Property 'lamp\.(watts|volts)' raised "):
            attempt()
        assert list(qom_py.default_registry.objects_root.children()) == []


def test_getter_raising(lamp: type[Object]) -> None:
    """A getter raising KeyError: property_get and qom-get say so in one line."""
    obj: Any = qom_py.object_add(lamp, id="l0")
    obj.property_set("colour", "bad")
    with pytest.raises(PropertyCallbackError, match=r"^Property 'lamp.colour' raised KeyError: 'no such colour'$"):
        obj.property_get("colour")


def test_qmp_generic_error_and_log(lamp: type[Object], caplog: pytest.LogCaptureFixture) -> None:
    """Over QMP: GenericError with the text, a log record naming the command (and the traceback), value unchanged."""
    qmp = qmp_client()
    qmp.execute("object-add", {"qom-type": "lamp", "id": "l0", "watts": 5})
    cases = [
        ("qom-set", {"path": "/objects/l0", "property": "watts", "value": 500}, "Property 'lamp.watts' raised ValueError: too bright"),
        ("object-add", {"qom-type": "lamp", "id": "l1", "watts": 101}, "Property 'lamp.watts' raised ValueError: too bright"),
        ("qom-set", {"path": "/objects/l0", "property": "colour", "value": "bad"}, None),
        ("qom-get", {"path": "/objects/l0", "property": "colour"}, "Property 'lamp.colour' raised KeyError: 'no such colour'"),
    ]  # fmt: skip
    for command, args, desc in cases:
        caplog.clear()
        with caplog.at_level(logging.ERROR, logger="qom_py"):
            if desc is None:
                qmp.execute(command, args)
                continue
            with pytest.raises(QMPError) as caught:
                qmp.execute(command, args)
        assert (caught.value.error_class, caught.value.desc) == ("GenericError", desc)
        (record,) = [r for r in caplog.records if r.name.startswith("qom_py")]
        assert record.getMessage() == f"{command}: {desc}"
        assert record.exc_info is not None and record.exc_info[0] in (ValueError, KeyError)
        assert "a bug" not in caplog.text
    assert qmp.execute("qom-get", {"path": "/objects/l0", "property": "watts"}) == 5
    assert [name for name, _ in qom_py.default_registry.objects_root.children()] == ["l0"]


def test_qom_list_get_leaves_out_a_failing_getter(lamp: type[Object]) -> None:
    """qom-list-get leaves "value" out of a property whose getter raises, as QEMU does for a failing getter."""
    qmp = qmp_client()
    qmp.execute("object-add", {"qom-type": "lamp", "id": "l0", "watts": 5})
    qmp.execute("qom-set", {"path": "/objects/l0", "property": "colour", "value": "bad"})
    (listing,) = qmp.execute("qom-list-get", {"paths": ["/objects/l0"]})
    entries = {e["name"]: e for e in listing["properties"]}
    assert "value" not in entries["colour"]
    assert entries["watts"]["value"] == 5


def test_default_whose_setter_raises() -> None:
    """A class default refused by the property's own code: creation fails naming it, nothing is left."""

    @qom_type("vc-bad-default")
    class BadDefault(Object):
        watts = prop.Int(default=500, check=_too_bright)

    with pytest.raises(PropertyCallbackError, match="^Property 'vc-bad-default.watts' raised ValueError: too bright$"):
        qom_py.object_new("vc-bad-default")


LAMP_PLUGIN = textwrap.dedent(
    """
    from qom_py import Object, prop, qom_type

    def too_bright(obj, value):
        if value > 100:
            raise ValueError("too bright")

    @qom_type("lamp", interfaces=["user-creatable"])
    class Lamp(Object):
        watts = prop.Int(check=too_bright)

    @qom_type("vc-broken-init", interfaces=["user-creatable"])
    class Broken(Object):
        def instance_init(self):
            raise RuntimeError("no bulb")
    """
)


@pytest.fixture
def lamp_plugin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """``lamp_plugin`` on the daemon's ``PYTHONPATH``."""
    (tmp_path / "lamp_plugin.py").write_text(LAMP_PLUGIN)
    old = os.environ.get("PYTHONPATH", "")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(tmp_path), old])))
    return tmp_path


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("lamp,id=l0,watts=500", "Property 'lamp.watts' raised ValueError: too bright"),
        ('{"qom-type": "lamp", "id": "l0", "watts": 500}', "Property 'lamp.watts' raised ValueError: too bright"),
        ("vc-broken-init,id=b0", "instance_init() of type 'vc-broken-init' raised RuntimeError: no bulb"),
    ],
)
def test_command_line_one_line(lamp_plugin: Path, spec: str, message: str) -> None:
    """``qom-py --object`` with a user's exception: one line, exit 1, nothing left behind."""
    result = run(["--plugin", "lamp_plugin", "--pidfile", "{tmp}/pid", "--object", spec], monitor=True)
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr == f"qom-py: --object {spec}: {message}\n"
    assert result.leftovers == []


def test_command_line_verbose_traceback(lamp_plugin: Path) -> None:
    """With ``-v`` the user's traceback is logged before the one-line error."""
    result = run(["-v", "--plugin", "lamp_plugin", "--object", "lamp,id=l0,watts=500"])
    assert result.returncode == 1
    lines = result.stderr.splitlines()
    assert "Traceback (most recent call last):" in lines
    assert "ValueError: too bright" in lines
    assert lines[-1] == "qom-py: --object lamp,id=l0,watts=500: Property 'lamp.watts' raised ValueError: too bright"


# --- calling a declarative class ---------------------------------------------------------------


def test_calling_a_declarative_class_creates_a_checked_object() -> None:
    """``Lamp(watts=5)`` is object_new_with_props: checked, in order, completed, owned by the caller."""
    completed: list[int] = []

    @qom_type("vc-bulb", interfaces=["user-creatable"])
    class Bulb(Object):
        watts = prop.Int(default=3, check=_too_bright)
        max_watts = prop.UInt(16)

        def complete(self) -> None:
            completed.append(self.watts)

    bulb = Bulb(watts=5, max_watts=60)
    assert type(bulb) is Bulb and (bulb.watts, bulb.max_watts) == (5, 60)
    assert bulb.refcount == 1 and bulb.parent is None and completed == [5]
    assert Bulb().watts == 3
    bulb.unref()
    assert bulb.is_finalized


def test_calling_a_declarative_class_is_all_or_nothing() -> None:
    """A refused value: QEMU's message (or the one-line callback error), no object, complete never runs."""
    made: list[Object] = []

    @qom_type("vc-bulb", interfaces=["user-creatable"])
    class Bulb(Object):
        watts = prop.Int(check=_too_bright)
        max_watts = prop.UInt(16)

        def instance_finalize(self) -> None:
            made.append(self)

        def complete(self) -> None:
            raise AssertionError("not reached")

    with pytest.raises(QOMError, match="^Parameter 'max-watts' expects uint16_t$"):
        Bulb(max_watts=70000)
    with pytest.raises(PropertyCallbackError, match="^Property 'vc-bulb.watts' raised ValueError: too bright$"):
        Bulb(max_watts=1, watts=500)
    with pytest.raises(QOMError, match="^Property 'vc-bulb.nope' not found$"):
        Bulb(nope=1)
    assert len(made) == 3 and all(obj.is_finalized for obj in made)


def test_calling_a_class_that_cannot_be_called() -> None:
    """Positional values, a plain Object, an unregistered declaration, an abstract type: a message saying what to do."""

    @qom_type("vc-abstract", abstract=True)
    class Abstract(Object):
        pass

    @qom_type("vc-concrete", parent="vc-abstract")
    class Concrete(Abstract):
        n = prop.Int()

    class Unregistered(Object):
        pass

    qom_py.declare_type(Unregistered, "vc-unregistered", registry=None)
    with pytest.raises(TypeError, match=r"^Concrete\(\) takes property values as keyword arguments only$"):
        Concrete(5)  # type: ignore[call-arg]
    with pytest.raises(TypeError, match=r"^Object\(\) cannot be called: .* create its objects with object_new"):
        Object()
    with pytest.raises(TypeError, match="declared without a registry"):
        Unregistered()
    with pytest.raises(QOMError, match="^object type 'vc-abstract' is abstract$"):
        Abstract()
    assert Concrete(n=1).n == 1


def test_calling_a_class_of_another_registry() -> None:
    """A class declared in its own registry creates its objects there."""
    registry = qom_py.TypeRegistry()

    @qom_type("vc-own", registry=registry)
    class Own(Object):
        n = prop.Int()

    obj = Own(n=4)
    assert obj.registry is registry and obj.n == 4
    assert qom_py.object_class_by_name("vc-own") is None


# --- declared integer ranges -------------------------------------------------------------------


@pytest.fixture
def dimmer() -> type[Object]:
    """Declared ranges: declarative (both bounds, one bound) and ``property_add_uint`` in ``class_init``."""

    @qom_type("vc-dimmer", interfaces=["user-creatable"])
    class Dimmer(Object):
        watts = prop.UInt(16, minimum=1, maximum=100, default=60, description="brightness")
        offset = prop.Int(minimum=-5)
        below = prop.Int(8, maximum=-1)

        @staticmethod
        def class_init(klass: ObjectClass, data: Any) -> None:
            klass.property_add_uint(
                "steps", lambda obj: obj.steps, lambda obj, v: setattr(obj, "steps", v), 32, minimum=2, maximum=10
            )

        def instance_init(self) -> None:
            self.steps = 2

    return Dimmer


RANGE_ERRORS = [
    ("watts", 0, "Property vc-dimmer.watts doesn't take value 0 (minimum: 1, maximum: 100)"),
    ("watts", 101, "Property vc-dimmer.watts doesn't take value 101 (minimum: 1, maximum: 100)"),
    ("watts", 70000, "Parameter 'watts' expects uint16_t"),  # the width is checked first, as QEMU's visitor does
    ("offset", -6, "Property vc-dimmer.offset doesn't take value -6 (minimum: -5, maximum: 9223372036854775807)"),
    ("below", 0, "Property vc-dimmer.below doesn't take value 0 (minimum: -128, maximum: -1)"),
    ("steps", 11, "Property vc-dimmer.steps doesn't take value 11 (minimum: 2, maximum: 10)"),
]


@pytest.mark.parametrize(("name", "value", "message"), RANGE_ERRORS)
def test_range_refused_on_every_path(dimmer: type[Object], name: str, value: int, message: str) -> None:
    """qom-set, set_props, object_add (schema fast path), keyval and JSON --object: QEMU's qdev message, nothing changed."""
    obj: Any = qom_py.object_add(dimmer, id="d0")
    before = obj.property_get(name)
    for attempt in (
        lambda: obj.property_set(name, value),
        lambda: obj.property_parse(name, str(value)),
        lambda: obj.set_props({name: value}),
        lambda: qom_py.object_add(dimmer, id="d1", props={name: value}),
        lambda: qom_py.object_option_parse(f"vc-dimmer,id=d1,{name}={value}"),
        lambda: qom_py.object_option_parse(json.dumps({"qom-type": "vc-dimmer", "id": "d1", name: value})),
        lambda: dimmer(**{name: value}),
    ):
        with pytest.raises(QOMError) as caught:
            attempt()
        assert str(caught.value) == message
        assert obj.property_get(name) == before
    assert [n for n, _ in qom_py.default_registry.objects_root.children()] == ["d0"]
    with pytest.raises(QMPError) as over_qmp:
        qmp_client().execute("qom-set", {"path": "/objects/d0", "property": name, "value": value})
    assert (over_qmp.value.error_class, over_qmp.value.desc) == ("GenericError", message)


def test_range_bounds_are_accepted(dimmer: type[Object]) -> None:
    """The bounds themselves are in range; the value read before any set is in range too."""
    obj: Any = qom_py.object_add(dimmer, id="d0", watts=1, offset=-5, below=-128, steps=10)
    assert (obj.watts, obj.offset, obj.below, obj.steps) == (1, -5, -128, 10)
    obj.watts = 100
    assert obj.watts == 100
    fresh: Any = dimmer()
    assert (fresh.watts, fresh.offset, fresh.below) == (60, 0, -1)
    assert repr(dimmer.watts) == (  # type: ignore[attr-defined]
        "Property(name='watts', type='uint16', minimum=1, maximum=100, default=60, description='brightness')"
    )


def test_range_shown_in_help_and_descriptions(dimmer: type[Object], capsys: pytest.CaptureFixture[str]) -> None:
    """``,help`` and ``qom-list-properties`` show the declared range after the description."""
    qom_py.object_option_parse("vc-dimmer,help")
    assert capsys.readouterr().out.splitlines() == [
        "vc-dimmer options:",
        "  below=<int8>           - maximum: -1",
        "  offset=<int>           - minimum: -5",
        "  steps=<uint32>         - minimum: 2, maximum: 10",
        "  watts=<uint16>         - brightness (minimum: 1, maximum: 100) (default: 60)",
    ]
    listed = qmp_client().execute("qom-list-properties", {"typename": "vc-dimmer"})
    assert {p["name"]: p.get("description") for p in listed} == {
        "type": None,
        "watts": "brightness (minimum: 1, maximum: 100)",
        "offset": "minimum: -5",
        "below": "maximum: -1",
        "steps": "minimum: 2, maximum: 10",
    }


def test_range_in_json_schema(dimmer: type[Object]) -> None:
    """The JSON Schema has the declared ranges (the width's bound where only one is declared: none is probed)."""
    props = qom_py.object_schema().json_schema("vc-dimmer")["properties"]
    assert props["watts"] == {"type": "integer", "minimum": 1, "maximum": 100}
    assert props["offset"] == {"type": "integer", "minimum": -5, "maximum": 2**63 - 1}
    assert props["below"] == {"type": "integer", "minimum": -128, "maximum": -1}
    assert props["steps"] == {"type": "integer", "minimum": 2, "maximum": 10}


def test_event_loop_ranges_keep_qemus_words() -> None:
    """The event loops' properties declare [0, INT64_MAX] in QEMU's own message, without a description."""
    with pytest.raises(QOMError, match=r"^poll-max-ns value must be in range \[0, 9223372036854775807\]$"):
        qom_py.object_option_parse("iothread,id=io0,poll-max-ns=-1")
    with pytest.raises(QOMError, match=r"^thread-pool-min value must be in range \[0, 9223372036854775807\]$"):
        qom_py.object_add("main-loop", id="ml", thread_pool_min=-1)
    props = qom_py.object_schema().json_schema("iothread")["properties"]
    assert props["poll-grow"] == {"type": "integer", "minimum": 0, "maximum": 2**63 - 1}
    listed = qmp_client().execute("qom-list-properties", {"typename": "iothread"})
    assert all("description" not in p for p in listed)


@pytest.mark.parametrize(
    ("declare", "message"),
    [
        (lambda: prop.Int(minimum=5, maximum=1), "the range of an integer property is empty: minimum 5 > maximum 1"),
        (lambda: prop.Int(8, maximum=300), r"the range bounds of int8 properties are integers in \[-128, 127\], not 300"),
        (lambda: prop.UInt(minimum=-1), r"the range bounds of uint properties are integers in \[0, 18446744073709551615\], not -1"),
        (lambda: prop.Int(minimum=0, maximum=10, default=11), r"the default 11 is outside the property's range \(minimum: 0, maximum: 10\)"),
        (lambda: prop.Int(minimum=1.5), r"not 1.5"),
    ],
)  # fmt: skip
def test_bad_ranges_are_refused_at_declaration(declare: Any, message: str) -> None:
    """A range that cannot hold is a ValueError where it is declared, not at each creation."""
    with pytest.raises(ValueError, match=message):
        declare()


def test_property_add_int_default_outside_range() -> None:
    """``property_add_int(..., default=)`` outside the declared range: refused when the class is made."""

    def class_init(klass: ObjectClass, data: Any) -> None:
        klass.property_add_int("n", lambda obj: 0, lambda obj, v: None, minimum=0, maximum=3, default=4)

    type_register(TypeInfo("vc-bad-range-default", class_init=class_init))
    with pytest.raises(
        QOMError, match=r"ValueError: the default 4 is outside the property's range \(minimum: 0, maximum: 3\)$"
    ):
        qom_py.object_class_by_name("vc-bad-range-default")


def test_daemon_logs_one_line(lamp_plugin: Path) -> None:
    """The daemon answers GenericError and logs one line naming the command, type and property (quiet otherwise)."""
    with running(["--plugin", "lamp_plugin"]) as daemon:
        with daemon.connect() as qmp:
            qmp.command("object-add", **{"qom-type": "lamp", "id": "l0", "watts": 5})
            reply = qmp.request("qom-set", {"path": "/objects/l0", "property": "watts", "value": 500})
            assert reply["error"] == {
                "class": "GenericError",
                "desc": "Property 'lamp.watts' raised ValueError: too bright",
            }
            assert qmp.command("qom-get", path="/objects/l0", property="watts") == 5
        assert daemon.stderr() == "qom-py: qom-set: Property 'lamp.watts' raised ValueError: too bright\n"
