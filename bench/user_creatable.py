"""
Benchmark: creating user-creatable objects, from ``--object`` strings and from dicts.

The type is ``bench-widget``, a declarative user-creatable type with no thread
(bool, string, enum, int and size properties), so the numbers measure the
user-creatable layer itself: keyval parsing, the schema check (cattrs), object
creation, property setting, attaching under ``/objects``, ``complete``, and --
in the full-cycle rows -- ``object_del`` with finalization.

Rows, each the median over interleaved rounds (``bench/_timing.py``), in
microseconds per operation:

1. ``object_option_parse(STR)`` + ``object_del`` -- a ``--object`` keyval string;
2. ``object_add(typename, id=..., **props)`` + ``object_del``;
3. ``user_creatable_add_qapi(dict)`` + ``object_del`` -- what QMP ``object-add`` runs;
4. ``user_creatable_add_qapi(dict)`` alone -- creation from a dict, the issue's
   measure: each round creates LOOPS objects (distinct ids) and deletes them
   again outside the timed part;
5. the parts: ``keyval_parse`` alone, ``ObjectSchema.validate`` alone (JSON mode),
   and ``object_new`` + ``property_set`` per key + ``unref`` (no user-creatable layer);
6. pydantic ``model_validate`` of an equivalent strict model (same members, bounds,
   enum, id pattern, unknown keys forbidden) -- validation only, it creates no object
   in any tree;
7. a structured property: ``user_creatable_add_qapi`` of ``bench-rules``, whose
   ``rules`` is a list of 10 structs of 3 members (a string, an enum, an int),
   creation only, against pydantic ``model_validate`` of the equivalent model.
   The schema checks the list once; the property stores it without a second check.

The ratio column is row / pydantic (above 1 means slower than pydantic), the
structured rows against pydantic's structured row; the targets (issue 17): row 4
and the structured creation at no more than 1.5.  Every contender is checked
first to accept the values and refuse a string for the int.

Run: ``python bench/user_creatable.py`` (well under a minute).
"""

from __future__ import annotations

import platform
import sys
import time
from pathlib import Path
from typing import Annotated, Any, Literal

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import pydantic  # noqa: E402 - after the path tweak
from _timing import Runner, interleaved, per_call, refuses  # noqa: E402

import qom_py  # noqa: E402
from qom_py import Object, prop, qom_type  # noqa: E402
from qom_py.qapi._keyval import keyval_parse_with_help  # noqa: E402
from qom_py.qapi._visitors import JSON_VISITOR  # noqa: E402
from qom_py.qom._user_creatable import user_creatable_add_qapi  # noqa: E402

TYPE = "bench-widget"
RULES_TYPE = "bench-rules"
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
TEXT = f"{TYPE},id=w,flag=on,label=hiss,colour=blue,count=42,size=4k"
PROPS: dict[str, Any] = {"flag": True, "label": "hiss", "colour": "blue", "count": 42, "size": 4096}
REQUEST: dict[str, Any] = {"qom-type": TYPE, "id": "w", **PROPS}
RULES: list[dict[str, Any]] = [
    {"match": f"host{i}.example.org", "policy": "allow" if i % 2 else "deny", "weight": i} for i in range(10)
]
RULES_REQUEST: dict[str, Any] = {"qom-type": RULES_TYPE, "id": "r", "rules": RULES}

#: The label prefix of the structured-property rows.
STRUCTURED = "10x3 list: "

#: Operations per round, rounds.  Arbitrary; sized to finish well under a minute.
LOOPS, RUNS = 5_000, 9


@qom_type(TYPE, interfaces=[qom_py.TYPE_USER_CREATABLE])
class Widget(Object):
    flag = prop.Bool()
    label = prop.Str()
    colour = prop.Enum("WidgetColour", ["red", "green", "blue"])
    count = prop.Int()
    size = prop.Size()

    def complete(self) -> None:
        pass


qom_py.qapi_load(
    """
    { 'enum': 'BenchPolicy', 'data': [ 'deny', 'allow' ] }
    { 'struct': 'BenchRule', 'data': { 'match': 'str', 'policy': 'BenchPolicy', 'weight': 'int' } }
    """
)


@qom_type(RULES_TYPE, interfaces=[qom_py.TYPE_USER_CREATABLE])
class Rules(Object):
    rules = prop.QAPIList("BenchRule")

    def complete(self) -> None:
        pass


class PydanticRule(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(strict=True, extra="forbid")
    match: str
    policy: Literal["deny", "allow"]
    weight: Annotated[int, pydantic.Field(ge=INT64_MIN, le=INT64_MAX)]


class PydanticRules(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(strict=True, extra="forbid", populate_by_name=True)
    qom_type: Literal["bench-rules"] = pydantic.Field(alias="qom-type")
    id: Annotated[str, pydantic.Field(pattern=r"^[A-Za-z][A-Za-z0-9._-]*$")]
    rules: list[PydanticRule] | None = None


class PydanticWidget(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(strict=True, extra="forbid", populate_by_name=True)
    qom_type: Literal["bench-widget"] = pydantic.Field(alias="qom-type")
    id: Annotated[str, pydantic.Field(pattern=r"^[A-Za-z][A-Za-z0-9._-]*$")]
    flag: bool | None = None
    label: str | None = None
    colour: Literal["red", "green", "blue"] | None = None
    count: Annotated[int, pydantic.Field(ge=INT64_MIN, le=INT64_MAX)] | None = None
    size: Annotated[int, pydantic.Field(ge=0, le=2**64 - 1)] | None = None


def sanity_checks() -> None:
    """Fail loudly if a contender does not do the work it is timed for."""
    obj = qom_py.object_option_parse(TEXT)
    assert obj is not None and {k: obj.property_get(k) for k in PROPS} == PROPS
    qom_py.object_del("w")
    obj = qom_py.object_add(TYPE, id="w", **PROPS)
    assert {k: obj.property_get(k) for k in PROPS} == PROPS
    qom_py.object_del("w")
    assert obj.is_finalized
    assert refuses(lambda: qom_py.object_add(TYPE, id="w", **{**PROPS, "count": "42"}))
    assert refuses(lambda: user_creatable_add_qapi({**REQUEST, "bogus": 1}))
    assert qom_py.object_schema().validate(REQUEST, JSON_VISITOR) == (TYPE, "w", PROPS)
    assert PydanticWidget.model_validate(REQUEST).model_dump(exclude={"qom_type", "id"}) == PROPS
    assert refuses(lambda: PydanticWidget.model_validate({**REQUEST, "count": "42"}))
    assert refuses(lambda: PydanticWidget.model_validate({**REQUEST, "bogus": 1}))
    assert refuses(lambda: PydanticWidget.model_validate({**REQUEST, "id": "1w"}))
    obj = user_creatable_add_qapi(RULES_REQUEST)
    assert obj.property_get("rules") == RULES
    qom_py.object_del("r")
    bad = [*RULES[:9], {**RULES[9], "weight": "9"}]
    assert refuses(lambda: user_creatable_add_qapi({**RULES_REQUEST, "rules": bad}))
    assert refuses(lambda: PydanticRules.model_validate({**RULES_REQUEST, "rules": bad}))
    assert PydanticRules.model_validate(RULES_REQUEST).model_dump()["rules"] == RULES
    assert not list(qom_py.object_get_objects_root().children())


def contenders() -> list[tuple[str, Runner]]:
    parse, add, delete = qom_py.object_option_parse, qom_py.object_add, qom_py.object_del
    validate = qom_py.object_schema().validate

    def from_string() -> None:
        parse(TEXT)
        delete("w")

    def from_kwargs() -> None:
        add(TYPE, id="w", **PROPS)
        delete("w")

    def from_dict() -> None:
        user_creatable_add_qapi(REQUEST)
        delete("w")

    def create_only(template: dict[str, Any]) -> Runner:
        requests = [{**template, "id": f"w{i}"} for i in range(LOOPS)]

        def run(loops: int) -> float:
            start = time.perf_counter()
            for request in requests[:loops]:
                user_creatable_add_qapi(request)
            elapsed = time.perf_counter() - start
            for request in requests[:loops]:
                delete(request["id"])
            return elapsed

        return run

    def bare_object() -> None:
        obj = qom_py.object_new(TYPE)
        for key, value in PROPS.items():
            obj.property_set(key, value)
        obj.unref()

    return [
        ("object_option_parse(keyval) + object_del", per_call(from_string)),
        ("object_add(**props) + object_del", per_call(from_kwargs)),
        ("user_creatable_add_qapi(dict) + object_del", per_call(from_dict)),
        ("user_creatable_add_qapi(dict), creation only", create_only(REQUEST)),
        ("  part: keyval_parse", per_call(lambda: keyval_parse_with_help(TEXT, "qom-type"))),
        ("  part: ObjectSchema.validate (JSON mode)", per_call(lambda: validate(REQUEST, JSON_VISITOR))),
        ("  part: object_new + property_set x5 + unref", per_call(bare_object)),
        ("pydantic model_validate (validation only)", per_call(lambda: PydanticWidget.model_validate(REQUEST))),
        (STRUCTURED + "user_creatable_add_qapi, creation only", create_only(RULES_REQUEST)),
        (STRUCTURED + "pydantic model_validate", per_call(lambda: PydanticRules.model_validate(RULES_REQUEST))),
    ]


def main() -> None:
    sanity_checks()
    print(f"Python {platform.python_version()}; qom_py {qom_py.__version__}, pydantic {pydantic.__version__}")
    print(f"--object {TEXT}")
    rows = [(label, seconds * 1e6) for label, seconds in interleaved(contenders(), LOOPS, RUNS)]
    assert not list(qom_py.object_get_objects_root().children())
    peer = rows[-3][1]
    structured_peer = rows[-1][1]
    print(f"\nmedian of {RUNS} interleaved rounds x {LOOPS} operations")
    print(f"  {'operation':<50} {'us/op':>9} {'ops/s':>10} {'/ pydantic':>11}")
    for label, us in rows:
        ratio = us / (structured_peer if label.startswith(STRUCTURED) else peer)
        print(f"  {label:<50} {us:>9.2f} {1e6 / us:>10.0f} {ratio:>11.2f}")


if __name__ == "__main__":
    main()
