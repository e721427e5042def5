"""
Fuzzing ``--object`` strings: whatever the input, `object_option_parse` either creates
exactly one object, prints help, or raises a `QOMError` -- and never leaves a partial
object behind.

Inputs are arbitrary strings over the grammar's special characters and mutations
(insert, delete, duplicate a character among ``,=.{}"`` and digits) of valid strings
for ``iothread``, ``main-loop`` and the thread-less ``test-widget``.  Hypothesis runs
derandomized, so CI sees the same examples every time; a seeded random loop adds
volume cheaply.  Objects created are removed at once, so at most one iothread thread
is alive at a time, and ``thread-pool-min`` is capped (a context starts that many
workers as soon as it is configured, ARCHITECTURE.md decision 8).
"""

from __future__ import annotations

import io
import json
import random
from collections import Counter
from collections.abc import Callable, Iterator
from typing import ClassVar

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import qom_py
import qom_py.loop._event_loop_base  # registers event-loop-base and main-loop
import qom_py.loop._iothread  # registers iothread
from qom_py import Object, default_registry, prop, qom_type
from qom_py.errors import QOMError
from qom_py.qapi._keyval import keyval_parse_with_help
from qom_py.qapi._scalars import parse_int64
from qom_py.qom._user_creatable import TYPE_USER_CREATABLE, user_creatable_add_type

TYPE_WIDGET = "test-widget"
#: The most pool workers one fuzzed object may ask for (arbitrary; keeps threads few).
MAX_POOL_MIN = 4

SEEDS = [
    "iothread,id=io0,poll-max-ns=32768,poll-grow=2,poll-shrink=0,aio-max-batch=8,thread-pool-max=4",
    "qom-type=iothread,id=io1,thread-pool-min=1,thread-pool-max=2",
    "main-loop,id=ml,thread-pool-max=2,aio-max-batch=3",
    "test-widget,id=w,flag=on,label=a,,b,colour=blue,i8=-5,u16=7,size=4k,level=3,peer=",
    "test-widget,id=w.1,u64=18446744073709551615,i32=0x10,size=1.5M",
    "iothread,help",
    '{"qom-type":"iothread","id":"j","poll-max-ns":0,"thread-pool-max":3}',
    '{"qom-type":"test-widget","id":"w","i8":1,"colour":"red","flag":true,"label":"x,y"}',
    '{"qom-type":"main-loop","id":"m","aio-max-batch":1}',
]
MUTATION_CHARS = ',=.{}"0123456789'


class Widget(Object):
    """Instances record their finalization here (class-level, reset per test)."""

    finalized: ClassVar[Counter[int]] = Counter()
    inited: ClassVar[list[Object]] = []


@pytest.fixture
def widget() -> Iterator[None]:
    """Register the thread-less ``test-widget``."""
    Widget.finalized = Counter()
    Widget.inited = []

    @qom_type(TYPE_WIDGET, interfaces=[TYPE_USER_CREATABLE])
    class FuzzWidget(Widget):
        flag = prop.Bool()
        label = prop.Str()
        colour = prop.Enum("WidgetColour", ["red", "green", "blue"])
        i8 = prop.Int(8)
        i32 = prop.Int(32)
        u16 = prop.UInt(16)
        u64 = prop.UInt()
        size = prop.Size()
        level = prop.Int(check=_non_negative)
        peer = prop.Link(TYPE_WIDGET)

        def instance_init(self) -> None:
            Widget.inited.append(self)

        def instance_finalize(self) -> None:
            Widget.finalized[id(self)] += 1

    yield
    assert all(n == 1 for n in Widget.finalized.values()), "an object was finalized twice"


def _non_negative(obj: Object, value: int) -> None:
    if value < 0:
        raise QOMError("Property values cannot be negative")


def _pool_min(text: str) -> int:
    """The ``thread-pool-min`` a string asks for, as far as it can be told (0 if none)."""
    raw: object = None
    if text.startswith("{"):
        try:
            data = json.loads(text)
        except (ValueError, RecursionError):  # the stdlib reader is not under test here
            return 0
        raw = data.get("thread-pool-min") if isinstance(data, dict) else None
        return raw if type(raw) is int else 0
    try:
        raw = keyval_parse_with_help(text, "qom-type")[0].get("thread-pool-min")
    except QOMError:
        return 0
    if not isinstance(raw, str):
        return 0
    try:
        return parse_int64("thread-pool-min", raw)
    except QOMError:
        return 0


def _expected_id(text: str) -> object:
    if text.startswith("{"):
        return json.loads(text).get("id")
    return keyval_parse_with_help(text, "qom-type")[0].get("id")


def check_one(text: str) -> str:
    """Run one string; assert it created exactly one object or changed nothing; say which."""
    if _pool_min(text) > MAX_POOL_MIN:
        return "skipped"
    root = default_registry.objects_root
    before = dict(root.children())
    try:
        obj = qom_py.object_option_parse(text, out=io.StringIO())
    except QOMError:
        assert dict(root.children()) == before, f"partial object left by {text!r}"
        return "error"
    after = dict(root.children())
    if obj is None:  # help
        assert after == before
        return "help"
    new = {name: o for name, o in after.items() if name not in before}
    assert list(new.values()) == [obj], f"{text!r} created {new}"
    (name,) = new
    assert name == _expected_id(text)
    assert obj.canonical_path == f"/objects/{name}"
    root.property_del(name)  # what reset does; also removes a main-loop, which refuses object_del
    assert obj.is_finalized
    return "created"


def mutate(seed: str, ops: list[tuple[str, int, str]]) -> str:
    """Apply insert / delete / duplicate operations at positions modulo the length."""
    text = seed
    for op, where, char in ops:
        i = where % (len(text) + 1)
        if op == "insert":
            text = text[:i] + char + text[i:]
        elif text:
            i = min(i, len(text) - 1)
            text = text[:i] + text[i + 1 :] if op == "delete" else text[:i] + text[i] + text[i:]
    return text


OPS = st.lists(
    st.tuples(st.sampled_from(["insert", "delete", "duplicate"]), st.integers(0, 200), st.sampled_from(MUTATION_CHARS)),
    min_size=1,
    max_size=4,
)
FUZZ = settings(
    max_examples=600,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@settings(FUZZ, max_examples=1500)
@given(seed=st.sampled_from(SEEDS), ops=OPS)
def test_mutated_strings(widget: None, seed: str, ops: list[tuple[str, int, str]]) -> None:
    """Mutations of valid strings create one object, print help, or raise `QOMError` cleanly."""
    check_one(mutate(seed, ops))


@FUZZ
@given(
    prefix=st.sampled_from(["", "iothread,", "main-loop,id=m,", "test-widget,", "test-widget,id=w,", "{", "help,"]),
    body=st.text(alphabet=',=.{}"[]:0123456789abdefhilnopstwx-_? ', max_size=40),
)
def test_arbitrary_strings(widget: None, prefix: str, body: str) -> None:
    """Arbitrary strings over the grammar's characters never escape as anything but `QOMError`."""
    check_one(prefix + body)


@FUZZ
@given(text=st.text(max_size=30))
def test_any_unicode(widget: None, text: str) -> None:
    """Any Unicode text at all, including NULs and surrogates, is handled."""
    check_one(text)


def test_seeded_random_mutations(widget: None) -> None:
    """Ten thousand seeded random mutations of the thread-less type's strings behave."""
    rng = random.Random(20240722)
    seeds = [s for s in SEEDS if "test-widget" in s]
    outcomes: Counter[str] = Counter()
    for _ in range(10000):
        seed = rng.choice(seeds)
        ops = [
            (rng.choice(["insert", "delete", "duplicate"]), rng.randrange(200), rng.choice(MUTATION_CHARS))
            for _ in range(rng.randint(1, 3))
        ]
        outcomes[check_one(mutate(seed, ops))] += 1
    # the mutations reach both ends: some objects are built, most strings are refused
    assert outcomes["created"] > 500 and outcomes["error"] > 5000, outcomes


@pytest.mark.parametrize("depth", [1000, 1100, 100_000])
def test_deep_nesting(widget: None, depth: int) -> None:
    """Deeply nested JSON (QEMU's limit is 1024) is refused with a `QOMError`, never a crash."""
    assert check_one('{"qom-type":"test-widget","id":"w","label":' + "[" * depth + "]" * depth + "}") == "error"


def test_mutate() -> None:
    """The mutation helper inserts, deletes and duplicates as named."""
    assert mutate("abc", [("insert", 1, "=")]) == "a=bc"
    assert mutate("abc", [("delete", 1, "x")]) == "ac"
    assert mutate("abc", [("duplicate", 2, "x")]) == "abcc"
    assert mutate("", [("delete", 5, "x"), ("insert", 7, ",")]) == ","


# --- the checked fast path against the plain one -----------------------------------------

MEMBERS = ["flag", "label", "colour", "i8", "i32", "u16", "u64", "size", "level"]
JSON_VALUES = st.one_of(
    st.booleans(),
    st.integers(),
    st.sampled_from([2**n + d for n in (7, 8, 15, 16, 31, 32, 63, 64) for d in (-1, 0)] + [-1, -(2**63), -(2**63) - 1]),
    st.floats(allow_nan=False),
    st.sampled_from(["red", "blue", "pink", "", "on", "42"]),
    st.none(),
    st.lists(st.integers(), max_size=2),
)


@settings(
    max_examples=400, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(member=st.sampled_from(MEMBERS), value=JSON_VALUES)
def test_checked_path_matches_property_set(widget: None, member: str, value: object) -> None:
    """
    ``object_add`` (schema check, then values straight to stores) ends exactly as
    setting the same value through ``property_set`` does: the same error, or the
    same value read back.
    """

    def outcome(create: Callable[[], Object]) -> tuple[str, object]:
        try:
            obj = create()
        except QOMError as exc:
            assert not list(default_registry.objects_root.children())
            return "error", str(exc)
        result = obj.property_get(member)
        qom_py.object_del("w")
        return "ok", result

    checked = outcome(lambda: qom_py.object_add(TYPE_WIDGET, id="w", props={member: value}))
    plain = outcome(lambda: user_creatable_add_type(TYPE_WIDGET, "w", {member: value}))
    assert checked == plain
