"""
Benchmark: validated properties in qom_py against traitlets, attrs, pydantic and cattrs.

Two measurements, each reported as the median over rounds in nanoseconds per
operation, with the ratio qom_py / peer (above 1 means qom_py
is slower):

Contenders are timed in interleaved rounds (``bench/_timing.py``), so a slow
stretch of a shared machine hits all of them alike.

1. **int64 set + get** -- one validated assignment of an int64 and one read:
   qom_py through ``property_set``/``property_get`` and through attribute access
   on a declarative type (``prop.Int()``); traitlets ``Int``; attrs with
   ``on_setattr=attrs.setters.validate`` and an int64 validator; pydantic with
   ``validate_assignment=True``.
2. **construction from a dict** of four values (bool, str, int, enum): qom_py
   ``object_new_with_props(typename, dict)``, and ``object_new`` + ``property_set``
   per key, each on a ``TypeInfo``/``class_init`` type and on the equivalent
   declarative type (the object is released again, so each operation is a full
   create/set/destroy cycle); pydantic ``model_validate``; cattrs ``structure``.

3. **structured property set**: a 10-element list of 3-member structs
   (``{"match": str, "policy": enum, "port": uint16}``) set on a
   ``prop.QAPIList`` property from JSON (``property_set``) and from keyval
   strings (``property_set_keyval``, as ``--object`` delivers them); pydantic
   ``TypeAdapter(list[Rule]).validate_python`` on the same shape (strict for
   JSON, lax for the strings).

Before timing, every contender is checked to accept the benchmark values and
(where it validates) to refuse a string where an int is expected.

Run: ``python bench/properties.py`` (takes well under a minute).
"""

from __future__ import annotations

import enum
import platform
import sys
from collections.abc import Callable
from importlib.metadata import version
from pathlib import Path
from typing import Annotated, Any, Literal

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import attrs  # noqa: E402 - after the path tweak
import cattrs  # noqa: E402
import pydantic  # noqa: E402
import traitlets  # noqa: E402
from _timing import interleaved, per_call, refuses  # noqa: E402

import qom_py  # noqa: E402
from qom_py import Object, ObjectClass, TypeInfo, prop, qom_type  # noqa: E402

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1
ANIMALS = ("frog", "alligator", "platypus")
RECORD: dict[str, Any] = {"flag": True, "name": "Hiss hiss hiss", "count": 42, "animal": "platypus"}

#: Operations per round, rounds.  Arbitrary; sized to finish well under a minute.
SET_GET_LOOPS, SET_GET_RUNS = 50_000, 9
BUILD_LOOPS, BUILD_RUNS = 10_000, 9
RULES_LOOPS, RULES_RUNS = 5_000, 9

qom_py.qapi_load("""
{ 'enum': 'BenchPolicy', 'data': [ 'deny', 'allow' ] }
{ 'struct': 'BenchRule', 'data': { 'match': 'str', 'policy': 'BenchPolicy', 'port': 'uint16' } }
""")
RULES: list[dict[str, Any]] = [
    {"match": f"host{i}", "policy": "allow" if i % 2 else "deny", "port": 1000 + i} for i in range(10)
]
RULES_KEYVAL: list[dict[str, Any]] = [{k: str(v) for k, v in rule.items()} for rule in RULES]


@qom_type("bench-rules")
class RulesObject(Object):
    rules = prop.QAPIList("BenchRule")


class PydanticRule(pydantic.BaseModel):
    match: str
    policy: Literal["deny", "allow"]
    port: Annotated[int, pydantic.Field(ge=0, le=65535)]


RULES_ADAPTER: pydantic.TypeAdapter[list[PydanticRule]] = pydantic.TypeAdapter(list[PydanticRule])


# --- contenders: int64 set + get ---------------------------------------------------------


@qom_type("bench-int")
class QomInt(Object):
    value = prop.Int()


class TraitletsInt(traitlets.HasTraits):
    value = traitlets.Int(0, min=INT64_MIN, max=INT64_MAX)


def _int64(instance: object, attribute: attrs.Attribute[int], value: object) -> None:
    if type(value) is not int or not INT64_MIN <= value <= INT64_MAX:
        msg = f"{attribute.name} must be an int64"
        raise TypeError(msg)


@attrs.define(on_setattr=attrs.setters.validate)
class AttrsInt:
    value: int = attrs.field(default=0, validator=_int64)


class PydanticInt(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(validate_assignment=True, strict=True)
    value: Annotated[int, pydantic.Field(ge=INT64_MIN, le=INT64_MAX)] = 0


# --- contenders: construction from a dict ---------------------------------------------------


def _plain_class_init(klass: ObjectClass, data: Any) -> None:
    def getter(name: str) -> Callable[[Object], Any]:
        return lambda obj: obj.__dict__[name]

    def setter(name: str) -> Callable[[Object, Any], None]:
        def set_(obj: Object, value: Any) -> None:
            obj.__dict__[name] = value

        return set_

    klass.property_add_bool("flag", getter("flag"), setter("flag"))
    klass.property_add_str("name", getter("name"), setter("name"))
    klass.property_add_int("count", getter("count"), setter("count"))
    klass.property_add_enum("animal", "Animal", ANIMALS, getter("animal"), setter("animal"))


qom_py.type_register(TypeInfo("bench-plain", class_init=_plain_class_init))


@qom_type("bench-record")
class QomRecord(Object):
    flag = prop.Bool()
    name = prop.Str()
    count = prop.Int()
    animal = prop.Enum("Animal", ANIMALS)


class Animal(enum.Enum):
    FROG = "frog"
    ALLIGATOR = "alligator"
    PLATYPUS = "platypus"


class PydanticRecord(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(strict=True)
    flag: bool
    name: str
    count: Annotated[int, pydantic.Field(ge=INT64_MIN, le=INT64_MAX)]
    animal: Literal["frog", "alligator", "platypus"]


@attrs.define
class CattrsRecord:
    flag: bool
    name: str
    count: int
    animal: Animal


CONVERTER = cattrs.Converter()


def qom_build(typename: str) -> None:
    obj = qom_py.object_new(typename)
    for key, value in RECORD.items():
        obj.property_set(key, value)
    obj.unref()


# --- checks -----------------------------------------------------------------------------------


def sanity_checks() -> None:
    """Fail loudly if a contender does not do the work it is timed for."""
    r = qom_py.object_new("bench-rules")
    r.property_set("rules", RULES)
    assert r.property_get("rules") == RULES
    r.property_set_keyval("rules", RULES_KEYVAL)
    assert r.property_get("rules") == RULES
    assert refuses(lambda: r.property_set("rules", [*RULES[:9], {**RULES[9], "port": "1"}]))
    assert refuses(lambda: r.property_set_keyval("rules", [*RULES_KEYVAL[:9], {**RULES_KEYVAL[9], "port": "65536"}]))
    assert [x.model_dump() for x in RULES_ADAPTER.validate_python(RULES, strict=True)] == RULES
    assert [x.model_dump() for x in RULES_ADAPTER.validate_python(RULES_KEYVAL)] == RULES
    assert refuses(lambda: RULES_ADAPTER.validate_python([*RULES[:9], {**RULES[9], "port": "1"}], strict=True))
    r.unref()
    q = qom_py.object_new("bench-int")
    q.property_set("value", INT64_MAX)
    assert q.property_get("value") == INT64_MAX
    setattr(q, "value", 7)  # noqa: B010 - declared by prop.Int
    assert getattr(q, "value") == 7  # noqa: B009
    assert refuses(lambda: q.property_set("value", "5"))
    assert refuses(lambda: q.property_set("value", INT64_MAX + 1))
    q.unref()
    t = TraitletsInt()
    t.value = 7
    assert t.value == 7
    assert refuses(lambda: setattr(t, "value", "5"))
    assert refuses(lambda: setattr(t, "value", INT64_MAX + 1))
    a = AttrsInt()
    a.value = 7
    assert a.value == 7
    assert refuses(lambda: setattr(a, "value", "5"))
    p = PydanticInt()
    p.value = 7
    assert p.value == 7
    assert refuses(lambda: setattr(p, "value", "5"))
    assert refuses(lambda: setattr(p, "value", INT64_MAX + 1))
    for typename in ("bench-plain", "bench-record"):
        obj = qom_py.object_new(typename)
        for key, value in RECORD.items():
            obj.property_set(key, value)
        assert {key: obj.property_get(key) for key in RECORD} == RECORD
        assert refuses(lambda: obj.property_set("count", "5"))  # noqa: B023 - used at once
        obj.unref()
        obj = qom_py.object_new_with_props(typename, RECORD)
        assert {key: obj.property_get(key) for key in RECORD} == RECORD
        obj.unref()
        assert refuses(lambda: qom_py.object_new_with_props(typename, {**RECORD, "count": "5"}))  # noqa: B023
    assert PydanticRecord.model_validate(RECORD).model_dump() == RECORD
    assert refuses(lambda: PydanticRecord.model_validate({**RECORD, "count": "5"}))
    assert CONVERTER.structure(RECORD, CattrsRecord) == CattrsRecord(True, "Hiss hiss hiss", 42, Animal.PLATYPUS)


# --- timing -----------------------------------------------------------------------------------


def set_get_contenders() -> list[tuple[str, Callable[[], object]]]:
    q_prop = qom_py.object_new("bench-int")
    q_attr = qom_py.object_new("bench-int")
    t, a, p = TraitletsInt(), AttrsInt(), PydanticInt()
    q_set, q_get = q_prop.property_set, q_prop.property_get

    def qom_property() -> object:
        q_set("value", 12345)
        return q_get("value")

    def qom_attribute() -> object:
        q_attr.value = 12345  # type: ignore[attr-defined]  # declared by prop.Int
        return q_attr.value  # type: ignore[attr-defined]

    def traitlets_int() -> object:
        t.value = 12345
        return t.value

    def attrs_int() -> object:
        a.value = 12345
        return a.value

    def pydantic_int() -> object:
        p.value = 12345
        return p.value

    return [
        ("qom_py property_set/property_get", qom_property),
        ("qom_py attribute (prop.Int)", qom_attribute),
        ("traitlets Int", traitlets_int),
        ("attrs on_setattr=validate", attrs_int),
        ("pydantic validate_assignment", pydantic_int),
    ]


def qom_bulk(typename: str) -> None:
    qom_py.object_new_with_props(typename, RECORD).unref()


def build_contenders() -> list[tuple[str, Callable[[], object]]]:
    return [
        ("qom_py object_new_with_props (TypeInfo)", lambda: qom_bulk("bench-plain")),
        ("qom_py object_new_with_props (declarative)", lambda: qom_bulk("bench-record")),
        ("qom_py object_new+property_set (TypeInfo)", lambda: qom_build("bench-plain")),
        ("qom_py object_new+property_set (declarative)", lambda: qom_build("bench-record")),
        ("pydantic model_validate", lambda: PydanticRecord.model_validate(RECORD)),
        ("cattrs structure", lambda: CONVERTER.structure(RECORD, CattrsRecord)),
    ]


def rules_contenders() -> list[tuple[str, Callable[[], object]]]:
    obj = qom_py.object_new("bench-rules")
    set_ = obj.property_set
    set_keyval = obj.property_set_keyval
    return [
        ("qom_py property_set (JSON)", lambda: set_("rules", RULES)),
        ("qom_py property_set_keyval (strings)", lambda: set_keyval("rules", RULES_KEYVAL)),
        ("pydantic TypeAdapter strict (JSON)", lambda: RULES_ADAPTER.validate_python(RULES, strict=True)),
        ("pydantic TypeAdapter lax (strings)", lambda: RULES_ADAPTER.validate_python(RULES_KEYVAL)),
    ]


def report(title: str, rows: list[tuple[str, float]], n_ours: int, loops: int, runs: int) -> None:
    """Print one table: medians, then qom_py / peer for each qom_py row."""
    ours = rows[:n_ours]
    print(f"\n{title}  (median of {runs} interleaved rounds x {loops} operations)")
    ratio_heads = [f"#{i + 1} / peer" for i in range(n_ours)]
    print(f"  {'#':>2}  {'implementation':<46} {'ns/op':>10}  " + "  ".join(f"{h:>13}" for h in ratio_heads))
    for index, (label, ns) in enumerate(rows):
        number = str(index + 1) if index < n_ours else ""
        cells = "" if index < n_ours else "  ".join(f"{q / ns:>13.2f}" for _, q in ours)
        print(f"  {number:>2}  {label:<46} {ns:>10.1f}  {cells}")


def main() -> None:
    sanity_checks()
    print(
        f"Python {platform.python_version()}; qom_py {qom_py.__version__}, traitlets {traitlets.__version__}, "
        f"attrs {attrs.__version__}, pydantic {pydantic.__version__}, cattrs {version('cattrs')}"
    )
    rows = [
        (label, s * 1e9)
        for label, s in interleaved(
            [(label, per_call(fn)) for label, fn in set_get_contenders()], SET_GET_LOOPS, SET_GET_RUNS
        )
    ]
    report("int64 property: one validated set + one get", rows, 2, SET_GET_LOOPS, SET_GET_RUNS)
    rows = [
        (label, s * 1e9)
        for label, s in interleaved(
            [(label, per_call(fn)) for label, fn in build_contenders()], BUILD_LOOPS, BUILD_RUNS
        )
    ]
    report("object from a dict {bool, str, int, enum}", rows, 4, BUILD_LOOPS, BUILD_RUNS)
    rows = [
        (label, s * 1e9)
        for label, s in interleaved(
            [(label, per_call(fn)) for label, fn in rules_contenders()], RULES_LOOPS, RULES_RUNS
        )
    ]
    report("structured property: set 10 x {str, enum, uint16}", rows, 2, RULES_LOOPS, RULES_RUNS)


if __name__ == "__main__":
    main()
